/* auth=auto: azure-identity's DefaultAzureCredential order. env and workload,
 * when configured, must work (a wrong secret is reported, not skipped);
 * managed identity and az are tried and skipped when they give no token;
 * device code comes last, and only with a terminal. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/auth/internal.h"

struct notes {
    char text[GS_AUTH_WHY];
    size_t len;
};

static void note(struct notes *n, const char *method, const char *why)
{
    if (n->len >= sizeof(n->text) - 1)
        return;
    int w = snprintf(n->text + n->len, sizeof(n->text) - n->len, "%s%s: %s",
                     n->len ? "; " : "", method, why);
    if (w > 0)
        n->len += (size_t)w < sizeof(n->text) - n->len ? (size_t)w : sizeof(n->text) - n->len - 1;
}

/* Sets the method up and gets its first token; 0, or the error in inner. */
static int try_method(struct gs_auth *a, const struct gs_auth_config *cfg, gs_auth_setup_fn setup,
                      char *inner, size_t innerlen)
{
    int r = setup(a, cfg, inner, innerlen);
    if (r == 0)
        r = gs_auth_first_token(a, inner, innerlen);
    if (r < 0)
        gs_auth_drop_method(a);
    return r;
}

int gs_auth_auto_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                       size_t whylen)
{
    struct notes n = {.len = 0};
    char inner[GS_AUTH_WHY];
    int r;

    if (gs_auth_env_available(cfg, inner, sizeof(inner)) == 0) {
        r = try_method(a, cfg, gs_auth_env_setup, inner, sizeof(inner));
        if (r < 0)
            gs_auth_whyf(why, whylen, "env: %s", inner);
        return r;
    }
    note(&n, "env", inner);

    if (gs_auth_workload_available(cfg, inner, sizeof(inner)) == 0) {
        r = try_method(a, cfg, gs_auth_workload_setup, inner, sizeof(inner));
        if (r < 0)
            gs_auth_whyf(why, whylen, "workload: %s", inner);
        return r;
    }
    note(&n, "workload", inner);

    if (gs_auth_managed_available(a, inner, sizeof(inner)) == 0 &&
        try_method(a, cfg, gs_auth_managed_setup, inner, sizeof(inner)) == 0)
        return 0;
    note(&n, "managed", inner);

    if (gs_auth_cli_available(inner, sizeof(inner)) == 0 &&
        try_method(a, cfg, gs_auth_cli_setup, inner, sizeof(inner)) == 0)
        return 0;
    note(&n, "cli", inner);

    if (!cfg->interactive) {
        note(&n, "device", "no terminal attached");
    } else if (!cfg->client_id && !gs_auth_env("AZURE_CLIENT_ID")) {
        note(&n, "device", "needs client_id= or AZURE_CLIENT_ID");
    } else {
        r = try_method(a, cfg, gs_auth_device_setup, inner, sizeof(inner));
        if (r == 0)
            return 0;
        note(&n, "device", inner);
        gs_auth_whyf(why, whylen, "no method gave a token (%s)", n.text);
        return r;
    }
    gs_auth_whyf(why, whylen, "no credentials found (%s)", n.text);
    return -EACCES;
}

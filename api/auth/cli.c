/* The cli method: the Azure CLI's signed-in account, through
 *   az account get-access-token --resource <graph root> --output json [--tenant T]
 * run without a shell. az prints accessToken and expires_on (epoch, az 2.54
 * and later) or expiresOn (local time, older versions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

/* The method's state is the command line (a NULL-terminated argv). */
static void cli_free(void *state)
{
    gs_exec_free_argv(state);
}

static int cli_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    struct gs_exec_result res;
    int r = gs_exec_run_ok(a->state, "az account get-access-token", a->timeout_ms, GS_AUTH_MAX_FILE,
                           &res, why, whylen);
    if (r < 0)
        return r;
    struct gs_token_response resp;
    r = gs_token_response_parse(res.out, res.out_len, gs_auth_now(), &resp);
    if (r == 0)
        gs_token_response_take(&resp, gs_auth_now(), out);
    else
        gs_auth_whyf(why, whylen, "az account get-access-token: %s", resp.description);
    gs_token_response_clear(&resp);
    gs_exec_result_clear(&res);
    return r < 0 ? -EIO : 0;
}

static const struct gs_auth_method method_cli = {"cli", cli_acquire, cli_free};

int gs_auth_cli_available(char *why, size_t whylen)
{
    char *path = NULL;
    if (gs_exec_find("az", &path) == 0) {
        free(path);
        return 0;
    }
    gs_auth_whyf(why, whylen, "az is not on PATH");
    return -ENOENT;
}

static int push(char **argv, int *n, const char *s)
{
    argv[*n] = strdup(s);
    return argv[(*n)++] ? 0 : -ENOMEM;
}

int gs_auth_cli_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                      size_t whylen)
{
    if (cfg->tenant && gs_oauth_check_tenant(cfg->tenant) != 0) {
        gs_auth_whyf(why, whylen, "the tenant must be a tenant id or a domain name");
        return -EINVAL;
    }
    char **argv = calloc(12, sizeof(char *));
    int n = 0, r = argv ? 0 : -ENOMEM;
    const char *words[] = {"az", "account", "get-access-token", "--resource", a->resource,
                           "--output", "json"};
    for (size_t i = 0; r == 0 && i < sizeof(words) / sizeof(words[0]); i++)
        r = push(argv, &n, words[i]);
    if (r == 0 && cfg->tenant) {
        r = push(argv, &n, "--tenant");
        if (r == 0)
            r = push(argv, &n, cfg->tenant);
    }
    if (r < 0) {
        gs_exec_free_argv(argv);
        gs_auth_whyf(why, whylen, "out of memory");
        return r;
    }
    a->method = &method_cli;
    a->state = argv;
    return 0;
}

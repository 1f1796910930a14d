/* The cli method: the Azure CLI's signed-in account, through
 *   az account get-access-token --resource <graph root> --output json [--tenant T]
 * run without a shell. az prints accessToken and expires_on (epoch, az 2.54
 * and later) or expiresOn (local time, older versions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth_internal.h"

struct cli {
    char **argv;
};

static void cli_free(void *state)
{
    struct cli *c = state;
    if (!c)
        return;
    gs_exec_free_argv(c->argv);
    free(c);
}

static int cli_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    struct cli *c = a->state;
    struct gs_exec_result res;
    char inner[GS_AUTH_WHY];
    int r = gs_exec_run(c->argv, a->timeout_ms, GS_AUTH_MAX_FILE, &res, inner, sizeof(inner));
    if (r < 0) {
        gs_auth_whyf(why, whylen, "%s", inner);
        return r;
    }
    if (res.exit_status != 0) {
        gs_auth_whyf(why, whylen, "az account get-access-token exited with status %d%s%s",
                     res.exit_status, res.err_line[0] ? ": " : "", res.err_line);
        gs_exec_result_clear(&res);
        return -EACCES;
    }
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
    struct cli *c = calloc(1, sizeof(*c));
    if (c)
        c->argv = calloc(12, sizeof(char *));
    int n = 0, r = c && c->argv ? 0 : -ENOMEM;
    const char *words[] = {"az", "account", "get-access-token", "--resource", a->resource,
                           "--output", "json"};
    for (size_t i = 0; r == 0 && i < sizeof(words) / sizeof(words[0]); i++)
        r = push(c->argv, &n, words[i]);
    if (r == 0 && cfg->tenant) {
        r = push(c->argv, &n, "--tenant");
        if (r == 0)
            r = push(c->argv, &n, cfg->tenant);
    }
    if (r < 0) {
        cli_free(c);
        gs_auth_whyf(why, whylen, "out of memory");
        return r;
    }
    a->method = &method_cli;
    a->state = c;
    return 0;
}

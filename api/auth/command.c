/* The token_command method: a command (run without a shell) prints a bearer
 * token on stdout. It is run again on a forced refresh, and when the token
 * is a JWT whose exp says it is near expiry; a token that is not a JWT is
 * kept until Graph refuses it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

/* The method's state is the command line (a NULL-terminated argv). */
static void command_free(void *state)
{
    gs_exec_free_argv(state);
}

static int command_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    char **argv = a->state;
    struct gs_exec_result res;
    int r = gs_exec_run_ok(argv, argv[0], a->timeout_ms, GS_AUTH_MAX_FILE, &res, why, whylen);
    if (r < 0)
        return r;
    /* the token is stdout without surrounding whitespace */
    char *s = res.out;
    size_t n = res.out_len;
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (gs_token_check(s) != 0) {
        gs_auth_whyf(why, whylen,
                     "%s printed no token, or one with spaces or control characters",
                     argv[0]);
        gs_exec_result_clear(&res);
        return -EPROTO;
    }
    double now = gs_auth_now(), exp = 0, iat = 0;
    if (gs_jwt_times(s, &exp, &iat) == 0 && exp <= now) {
        gs_auth_whyf(why, whylen, "%s printed a token that has expired",
                     argv[0]);
        gs_exec_result_clear(&res);
        return -EACCES;
    }
    out->value = strdup(s);
    gs_exec_result_clear(&res);
    if (!out->value) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    out->obtained = iat > 0 && iat <= now ? iat : now;
    out->expires = exp;
    return 0;
}

static const struct gs_auth_method method_command = {"token_command", command_acquire,
                                                     command_free};

int gs_auth_command_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                          size_t whylen)
{
    if (!cfg->token_command || !*cfg->token_command) {
        gs_auth_whyf(why, whylen, "needs token_command=");
        return -EINVAL;
    }
    char **argv = NULL;
    int r = gs_exec_split(cfg->token_command, &argv, why, whylen);
    if (r < 0)
        return r;
    a->method = &method_command;
    a->state = argv;
    return 0;
}

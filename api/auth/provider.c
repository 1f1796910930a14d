/* The token provider: picks a method, holds the current token, and shares
 * one refresh among the threads that need it (no lock is held while a
 * method talks to the network or runs a command). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"
#include "common/secmem.h"

/* After a failed refresh, callers get the last error (or the still usable
 * token) for FAIL_HOLD_S instead of each starting a request of their own;
 * a failed refresh ahead of expiry is retried after AHEAD_RETRY_S. */
#define FAIL_HOLD_S 2.0
#define AHEAD_RETRY_S 10.0
/* A source may hand out a token already inside its refresh window (a
 * command or az returning a cached token): then do not ask again before this. */
#define STALE_HOLD_S 30.0

static const struct {
    const char *name;
    gs_auth_setup_fn setup;
} setups[] = {
    {"auto", gs_auth_auto_setup},         {"env", gs_auth_env_setup},
    {"workload", gs_auth_workload_setup}, {"managed", gs_auth_managed_setup},
    {"cli", gs_auth_cli_setup},           {"device", gs_auth_device_setup},
    {"secret", gs_auth_secret_setup},     {"certificate", gs_auth_certificate_setup},
    {"token_command", gs_auth_command_setup}, {"none", gs_auth_none_setup},
};

static const struct gs_auth_method method_none = {"none", NULL, NULL};

int gs_auth_none_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                       size_t whylen)
{
    a->method = &method_none;
    return 0;
}

static int loopback_host(const char *hostport)
{
    static const char *const hosts[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        size_t n = strlen(hosts[i]);
        if (strncmp(hostport, hosts[i], n) == 0 &&
            (hostport[n] == '\0' || hostport[n] == ':' || hostport[n] == '/'))
            return 1;
    }
    return 0;
}

/* The login root: the option, AZURE_AUTHORITY_HOST (which may lack the
 * scheme, as azure-identity allows), or the global cloud. */
static int resolve_authority(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                             size_t whylen)
{
    const char *src = cfg->authority, *what = "authority";
    if (!src) {
        src = gs_auth_env("AZURE_AUTHORITY_HOST");
        what = "AZURE_AUTHORITY_HOST";
    }
    if (!src)
        src = GS_AUTH_DEFAULT_AUTHORITY;
    if (asprintf(&a->authority, "%s%s", strstr(src, "://") ? "" : "https://", src) < 0) {
        a->authority = NULL;
        return -ENOMEM;
    }
    size_t n = strlen(a->authority);
    while (n > 0 && a->authority[n - 1] == '/')
        a->authority[--n] = '\0';
    int ok = strpbrk(a->authority, "?# ") == NULL;
    if (ok && strncmp(a->authority, "https://", 8) != 0)
        ok = strncmp(a->authority, "http://", 7) == 0 && loopback_host(a->authority + 7);
    if (!ok) {
        gs_auth_whyf(why, whylen,
                     "%s must be an https:// URL (http:// only for a loopback host), "
                     "without query or fragment",
                     what);
        return -EINVAL;
    }
    return 0;
}

static int set_scope(struct gs_auth *a, const struct gs_auth_config *cfg)
{
    a->scope = strdup(cfg->scope && *cfg->scope ? cfg->scope : GS_AUTH_DEFAULT_SCOPE);
    if (!a->scope)
        return -ENOMEM;
    /* managed identity and az take a resource, not a scope */
    a->resource = strdup(a->scope);
    if (!a->resource)
        return -ENOMEM;
    size_t n = strlen(a->resource), suffix = strlen("/.default");
    if (n > suffix && strcmp(a->resource + n - suffix, "/.default") == 0)
        a->resource[n - suffix] = '\0';
    return 0;
}

int gs_auth_new(const struct gs_auth_config *cfg, struct gs_auth **out, char *why, size_t whylen)
{
    const char *name = cfg->method && *cfg->method ? cfg->method : "auto";
    gs_auth_setup_fn setup = NULL;
    char inner[GS_AUTH_WHY] = "";
    *out = NULL;
    for (size_t i = 0; i < sizeof(setups) / sizeof(setups[0]); i++)
        if (strcmp(name, setups[i].name) == 0)
            setup = setups[i].setup;
    if (!setup) {
        gs_auth_whyf(why, whylen,
                     "unknown auth method %s (auto, env, workload, managed, cli, device, secret, "
                     "certificate, token_command, none)",
                     name);
        return -EINVAL;
    }
    struct gs_auth *a = calloc(1, sizeof(*a));
    if (!a) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->done, NULL);
    a->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : GS_AUTH_DEFAULT_TIMEOUT_MS;
    a->interactive = cfg->interactive;
    a->log_fn = cfg->log_fn;
    a->log_ctx = cfg->log_ctx;
    int r = set_scope(a, cfg);
    if (r < 0)
        snprintf(inner, sizeof(inner), "out of memory");
    if (r == 0)
        r = resolve_authority(a, cfg, inner, sizeof(inner));
    if (r == 0)
        r = setup(a, cfg, inner, sizeof(inner));
    if (r == 0)
        r = gs_auth_first_token(a, inner, sizeof(inner));
    if (r < 0) {
        gs_auth_whyf(why, whylen, "auth=%s: %s", name, inner[0] ? inner : strerror(-r));
        gs_auth_free(a);
        return r;
    }
    *out = a;
    return 0;
}

const char *gs_auth_method_name(const struct gs_auth *a)
{
    return a && a->method ? a->method->name : "none";
}

void gs_auth_report(const struct gs_auth *a, const char *msg)
{
    if (a->log_fn)
        a->log_fn(a->log_ctx, msg);
    else
        fprintf(stderr, "graphsyncfs: %s\n", msg);
}

/* The installed token lives in a secret page (gs_auth_secret_to_page). */
static void clear_installed(struct gs_auth *a)
{
    gs_secret_free(a->tok.value);
    memset(&a->tok, 0, sizeof(a->tok));
}

void gs_auth_install(struct gs_auth *a, struct gs_token *t)
{
    double now = gs_auth_now();
    a->stale_hold_until = gs_token_fresh(t, now) ? 0 : now + STALE_HOLD_S;
    clear_installed(a);
    if (gs_auth_secret_to_page(&t->value) < 0) {
        gs_auth_report(a, "out of memory keeping the token"); /* none: the next call asks again */
        memset(t, 0, sizeof(*t));
    }
    a->tok = *t;
    memset(t, 0, sizeof(*t));
}

int gs_auth_first_token(struct gs_auth *a, char *why, size_t whylen)
{
    if (!a->method || !a->method->acquire || a->tok.value)
        return 0;
    struct gs_token t = {0};
    int r = a->method->acquire(a, &t, why, whylen);
    if (r == 0)
        gs_auth_install(a, &t);
    return r;
}

void gs_auth_drop_method(struct gs_auth *a)
{
    if (a->method && a->method->destroy && a->state)
        a->method->destroy(a->state);
    a->method = NULL;
    a->state = NULL;
    clear_installed(a);
}

static int copy_token(const struct gs_auth *a, char **out)
{
    *out = a->tok.value ? strdup(a->tok.value) : NULL;
    return *out ? 0 : -ENOMEM;
}

/* Runs one acquire with the lock released; others wait on a->done. */
static int refresh_locked(struct gs_auth *a, int force, char **out)
{
    struct gs_token fresh = {0};
    char why[GS_AUTH_WHY] = "";
    a->refreshing = 1;
    pthread_mutex_unlock(&a->lock);
    int r = a->method->acquire(a, &fresh, why, sizeof(why));
    pthread_mutex_lock(&a->lock);
    double now = gs_auth_now();
    int keep_old = r < 0 && !force && gs_token_usable(&a->tok, now);
    a->refreshing = 0;
    a->generation++;
    a->last_result = r;
    if (r == 0)
        gs_auth_install(a, &fresh);
    else
        a->failed_at = now;
    pthread_cond_broadcast(&a->done);
    if (r < 0) {
        /* reported with the lock held: rare, and keeps reports in order */
        char msg[GS_AUTH_WHY + 64];
        snprintf(msg, sizeof(msg), "token refresh (auth=%s) failed%s: %s", a->method->name,
                 keep_old ? ", the current token is kept for now" : "",
                 why[0] ? why : strerror(-r));
        gs_auth_report(a, msg);
    }
    if (r == 0 || keep_old)
        return copy_token(a, out);
    return r;
}

static int token_locked(struct gs_auth *a, int force, char **out)
{
    double now = gs_auth_now();
    if (!force && gs_token_fresh(&a->tok, now))
        return copy_token(a, out);
    int usable = gs_token_usable(&a->tok, now);
    if (!force && usable && now < a->stale_hold_until)
        return copy_token(a, out);
    if (a->refreshing) {
        if (!force && usable)
            return copy_token(a, out); /* another thread refreshes ahead of expiry */
        unsigned long gen = a->generation;
        while (a->generation == gen)
            pthread_cond_wait(&a->done, &a->lock);
        if (a->last_result == 0 || (!force && gs_token_usable(&a->tok, gs_auth_now())))
            return copy_token(a, out);
        return a->last_result;
    }
    if (a->last_result < 0 && now < a->failed_at + FAIL_HOLD_S)
        return !force && usable ? copy_token(a, out) : a->last_result;
    if (a->last_result < 0 && now < a->failed_at + AHEAD_RETRY_S && !force && usable)
        return copy_token(a, out);
    return refresh_locked(a, force, out);
}

int gs_auth_token(void *auth, int force_refresh, char **token_out)
{
    struct gs_auth *a = auth;
    *token_out = NULL;
    if (!a || !a->method)
        return -EINVAL;
    if (!a->method->acquire)
        return 0;
    pthread_mutex_lock(&a->lock);
    int r = token_locked(a, force_refresh, token_out);
    pthread_mutex_unlock(&a->lock);
    return r;
}

void gs_auth_free(struct gs_auth *a)
{
    if (!a)
        return;
    gs_auth_drop_method(a);
    free(a->authority);
    free(a->scope);
    free(a->resource);
    pthread_cond_destroy(&a->done);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

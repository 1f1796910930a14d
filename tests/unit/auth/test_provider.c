/* The provider: method selection and its messages, authority and scope
 * handling, and the sharing rules of gs_auth_token under many threads
 * (one refresh at a time, refresh-ahead, forced refresh, failures). A fake
 * method stands in for the network. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"
#include "api/cloud.h"
#include "tests/unit/check.h"

struct fake {
    pthread_mutex_t m;
    int calls;
    double delay;
    double lifetime; /* 0: unknown expiry */
    int fail;
};

static int fake_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    struct fake *f = a->state;
    pthread_mutex_lock(&f->m);
    int n = ++f->calls;
    double delay = f->delay, lifetime = f->lifetime;
    int fail = f->fail;
    pthread_mutex_unlock(&f->m);
    gs_auth_sleep(delay);
    if (fail) {
        gs_auth_whyf(why, whylen, "fake failure %d", n);
        return -EACCES;
    }
    if (asprintf(&out->value, "token-%d", n) < 0)
        return -ENOMEM;
    out->obtained = gs_auth_now();
    out->expires = lifetime > 0 ? out->obtained + lifetime : 0;
    return 0;
}

static const struct gs_auth_method fake_method = {"fake", fake_acquire, NULL};

static char logged[2048];
static int log_count;
static void log_fn(void *ctx, const char *msg)
{
    snprintf(logged, sizeof(logged), "%s", msg);
    log_count++;
}

static struct gs_auth *fake_provider(struct fake *f)
{
    struct gs_auth_config cfg = {.method = "none", .log_fn = log_fn};
    struct gs_auth *a = NULL;
    char why[256];
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    pthread_mutex_init(&f->m, NULL);
    a->method = &fake_method;
    a->state = f;
    return a;
}

static int calls(struct fake *f)
{
    pthread_mutex_lock(&f->m);
    int n = f->calls;
    pthread_mutex_unlock(&f->m);
    return n;
}

struct caller {
    struct gs_auth *a;
    pthread_barrier_t *start;
    int force;
    int result;
    char *token;
};

static void *call_token(void *arg)
{
    struct caller *c = arg;
    if (c->start)
        pthread_barrier_wait(c->start);
    c->result = gs_auth_token(c->a, c->force, &c->token);
    return NULL;
}

/* n threads call at once; returns how many got want (NULL: any token) */
static int crowd(struct gs_auth *a, int n, int force, const char *want)
{
    pthread_t th[32];
    struct caller c[32];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        c[i] = (struct caller){.a = a, .start = &start, .force = force};
        pthread_create(&th[i], NULL, call_token, &c[i]);
    }
    int ok = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        if (c[i].result == 0 && c[i].token && (!want || strcmp(c[i].token, want) == 0))
            ok++;
        free(c[i].token);
    }
    pthread_barrier_destroy(&start);
    return ok;
}

static void test_one_refresh_for_many(void)
{
    struct fake f = {.delay = 0.3, .lifetime = 3600};
    struct gs_auth *a = fake_provider(&f);
    /* no token yet: 16 threads, one acquire, all share it */
    CHECK_INT(crowd(a, 16, 0, "token-1"), 16);
    CHECK_INT(calls(&f), 1);
    /* fresh: no acquire at all */
    CHECK_INT(crowd(a, 16, 0, "token-1"), 16);
    CHECK_INT(calls(&f), 1);
    /* forced at once (a 401 seen by many): shared, not one each */
    CHECK_INT(crowd(a, 16, 1, NULL), 16);
    CHECK(calls(&f) >= 2 && calls(&f) <= 3);
    gs_auth_free(a);
}

static void test_refresh_ahead_keeps_serving(void)
{
    struct fake f = {.delay = 1.0, .lifetime = 3600};
    struct gs_auth *a = fake_provider(&f);
    char *t = NULL;
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    CHECK_STR(t, "token-1");
    free(t);
    /* inside the refresh window but still usable (lifetime 100 s, 8 s left) */
    double now = gs_auth_now();
    a->tok.obtained = now - 92;
    a->tok.expires = now + 8;
    struct caller first = {.a = a};
    pthread_t th;
    pthread_create(&th, NULL, call_token, &first);
    gs_auth_sleep(0.2); /* the first caller is refreshing (for 1 s) */
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    CHECK_STR(t, "token-1"); /* not kept waiting */
    free(t);
    pthread_join(th, NULL);
    CHECK_STR(first.token, "token-2");
    free(first.token);
    CHECK_INT(calls(&f), 2);
    /* expired: callers wait for the new one */
    a->tok.obtained = gs_auth_now() - 200;
    a->tok.expires = gs_auth_now() - 1;
    f.delay = 0.2;
    CHECK_INT(crowd(a, 8, 0, "token-3"), 8);
    CHECK_INT(calls(&f), 3);
    gs_auth_free(a);
}

static void test_failures(void)
{
    struct fake f = {.delay = 0, .lifetime = 3600};
    struct gs_auth *a = fake_provider(&f);
    char *t = NULL;
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    free(t);
    /* a failed refresh ahead of expiry keeps the current token, and says so */
    double now = gs_auth_now();
    a->tok.obtained = now - 92;
    a->tok.expires = now + 8;
    f.fail = 1;
    log_count = 0;
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    CHECK_STR(t, "token-1");
    free(t);
    CHECK_INT(log_count, 1);
    CHECK(strstr(logged, "auth=fake") && strstr(logged, "fake failure 2") &&
          strstr(logged, "current token is kept"));
    /* and is not retried at every call */
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    free(t);
    CHECK_INT(calls(&f), 2);
    /* a forced refresh right after a failure gets that failure, no new request */
    CHECK_INT(gs_auth_token(a, 1, &t), -EACCES);
    CHECK(t == NULL);
    CHECK_INT(calls(&f), 2);
    /* expired and failing: the error, to every waiter */
    gs_auth_sleep(2.1);
    a->tok.expires = gs_auth_now() - 1;
    CHECK_INT(crowd(a, 4, 0, NULL), 0);
    CHECK(calls(&f) >= 3 && calls(&f) <= 4);
    /* recovery */
    f.fail = 0;
    gs_auth_sleep(2.1);
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    CHECK(t && strncmp(t, "token-", 6) == 0);
    free(t);
    gs_auth_free(a);
}

static void test_unknown_expiry(void)
{
    struct fake f = {.delay = 0, .lifetime = 0};
    struct gs_auth *a = fake_provider(&f);
    char *t = NULL;
    for (int i = 0; i < 5; i++) {
        CHECK_INT(gs_auth_token(a, 0, &t), 0);
        free(t);
    }
    CHECK_INT(calls(&f), 1);
    CHECK_INT(gs_auth_token(a, 1, &t), 0);
    CHECK_STR(t, "token-2");
    free(t);
    gs_auth_free(a);
}

static void test_none_and_names(void)
{
    struct gs_auth_config cfg = {.method = "none"};
    struct gs_auth *a = NULL;
    char why[512], *t = (char *)"x";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    CHECK_STR(gs_auth_method_name(a), "none");
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    CHECK(t == NULL);
    CHECK_INT(gs_auth_token(a, 1, &t), 0);
    CHECK_STR(a->resource, "https://graph.microsoft.com");
    CHECK_STR(a->authority, "https://login.microsoftonline.com");
    gs_auth_free(a);

    cfg.method = "password";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "unknown auth method password") != NULL);
    cfg.method = "secret";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK_STR(why, "auth=secret: needs tenant=, client_id= and client_secret_file=");
    cfg.method = "certificate";
    cfg.tenant = "t";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK_STR(why, "auth=certificate: needs tenant=, client_id= and client_certificate=");
    cfg.method = "secret";
    cfg.tenant = "contoso.onmicrosoft.com/../x";
    cfg.client_id = "c";
    cfg.client_secret_file = "/nonexistent/secret";
    CHECK(gs_auth_new(&cfg, &a, why, sizeof(why)) < 0);
    CHECK(strstr(why, "/nonexistent/secret") != NULL);
    cfg.method = "token_command";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK_STR(why, "auth=token_command: needs token_command=");
    cfg.method = "device";
    cfg.client_id = NULL;
    unsetenv("AZURE_CLIENT_ID");
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "needs client_id=") != NULL);
}

static void test_authority(void)
{
    struct gs_auth_config cfg = {.method = "none"};
    struct gs_auth *a = NULL;
    char why[512];
    cfg.authority = "login.microsoftonline.us/";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    CHECK_STR(a->authority, "https://login.microsoftonline.us");
    gs_auth_free(a);
    cfg.authority = "http://127.0.0.1:8080";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    gs_auth_free(a);
    cfg.authority = "http://login.example.com";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "authority must be an https:// URL") != NULL);
    cfg.authority = "http://127.0.0.1.evil.example";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    cfg.authority = "https://login.example.com/?x=1";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    cfg.authority = NULL;
    setenv("AZURE_AUTHORITY_HOST", "https://login.chinacloudapi.cn/", 1);
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    CHECK_STR(a->authority, "https://login.chinacloudapi.cn");
    gs_auth_free(a);
    setenv("AZURE_AUTHORITY_HOST", "ftp://x", 1);
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "AZURE_AUTHORITY_HOST") != NULL);
    unsetenv("AZURE_AUTHORITY_HOST");
    cfg.scope = "https://graph.microsoft.us/.default";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    CHECK_STR(a->resource, "https://graph.microsoft.us");
    gs_auth_free(a);
}

static void test_auto_finds_nothing(void)
{
    static const char *const vars[] = {
        "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    setenv("PATH", "/nonexistent-gs-auth", 1);
    setenv("GRAPHSYNCFS_IMDS_ENDPOINT", "http://127.0.0.1:1/metadata/identity/oauth2/token", 1);
    struct gs_auth_config cfg = {.method = "auto", .interactive = 0};
    struct gs_auth *a = NULL;
    char why[2048];
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EACCES);
    CHECK(strstr(why, "auth=auto: no credentials found (env: needs AZURE_TENANT_ID") == why);
    CHECK(strstr(why, "workload: needs AZURE_FEDERATED_TOKEN_FILE") != NULL);
    CHECK(strstr(why, "managed: IDENTITY_ENDPOINT is not set and IMDS") != NULL);
    CHECK(strstr(why, "cli: az is not on PATH") != NULL);
    CHECK(strstr(why, "device: no terminal attached") != NULL);
    /* a terminal but no client id */
    cfg.interactive = 1;
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EACCES);
    CHECK(strstr(why, "device: needs client_id=") != NULL);
    /* env configured but broken: reported, not skipped */
    setenv("AZURE_TENANT_ID", "tid", 1);
    setenv("AZURE_CLIENT_ID", "cid", 1);
    setenv("AZURE_CLIENT_CERTIFICATE_PATH", "/nonexistent/cert.pem", 1);
    CHECK(gs_auth_new(&cfg, &a, why, sizeof(why)) < 0);
    CHECK(strstr(why, "auth=auto: env: AZURE_CLIENT_CERTIFICATE_PATH: cannot open /nonexistent/cert.pem") == why);
    unsetenv("AZURE_CLIENT_CERTIFICATE_PATH");
    unsetenv("AZURE_TENANT_ID");
    unsetenv("AZURE_CLIENT_ID");
}

static void test_token_command(void)
{
    struct gs_auth_config cfg = {.method = "token_command",
                                 .token_command = "printf '%s\\n' opaque.token-value"};
    struct gs_auth *a = NULL;
    char why[512], *t = NULL;
    setenv("PATH", "/usr/bin:/bin", 1);
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), 0);
    CHECK_STR(gs_auth_method_name(a), "token_command");
    CHECK_INT(gs_auth_token(a, 0, &t), 0);
    CHECK_STR(t, "opaque.token-value");
    free(t);
    gs_auth_free(a);
    cfg.token_command = "sh -c 'echo \"vault: permission denied\" >&2; exit 2'";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EACCES);
    CHECK_STR(why, "auth=token_command: sh exited with status 2: vault: permission denied");
    cfg.token_command = "printf 'two words'";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EPROTO);
    CHECK(strstr(why, "printf printed no token") != NULL && strstr(why, "two") == NULL);
    /* a JWT already expired: {"exp":1} */
    cfg.token_command = "echo e30.eyJleHAiOjF9.c2ln";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EACCES);
    CHECK(strstr(why, "expired") != NULL);
    cfg.token_command = "'unterminated";
    CHECK_INT(gs_auth_new(&cfg, &a, why, sizeof(why)), -EINVAL);
}

static void test_cloud(void)
{
    const char *g = NULL, *l = NULL, *s = NULL;
    CHECK_INT(gs_cloud_lookup("global", &g, &l, &s), 0);
    CHECK_STR(g, "https://graph.microsoft.com");
    CHECK_STR(l, "https://login.microsoftonline.com");
    CHECK_STR(s, "https://graph.microsoft.com/.default");
    CHECK_INT(gs_cloud_lookup("USGov", &g, &l, &s), 0);
    CHECK_STR(g, "https://graph.microsoft.us");
    CHECK_STR(l, "https://login.microsoftonline.us");
    CHECK_INT(gs_cloud_lookup("dod", &g, &l, &s), 0);
    CHECK_STR(g, "https://dod-graph.microsoft.us");
    CHECK_STR(l, "https://login.microsoftonline.us");
    CHECK_STR(s, "https://dod-graph.microsoft.us/.default");
    CHECK_INT(gs_cloud_lookup("china", &g, NULL, &s), 0);
    CHECK_STR(g, "https://microsoftgraph.chinacloudapi.cn");
    CHECK_STR(s, "https://microsoftgraph.chinacloudapi.cn/.default");
    CHECK_INT(gs_cloud_lookup("germany", &g, &l, &s), -EINVAL);
    CHECK_INT(gs_cloud_lookup(NULL, &g, &l, &s), -EINVAL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_one_refresh_for_many();
    test_refresh_ahead_keeps_serving();
    test_failures();
    test_unknown_expiry();
    test_none_and_names();
    test_authority();
    test_auto_finds_nothing();
    test_token_command();
    test_cloud();
    curl_global_cleanup();
    return check_report("test_provider");
}

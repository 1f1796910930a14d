/* gs-auth-probe: gets tokens the way the daemon does, for the tests.
 * Prints the chosen method, then "token ok <length>" per call (never the
 * token), and with --graph URL whether Graph accepts the token.
 *
 *   gs-auth-probe [--method M] [--authority URL] [--tenant T] [--client-id ID]
 *                 [--secret-file F] [--certificate F] [--token-command CMD]
 *                 [--token-cache F] [--scope S] [--timeout-ms N] [--interactive]
 *                 [--calls N] [--interval S] [--force] [--threads N] [--graph URL]
 *
 * Exit status: 0 when every call got a token, 1 otherwise, 2 on bad usage. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth/auth.h"

struct probe {
    struct gs_auth *auth;
    int calls;
    double interval;
    int force;
    const char *graph;
    pthread_mutex_t out_lock;
    int failures;
};

static void sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    return size * n;
}

/* GET {graph}/v1.0/servicePrincipals?$top=1 with the token: the HTTP status. */
static long graph_status(const char *graph, const char *token)
{
    CURL *h = curl_easy_init();
    char url[1024], header[8192];
    long status = 0;
    if (!h)
        return 0;
    snprintf(url, sizeof(url), "%s/v1.0/servicePrincipals?$top=1&$select=id", graph);
    snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
    struct curl_slist *hl = curl_slist_append(NULL, header);
    memset(header, 0, sizeof(header));
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    return status;
}

static void *run_calls(void *arg)
{
    struct probe *p = arg;
    for (int i = 0; i < p->calls; i++) {
        if (i > 0)
            sleep_s(p->interval);
        char *token = NULL;
        int r = gs_auth_token(p->auth, p->force, &token);
        long status = r == 0 && token && p->graph ? graph_status(p->graph, token) : 0;
        pthread_mutex_lock(&p->out_lock);
        if (r < 0) {
            printf("token error %s\n", strerror(-r));
            p->failures++;
        } else if (!token) {
            printf("token none\n");
        } else {
            printf("token ok %zu\n", strlen(token));
        }
        if (status) {
            printf("graph %ld\n", status);
            if (status != 200)
                p->failures++;
        }
        fflush(stdout);
        pthread_mutex_unlock(&p->out_lock);
        free(token);
    }
    return NULL;
}

static void log_to_stderr(void *ctx, const char *msg)
{
    fprintf(stderr, "gs-auth-probe: %s\n", msg);
}

static int usage(void)
{
    fprintf(stderr, "usage: gs-auth-probe [--method M] [--authority URL] [--tenant T] "
                    "[--client-id ID] [--secret-file F] [--certificate F] [--token-command CMD] "
                    "[--token-cache F] [--scope S] [--timeout-ms N] [--interactive] [--calls N] "
                    "[--interval S] [--force] [--threads N] [--graph URL]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct gs_auth_config cfg = {.log_fn = log_to_stderr};
    struct probe p = {.calls = 1};
    int threads = 1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (strcmp(o, "--method") == 0 && v)
            cfg.method = v;
        else if (strcmp(o, "--authority") == 0 && v)
            cfg.authority = v;
        else if (strcmp(o, "--tenant") == 0 && v)
            cfg.tenant = v;
        else if (strcmp(o, "--client-id") == 0 && v)
            cfg.client_id = v;
        else if (strcmp(o, "--secret-file") == 0 && v)
            cfg.client_secret_file = v;
        else if (strcmp(o, "--certificate") == 0 && v)
            cfg.client_certificate = v;
        else if (strcmp(o, "--token-command") == 0 && v)
            cfg.token_command = v;
        else if (strcmp(o, "--token-cache") == 0 && v)
            cfg.token_cache = v;
        else if (strcmp(o, "--scope") == 0 && v)
            cfg.scope = v;
        else if (strcmp(o, "--timeout-ms") == 0 && v)
            cfg.timeout_ms = atol(v);
        else if (strcmp(o, "--calls") == 0 && v)
            p.calls = atoi(v);
        else if (strcmp(o, "--interval") == 0 && v)
            p.interval = atof(v);
        else if (strcmp(o, "--threads") == 0 && v)
            threads = atoi(v);
        else if (strcmp(o, "--graph") == 0 && v)
            p.graph = v;
        else if (strcmp(o, "--interactive") == 0)
            cfg.interactive = 1, takes = 0;
        else if (strcmp(o, "--force") == 0)
            p.force = 1, takes = 0;
        else
            return usage();
        i += takes;
    }
    if (threads < 1 || threads > 64 || p.calls < 0)
        return usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char why[2048];
    int r = gs_auth_new(&cfg, &p.auth, why, sizeof(why));
    if (r < 0) {
        fprintf(stderr, "gs-auth-probe: %s\n", why);
        printf("auth error %s\n", strerror(-r));
        curl_global_cleanup();
        return 1;
    }
    printf("method %s\n", gs_auth_method_name(p.auth));
    fflush(stdout);
    pthread_mutex_init(&p.out_lock, NULL);
    pthread_t th[64];
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, run_calls, &p);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    gs_auth_free(p.auth);
    curl_global_cleanup();
    return p.failures ? 1 : 0;
}

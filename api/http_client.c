/* The client object: configuration, the shared DNS/TLS-session cache with its
 * locks, and the pool of easy handles that keeps connections alive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/http_internal.h"
#include "common/clock.h"
#include "common/log.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_RETRIES 3
#define DEFAULT_MAX_CONNS 8

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp)
{
    (void)h;
    (void)access;
    struct gs_client *c = userp;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
    (void)h;
    struct gs_client *c = userp;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_locks[data]);
}

static int make_share(struct gs_client *c)
{
    c->share = curl_share_init();
    if (!c->share)
        return -ENOMEM;
    if (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK ||
        curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)
        return -EIO;
    return 0;
}

static int is_loopback(const char *host)
{
    return strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return d;
}

/* scheme, host and port of a URL (port filled in from the scheme). */
static int url_origin(const char *url, char **scheme, char **host, char **port)
{
    *scheme = *host = *port = NULL;
    CURLU *u = curl_url();
    if (!u)
        return -ENOMEM;
    int r = -EINVAL;
    char *s = NULL, *h = NULL, *p = NULL;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        *scheme = lower_dup(s);
        *host = lower_dup(h);
        *port = strdup(p);
        r = (*scheme && *host && *port) ? 0 : -ENOMEM;
    }
    curl_free(s);
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    if (r != 0) {
        free(*scheme);
        free(*host);
        free(*port);
        *scheme = *host = *port = NULL;
    }
    return r;
}

int gs_client_same_origin(const struct gs_client *c, const char *url)
{
    char *s, *h, *p;
    if (url_origin(url, &s, &h, &p) != 0)
        return 0;
    int same = strcmp(s, c->scheme) == 0 && strcmp(h, c->host) == 0 && strcmp(p, c->port) == 0;
    free(s);
    free(h);
    free(p);
    return same;
}

static int check_url(struct gs_client *c)
{
    int r = url_origin(c->graph_url, &c->scheme, &c->host, &c->port);
    if (r == -ENOMEM)
        return r;
    if (r != 0 || (strcmp(c->scheme, "https") != 0 && strcmp(c->scheme, "http") != 0)) {
        gs_error_log("graph_url %s is not an http or https URL", c->graph_url);
        return -EINVAL;
    }
    /* a bearer token travels in clear over http: only to this machine */
    if (strcmp(c->scheme, "http") == 0 && c->token_fn && !is_loopback(c->host)) {
        gs_error_log("graph_url %s: tokens are sent over https only (plain http is for "
                     "a local emulator on the loopback interface)", c->graph_url);
        return -EINVAL;
    }
    return 0;
}

int gs_client_new(const struct gs_client_config *cfg, struct gs_client **out)
{
    *out = NULL;
    if (!cfg || !cfg->graph_url || !*cfg->graph_url)
        return -EINVAL;
    const char *version = cfg->api_version && *cfg->api_version ? cfg->api_version : "v1.0";
    if (strchr(version, '/') || strchr(version, '?') || strchr(version, '#'))
        return -EINVAL;

    struct gs_client *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms
                                                        : DEFAULT_CONNECT_TIMEOUT_MS;
    /* 0 is a real value (no retry); only a negative one means "default" */
    c->retries = cfg->retries >= 0 ? cfg->retries : DEFAULT_RETRIES;
    c->max_conns = cfg->max_conns > 0 ? cfg->max_conns : DEFAULT_MAX_CONNS;
    c->http_debug = cfg->http_debug;
    c->token_fn = cfg->token_fn;
    c->token_ctx = cfg->token_ctx;
    c->audit_fn = cfg->audit_fn;
    c->audit_ctx = cfg->audit_ctx;
    snprintf(c->user_agent, sizeof(c->user_agent), "graphsyncfs/%s", GS_VERSION);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    pthread_mutex_init(&c->pool_lock, NULL);

    int r = -ENOMEM;
    size_t ulen = strlen(cfg->graph_url);
    while (ulen && cfg->graph_url[ulen - 1] == '/')
        ulen--;
    c->graph_url = strndup(cfg->graph_url, ulen);
    c->idle = calloc((size_t)c->max_conns, sizeof(*c->idle));
    c->idle_at = calloc((size_t)c->max_conns, sizeof(*c->idle_at));
    if (c->graph_url && c->idle && c->idle_at && asprintf(&c->root, "%s/%s", c->graph_url, version) < 0)
        c->root = NULL;
    if (c->graph_url && c->idle && c->idle_at && c->root) {
        r = check_url(c);
        if (r == 0)
            r = make_share(c);
    }
    if (r != 0) {
        gs_client_free(c);
        return r;
    }
    *out = c;
    return 0;
}

void gs_client_free(struct gs_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nidle; i++)
        curl_easy_cleanup(c->idle[i]);
    if (c->share)
        curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->pool_lock);
    free(c->idle);
    free(c->idle_at);
    free(c->graph_url);
    free(c->root);
    free(c->scheme);
    free(c->host);
    free(c->port);
    free(c);
}

CURL *gs_handle_get(struct gs_client *c)
{
    CURL *h = NULL;
    pthread_mutex_lock(&c->pool_lock);
    if (c->nidle)
        h = c->idle[--c->nidle];
    pthread_mutex_unlock(&c->pool_lock);
    if (h)
        return h;
    h = curl_easy_init();
    if (h && curl_easy_setopt(h, CURLOPT_SHARE, c->share) != CURLE_OK) {
        curl_easy_cleanup(h);
        h = NULL;
    }
    return h;
}

void gs_handle_put(struct gs_client *c, CURL *h)
{
    /* the options (pointers into the finished request) go; the live
     * connection, the caches and the share stay */
    curl_easy_reset(h);
    pthread_mutex_lock(&c->pool_lock);
    if (c->nidle < (size_t)c->max_conns) {
        c->idle_at[c->nidle] = gs_now();
        c->idle[c->nidle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

size_t gs_client_close_idle(struct gs_client *c, double seconds)
{
    if (!c)
        return 0;
    double before = gs_now() - seconds;
    CURL *old[64];
    size_t n = 0;
    pthread_mutex_lock(&c->pool_lock);
    while (n < c->nidle && n < sizeof(old) / sizeof(old[0]) && c->idle_at[n] <= before)
        n++;
    memcpy(old, c->idle, n * sizeof(*old));
    c->nidle -= n;
    memmove(c->idle, c->idle + n, c->nidle * sizeof(*c->idle));
    memmove(c->idle_at, c->idle_at + n, c->nidle * sizeof(*c->idle_at));
    pthread_mutex_unlock(&c->pool_lock);
    for (size_t i = 0; i < n; i++)
        curl_easy_cleanup(old[i]);
    return n;
}

double gs_client_budget(const struct gs_client *c)
{
    return (double)c->timeout_ms / 1000.0 * (double)(c->retries + 1);
}

int gs_client_retries(const struct gs_client *c)
{
    return c->retries;
}

/* The Graph client's insides, shared by the files of api/ that implement
 * graph_client.h. Not for use outside api/. */
#ifndef GS_HTTP_INTERNAL_H
#define GS_HTTP_INTERNAL_H

#include <curl/curl.h>
#include <pthread.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/random.h"
#include "api/graph_client.h"

struct gs_client {
    char *graph_url;           /* without a trailing '/' */
    char *root;                /* graph_url "/" api_version */
    char *scheme;              /* of graph_url, lower case: nextLinks must match it */
    char *host;
    char *port;
    long timeout_ms;
    long connect_timeout_ms;
    int retries;
    int max_conns;
    int http_debug;
    gs_token_fn token_fn;
    void *token_ctx;
    gs_audit_fn audit_fn;
    void *audit_ctx;
    char user_agent[64];

    /* DNS and TLS sessions are shared by every handle; connections are not
     * (libcurl 7.88 does not support sharing them between concurrent
     * threads): each pooled handle keeps its own connection alive. */
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

    pthread_mutex_t pool_lock;
    CURL **idle;               /* up to max_conns handles ready for reuse, the one used
                                * last on top (idle[nidle - 1]) */
    double *idle_at;           /* gs_now() when each was put back: rising from idle[0] */
    size_t nidle;
};

/* Handles of the pool: one per transfer in progress, reused afterwards. */
CURL *gs_handle_get(struct gs_client *c);
void gs_handle_put(struct gs_client *c, CURL *h);

/* 1 when url has the scheme, host and port of graph_url: only there is the
 * bearer token sent (a nextLink elsewhere is refused). */
int gs_client_same_origin(const struct gs_client *c, const char *url);

/* One attempt: a single HTTP exchange, no retry. */
struct gs_attempt {
    /* in */
    const char *method;
    const char *url;
    const char *body;          /* NULL: none */
    size_t body_len;
    const char *content_type;
    const char *token;         /* NULL: no Authorization header */
    const char *client_request_id;
    long timeout_ms;
    int fresh_connect;         /* 1: never a reused connection (see http_attempt.c) */
    /* out */
    CURLcode cc;
    long status;               /* 0 without an HTTP answer */
    struct gs_buf body_out;
    char request_id[64];
    char client_request_id_echo[64];
    char retry_after[64];      /* raw header value, "" if none */
    char *location;
    int connected;             /* a TCP connection to the server was made */
    int request_sent;          /* the request may have reached the server */
    int too_large;             /* the body passed GS_BODY_MAX (decompressed) or
                                * GS_JSON_VALUES_MAX values and was cut */
    size_t json_values;        /* '{', '[' and ',' seen in the body: about its values */
    size_t held_bytes, held_values; /* counted in the limits all answers share
                                * (http_attempt.c), until gs_attempt_clear */
    double elapsed;            /* seconds */
    char errbuf[CURL_ERROR_SIZE];
};

/* Performs a; returns 0 when an HTTP answer arrived (any status), else a
 * negative errno with a->cc telling the transport failure. */
int gs_attempt_run(struct gs_client *c, struct gs_attempt *a);
void gs_attempt_clear(struct gs_attempt *a);

/* How a logical request is bounded: a monotonic deadline for everything, and
 * a first wait (a Retry-After already received, as in $batch items). */
struct gs_call_opts {
    double deadline;
    double first_wait;
};

/* gs_client_request with explicit bounds. */
int gs_http_call(struct gs_client *c, const struct gs_request *req, const struct gs_call_opts *o,
                 struct gs_response *resp, struct gs_error *err);

/* The wait before retry number `retry` (0 first) without Retry-After:
 * exponential, with jitter. */
double gs_backoff(int retry);

/* The total time a logical request may take: timeout * (retries + 1). */
double gs_client_budget(const struct gs_client *c);

#endif

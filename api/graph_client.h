/* The Graph HTTP client: one shared object used by every thread.
 * It knows nothing of FUSE or of the cache. Functions return 0 or a negative errno. */
#ifndef GS_GRAPH_CLIENT_H
#define GS_GRAPH_CLIENT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "api/graph_error.h"

/* Supplies a bearer token. force_refresh=1 after a 401 InvalidAuthenticationToken.
 * Returns 0 with *token_out malloc'd (or NULL: send no Authorization header),
 * or a negative errno. The client frees the token after use and never logs it. */
typedef int (*gs_token_fn)(void *ctx, int force_refresh, char **token_out);

/* Told of every request that may change Graph (PUT, POST, DELETE, PATCH;
 * not GETs nor safe POSTs) once its outcome is known: result is what
 * gs_client_request returns, status the final HTTP status (0: none),
 * request_id Graph's (may be ""). Called on the requesting thread. */
typedef void (*gs_audit_fn)(void *ctx, const char *method, const char *url, long status,
                            const char *request_id, int result);

struct gs_client_config {
    const char *graph_url;     /* root without version, e.g. "https://graph.microsoft.com" */
    const char *api_version;   /* "v1.0" or "beta" */
    long timeout_ms;           /* total time of one attempt (default 30000) */
    long connect_timeout_ms;   /* default 10000 */
    int retries;               /* extra attempts for retryable failures (default 3) */
    int max_conns;             /* connections kept open to the host (default 8) */
    int http_debug;            /* log every request line and status (never tokens) */
    gs_token_fn token_fn;      /* NULL: no Authorization header */
    void *token_ctx;
    gs_audit_fn audit_fn;      /* NULL: changes are not reported */
    void *audit_ctx;
};

struct gs_client;

int gs_client_new(const struct gs_client_config *cfg, struct gs_client **out);
void gs_client_free(struct gs_client *c);

/* Full URL for a path relative to the version root ("/servicePrincipals").
 * An absolute URL (http:// or https://) is returned as is. malloc'd. */
char *gs_client_url(const struct gs_client *c, const char *path);
/* The retries a retryable failure gets (the retries= option). */
int gs_client_retries(const struct gs_client *c);

struct gs_request {
    const char *method;        /* "GET", "POST", "PUT", "DELETE", "PATCH" */
    const char *path;          /* relative to the version root, or an absolute URL (nextLink) */
    const char *body;          /* NULL: no body */
    size_t body_len;
    const char *content_type;  /* default "application/json" when body != NULL */
    int post_is_safe;          /* 1: this POST has no side effect ($batch of GETs,
                                * parseExpression); it may be retried like a GET */
    int send_once;             /* 1: a PUT whose precondition the caller checked before
                                * it: once sent it is never resent (a lost answer gives
                                * -EIO with err->outcome_unknown, as for a POST), so the
                                * caller can look before sending it again */
};

struct gs_response {
    long status;               /* HTTP status of the final attempt, 0 if none */
    char *body;                /* NUL-terminated, malloc'd (empty string if none) */
    size_t body_len;
    char request_id[64];       /* "request-id" response header */
    char client_request_id[64];/* what we sent as client-request-id */
    char *location;            /* "Location" header, malloc'd or NULL */
    double retry_after;        /* seconds from Retry-After, -1 if absent */
    int attempts;              /* how many attempts were made */
};

void gs_response_clear(struct gs_response *r);

/* Performs one logical request with the retry policy:
 *  - GET, PUT, DELETE (and safe POSTs) are retried on 429, 503, 504 and
 *    connection failures; GET, HEAD and safe POSTs also on 500 and 502
 *    (gateways answer those for transient faults); honouring Retry-After
 *    (fractional seconds too),
 *    else exponential backoff with jitter; bounded by cfg.retries and by a
 *    total deadline of timeout_ms * (retries + 1).
 *  - other POSTs are retried only when provably not processed (429 or 503
 *    answered, or no connection made). A connection lost after sending gives
 *    -EIO with err->outcome_unknown = 1 and is never resent.
 *  - 401 with InvalidAuthenticationToken: one forced token refresh, one retry.
 * Returns 0 when the final answer is 2xx. Otherwise a negative errno
 * (DESIGN.md section 6; -ETIMEDOUT for timeouts, -ECONNREFUSED for refused
 * connections, -EHOSTUNREACH for unreachable or unresolvable hosts) and,
 * when err != NULL, err filled in.
 * resp may be NULL; if not, it holds the final answer (also on HTTP errors). */
int gs_client_request(struct gs_client *c, const struct gs_request *req,
                      struct gs_response *resp, struct gs_error *err);

/* The most items a collection may hold (gs_client_get_collection fails
 * with -EFBIG, code TooManyItems, past it), and the most JSON values one
 * answer may hold (GS_JSON_VALUES_MAX: past it the answer is refused as too
 * large, whatever its size on the wire: a small compressed answer can
 * inflate to millions of values, each a parsed node in memory). */
#define GS_COLLECTION_MAX_ITEMS 100000
#define GS_JSON_VALUES_MAX 1000000

/* gs_client_request with its own total deadline of `seconds` instead of
 * timeout_ms * (retries + 1): retries happen only while time is left, and an
 * attempt never outlives the deadline. */
int gs_client_request_within(struct gs_client *c, const struct gs_request *req, double seconds,
                             struct gs_response *resp, struct gs_error *err);

/* GET of a collection following @odata.nextLink until absent.
 * *items_out: a cJSON array with every item of every page (caller deletes).
 * request_id (may be NULL, else 64 bytes) gets the first page's request-id. */
int gs_client_get_collection(struct gs_client *c, const char *path, cJSON **items_out,
                             char *request_id, struct gs_error *err);

/* Calls fn with the first item of each page of the collections the calling
 * thread reads from now on (the items follow by ->next), as each page
 * arrives; fn NULL ends it. For work that can start before the last page. */
typedef void (*gs_page_fn)(void *ctx, const cJSON *first_item);
/* Closes the pooled handles (their connections and buffers) not used for
 * `seconds`, at most 64 a call: after a burst of concurrent requests (a
 * tenant scan) the pool kept one per request that was in flight at once,
 * each holding memory where its thread allocated it (3 MiB of pages after a
 * scan of 50,000 service principals, long after its answers had gone).
 * Returns how many it closed. */
size_t gs_client_close_idle(struct gs_client *c, double seconds);

void gs_client_set_page_hook(gs_page_fn fn, void *ctx);

/* JSON batching: at most 20 items per call (GS_BATCH_MAX), sent as one
 * POST /$batch. Items answered 429 (with their own Retry-After) or 503 are
 * retried alone; if the batch is refused as a whole, every item falls back to
 * a single request. Returns 0 when every item has an outcome (see item->err),
 * a negative errno only for bad arguments. */
#define GS_BATCH_MAX 20
struct gs_batch_item {
    const char *method;        /* input */
    const char *path;          /* input, relative to the version root */
    const char *body;          /* input JSON text or NULL */
    long status;               /* output: item status */
    int want_json;             /* input: a 2xx answer's body comes as json_out, not as text */
    char *body_out;            /* output: item body as JSON text (malloc'd, "" if none, and
                                * "" for an answer that came as json_out) */
    size_t body_len;
    cJSON *json_out;           /* output with want_json: the body of a 2xx answer from inside
                                * the $batch, parsed once (not printed and parsed again);
                                * owned by the item (gs_batch_item_clear) until the caller
                                * takes it (sets it to NULL). NULL for an item sent alone:
                                * its body is in body_out. */
    char request_id[64];       /* output */
    int err;                   /* output: 0 or negative errno */
    struct gs_error error;     /* output when err != 0 */
    double retry_after;        /* output: seconds the item's own Retry-After asked for
                                * when it was throttled (429/503), else -1 */
};
int gs_client_batch(struct gs_client *c, struct gs_batch_item *items, size_t n);

/* gs_client_batch for a caller that schedules its own retries (the tenant
 * read-ahead): throttled items are not retried alone; they come back with
 * status 429 or 503 and retry_after set, to be batched again after it (-1
 * when it is past the client's time budget: a failure, not to be retried).
 * A single item goes as a $batch of one too (a plain GET would retry a 429
 * by itself, behind the caller's back). */
int gs_client_batch_keep_throttled(struct gs_client *c, struct gs_batch_item *items, size_t n);
void gs_batch_item_clear(struct gs_batch_item *it);

/* Builds a path from a format in which every %s argument is percent-encoded
 * as one URL path segment ('/', '#', '?', '%', ' ', non-ASCII ... escaped;
 * letters, digits, "-._~" kept) and %% is a literal '%'. No other
 * conversions. malloc'd, NULL on ENOMEM.
 * Example: gs_path("/servicePrincipals/%s/synchronization/jobs/%s", sp, job). */
char *gs_path(const char *fmt, ...);

/* Parses a Retry-After value: seconds (fractional allowed) or an HTTP-date.
 * Returns 0 and seconds (>= 0) in *out, or -EINVAL. */
int gs_parse_retry_after(const char *value, double now, double *out);

#endif

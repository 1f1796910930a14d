/* One logical request: attempts under the retry policy of graph_client.h,
 * bounded by retries and by a deadline, and the answer or the error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/interrupt.h"
#include "api/http_internal.h"
#include "common/log.h"
#include "common/log_internal.h"

/* Backoff without Retry-After: 0.5 s, 1 s, 2 s ... up to 8 s, each scaled
 * by a random factor in [0.5, 1) so that clients do not retry in step. */
#define BACKOFF_BASE 0.5
#define BACKOFF_MAX 8.0

static int is_idempotent(const struct gs_request *req)
{
    const char *m = req->method;
    if (req->send_once)
        return 0;
    if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "PUT") == 0 ||
        strcmp(m, "DELETE") == 0)
        return 1;
    return strcmp(m, "POST") == 0 && req->post_is_safe;
}

/* Safe: no side effect at all (GET, HEAD, a POST flagged safe). Only these are
 * resent after a 500 or 502, which gateways answer for transient faults but
 * which may also come after Graph acted. */
static int is_safe(const struct gs_request *req)
{
    const char *m = req->method;
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
           (strcmp(m, "POST") == 0 && req->post_is_safe);
}

/* Failures worth another attempt (when the method allows it). */
static int transient(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
        return 1;
    default:
        return 0;
    }
}

double gs_backoff(int retry)
{
    double d = BACKOFF_BASE;
    for (int i = 0; i < retry && d < BACKOFF_MAX; i++)
        d *= 2;
    if (d > BACKOFF_MAX)
        d = BACKOFF_MAX;
    return d * (0.5 + 0.5 * gs_random_unit());
}

static const char *transport_code(CURLcode cc)
{
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return "HostNotFound";
    case CURLE_COULDNT_CONNECT: return "ConnectFailed";
    case CURLE_OPERATION_TIMEDOUT: return "Timeout";
    case CURLE_OUT_OF_MEMORY: return "OutOfMemory";
    case CURLE_ABORTED_BY_CALLBACK: return "Interrupted";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE: return "TlsError";
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return "ConnectionLost";
    default: return "TransportError";
    }
}

/* Graph's code for an expired or rejected token (a 401 with any other code
 * is not cured by a new token). */
static int token_rejected(const struct gs_attempt *a)
{
    if (a->status != 401)
        return 0;
    char *code = NULL, *message = NULL;
    gs_error_parse_body(a->body_out.data, a->body_out.len, &code, &message);
    int rejected = code && strcasecmp(code, "InvalidAuthenticationToken") == 0;
    free(code);
    free(message);
    return rejected;
}

static void trace(const struct gs_client *c, const struct gs_attempt *a, int attempt)
{
    if (!c->http_debug)
        return;
    if (a->cc == CURLE_OK)
        gs_log_http("%s %s -> %ld in %.0f ms (attempt %d, request-id %s, client-request-id %s)",
                    a->method, a->url, a->status, a->elapsed * 1000, attempt,
                    a->request_id[0] ? a->request_id : "-", a->client_request_id);
    else
        gs_log_http("%s %s -> no answer: %s, after %.0f ms (attempt %d, client-request-id %s)",
                    a->method, a->url, a->errbuf, a->elapsed * 1000, attempt,
                    a->client_request_id);
}

/* Everything one logical request carries from attempt to attempt. */
struct call {
    struct gs_client *c;
    const struct gs_request *req;
    char *url;
    char guid[37];
    char *token;
    int idempotent;
    int safe;
    int attempts;
    struct gs_attempt a;       /* the latest attempt */
};

static int get_token(struct call *k, int force)
{
    if (!k->c->token_fn)
        return 0;
    if (k->token) {
        explicit_bzero(k->token, strlen(k->token));
        free(k->token);
        k->token = NULL;
    }
    return k->c->token_fn(k->c->token_ctx, force, &k->token);
}

static void drop_token(struct call *k)
{
    if (k->token) {
        explicit_bzero(k->token, strlen(k->token));
        free(k->token);
        k->token = NULL;
    }
}

static int run_attempt(struct call *k, double deadline)
{
    gs_attempt_clear(&k->a);
    memset(&k->a, 0, sizeof(k->a));
    k->a.method = k->req->method;
    k->a.url = k->url;
    k->a.body = k->req->body;
    k->a.body_len = k->req->body ? k->req->body_len : 0;
    k->a.content_type = k->req->content_type;
    k->a.token = k->token;
    k->a.client_request_id = k->guid;
    /* libcurl silently resends a request whose reused connection turns out
     * dead, whatever the method: a non-idempotent request gets a connection
     * of its own so that it is sent exactly once per attempt */
    k->a.fresh_connect = !k->idempotent;
    double left_ms = (deadline - gs_now()) * 1000.0;
    k->a.timeout_ms = (double)k->c->timeout_ms < left_ms ? k->c->timeout_ms : (long)left_ms;
    if (k->a.timeout_ms < 1)
        k->a.timeout_ms = 1;
    int r = gs_attempt_run(k->c, &k->a);
    k->attempts++;
    trace(k->c, &k->a, k->attempts);
    return r;
}

/* Decides the wait before the next attempt: > 0 seconds to retry, -1 to stop. */
static double next_wait(const struct call *k, int r, int retries_left, double deadline)
{
    const struct gs_attempt *a = &k->a;
    int retry = 0;
    double wait = -1;
    if (retries_left <= 0)
        return -1;
    if (r == 0) {
        long s = a->status;
        retry = s == 429 || s == 503 || (s == 504 && k->idempotent) ||
                ((s == 500 || s == 502) && k->safe);
        if (retry && a->retry_after[0] &&
            gs_parse_retry_after(a->retry_after, gs_wall_now(), &wait) != 0)
            wait = -1;
    } else {
        /* a request that may have reached Graph is resent only if resending is harmless */
        retry = transient(a->cc) && (k->idempotent || !a->request_sent);
    }
    if (!retry)
        return -1;
    if (wait < 0)
        wait = gs_backoff(k->c->retries - retries_left);
    if (gs_now() + wait >= deadline)
        return -1;
    return wait;
}

static void fill_response(struct call *k, struct gs_response *resp)
{
    struct gs_attempt *a = &k->a;
    resp->status = a->status;
    resp->body = gs_buf_take(&a->body_out, &resp->body_len);
    if (!resp->body) {
        resp->body = strdup("");
        resp->body_len = 0;
    }
    snprintf(resp->request_id, sizeof(resp->request_id), "%s", a->request_id);
    snprintf(resp->client_request_id, sizeof(resp->client_request_id), "%s", k->guid);
    resp->location = a->location;
    a->location = NULL;
    resp->retry_after = -1;
    if (a->retry_after[0] &&
        gs_parse_retry_after(a->retry_after, gs_wall_now(), &resp->retry_after) != 0)
        resp->retry_after = -1;
    resp->attempts = k->attempts;
}

static int transport_error(struct call *k, int r, struct gs_error *err)
{
    const struct gs_attempt *a = &k->a;
    int unknown = !k->idempotent && a->request_sent;
    /* a lost connection after sending: Graph may have acted; a timeout
     * stays a timeout, also then */
    if (unknown && r != -ETIMEDOUT && r != -ENOMEM)
        r = -EIO;
    if (a->too_large) {
        r = -EIO;
        unknown = 0;
    }
    if (!err)
        return r;
    char msg[CURL_ERROR_SIZE + 160];
    if (a->too_large)
        snprintf(msg, sizeof(msg), "the answer is larger than this client accepts");
    else if (unknown)
        snprintf(msg, sizeof(msg), "%s; the request was sent, so Graph may or may not have "
                 "carried it out, and it was not resent", a->errbuf);
    else
        snprintf(msg, sizeof(msg), "%s", a->errbuf);
    gs_error_set_local(err, k->req->method, k->url, r,
                       a->too_large ? "ResponseTooLarge" : transport_code(a->cc), msg);
    err->client_request_id = strdup(k->guid);
    err->outcome_unknown = unknown;
    return r;
}

static int check_request(const struct gs_request *req)
{
    if (!req || !req->method || !req->path || !*req->method)
        return -EINVAL;
    for (const char *p = req->method; *p; p++)
        if (*p < 'A' || *p > 'Z')
            return -EINVAL;
    return 0;
}

/* A failure before any attempt: recorded with the call's URL and id. */
static int fail_early(struct call *k, struct gs_error *err, int r, const char *code, const char *why)
{
    if (err) {
        gs_error_set_local(err, k->req->method, k->url, r, code, why);
        err->client_request_id = strdup(k->guid);
    }
    return r;
}

/* Attempts until one succeeds, Graph or the network says stop, or the
 * retries or the time run out; 0 when an answer came (any status). */
static int attempts(struct call *k, double deadline)
{
    struct gs_client *c = k->c;
    int retries_left = c->retries;
    int refreshed = 0;
    for (;;) {
        int r = run_attempt(k, deadline);
        if (r == 0 && k->a.status >= 200 && k->a.status < 300)
            return 0;
        if (r == 0 && !refreshed && c->token_fn && token_rejected(&k->a) && gs_now() < deadline) {
            /* one new token, one more attempt; it costs no retry */
            refreshed = 1;
            int tr = get_token(k, 1);
            if (tr == 0)
                continue;
            gs_warn("%s %s: the refreshed token could not be obtained (%s)", k->req->method,
                    k->url, strerror(-tr));
            return r;
        }
        double wait = next_wait(k, r, retries_left, deadline);
        if (wait < 0)
            return r;
        if (r == 0)
            gs_info("%s %s: HTTP %ld, retrying in %.2f s (attempt %d of %d)", k->req->method,
                    k->url, k->a.status, wait, k->attempts + 1, c->retries + 1);
        else
            gs_info("%s %s: %s, retrying in %.2f s (attempt %d of %d)", k->req->method, k->url,
                    k->a.errbuf, wait, k->attempts + 1, c->retries + 1);
        retries_left--;
        if (gs_sleep_until_or_interrupted(gs_now() + wait) < 0)
            return r; /* the last answer stands: the caller was interrupted */
    }
}

int gs_http_call(struct gs_client *c, const struct gs_request *req, const struct gs_call_opts *o,
                 struct gs_response *resp, struct gs_error *err)
{
    if (resp) {
        memset(resp, 0, sizeof(*resp));
        resp->retry_after = -1;
    }
    if (!c || check_request(req) != 0) {
        if (err)
            gs_error_set_local(err, req && req->method ? req->method : "", req ? req->path : NULL,
                               -EINVAL, "InvalidRequest", "bad arguments to the Graph client");
        return -EINVAL;
    }
    struct call k = {.c = c, .req = req, .idempotent = is_idempotent(req), .safe = is_safe(req)};
    gs_guid(k.guid);
    k.url = gs_client_url(c, req->path);
    if (!k.url) {
        if (err)
            gs_error_set_local(err, req->method, req->path, -ENOMEM, "OutOfMemory", "no memory");
        return -ENOMEM;
    }
    int r = 0;
    if (gs_now() >= o->deadline)
        r = fail_early(&k, err, -ETIMEDOUT, "Timeout",
                       "the time bound of the system call ran out before the request was sent");
    else if (o->first_wait > 0 && gs_now() + o->first_wait >= o->deadline)
        r = fail_early(&k, err, -ETIMEDOUT, "Timeout",
                       "the time budget ran out before the request could be retried");
    else if (o->first_wait > 0 && gs_sleep_until_or_interrupted(gs_now() + o->first_wait) < 0)
        r = fail_early(&k, err, -EINTR, "Interrupted",
                       "the system call was interrupted, or graphsyncfs is stopping");
    if (r == 0 && (r = get_token(&k, 0)) < 0)
        fail_early(&k, err, r, "TokenUnavailable", "no access token could be obtained");
    if (r < 0) {
        free(k.url);
        return r;
    }
    r = attempts(&k, o->deadline);
    drop_token(&k);

    int result;
    if (r == 0) {
        /* 2xx gives 0; every other status a negative errno */
        result = gs_errno_for_answer(k.a.status, k.a.body_out.data, k.a.body_out.len);
        if (result != 0 && err)
            gs_error_set_http(err, req->method, k.url, k.a.status, k.a.body_out.data,
                              k.a.body_out.len, k.a.request_id, k.guid);
    } else {
        result = transport_error(&k, r, err);
    }
    if (resp)
        fill_response(&k, resp);
    gs_attempt_clear(&k.a);
    free(k.url);
    return result;
}

/* A request that may change Graph: the audit hook hears of it. */
static int changes_graph(const struct gs_client *c, const struct gs_request *req)
{
    return c && c->audit_fn && req->method && strcmp(req->method, "GET") != 0 && !req->post_is_safe;
}

int gs_client_request(struct gs_client *c, const struct gs_request *req,
                      struct gs_response *resp, struct gs_error *err)
{
    /* within the time bound of the system call this thread serves */
    struct gs_call_opts o = {.deadline = gs_interrupt_clip(gs_now() + (c ? gs_client_budget(c) : 0))};
    if (!changes_graph(c, req))
        return gs_http_call(c, req, &o, resp, err);
    struct gs_response own = {0};
    struct gs_response *rp = resp ? resp : &own;
    int r = gs_http_call(c, req, &o, rp, err);
    const char *rid = rp->request_id[0] ? rp->request_id : (err && err->request_id ? err->request_id : "");
    char *url = gs_client_url(c, req->path);
    c->audit_fn(c->audit_ctx, req->method, url ? url : req->path, rp->status, rid, r);
    free(url);
    gs_response_clear(&own);
    return r;
}

int gs_client_request_within(struct gs_client *c, const struct gs_request *req, double seconds,
                             struct gs_response *resp, struct gs_error *err)
{
    struct gs_call_opts o = {.deadline = gs_interrupt_clip(gs_now() + seconds)};
    return gs_http_call(c, req, &o, resp, err);
}

void gs_response_clear(struct gs_response *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->location);
    memset(r, 0, sizeof(*r));
    r->retry_after = -1;
}

/* One HTTP exchange with libcurl: the options every request gets, the
 * response captured, and what is known about a failure (was anything sent?). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/interrupt.h"
#include "api/http_internal.h"

/* The largest body kept; a schema is a few MB, a page of 999 objects less. */
#define GS_BODY_MAX ((size_t)64 << 20)
/* Each pooled handle keeps one connection alive, so at most max_conns
 * connections stay open while idle. */
#define CONNS_PER_HANDLE 1L
/* The stall guard: a transfer below 1 byte/s for this long is cut. */
#define STALL_MAX_SECONDS 60L

/* What the answers being received hold together (atomic): the limits of one
 * answer are shared by all, so that many answers at once (32 batches in
 * flight, or a hostile proxy inflating each) take no more than one may. */
static size_t held_bytes, held_values;

/* Counts n more bytes and v more values of a's answer; 0 when that passes
 * the shared limits. What a holds is given back by gs_attempt_clear. */
static int hold(struct gs_attempt *a, size_t n, size_t v)
{
    size_t b = __atomic_add_fetch(&held_bytes, n, __ATOMIC_RELAXED);
    size_t w = __atomic_add_fetch(&held_values, v, __ATOMIC_RELAXED);
    a->held_bytes += n;
    a->held_values += v;
    return b <= GS_BODY_MAX && w <= GS_JSON_VALUES_MAX;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
    struct gs_attempt *a = userp;
    size_t n = size * nmemb;
    if (n > GS_BODY_MAX - a->body_out.len) {
        a->too_large = 1;
        return 0;
    }
    /* libcurl hands over the body decompressed: count what parsing would
     * build, so that an answer inflating to millions of tiny values is cut
     * before it is parsed (strings may hold these bytes too: an overcount) */
    size_t v = 0;
    for (size_t i = 0; i < n; i++)
        v += ptr[i] == ',' || ptr[i] == '{' || ptr[i] == '[';
    a->json_values += v;
    if (!hold(a, n, v) || a->json_values > GS_JSON_VALUES_MAX) {
        a->too_large = 1;
        return 0;
    }
    gs_buf_append(&a->body_out, ptr, n);
    return a->body_out.oom ? 0 : n;
}

/* Called by libcurl at least once a second: a transfer for a system call
 * that was interrupted, or during shutdown, ends (common/interrupt.h). */
static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)p;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return gs_interrupted();
}

static void copy_value(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static int header_is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userp)
{
    struct gs_attempt *a = userp;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* a new response (after a 100 Continue): forget the previous one */
        a->request_id[0] = '\0';
        a->client_request_id_echo[0] = '\0';
        a->retry_after[0] = '\0';
        free(a->location);
        a->location = NULL;
        return n;
    }
    const char *colon = memchr(buf, ':', n);
    if (!colon)
        return n;
    size_t klen = (size_t)(colon - buf);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
        vlen--;
    if (header_is(buf, klen, "request-id")) {
        copy_value(a->request_id, sizeof(a->request_id), v, vlen);
    } else if (header_is(buf, klen, "client-request-id")) {
        copy_value(a->client_request_id_echo, sizeof(a->client_request_id_echo), v, vlen);
    } else if (header_is(buf, klen, "retry-after")) {
        copy_value(a->retry_after, sizeof(a->retry_after), v, vlen);
    } else if (header_is(buf, klen, "location")) {
        free(a->location);
        a->location = strndup(v, vlen);
        if (!a->location)
            return 0;
    }
    return n;
}

/* The token is wiped from our copies once the transfer is done. */
static void free_headers(struct curl_slist *list)
{
    for (struct curl_slist *s = list; s; s = s->next)
        explicit_bzero(s->data, strlen(s->data));
    curl_slist_free_all(list);
}

static struct curl_slist *add_header(struct curl_slist *list, const char *line, int *oom)
{
    struct curl_slist *l = curl_slist_append(list, line);
    if (!l) {
        *oom = 1;
        return list;
    }
    return l;
}

static struct curl_slist *build_headers(const struct gs_attempt *a, int *oom)
{
    struct curl_slist *list = NULL;
    char line[128];
    *oom = 0;
    list = add_header(list, "Accept: application/json", oom);
    snprintf(line, sizeof(line), "client-request-id: %s", a->client_request_id);
    list = add_header(list, line, oom);
    /* no "Expect: 100-continue" round trip before a body */
    list = add_header(list, "Expect:", oom);
    if (a->body) {
        char *ct = NULL;
        if (asprintf(&ct, "Content-Type: %s", a->content_type ? a->content_type
                                                               : "application/json") < 0) {
            *oom = 1;
        } else {
            list = add_header(list, ct, oom);
            free(ct);
        }
    } else {
        /* libcurl would announce a form for an empty POST */
        list = add_header(list, "Content-Type:", oom);
    }
    if (a->token) {
        /* one exact allocation: asprintf grows its buffer by realloc and
         * would leave unwiped copies of the token behind */
        static const char prefix[] = "Authorization: Bearer ";
        size_t tl = strlen(a->token);
        char *auth = malloc(sizeof(prefix) + tl);
        if (!auth) {
            *oom = 1;
        } else {
            memcpy(auth, prefix, sizeof(prefix) - 1);
            memcpy(auth + sizeof(prefix) - 1, a->token, tl + 1);
            list = add_header(list, auth, oom);
            explicit_bzero(auth, strlen(auth));
            free(auth);
        }
    }
    return list;
}

static CURLcode set_method(CURL *h, const struct gs_attempt *a)
{
    const char *body = a->body ? a->body : "";
    curl_off_t len = a->body ? (curl_off_t)a->body_len : 0;
    CURLcode cc = CURLE_OK;
    if (strcmp(a->method, "GET") == 0 && !a->body)
        return curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    if (strcmp(a->method, "HEAD") == 0)
        return curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (strcmp(a->method, "POST") != 0)
        cc = curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, a->method);
    /* POST, PUT and PATCH always carry a length (Graph answers 411 without one) */
    if (cc == CURLE_OK && (a->body || strcmp(a->method, "POST") == 0 ||
                           strcmp(a->method, "PUT") == 0 || strcmp(a->method, "PATCH") == 0)) {
        cc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, len);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    }
    return cc;
}

static CURLcode set_options(struct gs_client *c, CURL *h, struct gs_attempt *a,
                            struct curl_slist *headers)
{
    long stall = a->timeout_ms / 1000;
    if (stall < 1)
        stall = 1;
    if (stall > STALL_MAX_SECONDS)
        stall = STALL_MAX_SECONDS;
    long connect_ms = c->connect_timeout_ms < a->timeout_ms ? c->connect_timeout_ms : a->timeout_ms;
    CURLcode cc = CURLE_OK;
#define SET(opt, val) \
    if (cc == CURLE_OK) \
    cc = curl_easy_setopt(h, opt, val)
    SET(CURLOPT_URL, a->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SET(CURLOPT_TIMEOUT_MS, a->timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, stall);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_MAXCONNECTS, CONNS_PER_HANDLE);
    SET(CURLOPT_FRESH_CONNECT, a->fresh_connect ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, a);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, a);
    SET(CURLOPT_ERRORBUFFER, a->errbuf);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_NOPROGRESS, 0L);
#undef SET
    if (cc == CURLE_OK)
        cc = set_method(h, a);
    return cc;
}

/* The errno whose standard message is closest to what happened: a refused
 * connection says "Connection refused", not "No route to host". */
static int errno_for_curl(CURLcode cc, long os_errno)
{
    switch (cc) {
    case CURLE_COULDNT_CONNECT:
        return os_errno == ECONNREFUSED ? -ECONNREFUSED : -EHOSTUNREACH;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -EHOSTUNREACH;
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return -EINTR; /* the caller was interrupted, or the daemon stops */
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

int gs_attempt_run(struct gs_client *c, struct gs_attempt *a)
{
    a->errbuf[0] = '\0';
    CURL *h = gs_handle_get(c);
    if (!h) {
        a->cc = CURLE_OUT_OF_MEMORY;
        snprintf(a->errbuf, sizeof(a->errbuf), "no memory for a transfer handle");
        return -ENOMEM;
    }
    int oom;
    struct curl_slist *headers = build_headers(a, &oom);
    CURLcode cc = oom ? CURLE_OUT_OF_MEMORY : set_options(c, h, a, headers);
    if (cc == CURLE_OK) {
        cc = curl_easy_perform(h);
        if (cc == CURLE_WRITE_ERROR && a->body_out.oom)
            cc = CURLE_OUT_OF_MEMORY;
    }
    a->cc = cc;

    long status = 0;
    curl_off_t connect_us = 0, total_us = 0;
    long request_size = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
    /* bytes of request handed to the connection: 0 means the server cannot
     * have seen this request */
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
    a->status = cc == CURLE_OK ? status : 0;
    a->request_sent = cc == CURLE_OK || request_size > 0;
    a->connected = connect_us > 0 || a->request_sent;
    a->elapsed = (double)total_us / 1e6;
    long os_errno = 0;
    curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
    if (!a->errbuf[0] && cc != CURLE_OK)
        snprintf(a->errbuf, sizeof(a->errbuf), "%s", curl_easy_strerror(cc));
    /* libcurl 7.88 says "Couldn't connect to server" for every connect
     * failure: the system's reason tells refused from unreachable */
    size_t used = strlen(a->errbuf);
    if (cc == CURLE_COULDNT_CONNECT && os_errno > 0 && used + 4 < sizeof(a->errbuf) &&
        !strstr(a->errbuf, strerror((int)os_errno)))
        snprintf(a->errbuf + used, sizeof(a->errbuf) - used, " (%s)", strerror((int)os_errno));

    gs_handle_put(c, h);
    free_headers(headers);
    return cc == CURLE_OK ? 0 : errno_for_curl(cc, os_errno);
}

void gs_attempt_clear(struct gs_attempt *a)
{
    __atomic_sub_fetch(&held_bytes, a->held_bytes, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&held_values, a->held_values, __ATOMIC_RELAXED);
    a->held_bytes = a->held_values = 0;
    gs_buf_free(&a->body_out);
    free(a->location);
    a->location = NULL;
}

/* One HTTP exchange with a token endpoint or a managed-identity endpoint.
 * No redirects are followed (a form holding a secret goes only where it was
 * addressed), nothing is traced, bodies are zeroed before they are freed. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

#define MAX_BODY (1024 * 1024)
#define CONNECT_TIMEOUT_MS 10000L

struct sink {
    char *buf;
    size_t len, cap;
    int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->len + n > MAX_BODY) {
        s->too_big = 1;
        return 0;
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *nb = malloc(cap);
        if (!nb)
            return 0;
        if (s->buf) {
            memcpy(nb, s->buf, s->len);
            explicit_bzero(s->buf, s->cap);
            free(s->buf);
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static void sink_clear(struct sink *s)
{
    if (s->buf) {
        explicit_bzero(s->buf, s->cap);
        free(s->buf);
    }
    memset(s, 0, sizeof(*s));
}

static int errno_for_curl(CURLcode c)
{
    switch (c) {
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return -EHOSTUNREACH;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

static int retryable_status(long status)
{
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
           status == 504;
}

/* One attempt: 0 with an answer, or a negative errno. */
static int attempt(const struct gs_auth_http_call *call, struct gs_auth_http_answer *ans, char *why,
                   size_t whylen)
{
    CURL *h = curl_easy_init();
    if (!h) {
        gs_auth_whyf(why, whylen, "%s %s: cannot start libcurl", call->method, call->url);
        return -ENOMEM;
    }
    struct curl_slist *headers = NULL, *tmp;
    struct sink body = {0};
    int r = 0;
    headers = curl_slist_append(NULL, "Accept: application/json");
    if (headers && call->header) {
        tmp = curl_slist_append(headers, call->header);
        if (!tmp) {
            curl_slist_free_all(headers);
            headers = NULL;
        } else {
            headers = tmp;
        }
    }
    if (!headers) {
        curl_easy_cleanup(h);
        gs_auth_whyf(why, whylen, "%s %s: out of memory", call->method, call->url);
        return -ENOMEM;
    }
    long timeout = call->timeout_ms > 0 ? call->timeout_ms : GS_AUTH_DEFAULT_TIMEOUT_MS;
    curl_easy_setopt(h, CURLOPT_URL, call->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout < CONNECT_TIMEOUT_MS ? timeout : CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "graphsyncfs/" GS_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    if (call->no_proxy)
        curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    if (strcmp(call->method, "POST") == 0) {
        const char *form = call->form ? call->form : "";
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    }
    CURLcode c = curl_easy_perform(h);
    if (c != CURLE_OK) {
        r = body.too_big ? -EFBIG : errno_for_curl(c);
        gs_auth_whyf(why, whylen, "%s %s: %s", call->method, call->url,
                     body.too_big ? "answer too large" : curl_easy_strerror(c));
        sink_clear(&body);
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &ans->status);
        if (!body.buf) {
            body.buf = calloc(1, 1);
            if (!body.buf) {
                r = -ENOMEM;
                gs_auth_whyf(why, whylen, "%s %s: out of memory", call->method, call->url);
            }
        }
        ans->body = body.buf;
        ans->len = body.len;
    }
    for (tmp = headers; tmp; tmp = tmp->next) /* the extra header may be a secret */
        explicit_bzero(tmp->data, strlen(tmp->data));
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return r;
}

int gs_auth_http(const struct gs_auth_http_call *call, struct gs_auth_http_answer *ans, char *why,
            size_t whylen)
{
    double delay = 0.5;
    memset(ans, 0, sizeof(*ans));
    for (int i = 0;; i++) {
        int r = attempt(call, ans, why, whylen);
        /* a timeout is not retried: it already took the whole budget */
        int again = r < 0 ? (r == -EHOSTUNREACH || r == -EIO) : retryable_status(ans->status);
        if (!again || i >= call->retries)
            return r;
        gs_auth_http_answer_clear(ans);
        gs_auth_sleep(delay);
        delay *= 2;
    }
}

void gs_auth_http_answer_clear(struct gs_auth_http_answer *ans)
{
    if (ans->body) {
        explicit_bzero(ans->body, ans->len);
        free(ans->body);
    }
    memset(ans, 0, sizeof(*ans));
}

/* JSON batching: up to 20 requests in one POST /$batch, per-item outcomes,
 * throttled items retried alone, and single requests when Graph refuses the
 * batch as a whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/http_internal.h"
#include "common/interrupt.h"
#include "common/log.h"

enum slot_state {
    S_BATCH,       /* goes into the $batch */
    S_DONE,        /* has its outcome */
    S_ALONE,       /* to be sent as a single request */
    S_RETRY,       /* throttled inside the batch: retried alone at retry_at */
};

struct slot {
    enum slot_state state;
    double retry_at;           /* monotonic time, for S_RETRY */
    const char *rel;           /* the item's path relative to the version root */
};

/* Requests whose repetition is harmless: a batch of only these may be resent. */
static int repeatable(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

static void item_local_error(struct gs_client *c, struct gs_batch_item *it, int r,
                             const char *code, const char *message)
{
    char *url = gs_client_url(c, it->path);
    gs_error_set_local(&it->error, it->method, url ? url : it->path, r, code, message);
    free(url);
    it->err = r;
}

/* The path as the batch wants it: relative to the version root. An absolute
 * URL under the root is cut down; any other is sent alone (NULL). */
static const char *relative_path(const struct gs_client *c, const char *path)
{
    if (strncasecmp(path, "http://", 7) != 0 && strncasecmp(path, "https://", 8) != 0)
        return path;
    size_t n = strlen(c->root);
    if (strncmp(path, c->root, n) == 0 && path[n] == '/')
        return path + n;
    return NULL;
}

/* {"requests":[{"id":"1","method":...,"url":...,"headers":...,"body":...}]} */
static char *build_batch(struct gs_batch_item *items, struct slot *slots, size_t n,
                         int *all_repeatable)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *reqs = root ? cJSON_AddArrayToObject(root, "requests") : NULL;
    int ok = reqs != NULL;
    *all_repeatable = 1;
    for (size_t i = 0; ok && i < n; i++) {
        if (slots[i].state != S_BATCH)
            continue;
        char id[24];
        snprintf(id, sizeof(id), "%zu", i + 1);
        cJSON *r = cJSON_CreateObject();
        ok = r && cJSON_AddItemToArray(reqs, r) && cJSON_AddStringToObject(r, "id", id) &&
             cJSON_AddStringToObject(r, "method", items[i].method);
        char *url = NULL;
        if (ok && asprintf(&url, "%s%s", slots[i].rel[0] == '/' ? "" : "/", slots[i].rel) < 0)
            url = NULL;
        ok = ok && url && cJSON_AddStringToObject(r, "url", url);
        free(url);
        if (ok && items[i].body) {
            cJSON *body = cJSON_Parse(items[i].body);
            cJSON *headers = cJSON_AddObjectToObject(r, "headers");
            ok = body && headers &&
                 cJSON_AddStringToObject(headers, "Content-Type", "application/json") &&
                 cJSON_AddItemToObject(r, "body", body);
            if (!ok)
                cJSON_Delete(body);
        }
        if (!repeatable(items[i].method))
            *all_repeatable = 0;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static const char *header_value(const cJSON *headers, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(headers, name); /* case-insensitive */
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Records one item's answer from inside the batch. */
static void take_item(struct gs_client *c, struct gs_batch_item *it, struct slot *slot,
                      cJSON *res, const struct gs_response *env, double now, int keep_throttled)
{
    const cJSON *headers = cJSON_GetObjectItem(res, "headers");
    cJSON *body = cJSON_GetObjectItem(res, "body");
    it->status = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(res, "status"));
    free(it->body_out);
    cJSON_Delete(it->json_out);
    it->json_out = NULL;
    if (body && it->want_json && it->status >= 200 && it->status < 300) {
        /* the envelope's parse, kept: a root, as a parse of the body alone gives */
        it->json_out = cJSON_DetachItemViaPointer(res, body);
        if (!(it->json_out->type & cJSON_StringIsConst))
            cJSON_free(it->json_out->string);
        it->json_out->string = NULL;
        it->json_out->type &= ~cJSON_StringIsConst;
    }
    it->body_out = body && !it->json_out ? cJSON_PrintUnformatted(body) : strdup("");
    it->body_len = it->body_out ? strlen(it->body_out) : 0;
    const char *rid = header_value(headers, "request-id");
    snprintf(it->request_id, sizeof(it->request_id), "%s", rid ? rid : env->request_id);
    if (!it->body_out) {
        item_local_error(c, it, -ENOMEM, "OutOfMemory", "no memory for the answer");
        slot->state = S_DONE;
        return;
    }
    it->err = gs_errno_for_answer(it->status, it->body_out, it->body_len);
    if (it->err) {
        char *url = gs_client_url(c, it->path);
        gs_error_set_http(&it->error, it->method, url ? url : it->path, it->status, it->body_out,
                          it->body_len, it->request_id, env->client_request_id);
        free(url);
    }
    slot->state = S_DONE;
    if (it->status == 429 || it->status == 503) {
        /* not carried out: retried alone after the item's own Retry-After,
         * unless the caller batches it again itself */
        double wait;
        const char *ra = header_value(headers, "Retry-After");
        int told = ra && gs_parse_retry_after(ra, gs_wall_now(), &wait) == 0;
        if (!told)
            wait = gs_backoff(0);
        /* a Retry-After past the time budget is a failure now, as alone; so is
         * a 503 without one for a caller that batches again itself: Graph did
         * not say when, and that caller's reader retries it alone within
         * retries= instead of waiting on rounds of batches past its bound */
        it->retry_after = wait < gs_client_budget(c) && (told || !keep_throttled) ? wait : -1;
        if (!keep_throttled) {
            slot->state = S_RETRY;
            slot->retry_at = now + wait;
        }
    }
}

/* Reads the batch's answer; items it does not account for are sent alone
 * when that is harmless and get an unknown outcome otherwise. */
static void take_answer(struct gs_client *c, struct gs_batch_item *items, struct slot *slots,
                        size_t n, const struct gs_response *env, int keep_throttled)
{
    double now = gs_now();
    cJSON *root = cJSON_ParseWithLength(env->body, env->body_len);
    const cJSON *responses = cJSON_GetObjectItem(root, "responses");
    const cJSON *list = cJSON_IsArray(responses) ? responses : NULL;
    cJSON *res;
    cJSON_ArrayForEach(res, list) {
        const cJSON *id = cJSON_GetObjectItem(res, "id");
        char *end = NULL;
        long idx = cJSON_IsString(id) ? strtol(id->valuestring, &end, 10) : 0;
        if (!end || *end || idx < 1 || (size_t)idx > n || slots[idx - 1].state != S_BATCH ||
            !cJSON_IsNumber(cJSON_GetObjectItem(res, "status")))
            continue;
        take_item(c, &items[idx - 1], &slots[idx - 1], res, env, now, keep_throttled);
    }
    for (size_t i = 0; i < n; i++) {
        if (slots[i].state != S_BATCH)
            continue;
        if (repeatable(items[i].method)) {
            slots[i].state = S_ALONE;
        } else {
            item_local_error(c, &items[i], -EIO, "MissingBatchResponse",
                             "the $batch answer has no response for this request; Graph may or "
                             "may not have carried it out, and it was not resent");
            items[i].error.outcome_unknown = 1;
            slots[i].state = S_DONE;
        }
    }
    cJSON_Delete(root);
}

/* Graph refused the batch itself (it was not carried out): single requests
 * do the work. Auth failures and throttling would refuse those too. */
static int refused_as_a_whole(long status)
{
    return (status >= 400 && status < 500 && status != 401 && status != 403 && status != 429) ||
           status == 501;
}

static void batch_failed(struct gs_batch_item *items, struct slot *slots, size_t n,
                         const struct gs_response *env, const struct gs_error *berr)
{
    for (size_t i = 0; i < n; i++) {
        if (slots[i].state != S_BATCH)
            continue;
        gs_error_copy(&items[i].error, berr);
        items[i].error.outcome_unknown = berr->outcome_unknown && !repeatable(items[i].method);
        items[i].err = berr->err ? berr->err : -EIO;
        items[i].status = env->status;
        snprintf(items[i].request_id, sizeof(items[i].request_id), "%s", env->request_id);
        slots[i].state = S_DONE;
    }
}

static void send_batch(struct gs_client *c, struct gs_batch_item *items, struct slot *slots,
                       size_t n, double deadline, int keep_throttled)
{
    int all_repeatable;
    char *text = build_batch(items, slots, n, &all_repeatable);
    if (!text) {
        for (size_t i = 0; i < n; i++)
            if (slots[i].state == S_BATCH) {
                item_local_error(c, &items[i], -ENOMEM, "OutOfMemory", "no memory for the batch");
                slots[i].state = S_DONE;
            }
        return;
    }
    struct gs_request req = {
        .method = "POST",
        .path = "/$batch",
        .body = text,
        .body_len = strlen(text),
        .post_is_safe = all_repeatable,
    };
    struct gs_call_opts o = {.deadline = deadline};
    struct gs_response env = {0};
    struct gs_error berr = {0};
    int r = gs_http_call(c, &req, &o, &env, &berr);
    if (r == 0) {
        take_answer(c, items, slots, n, &env, keep_throttled);
    } else if (env.status && refused_as_a_whole(env.status)) {
        gs_info("$batch refused (HTTP %ld): %zu single requests instead", env.status, n);
        for (size_t i = 0; i < n; i++)
            if (slots[i].state == S_BATCH)
                slots[i].state = S_ALONE;
    } else {
        batch_failed(items, slots, n, &env, &berr);
    }
    gs_error_clear(&berr);
    gs_response_clear(&env);
    free(text);
}

static void send_alone(struct gs_client *c, struct gs_batch_item *it, double wait, double deadline)
{
    if (gs_now() + wait >= deadline)
        return; /* no time left: the item keeps its outcome (or gets one below) */
    struct gs_request req = {
        .method = it->method,
        .path = it->path,
        .body = it->body,
        .body_len = it->body ? strlen(it->body) : 0,
    };
    struct gs_call_opts o = {.deadline = deadline, .first_wait = wait};
    struct gs_response resp = {0};
    struct gs_error e = {0};
    int r = gs_http_call(c, &req, &o, &resp, &e);
    free(it->body_out);
    it->status = resp.status;
    it->body_out = resp.body;
    it->body_len = resp.body_len;
    resp.body = NULL;
    snprintf(it->request_id, sizeof(it->request_id), "%s", resp.request_id);
    gs_error_clear(&it->error);
    it->err = r;
    if (r != 0) {
        it->error = e;
        memset(&e, 0, sizeof(e));
    }
    gs_error_clear(&e);
    gs_response_clear(&resp);
    if (!it->body_out) {
        it->body_out = strdup("");
        it->body_len = 0;
    }
}

static void run_singles(struct gs_client *c, struct gs_batch_item *items, struct slot *slots,
                        size_t n, double deadline)
{
    for (size_t i = 0; i < n; i++) {
        if (slots[i].state == S_RETRY) {
            double wait = slots[i].retry_at - gs_now();
            send_alone(c, &items[i], wait > 0 ? wait : 0, deadline);
        } else if (slots[i].state == S_ALONE) {
            if (gs_now() >= deadline)
                item_local_error(c, &items[i], -ETIMEDOUT, "Timeout",
                                 "the time budget of the batch ran out before this request");
            else
                send_alone(c, &items[i], 0, deadline);
        }
        slots[i].state = S_DONE;
    }
}

static int is_json(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    cJSON_Delete(j);
    return j != NULL;
}

static int run_batch(struct gs_client *c, struct gs_batch_item *items, size_t n, int keep_throttled)
{
    if (!c || n > GS_BATCH_MAX || (n && !items))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!items[i].method || !items[i].path || !*items[i].method)
            return -EINVAL;

    struct slot slots[GS_BATCH_MAX];
    size_t in_batch = 0, last = 0;
    for (size_t i = 0; i < n; i++) {
        struct gs_batch_item *it = &items[i];
        it->status = 0;
        it->body_out = NULL;
        it->body_len = 0;
        it->request_id[0] = '\0';
        it->err = 0;
        it->retry_after = -1;
        memset(&it->error, 0, sizeof(it->error));
        slots[i].retry_at = 0;
        slots[i].rel = relative_path(c, it->path);
        /* a body the batch cannot embed as JSON, or a URL outside the
         * version root, goes as a request of its own */
        if (!slots[i].rel || (it->body && !is_json(it->body))) {
            slots[i].state = S_ALONE;
        } else {
            slots[i].state = S_BATCH;
            in_batch++;
            last = i;
        }
    }
    /* a batch of one would only add overhead; but a caller that batches
     * throttled items again itself gets the 429 back, as in a batch */
    if (in_batch == 1 && !keep_throttled)
        slots[last].state = S_ALONE;

    double deadline = gs_interrupt_clip(gs_now() + gs_client_budget(c));
    if (in_batch > 1 || (in_batch == 1 && keep_throttled))
        send_batch(c, items, slots, n, deadline, keep_throttled);
    run_singles(c, items, slots, n, deadline);
    for (size_t i = 0; i < n; i++) {
        if (!items[i].body_out) {
            items[i].body_out = strdup("");
            items[i].body_len = 0;
        }
    }
    return 0;
}

int gs_client_batch(struct gs_client *c, struct gs_batch_item *items, size_t n)
{
    return run_batch(c, items, n, 0);
}

int gs_client_batch_keep_throttled(struct gs_client *c, struct gs_batch_item *items, size_t n)
{
    return run_batch(c, items, n, 1);
}

void gs_batch_item_clear(struct gs_batch_item *it)
{
    if (!it)
        return;
    free(it->body_out);
    it->body_out = NULL;
    it->body_len = 0;
    cJSON_Delete(it->json_out);
    it->json_out = NULL;
    gs_error_clear(&it->error);
}

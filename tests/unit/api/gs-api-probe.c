/* gs-api-probe: one call of the Graph client from the command line, its
 * outcome printed as one JSON object. test_http_client.py drives it against
 * a scripted server.
 *
 *   gs-api-probe --url URL [options] METHOD PATH [BODY]
 *   gs-api-probe --url URL [options] --collection PATH
 *   gs-api-probe --url URL [options] --batch FILE   (FILE: [{"method","path","body"?}])
 *   gs-api-probe --url URL [options] --batch-keep-throttled FILE   (the read-ahead's batches)
 *   gs-api-probe --url URL [options] --threads N METHOD PATH   (N at once, one client)
 *
 * Options: --api VERSION, --retries N, --timeout-ms MS, --connect-timeout-ms MS,
 * --token TEXT (a token function that hands out TEXT, and TEXT-refreshed-N when
 * forced), --safe (post_is_safe), --content-type TYPE, --http-debug. */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errno_name.h"
#include "api/graph_client.h"

struct token_source {
    const char *token;
    int calls;
    int forced;
};

static int token_fn(void *ctx, int force_refresh, char **out)
{
    struct token_source *ts = ctx;
    ts->calls++;
    if (force_refresh)
        ts->forced++;
    char buf[512];
    if (ts->forced)
        snprintf(buf, sizeof(buf), "%s-refreshed-%d", ts->token, ts->forced);
    else
        snprintf(buf, sizeof(buf), "%s", ts->token);
    *out = strdup(buf);
    return *out ? 0 : -ENOMEM;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: gs-api-probe --url URL [--api V] [--retries N] [--timeout-ms MS]\n"
                    "         [--connect-timeout-ms MS] [--token T] [--safe] [--content-type CT]\n"
                    "         [--http-debug] [--threads N]\n"
                    "         (METHOD PATH [BODY] | --collection PATH | --batch FILE |\n"
                    "          --batch-keep-throttled FILE)\n");
}

static void add_str(cJSON *o, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(o, key, value);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_error(cJSON *o, int rc, const struct gs_error *e)
{
    if (rc == 0) {
        cJSON_AddNullToObject(o, "error");
        cJSON_AddNullToObject(o, "last_error");
        return;
    }
    cJSON *j = cJSON_AddObjectToObject(o, "error");
    add_str(j, "errno", gs_errno_name(e->err));
    add_str(j, "method", e->method);
    add_str(j, "url", e->url);
    cJSON_AddNumberToObject(j, "http_status", (double)e->http_status);
    add_str(j, "code", e->code);
    add_str(j, "message", e->message);
    add_str(j, "request_id", e->request_id);
    add_str(j, "client_request_id", e->client_request_id);
    cJSON_AddNumberToObject(j, "outcome_unknown", e->outcome_unknown);
    char *text = gs_error_format(e);
    add_str(o, "last_error", text);
    free(text);
}

static void print_and_free(cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    if (text)
        printf("%s\n", text);
    free(text);
    cJSON_Delete(o);
}

static int run_request(struct gs_client *c, const char *method, const char *path, const char *body,
                       const char *content_type, int safe, cJSON *out)
{
    struct gs_request req = {
        .method = method,
        .path = path,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .content_type = content_type,
        .post_is_safe = safe,
    };
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int rc = gs_client_request(c, &req, &resp, &err);
    cJSON_AddStringToObject(out, "mode", "request");
    cJSON_AddNumberToObject(out, "rc", rc);
    add_str(out, "errno", gs_errno_name(rc));
    cJSON_AddNumberToObject(out, "status", (double)resp.status);
    add_str(out, "body", resp.body);
    cJSON_AddNumberToObject(out, "body_len", (double)resp.body_len);
    cJSON_AddNumberToObject(out, "attempts", resp.attempts);
    add_str(out, "request_id", resp.request_id);
    add_str(out, "client_request_id", resp.client_request_id);
    add_str(out, "location", resp.location);
    cJSON_AddNumberToObject(out, "retry_after", resp.retry_after);
    cJSON_AddNumberToObject(out, "outcome_unknown", rc ? err.outcome_unknown : 0);
    add_error(out, rc, &err);
    gs_error_clear(&err);
    gs_response_clear(&resp);
    return 0;
}

static int run_collection(struct gs_client *c, const char *path, cJSON *out)
{
    cJSON *items = NULL;
    char request_id[64];
    struct gs_error err = {0};
    int rc = gs_client_get_collection(c, path, &items, request_id, &err);
    cJSON_AddStringToObject(out, "mode", "collection");
    cJSON_AddNumberToObject(out, "rc", rc);
    add_str(out, "errno", gs_errno_name(rc));
    cJSON_AddNumberToObject(out, "count", items ? cJSON_GetArraySize(items) : 0);
    if (items)
        cJSON_AddItemToObject(out, "items", items);
    else
        cJSON_AddNullToObject(out, "items");
    add_str(out, "request_id", request_id);
    add_error(out, rc, &err);
    gs_error_clear(&err);
    return 0;
}

struct worker {
    struct gs_client *c;
    struct gs_request req;
    int rc;
    long status;
    int attempts;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct gs_response resp = {0};
    struct gs_error err = {0};
    w->rc = gs_client_request(w->c, &w->req, &resp, &err);
    w->status = resp.status;
    w->attempts = resp.attempts;
    gs_response_clear(&resp);
    gs_error_clear(&err);
    return NULL;
}

/* The same request from n threads at once through one client. */
static int run_threads(struct gs_client *c, long n, const char *method, const char *path, cJSON *out)
{
    struct worker *w = calloc((size_t)n, sizeof(*w));
    pthread_t *t = calloc((size_t)n, sizeof(*t));
    if (!w || !t) {
        free(w);
        free(t);
        return 1;
    }
    long started = 0;
    for (; started < n; started++) {
        w[started] = (struct worker){.c = c, .req = {.method = method, .path = path}};
        if (pthread_create(&t[started], NULL, work, &w[started]) != 0)
            break;
    }
    for (long k = 0; k < started; k++)
        pthread_join(t[k], NULL);
    cJSON_AddStringToObject(out, "mode", "threads");
    cJSON_AddNumberToObject(out, "started", (double)started);
    cJSON *arr = cJSON_AddArrayToObject(out, "results");
    for (long k = 0; k < started; k++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, j);
        cJSON_AddNumberToObject(j, "rc", w[k].rc);
        add_str(j, "errno", gs_errno_name(w[k].rc));
        cJSON_AddNumberToObject(j, "status", (double)w[k].status);
        cJSON_AddNumberToObject(j, "attempts", w[k].attempts);
    }
    free(w);
    free(t);
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[4096];
    size_t n;
    while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, n, m);
    if (m)
        fclose(m);
    fclose(f);
    return buf;
}

static int run_batch(struct gs_client *c, const char *file, int keep_throttled, cJSON *out)
{
    char *text = read_file(file);
    cJSON *spec = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!cJSON_IsArray(spec)) {
        fprintf(stderr, "gs-api-probe: %s: not a JSON array of requests\n", file);
        cJSON_Delete(spec);
        return 2;
    }
    struct gs_batch_item items[GS_BATCH_MAX + 1];
    char *bodies[GS_BATCH_MAX + 1];
    memset(items, 0, sizeof(items));
    memset(bodies, 0, sizeof(bodies));
    size_t n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, spec) {
        if (n > GS_BATCH_MAX)
            break;
        items[n].method = cJSON_GetStringValue(cJSON_GetObjectItem(e, "method"));
        items[n].path = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
        const cJSON *b = cJSON_GetObjectItem(e, "body");
        if (cJSON_IsString(b))
            bodies[n] = strdup(b->valuestring);
        else if (b)
            bodies[n] = cJSON_PrintUnformatted(b);
        items[n].body = bodies[n];
        items[n].want_json = cJSON_IsTrue(cJSON_GetObjectItem(e, "want_json"));
        n++;
    }
    int rc = keep_throttled ? gs_client_batch_keep_throttled(c, items, n) : gs_client_batch(c, items, n);
    cJSON_AddStringToObject(out, "mode", "batch");
    cJSON_AddNumberToObject(out, "rc", rc);
    add_str(out, "errno", gs_errno_name(rc));
    cJSON *arr = cJSON_AddArrayToObject(out, "items");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, j);
        cJSON_AddNumberToObject(j, "status", (double)items[i].status);
        cJSON_AddNumberToObject(j, "retry_after", items[i].retry_after);
        cJSON_AddNumberToObject(j, "rc", items[i].err);
        add_str(j, "errno", gs_errno_name(items[i].err));
        add_str(j, "body", items[i].body_out);
        cJSON_AddNumberToObject(j, "body_len", (double)items[i].body_len);
        if (items[i].json_out) {
            const cJSON *t = items[i].json_out;
            cJSON_AddBoolToObject(j, "json_is_root", !t->string && !t->next && !t->prev);
            cJSON_AddItemToObject(j, "json", cJSON_Duplicate(t, 1));
        }
        add_str(j, "request_id", items[i].request_id);
        cJSON_AddNumberToObject(j, "outcome_unknown", items[i].err ? items[i].error.outcome_unknown : 0);
        add_error(j, items[i].err, &items[i].error);
        gs_batch_item_clear(&items[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(bodies[i]);
    cJSON_Delete(spec);
    return 0;
}

static int number_arg(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    struct gs_client_config cfg = {.api_version = "v1.0", .retries = 3, .timeout_ms = 30000};
    struct token_source ts = {0};
    const char *collection = NULL, *batch = NULL, *content_type = NULL;
    int keep_throttled = 0;
    int safe = 0, i;
    long v, threads = 0;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i];
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--safe") == 0) {
            safe = 1;
            continue;
        }
        if (strcmp(o, "--http-debug") == 0) {
            cfg.http_debug = 1;
            continue;
        }
        if (!arg) {
            usage();
            return 2;
        }
        i++;
        if (strcmp(o, "--url") == 0)
            cfg.graph_url = arg;
        else if (strcmp(o, "--api") == 0)
            cfg.api_version = arg;
        else if (strcmp(o, "--retries") == 0 && number_arg(arg, &v) == 0)
            cfg.retries = (int)v;
        else if (strcmp(o, "--timeout-ms") == 0 && number_arg(arg, &v) == 0)
            cfg.timeout_ms = v;
        else if (strcmp(o, "--connect-timeout-ms") == 0 && number_arg(arg, &v) == 0)
            cfg.connect_timeout_ms = v;
        else if (strcmp(o, "--token") == 0)
            ts.token = arg;
        else if (strcmp(o, "--content-type") == 0)
            content_type = arg;
        else if (strcmp(o, "--collection") == 0)
            collection = arg;
        else if (strcmp(o, "--batch") == 0)
            batch = arg;
        else if (strcmp(o, "--batch-keep-throttled") == 0)
            batch = arg, keep_throttled = 1;
        else if (strcmp(o, "--threads") == 0 && number_arg(arg, &v) == 0 && v > 0 && v <= 256)
            threads = v;
        else {
            usage();
            return 2;
        }
    }
    if (!cfg.graph_url || (!collection && !batch && argc - i < 2)) {
        usage();
        return 2;
    }
    if (ts.token) {
        cfg.token_fn = token_fn;
        cfg.token_ctx = &ts;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    struct gs_client *c = NULL;
    int r = gs_client_new(&cfg, &c);
    if (r != 0) {
        fprintf(stderr, "gs-api-probe: gs_client_new: %s\n", strerror(-r));
        curl_global_cleanup();
        return 1;
    }
    cJSON *out = cJSON_CreateObject();
    double t0 = now();
    if (collection)
        r = run_collection(c, collection, out);
    else if (batch)
        r = run_batch(c, batch, keep_throttled, out);
    else if (threads)
        r = run_threads(c, threads, argv[i], argv[i + 1], out);
    else
        r = run_request(c, argv[i], argv[i + 1], i + 2 < argc ? argv[i + 2] : NULL,
                        content_type, safe, out);
    cJSON_AddNumberToObject(out, "elapsed", now() - t0);
    cJSON_AddNumberToObject(out, "token_calls", ts.calls);
    cJSON_AddNumberToObject(out, "token_forced", ts.forced);
    if (r == 0)
        print_and_free(out);
    else
        cJSON_Delete(out);
    gs_client_free(c);
    curl_global_cleanup();
    return r;
}

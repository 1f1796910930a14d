/* The cache's content from Graph: the fetcher behind gs_cache_new. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/graph_client.h"
#include "cache/cache_fetch.h"

/* A 2xx answer whose body is not JSON: -EIO, described with the status that
 * came with it (it was an HTTP answer, so GS_GET_STALE_OK does not hide it). */
static int invalid_body(struct gs_client *client, const char *key, const struct gs_response *resp,
                        struct gs_error *err)
{
    char *url = gs_client_url(client, key);
    gs_error_set_local(err, "GET", url ? url : key, -EIO, "InvalidJson",
                       resp->body_len ? "the response body is not valid JSON"
                                      : "the response has no body");
    free(url);
    err->http_status = resp->status;
    if (resp->request_id[0]) {
        free(err->request_id);
        err->request_id = strdup(resp->request_id);
    }
    return -EIO;
}

static int fetch_one(struct gs_client *client, const char *key, cJSON **json_out,
                     char request_id[64], struct gs_error *err)
{
    const struct gs_request req = {.method = "GET", .path = key};
    struct gs_response resp = {0};
    int r = gs_client_request(client, &req, &resp, err);
    if (r == 0) {
        /* the body is NUL-terminated: counting the NUL makes trailing garbage an error */
        cJSON *json = resp.body ? cJSON_ParseWithLengthOpts(resp.body, resp.body_len + 1, NULL, 1)
                                : NULL;
        if (json) {
            *json_out = json;
            memcpy(request_id, resp.request_id, 64);
            request_id[63] = '\0';
        } else {
            r = invalid_body(client, key, &resp, err);
        }
    }
    gs_response_clear(&resp);
    return r;
}

static int fetch_collection(struct gs_client *client, const char *key, cJSON **json_out,
                            char request_id[64], struct gs_error *err)
{
    cJSON *items = NULL;
    int r = gs_client_get_collection(client, key, &items, request_id, err);
    if (r != 0)
        return r;
    cJSON *doc = cJSON_CreateObject();
    if (!doc || !cJSON_AddItemToObject(doc, "value", items)) {
        cJSON_Delete(doc);
        cJSON_Delete(items);
        gs_error_set_local(err, "GET", key, -ENOMEM, "OutOfMemory", "no memory for the listing");
        return -ENOMEM;
    }
    *json_out = doc;
    return 0;
}

int gs_cache_fetch_graph(void *ctx, const char *key, unsigned flags, cJSON **json_out,
                         char request_id[64], struct gs_error *err)
{
    struct gs_client *client = ctx;
    *json_out = NULL;
    request_id[0] = '\0';
    if (flags & GS_GET_COLLECTION)
        return fetch_collection(client, key, json_out, request_id, err);
    return fetch_one(client, key, json_out, request_id, err);
}

int gs_cache_new(struct gs_client *client, const struct gs_cache_config *cfg,
                 gs_cache_change_fn on_change, void *ctx, struct gs_cache **out)
{
    if (!client)
        return -EINVAL;
    return gs_cache_new_with_fetcher(cfg, gs_cache_fetch_graph, client, on_change, ctx, out);
}

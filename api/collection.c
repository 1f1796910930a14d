/* Collections: every page, following @odata.nextLink verbatim until it is
 * absent, with guards against a server that sends us in circles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/http_internal.h"
#include "api/json_keys.h"
#include "api/json_pack.h"

/* More pages than any tenant has (999 objects a page): a runaway guard. */
#define MAX_PAGES 100000
/* A listing holds at most this many items (graph_client.h): past it, the
 * listing fails with EFBIG instead of growing memory and scans without end. */
#define MAX_ITEMS GS_COLLECTION_MAX_ITEMS

/* The calling thread's page hook (gs_client_set_page_hook). */
static __thread gs_page_fn page_fn;
static __thread void *page_ctx;

void gs_client_set_page_hook(gs_page_fn fn, void *ctx)
{
    page_fn = fn;
    page_ctx = ctx;
}

/* The nextLinks seen so far: a repeated one is a loop. */
struct seen {
    char **links;
    size_t n, cap;
};

static int seen_add(struct seen *s, const char *link)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->links[i], link) == 0)
            return -ELOOP;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        char **p = realloc(s->links, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        s->links = p;
        s->cap = cap;
    }
    s->links[s->n] = strdup(link);
    if (!s->links[s->n])
        return -ENOMEM;
    s->n++;
    return 0;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->links[i]);
    free(s->links);
}

/* A page's answer that is not a collection: reported with the page's ids. */
static int page_error(const char *url, const struct gs_response *resp, const char *code,
                      const char *message, int r, struct gs_error *err)
{
    if (!err)
        return r;
    gs_error_set_local(err, "GET", url, r, code, message);
    err->http_status = resp ? resp->status : 0;
    if (resp && resp->request_id[0])
        err->request_id = strdup(resp->request_id);
    if (resp && resp->client_request_id[0])
        err->client_request_id = strdup(resp->client_request_id);
    return r;
}

/* Moves the items of the page's "value" into out; returns the nextLink
 * (NULL at the end) through *next. */
static int take_page(cJSON *page, cJSON *out, size_t *count, const char **next)
{
    cJSON *value = cJSON_GetObjectItemCaseSensitive(page, "value");
    if (!cJSON_IsArray(value))
        return -EINVAL;
    while (value->child) {
        if (++*count > MAX_ITEMS)
            return -EFBIG;
        cJSON *item = cJSON_DetachItemViaPointer(value, value->child);
        /* packed as it arrives: the listing being built is never held unpacked */
        cJSON *packed = gs_json_pack(item);
        if (packed) {
            cJSON_Delete(item);
            item = packed;
        }
        if (!cJSON_AddItemToArray(out, item)) {
            cJSON_Delete(item);
            return -ENOMEM;
        }
    }
    const cJSON *link = cJSON_GetObjectItemCaseSensitive(page, "@odata.nextLink");
    *next = cJSON_IsString(link) && link->valuestring[0] ? link->valuestring : NULL;
    return 0;
}

int gs_client_get_collection(struct gs_client *c, const char *path, cJSON **items_out,
                             char *request_id, struct gs_error *err)
{
    *items_out = NULL;
    if (request_id)
        request_id[0] = '\0';
    if (!c || !path)
        return page_error(path, NULL, "InvalidRequest", "bad arguments to the Graph client",
                          -EINVAL, err);
    cJSON *out = cJSON_CreateArray();
    char *url = gs_client_url(c, path);
    struct seen seen = {0};
    int r = (!out || !url) ? -ENOMEM : seen_add(&seen, url);
    if (r != 0)
        page_error(url ? url : path, NULL, "OutOfMemory", "no memory", r, err);

    size_t count = 0;
    for (int page_no = 0; r == 0; page_no++) {
        if (page_no >= MAX_PAGES) {
            r = page_error(url, NULL, "PagingLoop", "too many pages: paging stopped", -EIO, err);
            break;
        }
        struct gs_request req = {.method = "GET", .path = url};
        struct gs_response resp = {0};
        r = gs_client_request(c, &req, &resp, err);
        if (r != 0) {
            gs_response_clear(&resp);
            break;
        }
        if (page_no == 0 && request_id) {
            memcpy(request_id, resp.request_id, sizeof(resp.request_id));
            request_id[sizeof(resp.request_id) - 1] = '\0';
        }
        cJSON *page = cJSON_ParseWithLength(resp.body, resp.body_len);
        gs_json_intern_keys(page); /* one page at a time: the listing never holds its names twice */
        const char *next = NULL;
        cJSON *last = out->child ? out->child->prev : NULL; /* cJSON: the first's prev is the last */
        int tr = page ? take_page(page, out, &count, &next) : -EINVAL;
        if (tr == 0 && page_fn)
            page_fn(page_ctx, last ? last->next : out->child);
        if (tr == -EFBIG) {
            char msg[160];
            snprintf(msg, sizeof(msg), "the listing has more than %d items, the most graphsyncfs lists",
                     MAX_ITEMS);
            r = page_error(url, &resp, "TooManyItems", msg, -EFBIG, err);
        } else if (tr == -ENOMEM) {
            r = page_error(url, &resp, "OutOfMemory", "no memory for the listing", -ENOMEM, err);
        } else if (tr != 0) {
            r = page_error(url, &resp, "InvalidCollection",
                           "the answer is not a collection (no \"value\" array)", -EIO, err);
        } else if (next && !gs_client_same_origin(c, next)) {
            /* the bearer token goes to graph_url's host and nowhere else */
            r = page_error(url, &resp, "ForeignNextLink",
                           "@odata.nextLink points to another host: not followed", -EIO, err);
        } else if (next) {
            int sr = seen_add(&seen, next);
            if (sr == -ELOOP)
                r = page_error(url, &resp, "PagingLoop",
                               "@odata.nextLink repeats an earlier page: paging stopped", -EIO, err);
            else if (sr != 0)
                r = page_error(url, &resp, "OutOfMemory", "no memory", -ENOMEM, err);
            free(url);
            url = r == 0 ? strdup(next) : NULL;
            if (r == 0 && !url)
                r = -ENOMEM;
        }
        cJSON_Delete(page);
        gs_response_clear(&resp);
        if (r != 0 || !next)
            break;
    }
    seen_free(&seen);
    free(url);
    if (r != 0) {
        cJSON_Delete(out);
        return r;
    }
    *items_out = out;
    return 0;
}

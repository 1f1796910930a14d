#include "api/logs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/http_internal.h"
#include "common/buf.h"
#include "common/clock.h"

#define MAX_PAGES 10000

static void put_encoded(struct gs_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            gs_buf_putc(b, (char)*p);
        } else {
            gs_buf_putc(b, '%');
            gs_buf_putc(b, hex[*p >> 4]);
            gs_buf_putc(b, hex[*p & 15]);
        }
    }
}

/* [" and "]name eq 'value' (an OData string literal: ' doubled) */
static void put_eq(struct gs_buf *f, const char *name, const char *value)
{
    if (f->len)
        gs_buf_puts(f, " and ");
    gs_buf_printf(f, "%s eq '", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\'')
            gs_buf_putc(f, '\'');
        gs_buf_putc(f, *p);
    }
    gs_buf_putc(f, '\'');
}

/* [" and "](sourceIdentity/<member> eq 'v' or targetIdentity/<member> eq 'v') */
static void put_either(struct gs_buf *f, const char *member, const char *value)
{
    char src_name[64], dst_name[64];
    snprintf(src_name, sizeof(src_name), "sourceIdentity/%s", member);
    snprintf(dst_name, sizeof(dst_name), "targetIdentity/%s", member);
    struct gs_buf src = {0}, dst = {0};
    put_eq(&src, src_name, value);
    put_eq(&dst, dst_name, value);
    char *a = gs_buf_take(&src, NULL), *b = gs_buf_take(&dst, NULL);
    if (a && b)
        gs_buf_printf(f, "%s(%s or %s)", f->len ? " and " : "", a, b);
    else
        f->oom = 1;
    free(a);
    free(b);
}

static char *filter_text(const struct gs_log_query *q)
{
    struct gs_buf f = {0};
    if (q->job_id)
        put_eq(&f, "jobId", q->job_id);
    if (q->sp_id)
        put_eq(&f, "servicePrincipal/id", q->sp_id);
    if (q->status)
        put_eq(&f, "provisioningStatusInfo/status", q->status);
    if (q->action)
        put_eq(&f, "provisioningAction", q->action);
    if (q->object_id)
        put_either(&f, "id", q->object_id);
    if (q->display_name)
        put_either(&f, "displayName", q->display_name);
    if (q->after)
        gs_buf_printf(&f, "%sactivityDateTime gt %s", f.len ? " and " : "", q->after);
    if (f.oom) {
        gs_buf_free(&f);
        return NULL;
    }
    return gs_buf_take(&f, NULL);
}

char *gs_log_query_path(const struct gs_log_query *q)
{
    char *filter = filter_text(q);
    if (!filter)
        return NULL;
    struct gs_buf b = {0};
    gs_buf_puts(&b, "/auditLogs/provisioning?");
    if (filter[0]) {
        gs_buf_puts(&b, "$filter=");
        put_encoded(&b, filter);
        gs_buf_putc(&b, '&');
    }
    gs_buf_puts(&b, "$orderby=activityDateTime%20asc");
    if (q->top > 0)
        gs_buf_printf(&b, "&$top=%d", q->top);
    free(filter);
    return gs_buf_take(&b, NULL);
}

void gs_logs_strip_annotations(cJSON *item)
{
    cJSON *c = item ? item->child : NULL;
    while (c) {
        cJSON *next = c->next;
        if (cJSON_IsObject(item) && c->string && strncmp(c->string, "@odata.", 7) == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(item, c));
        else
            gs_logs_strip_annotations(c);
        c = next;
    }
}

/* A 403 on the logs: the same record, with a message that says what is missing. */
static void explain_forbidden(struct gs_error *err)
{
    if (!err)
        return;
    const char *graph = err->message ? err->message : "";
    size_t n = strlen(graph) + 256;
    char *m = malloc(n);
    if (!m)
        return;
    snprintf(m, n, "%s%sreading provisioning logs needs the application permission %s "
             "(and a tenant with a Microsoft Entra ID P1 or P2 licence)",
             graph, graph[0] ? " -- " : "", GS_LOGS_PERMISSION);
    free(err->message);
    err->message = m;
}

static int no_slot(struct gs_rate_bucket *b, const char *url, unsigned ahead, struct gs_error *err)
{
    char m[256];
    snprintf(m, sizeof(m), "provisioning logs: Graph allows %d requests per %g s per application and "
             "tenant; no request slot came free within the time limit (%u reads were waiting before "
             "this one)", b->limit, b->window, ahead);
    if (err)
        gs_error_set_local(err, "GET", url, -EAGAIN, "LogRateLimit", m);
    return -EAGAIN;
}

/* One page through the bucket; *page is the parsed answer. */
static int get_page(struct gs_client *c, struct gs_rate_bucket *b, const char *url, double deadline,
                    cJSON **page, struct gs_error *err)
{
    int slot;
    unsigned ahead = 0;
    if (gs_rate_bucket_take(b, deadline, &slot, &ahead) != 0)
        return no_slot(b, url, ahead, err);
    struct gs_request req = {.method = "GET", .path = url};
    struct gs_response resp = {0};
    int r = gs_client_request(c, &req, &resp, err);
    gs_rate_bucket_done(b, slot, gs_now());
    if (r == -EAGAIN && resp.status == 429)
        gs_rate_bucket_pause(b, gs_now(), resp.retry_after > 0 ? resp.retry_after : b->window);
    if ((r == -EPERM || r == -EACCES) && resp.status == 403)
        explain_forbidden(err);
    if (r == 0) {
        *page = cJSON_ParseWithLength(resp.body, resp.body_len);
        if (!*page || !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*page, "value"))) {
            cJSON_Delete(*page);
            *page = NULL;
            if (err)
                gs_error_set_local(err, "GET", url, -EIO, "InvalidCollection",
                                   "the answer is not a collection (no \"value\" array)");
            r = -EIO;
        }
    }
    gs_response_clear(&resp);
    return r;
}

/* Moves a page's events into out; the nextLink (malloc'd) or NULL. */
static int take_events(cJSON *page, cJSON *out, char **next)
{
    cJSON *value = cJSON_GetObjectItemCaseSensitive(page, "value");
    while (value->child) {
        cJSON *e = cJSON_DetachItemViaPointer(value, value->child);
        gs_logs_strip_annotations(e);
        if (!cJSON_AddItemToArray(out, e)) {
            cJSON_Delete(e);
            return -ENOMEM;
        }
    }
    const cJSON *link = cJSON_GetObjectItemCaseSensitive(page, "@odata.nextLink");
    *next = NULL;
    if (cJSON_IsString(link) && link->valuestring[0] && !(*next = strdup(link->valuestring)))
        return -ENOMEM;
    return 0;
}

int gs_logs_fetch(struct gs_client *c, struct gs_rate_bucket *bucket, const struct gs_log_query *q,
                  double deadline, cJSON **events, struct gs_error *err)
{
    *events = NULL;
    char *path = gs_log_query_path(q);
    char *url = path ? gs_client_url(c, path) : NULL;
    free(path);
    cJSON *out = cJSON_CreateArray();
    int r = url && out ? 0 : -ENOMEM;
    for (int n = 0; r == 0 && url; n++) {
        cJSON *page = NULL;
        char *next = NULL;
        r = get_page(c, bucket, url, deadline, &page, err);
        if (r == 0)
            r = take_events(page, out, &next);
        cJSON_Delete(page);
        if (r == 0 && next && (!gs_client_same_origin(c, next) || n + 1 >= MAX_PAGES)) {
            if (err)
                gs_error_set_local(err, "GET", url, -EIO, "BadNextLink",
                                   "@odata.nextLink points to another host or paging does not end: "
                                   "not followed");
            r = -EIO;
        }
        free(url);
        url = r == 0 ? next : (free(next), NULL);
    }
    free(url);
    if (r != 0) {
        if (r == -ENOMEM && err && !err->code)
            gs_error_set_local(err, "GET", "/auditLogs/provisioning", -ENOMEM, "OutOfMemory", "no memory");
        cJSON_Delete(out);
        return r;
    }
    *events = out;
    return 0;
}

#include "fs/actions/allow_deletes.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "common/log.h"
#include "fs/actions/control.h"
#include "fs/actions/job_doc.h"
#include "fs/fetch/graph_get.h"
#include "fs/model/node_error.h"

#define SYNC "/servicePrincipals/%s/synchronization"
#define STAGED_LIST "logs/staged-deletes.jsonl"

/* What the job's status says about a deletion-threshold hold. */
struct hold {
    int held;          /* quarantined with reason TooManyDeletes */
    char code[32];     /* status.code */
    char reason[64];   /* quarantine reason, "" when none */
    long pending;      /* countExports - countExported of the last run; -1 unknown */
};

static const char *text_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static double num_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static void read_hold(const cJSON *job, struct hold *h)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(job, "status");
    const cJSON *q = cJSON_GetObjectItemCaseSensitive(st, "quarantine");
    const cJSON *last = cJSON_GetObjectItemCaseSensitive(st, "lastExecution");
    memset(h, 0, sizeof(*h));
    snprintf(h->code, sizeof(h->code), "%s", text_of(st, "code"));
    snprintf(h->reason, sizeof(h->reason), "%s", cJSON_IsObject(q) ? text_of(q, "reason") : "");
    h->held = strcmp(h->reason, "TooManyDeletes") == 0;
    double want = num_of(last, "countExports"), done = num_of(last, "countExported");
    h->pending = want >= 0 && done >= 0 && want >= done ? (long)(want - done) : -1;
}

/* The job document: fresh for an action, the cache's for a read. */
static int get_job(struct gs_fs *fs, const struct gs_node *n, int fresh, struct hold *h, struct timespec *mtime)
{
    struct gs_doc *doc = NULL;
    int r = gs_job_doc_get(fs, n, fresh, &doc);
    if (r < 0)
        return r;
    read_hold(doc->json, h);
    if (mtime)
        *mtime = doc->changed_at;
    gs_doc_unref(doc);
    return 0;
}

int gs_allow_deletes_read(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out,
                          struct timespec *mtime)
{
    struct hold h;
    int r = get_job(fs, n, 0, &h, mtime);
    if (r < 0)
        return r;
    struct gs_buf b = {0};
    if (!h.held) {
        gs_buf_printf(&b, "not held: the job is not in a TooManyDeletes quarantine (status %s%s%s)\n",
                      h.code[0] ? h.code : "unknown", h.reason[0] ? ", quarantine " : "", h.reason);
    } else {
        gs_buf_puts(&b, "held: TooManyDeletes quarantine (the deletion threshold was exceeded)\n");
        if (h.pending >= 0)
            gs_buf_printf(&b, "staged: %ld (exports the held cycle kept back: countExports - countExported "
                          "of the last run)\n", h.pending);
        else
            gs_buf_puts(&b, "staged: unknown (the last run has no export counts)\n");
        gs_buf_puts(&b, "listed in: " STAGED_LIST " of this job directory (provisioning-log events "
                    "with action stagedDelete, when the logs are readable)\n");
        gs_buf_puts(&b, "to allow them: echo yes > allow_deletes (restart with resetScope ForceDeletes)\n");
    }
    struct gs_blob *last = NULL;
    struct timespec when;
    if (gs_control_result(fs, n, &last, &when) == 0 && last->len) {
        gs_buf_puts(&b, "last: ");
        gs_buf_append(&b, last->data, last->len);
    }
    gs_blob_unref(last);
    size_t len = 0;
    char *text = gs_buf_take(&b, &len);
    *out = text ? gs_blob_new(text, len) : NULL;
    free(text);
    return *out ? 0 : -ENOMEM;
}

static void record_local(struct gs_fs *fs, const struct gs_node *n, const char *path, int err,
                         const char *code, const char *why)
{
    struct gs_error e = {0};
    char *url = path ? gs_client_url(fs->client, path) : NULL;
    gs_error_set_local(&e, "POST", url ? url : "restart", err, code, why);
    gs_node_record_error(fs, n, &e);
    gs_error_clear(&e);
    free(url);
}

/* "" (a touch) or "yes", with white space around. */
static int is_yes(const char *in, size_t len)
{
    while (len && isspace((unsigned char)in[len - 1]))
        len--;
    while (len && isspace((unsigned char)*in))
        in++, len--;
    return len == 0 || (len == 3 && strncmp(in, "yes", 3) == 0);
}

static int send_force_deletes(struct gs_fs *fs, const struct gs_node *n, const char *path)
{
    static const char body[] = "{\"criteria\":{\"resetScope\":\"ForceDeletes\"}}";
    struct gs_request req = {.method = "POST", .path = path, .body = body, .body_len = strlen(body)};
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int r = gs_client_request(fs->client, &req, &resp, &err);
    char *text = NULL;
    if (r < 0) {
        gs_node_record_error(fs, n, &err);
        text = gs_error_format(&err);
    } else {
        char when[32];
        struct tm tm;
        time_t now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        gs_info("allow_deletes: job %s restarted with ForceDeletes", n->job);
        if (asprintf(&text, "%s restart ForceDeletes: HTTP %ld\n", when, resp.status) < 0)
            text = NULL;
    }
    if (text)
        gs_control_set_result(fs, n, text, strlen(text));
    free(text);
    gs_response_clear(&resp);
    gs_error_clear(&err);
    return r;
}

int gs_allow_deletes_run(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len)
{
    char *path = gs_path(SYNC "/jobs/%s/restart", n->sp, n->job);
    if (!path)
        return -ENOMEM;
    struct hold h;
    int r = 0;
    if (!is_yes(in, len)) {
        r = -EINVAL;
        record_local(fs, n, path, r, "InvalidInput", "allow_deletes: write yes (or touch the file)");
    } else if ((r = get_job(fs, n, 1, &h, NULL)) == 0 && !h.held) {
        char why[200];
        snprintf(why, sizeof(why), "allow_deletes: nothing sent: the job is not in a TooManyDeletes "
                 "quarantine (status %s%s%s)", h.code[0] ? h.code : "unknown",
                 h.reason[0] ? ", quarantine " : "", h.reason);
        r = -EBUSY;
        record_local(fs, n, path, r, "NotHeld", why);
    } else if (r == 0) {
        r = send_force_deletes(fs, n, path);
    }
    char *key = gs_kind_key(GS_K_JOB_JSON, n->sp, n->job, NULL);
    char *jobs = gs_kind_key(GS_K_JOBS, n->sp, NULL, NULL);
    if (key)
        gs_cache_invalidate(fs->cache, key);
    if (jobs)
        gs_cache_invalidate(fs->cache, jobs);
    free(key);
    free(jobs);
    free(path);
    return r;
}

#include "fs/actions/rules/rules.h"
#include "fs/actions/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/model/json_render.h"
#include "common/log.h"
#include "fs/actions/audit.h"
#include "fs/actions/control_input.h"
#include "fs/actions/job_backup.h"
#include "fs/model/errors.h"
#include "fs/fetch/graph_get.h"
#include "fs/model/node_error.h"
#include "fs/model/fs.h"
#include "fs/model/names.h"

#define SYNC "/servicePrincipals/%s/synchronization"

static char *result_key(const struct gs_node *n)
{
    char *k = NULL;
    if (asprintf(&k, "%s/%s/%s", n->owner, n->tpl ? n->tpl : "", gs_node_name(n)) < 0)
        k = NULL;
    return k;
}

/* ok: sent is when the accepted request was sent. */
static void set_result(struct gs_fs *fs, const struct gs_node *n, const char *text, size_t len, int ok,
                       const struct timespec *sent)
{
    char *k = result_key(n);
    struct gs_result *res = calloc(1, sizeof(*res));
    if (!k || !res || !(res->blob = gs_blob_new(text, len))) {
        free(k);
        free(res);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &res->when);
    res->ok = ok;
    if (sent)
        res->sent = *sent;
    void *old = NULL;
    pthread_mutex_lock(&fs->extra_lock);
    if (gs_map_puts(&fs->results, k, res, &old) != 0) {
        gs_blob_unref(res->blob);
        free(res);
    }
    pthread_mutex_unlock(&fs->extra_lock);
    if (old) {
        gs_blob_unref(((struct gs_result *)old)->blob);
        free(old);
    }
    free(k);
}

void gs_control_set_result(struct gs_fs *fs, const struct gs_node *n, const char *text, size_t len)
{
    set_result(fs, n, text, len, 0, NULL);
}

int gs_control_result(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    char *k = result_key(n);
    if (!k)
        return -ENOMEM;
    pthread_mutex_lock(&fs->extra_lock);
    struct gs_result *res = gs_map_gets(&fs->results, k);
    if (res) {
        *out = gs_blob_ref(res->blob);
        *mtime = res->when;
    }
    pthread_mutex_unlock(&fs->extra_lock);
    free(k);
    if (!res) {
        *out = gs_blob_new("", 0);
        *mtime = fs->started;
    }
    return *out ? 0 : -ENOMEM;
}

int gs_control_accepted_at(struct gs_fs *fs, const struct gs_node *n, struct timespec *when)
{
    char *k = result_key(n);
    if (!k)
        return 0;
    pthread_mutex_lock(&fs->extra_lock);
    struct gs_result *res = gs_map_gets(&fs->results, k);
    int ok = res && res->ok;
    if (ok)
        *when = res->sent;
    pthread_mutex_unlock(&fs->extra_lock);
    free(k);
    return ok;
}

static void invalidate(struct gs_fs *fs, enum gs_kind kind, const struct gs_node *n)
{
    char *key = gs_kind_key(kind, n->sp, n->job, n->tpl);
    if (key)
        gs_cache_invalidate(fs->cache, key);
    free(key);
}

static const char *a_method(const struct gs_node *n)
{
    return gs_node_kind(n) == GS_K_CTL_RESET_SCHEMA ? "DELETE" : "POST";
}

/* A local refusal: last_error and the control file's read-back say what was
 * refused (the read-back never keeps showing an older success). */
static void record_local(struct gs_fs *fs, const struct gs_node *n, const char *path, int err, const char *why)
{
    struct gs_error e = {0};
    char *url = gs_client_url(fs->client, path);
    gs_error_set_local(&e, a_method(n), url ? url : path, err, "InvalidInput", why);
    gs_node_record_error(fs, n, &e);
    char *text = gs_error_format(&e);
    if (text)
        gs_control_set_result(fs, n, text, strlen(text));
    free(text);
    gs_error_clear(&e);
    free(url);
}

/* The rule of the job's schema for "<objectId> [type]" input: the first
 * that maps objects of that type, else the first. */
static char *rule_for(struct gs_fs *fs, const struct gs_node *n, const char *type)
{
    char *key = gs_kind_key(GS_K_JOB_SCHEMA, n->sp, n->job, NULL);
    struct gs_doc *doc = NULL;
    struct gs_error err = {0};
    char *id = NULL;
    if (key && gs_fs_get(fs, key, GS_TTL_DOC, GS_GET_STALE_OK, &doc, &err) == 0) {
        id = gs_pod_rule_for(doc->json, type);
        gs_doc_unref(doc);
    } else if (key) {
        gs_node_record_error(fs, n, &err);
    }
    gs_error_clear(&err);
    free(key);
    return id;
}

/* A userPrincipalName written to provisionOnDemand: its object id, asked
 * of Graph (GET /users/{upn}). 0, or the failure recorded in last_error. */
static int resolve_upn(struct gs_fs *fs, const struct gs_node *n, const char *upn, char *id, size_t id_len)
{
    char *path = gs_path("/users/%s?$select=id", upn); /* the format's text is kept as is */
    if (!path)
        return -ENOMEM;
    struct gs_request req = {.method = "GET", .path = path};
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int r = gs_client_request(fs->client, &req, &resp, &err);
    cJSON *j = r == 0 ? cJSON_ParseWithLength(resp.body, resp.body_len) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "id");
    if (r == 0 && cJSON_IsString(v) && strlen(v->valuestring) < id_len)
        strcpy(id, v->valuestring);
    else if (r == 0)
        gs_error_set_local(&err, "GET", path, r = -EIO, "InvalidUser", "the answer has no object id");
    if (r < 0)
        gs_node_record_error(fs, n, &err);
    cJSON_Delete(j);
    gs_response_clear(&resp);
    gs_error_clear(&err);
    free(path);
    return r;
}

struct action;
static int build_pod(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len,
                     struct action *a, const char **why);

/* The request a control file makes. */
struct action {
    const char *method;
    char *path;
    char *body;
    const char *content_type;
    int safe;                /* no side effect: may be retried */
};

static int build(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len,
                 struct action *a, const char **why)
{
    const char *sp = n->sp, *job = n->job;
    memset(a, 0, sizeof(*a));
    a->method = "POST";
    switch (gs_node_kind(n)) {
    case GS_K_CTL_START:
        a->path = gs_path(SYNC "/jobs/%s/start", sp, job);
        return a->path ? gs_word_input("start", in, len, why) : -ENOMEM;
    case GS_K_CTL_PAUSE:
        a->path = gs_path(SYNC "/jobs/%s/pause", sp, job);
        return a->path ? gs_word_input("pause", in, len, why) : -ENOMEM;
    case GS_K_CTL_RESTART:
        a->path = gs_path(SYNC "/jobs/%s/restart", sp, job);
        return a->path ? gs_restart_body(in, len, &a->body, why) : -ENOMEM;
    case GS_K_CTL_RESET_SCHEMA:
        a->method = "DELETE";
        a->path = gs_path(SYNC "/jobs/%s/schema", sp, job);
        return a->path ? 0 : -ENOMEM;
    case GS_K_CTL_POD:
        a->path = gs_path(SYNC "/jobs/%s/provisionOnDemand", sp, job);
        return a->path ? build_pod(fs, n, in, len, a, why) : -ENOMEM;
    case GS_K_CTL_VALIDATE:
        a->path = gs_path(SYNC "/jobs/%s/validateCredentials", sp, job);
        a->safe = 1;
        return a->path ? gs_validate_body(in, len, &a->body, why) : -ENOMEM;
    case GS_K_CTL_PARSE_EXPR:
        a->path = gs_path(SYNC "/jobs/%s/schema/parseExpression", sp, job);
        a->safe = 1;
        return a->path ? gs_parse_expression_body(in, len, &a->body, why) : -ENOMEM;
    case GS_K_CTL_BULK:
        a->path = gs_path(SYNC "/jobs/%s/bulkUpload", sp, job);
        a->content_type = "application/scim+json";
        return a->path ? gs_bulk_body(in, len, &a->body, why) : -ENOMEM;
    case GS_K_CTL_DISCOVER:
        a->path = gs_path(SYNC "/jobs/%s/schema/directories/%s/discover", sp, job, n->tpl);
        return a->path ? 0 : -ENOMEM;
    case GS_K_JOBS_NEW:
        a->path = gs_path(SYNC "/jobs", sp);
        return a->path ? gs_new_job_body(in, len, &a->body, why) : -ENOMEM;
    default:
        return -EPERM;
    }
}

/* provisionOnDemand: "<objectId or userPrincipalName> [type]" uses the rule
 * that maps that type; a JSON body is sent as written. */
static int build_pod(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len,
                     struct action *a, const char **why)
{
    char id[256], type[128], oid[128], *text = NULL;
    if (!gs_pod_is_text(in, len) || gs_pod_text_subject(in, len, id, sizeof(id), type, sizeof(type)) != 0)
        return gs_pod_body(in, len, NULL, &a->body, why);
    if (strchr(id, '@')) {
        int r = resolve_upn(fs, n, id, oid, sizeof(oid));
        if (r < 0)
            return r;
        if (asprintf(&text, "%s %s", oid, type) < 0)
            return -ENOMEM;
        in = text;
        len = strlen(text);
    }
    char *rule = rule_for(fs, n, type);
    int r = gs_pod_body(in, len, rule, &a->body, why);
    free(rule);
    free(text);
    return r;
}

/* provisionOnDemand's result names the file that explains it in the logs. */
static void add_log_path(cJSON *decoded)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(decoded, "value");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(v, "sourceIdentity"), "id");
    char *path = NULL;
    if (cJSON_IsString(id) && gs_name_is_safe(id->valuestring) &&
        asprintf(&path, "logs/by-id/%s.txt", id->valuestring) >= 0) {
        cJSON_AddStringToObject(decoded, "logDetails", path);
        free(path);
    }
}

/* What the file shows after a successful action; saved: where a backup
 * made before it is (or NULL); sent: when its request was sent. */
static void keep_result(struct gs_fs *fs, const struct gs_node *n, const struct gs_response *resp,
                        const char *saved, const struct timespec *sent)
{
    cJSON *j = resp->body_len ? cJSON_ParseWithLength(resp->body, resp->body_len) : NULL;
    if (gs_node_kind(n) == GS_K_CTL_POD && j) {
        cJSON *d = gs_pod_decode(j);
        cJSON_Delete(j);
        j = d;
        if (j)
            add_log_path(j);
    }
    if (gs_node_kind(n) == GS_K_CTL_VALIDATE) {
        set_result(fs, n, "ok\n", 3, 1, sent);
    } else if (j) {
        size_t len = 0;
        char *text = gs_json_render(j, &len);
        if (text)
            set_result(fs, n, text, len, 1, sent);
        free(text);
    } else {
        /* actions without a body: when, what, and Graph's answer */
        char when[32], *text = NULL;
        struct tm tm;
        time_t now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        if (asprintf(&text, "%s %s %s: HTTP %ld%s%s%s%s%s\n", when, a_method(n), gs_kind_info(gs_node_kind(n))->name,
                     resp->status, resp->location ? " (" : "", resp->location ? resp->location : "",
                     resp->location ? ")" : "", saved ? "; saved before: " : "", saved ? saved : "") >= 0) {
            set_result(fs, n, text, strlen(text), 1, sent);
            free(text);
        }
    }
    cJSON_Delete(j);
}

static void after(struct gs_fs *fs, const struct gs_node *n)
{
    switch (gs_node_kind(n)) {
    case GS_K_CTL_RESET_SCHEMA:
    case GS_K_CTL_DISCOVER:
        invalidate(fs, GS_K_JOB_SCHEMA, n);
        /* the job may change too */
        __attribute__((fallthrough));
    case GS_K_CTL_START:
    case GS_K_CTL_PAUSE:
    case GS_K_CTL_RESTART:
    case GS_K_CTL_POD:
    case GS_K_CTL_BULK:
        invalidate(fs, GS_K_JOB_JSON, n);
        invalidate(fs, GS_K_JOBS, n);
        break;
    case GS_K_JOBS_NEW:
        invalidate(fs, GS_K_JOBS, n);
        break;
    default:
        break;
    }
}

int gs_control_run(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len)
{
    gs_audit_set_subject(fs, n, NULL);
    if (gs_kind_has(gs_node_kind(n), GS_KF_RULES)) {
        /* commit or discard of staged rules edits: the result text is theirs */
        char *text = NULL;
        int rr = gs_rules_control(fs, n, &text);
        if (text)
            gs_control_set_result(fs, n, text, strlen(text));
        free(text);
        return rr;
    }
    struct action a;
    const char *why = NULL;
    int r = build(fs, n, in, len, &a, &why);
    if ((r == 0 || r == -EINVAL) && !gs_input_whole(in, len)) {
        r = -EINVAL; /* input cut short at close: nothing is sent */
        why = "the input is incomplete (a JSON object not closed): nothing was sent";
    }
    if (r < 0) {
        if (r == -EINVAL)
            record_local(fs, n, a.path ? a.path : "", r, why ? why : "invalid input");
        free(a.path);
        free(a.body);
        return r;
    }
    struct gs_request req = {
        .method = a.method,
        .path = a.path,
        .body = a.body,
        .body_len = a.body ? strlen(a.body) : 0,
        .content_type = a.content_type,
        .post_is_safe = a.safe,
    };
    struct gs_response resp = {0};
    struct gs_error err = {0};
    char *saved = NULL;
    struct timespec sent;
    clock_gettime(CLOCK_REALTIME, &sent);
    r = gs_node_kind(n) == GS_K_CTL_RESET_SCHEMA ? gs_job_backup(fs, n->sp, n->job, 0, &saved, &err) : 0;
    if (r == 0)
        r = gs_client_request(fs->client, &req, &resp, &err);
    if (r < 0) {
        gs_node_record_error(fs, n, &err);
        char *text = gs_error_format(&err);
        if (text)
            set_result(fs, n, text, strlen(text), 0, NULL);
        free(text);
    } else {
        gs_info("%s %s: HTTP %ld", a.method, a.path, resp.status);
        keep_result(fs, n, &resp, saved, &sent);
        after(fs, n);
    }
    free(saved);
    gs_response_clear(&resp);
    gs_error_clear(&err);
    free(a.path);
    free(a.body);
    return r;
}

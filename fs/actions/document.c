#include "fs/actions/rules/rules.h"
#include "fs/actions/document.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/model/json_render.h"
#include "common/log.h"
#include "common/reject.h"
#include "fs/actions/audit.h"
#include "fs/actions/backup.h"
#include "fs/model/errors.h"
#include "fs/model/node_error.h"
#include "fs/model/fs.h"

/* The document being saved. */
struct gs_document {
    const struct gs_node *at; /* holds its ids: its own node, or the directory it is in */
    enum gs_kind kind;
    char *key;                /* its Graph path */
};

/* Graph shows secret values as a run of asterisks. */
static int is_masked(const char *v)
{
    size_t n = strlen(v);
    if (n < 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] != '*')
            return 0;
    return 1;
}

static int check_json(enum gs_kind kind, const cJSON *j, char **why)
{
    const char *file = gs_kind_info(kind)->name;
    if (!cJSON_IsObject(j))
        return gs_reject(why, "%s: the document must be a JSON object", file);
    if (kind == GS_K_JOB_SCHEMA) {
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "synchronizationRules")))
            return gs_reject(why, "%s: a schema needs a \"synchronizationRules\" array", file);
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "directories")))
            return gs_reject(why, "%s: a schema needs a \"directories\" array", file);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "version");
        if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
            return gs_reject(why, "%s: \"version\" must be a string", file);
        return 0;
    }
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, "value");
    if (!cJSON_IsArray(list))
        return gs_reject(why, "%s: secrets need a \"value\" array of {\"key\", \"value\"}", file);
    const cJSON *it;
    cJSON_ArrayForEach(it, list) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");
        if (!cJSON_IsString(k))
            return gs_reject(why, "%s: every secret needs a \"key\" string", file);
        if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
            return gs_reject(why, "%s: the value of %s must be a string", file, k->valuestring);
        if (cJSON_IsString(v) && is_masked(v->valuestring))
            return gs_reject(why, "secrets.json: the value of %s is still Graph's mask; write the real "
                                "secret (a save replaces the whole set: a key left out is erased)",
                           k->valuestring);
    }
    return 0;
}

/* The JSON value in data, which must be all of it (white space aside):
 * cJSON_ParseWithLength alone would accept "{...} garbage". NULL if not, with
 * *bad_at the offset where the parse failed or the extra text begins. */
static cJSON *parse_whole(const char *data, size_t len, size_t *bad_at)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    *bad_at = end && end >= data && end <= data + len ? (size_t)(end - data) : 0;
    if (!j)
        return NULL;
    for (const char *p = end; p < data + len; p++) {
        if (!isspace((unsigned char)*p)) {
            *bad_at = (size_t)(p - data);
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

/* "not valid JSON at line L, column C" (1-based; columns count characters,
 * not bytes), so an editor's :L or goto-line finds it in a large schema. */
static int invalid_json(enum gs_kind kind, const char *data, size_t len, size_t at, const char *note,
                        char **why)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < len; i++) {
        if (data[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)data[i] & 0xC0) != 0x80) {
            col++;
        }
    }
    if (len == 0)
        return gs_reject(why, "%s: not valid JSON: the file is empty%s", gs_kind_info(kind)->name, note);
    return gs_reject(why, "%s: not valid JSON at line %zu, column %zu%s", gs_kind_info(kind)->name, line,
                   col, note);
}

int gs_document_check(enum gs_kind kind, const char *data, size_t len, char **why)
{
    *why = NULL;
    size_t bad_at = 0;
    cJSON *j = parse_whole(data, len, &bad_at);
    if (!j)
        return invalid_json(kind, data, len, bad_at, "", why);
    int r = check_json(kind, j, why);
    cJSON_Delete(j);
    return r;
}

static void record_local(struct gs_fs *fs, const struct gs_node *n, const char *method,
                         const char *key, int err, const char *code, const char *why)
{
    struct gs_error e = {0};
    char *url = gs_client_url(fs->client, key);
    gs_error_set_local(&e, method, url ? url : key, err, code, why);
    gs_node_record_error(fs, n, &e);
    gs_error_clear(&e);
    free(url);
}

/* Removes what rendering removes, so that comparisons see what the user saw. */
static void strip_annotations(cJSON *j)
{
    cJSON *c = j ? j->child : NULL;
    while (c) {
        cJSON *next = c->next;
        if (c->string && gs_json_is_annotation(c->string))
            cJSON_Delete(cJSON_DetachItemViaPointer(j, c));
        else
            strip_annotations(c);
        c = next;
    }
}

/* The server's current document, fetched now (not from the cache). */
static int fetch_current(struct gs_fs *fs, const struct gs_document *d, cJSON **out)
{
    struct gs_request req = {.method = "GET", .path = d->key};
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int r = gs_client_request(fs->client, &req, &resp, &err);
    if (r < 0) {
        gs_node_record_error(fs, d->at, &err);
    } else {
        *out = cJSON_ParseWithLength(resp.body, resp.body_len);
        if (!*out) {
            char *url = gs_client_url(fs->client, d->key);
            gs_error_set_http(&err, "GET", url ? url : d->key, resp.status, NULL, 0,
                              resp.request_id, resp.client_request_id);
            free(url);
            r = -EIO;
            gs_error_clear(&err);
            record_local(fs, d->at, "GET", d->key, -EIO, "MalformedResponse", "Graph's answer is not JSON");
        }
        strip_annotations(*out);
    }
    gs_response_clear(&resp);
    gs_error_clear(&err);
    return r;
}

static void keep_backup(struct gs_fs *fs, const struct gs_document *d, const cJSON *old)
{
    if (!fs->cfg.backup_dir || !d->at->job)
        return;
    /* Without its version: copying the backup over schema.json restores it
     * (a document without version is saved whatever the server holds). */
    cJSON *copy = cJSON_Duplicate(old, 1);
    if (copy)
        cJSON_DeleteItemFromObjectCaseSensitive(copy, "version");
    size_t len = 0;
    char *text = copy ? gs_json_render(copy, &len) : NULL;
    cJSON_Delete(copy);
    char *name = NULL;
    int r = text ? gs_backup_save(fs->cfg.backup_dir, d->at->sp, d->at->job, "schema", text, len, &name) : -ENOMEM;
    if (r < 0) {
        gs_warn("backup of the schema of job %s failed: %s", d->at->job, strerror(-r));
    } else {
        gs_info("schema of job %s replaced; previous content in backups/%s", d->at->job, name);
        uid_t uid;
        pid_t pid;
        gs_audit_caller(&uid, &pid);
        r = gs_backup_note(fs->cfg.backup_dir, d->at->sp, d->at->job, name, (unsigned)uid, (int)pid,
                           fs->cfg.backup_keep);
        if (r < 0)
            gs_warn("backups/index.tsv of job %s: %s", d->at->job, strerror(-r));
    }
    free(name);
    free(text);
}

/* Versions this mount's own saves replaced, per schema. An editor that saves
 * twice (vim's second :w) still holds the version it read, which its first
 * save superseded: that is not someone else's change. A save by anyone else
 * (the portal) gives the schema a version no save of ours produced, and the
 * guard holds again. Kept in fs->results under "saved-versions\n<key>" as
 * lines: the version our last save produced, then the versions it and the
 * saves before it replaced (at most CHAIN_MAX lines). */
#define CHAIN_MAX 16

static char *chain_key(const struct gs_document *d)
{
    char *k = NULL;
    return asprintf(&k, "saved-versions\n%s", d->key) < 0 ? NULL : k;
}

/* The stored chain as text (malloc'd), or NULL when there is none. */
static char *chain_get(struct gs_fs *fs, const char *key)
{
    char *text = NULL;
    pthread_mutex_lock(&fs->extra_lock);
    struct gs_result *res = gs_map_gets(&fs->results, key);
    if (res)
        text = strndup(res->blob->data, res->blob->len);
    pthread_mutex_unlock(&fs->extra_lock);
    return text;
}

/* Line i of text (0-based) equals v. */
static int line_is(const char *text, int i, const char *v)
{
    const char *p = text;
    for (int k = 0; k < i && p; k++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return 0;
    size_t l = strcspn(p, "\n"), vlen = strlen(v);
    return l == vlen && memcmp(p, v, l) == 0;
}

/* The version our last save produced is `now`. */
static int chain_head_is(const char *text, const char *now)
{
    return line_is(text, 0, now);
}

/* Our saves replaced `v` on the way to the head. */
static int chain_replaced(const char *text, const char *v)
{
    for (int i = 1; i < CHAIN_MAX; i++)
        if (line_is(text, i, v))
            return 1;
    return 0;
}

/* 1 when `mine` was replaced by our own saves and `theirs` is what the last
 * of them produced. */
static int superseded_by_us(struct gs_fs *fs, const struct gs_document *d, const char *mine, const char *theirs)
{
    char *key = chain_key(d);
    char *text = key ? chain_get(fs, key) : NULL;
    int r = text && chain_head_is(text, theirs) && chain_replaced(text, mine);
    free(text);
    free(key);
    return r;
}

static int chain_store(struct gs_fs *fs, const char *key, const char *text)
{
    struct gs_result *res = calloc(1, sizeof(*res));
    if (!res || !(res->blob = gs_blob_new(text, strlen(text)))) {
        free(res);
        return -ENOMEM;
    }
    clock_gettime(CLOCK_REALTIME, &res->when);
    void *old = NULL;
    pthread_mutex_lock(&fs->extra_lock);
    int r = gs_map_puts(&fs->results, key, res, &old);
    pthread_mutex_unlock(&fs->extra_lock);
    if (r != 0) {
        gs_blob_unref(res->blob);
        free(res);
    }
    if (old) {
        gs_blob_unref(((struct gs_result *)old)->blob);
        free(old);
    }
    return r;
}

/* Our save replaced version `replaced` and the server now holds `now`. */
static void note_save(struct gs_fs *fs, const struct gs_document *d, const char *replaced, const char *now)
{
    if (strchr(replaced, '\n') || strchr(now, '\n'))
        return; /* not a version this list can hold: the guard stays strict */
    char *key = chain_key(d);
    char *prev = key ? chain_get(fs, key) : NULL;
    /* the saves before ours count only if ours followed the last of them */
    const char *older = prev && chain_head_is(prev, replaced) ? strchr(prev, '\n') : NULL;
    char *text = NULL;
    if (key && asprintf(&text, "%s\n%s%s", now, replaced, older ? older : "") >= 0) {
        char *p = text;
        for (int line = 0; p && line < CHAIN_MAX; line++) {
            p = strchr(p, '\n');
            if (p)
                p++;
        }
        if (p)
            *p = '\0';
        if (chain_store(fs, key, text) != 0)
            gs_warn("schema of job %s: out of memory recording its version", d->at->job);
    }
    free(text);
    free(prev);
    free(key);
}

static const char *version_of(const cJSON *doc)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "version");
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Equal documents, whatever their versions say. */
static int same_content(const cJSON *a, const cJSON *b)
{
    cJSON *x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
    int same = 0;
    if (x && y) {
        cJSON_DeleteItemFromObjectCaseSensitive(x, "version");
        cJSON_DeleteItemFromObjectCaseSensitive(y, "version");
        same = cJSON_Compare(x, y, 1);
    }
    cJSON_Delete(x);
    cJSON_Delete(y);
    return same;
}

/* After a successful PUT of a schema: the server's new content goes to the
 * cache (the file shows it), and its version joins our chain. */
static void refresh_after_save(struct gs_fs *fs, const struct gs_document *d, const cJSON *replaced)
{
    cJSON *now = NULL;
    if (fetch_current(fs, d, &now) < 0 || !now) {
        gs_cache_invalidate(fs->cache, d->key);
        return;
    }
    const char *old_v = version_of(replaced), *new_v = version_of(now);
    if (old_v && new_v && strcmp(old_v, new_v) != 0)
        note_save(fs, d, old_v, new_v);
    if (gs_cache_put(fs->cache, d->key, GS_TTL_DOC, now, NULL) != 0)
        gs_cache_invalidate(fs->cache, d->key);
    cJSON_Delete(now);
}

static char *keep_refused(struct gs_fs *fs, const struct gs_document *d, const char *data, size_t len);

/* The schema's lost-update guard: the server's current schema in *current;
 * -ESTALE when it changed since `doc` was read (and not by our own saves),
 * 1 when `doc` equals it (nothing to send), else 0. */
static int schema_guard(struct gs_fs *fs, const struct gs_document *d, const cJSON *doc, cJSON **current,
                        const char *data, size_t len)
{
    int r = fetch_current(fs, d, current);
    if (r < 0)
        return r;
    const char *mine = version_of(doc), *theirs = version_of(*current);
    if (mine && (!theirs || strcmp(mine, theirs) != 0) && !(theirs && superseded_by_us(fs, d, mine, theirs))) {
        char *msg = NULL, *note = keep_refused(fs, d, data, len);
        if (asprintf(&msg, "schema.json: the schema changed on the server since it was read "
                           "(version %s, now %s); re-read it and edit again%s",
                     mine, theirs ? theirs : "none", note ? note : "") < 0)
            msg = NULL;
        free(note);
        record_local(fs, d->at, "PUT", d->key, -ESTALE, "VersionConflict", msg ? msg : "version conflict");
        free(msg);
        gs_cache_invalidate(fs->cache, d->key);
        return -ESTALE;
    }
    /* every schema save makes the next cycle a full one: a no-op stays a no-op */
    if (same_content(doc, *current)) {
        gs_cache_put(fs->cache, d->key, GS_TTL_DOC, *current, NULL);
        return 1;
    }
    return 0;
}

/* After a successful PUT: a backup of what it replaced, and the cache. */
static void after_save(struct gs_fs *fs, const struct gs_document *d, const cJSON *replaced)
{
    if (replaced) {
        keep_backup(fs, d, replaced);
        /* the file shows what the server holds now */
        refresh_after_save(fs, d, replaced);
    } else {
        gs_cache_invalidate(fs->cache, d->key);
    }
    if (d->at->job) {
        char *job_key = gs_kind_key(GS_K_JOB_JSON, d->at->sp, d->at->job, NULL);
        if (job_key)
            gs_cache_invalidate(fs->cache, job_key);
        free(job_key);
    }
}

/* A schema PUT whose answer was lost (the connection dropped after it was
 * sent): the version check made before it does not cover sending it again.
 * Looks first: 0 when the server holds what the PUT would produce (done),
 * 1 when it still holds `before` (not applied: sending again is safe),
 * -ESTALE when someone else changed it, another negative errno when it
 * cannot be read (then the outcome stays unknown). */
static int after_lost_put(struct gs_fs *fs, const struct gs_document *d, const cJSON *sent,
                          const cJSON *before, struct gs_error *err)
{
    cJSON *now = NULL;
    int r = fetch_current(fs, d, &now);
    if (r < 0 || !now)
        return r < 0 ? r : -EIO;
    if (same_content(now, sent)) {
        r = 0;
    } else if (same_content(now, before) && version_of(now) && version_of(before) &&
               strcmp(version_of(now), version_of(before)) == 0) {
        r = 1;
    } else {
        gs_error_clear(err);
        char *url = gs_client_url(fs->client, d->key);
        gs_error_set_local(err, "PUT", url ? url : d->key, -ESTALE, "VersionConflict",
                           "schema.json: the save's answer was lost, and the schema on the server "
                           "is now neither the one saved nor the one it replaced (someone else "
                           "changed it); re-read it and edit again");
        free(url);
        r = -ESTALE;
    }
    cJSON_Delete(now);
    return r;
}

/* PUTs body; a schema PUT is never resent blindly (after_lost_put). */
static int put_once(struct gs_fs *fs, const struct gs_document *d, const char *body, const cJSON *doc,
                    const cJSON *current, struct gs_error *err)
{
    struct gs_request req = {.method = "PUT", .path = d->key, .body = body, .body_len = strlen(body),
                             .send_once = current != NULL};
    int r = gs_client_request(fs->client, &req, NULL, err);
    /* a lost answer is looked into, and the PUT sent again only when it was
     * not applied, as often as a retryable failure is retried (retries=) */
    int rounds = gs_client_retries(fs->client);
    for (int again = 0; r < 0 && err->outcome_unknown && current && again < rounds; again++) {
        int seen = after_lost_put(fs, d, doc, current, err);
        if (seen <= 0) {
            if (seen == 0)
                gs_error_clear(err);
            return seen == 0 ? 0 : seen == -ESTALE ? -ESTALE : r;
        }
        gs_error_clear(err);
        r = gs_client_request(fs->client, &req, NULL, err); /* not applied: send it again */
    }
    return r;
}

/* A schema save that fails keeps what was written in
 * backups/refused-<time>.json (the newest GS_REFUSED_KEEP of them), so that
 * an edit is never lost with the refusal. Secrets are never written to disk.
 * Returns the sentence last_error adds ("" when nothing was kept). */
static char *keep_refused(struct gs_fs *fs, const struct gs_document *d, const char *data, size_t len)
{
    char *name = NULL, *note = NULL;
    const struct gs_node *at = d->at;
    if (!fs->cfg.backup_dir || !at->job || d->kind != GS_K_JOB_SCHEMA)
        return strdup("");
    int r = gs_backup_save(fs->cfg.backup_dir, at->sp, at->job, "refused", data, len, &name);
    if (r < 0) {
        gs_warn("the refused schema of job %s could not be kept: %s", at->job, strerror(-r));
        return strdup("");
    }
    gs_backup_prune(fs->cfg.backup_dir, at->sp, at->job, GS_REFUSED_PREFIX, GS_REFUSED_KEEP);
    if (asprintf(&note, "; what was written is kept in backups/%s", name) < 0)
        note = NULL;
    free(name);
    return note ? note : strdup("");
}

/* Graph's refusal, with the note of keep_refused after its message. */
static void record_refused(struct gs_fs *fs, const struct gs_document *d, struct gs_error *err,
                           const char *data, size_t len)
{
    char *note = keep_refused(fs, d, data, len), *msg = NULL;
    if (note && note[0] && asprintf(&msg, "%s%s", err->message ? err->message : "refused", note) >= 0) {
        free(err->message);
        err->message = msg;
    }
    free(note);
    gs_node_record_error(fs, d->at, err);
}

/* A document that fails the local checks (parsed: 0 for invalid JSON, found
 * at bad_at; else r and why from check_json): last_error says why and where,
 * and a schema's content is kept. Takes why; returns the errno. */
static int refuse_invalid(struct gs_fs *fs, const struct gs_document *d, const char *data, size_t len,
                          int parsed, size_t bad_at, int r, char *why)
{
    char *note = keep_refused(fs, d, data, len);
    if (!parsed) {
        free(why);
        why = NULL;
        r = invalid_json(d->kind, data, len, bad_at, note ? note : "", &why);
    } else if (why && note && note[0]) {
        char *longer = NULL;
        if (asprintf(&longer, "%s%s", why, note) >= 0) {
            free(why);
            why = longer;
        }
    }
    record_local(fs, d->at, "PUT", d->key, r, "InvalidDocument", why ? why : "invalid document");
    free(note);
    free(why);
    return r;
}

static int commit(struct gs_fs *fs, const struct gs_document *d, const char *data, size_t len)
{
    char *why = NULL;
    /* the document's path, also when `at` is its directory (a rename onto
     * it) or a file beside it (the rules tree's commit) */
    enum gs_kind at_kind = gs_node_kind(d->at);
    if (at_kind == d->kind)
        gs_audit_set_subject(fs, d->at, NULL);
    else if (gs_kind_info(at_kind)->type == S_IFDIR)
        gs_audit_set_subject(fs, d->at, gs_kind_info(d->kind)->name);
    else
        gs_audit_set_sibling(fs, d->at, gs_kind_info(d->kind)->name);
    size_t bad_at = 0;
    cJSON *doc = parse_whole(data, len, &bad_at);
    int r = doc ? check_json(d->kind, doc, &why) : 0;
    if (!doc || r < 0) {
        int parsed = doc != NULL;
        cJSON_Delete(doc);
        return refuse_invalid(fs, d, data, len, parsed, bad_at, r, why);
    }
    strip_annotations(doc);
    cJSON *current = NULL;
    r = d->kind == GS_K_JOB_SCHEMA ? schema_guard(fs, d, doc, &current, data, len) : 0;
    char *body = r == 0 ? cJSON_PrintUnformatted(doc) : NULL;
    if (r != 0 || !body) {
        cJSON_Delete(doc);
        cJSON_Delete(current);
        return r < 0 ? r : r == 1 ? 0 : -ENOMEM;
    }
    struct gs_error err = {0};
    r = put_once(fs, d, body, doc, current, &err);
    free(body);
    cJSON_Delete(doc);
    if (r < 0)
        record_refused(fs, d, &err, data, len);
    else
        after_save(fs, d, current);
    gs_error_clear(&err);
    cJSON_Delete(current);
    return r;
}

int gs_document_commit(struct gs_fs *fs, const struct gs_node *at, enum gs_kind kind,
                       const char *data, size_t len)
{
    if (gs_kind_has(kind, GS_KF_STAGED))
        return gs_rules_write(fs, at, data, len); /* a rules file: staged, sent by commit */
    struct gs_document d = {.at = at, .kind = kind, .key = gs_kind_key(kind, at->sp, at->job, NULL)};
    int r = d.key ? commit(fs, &d, data, len) : -ENOMEM;
    free(d.key);
    return r;
}

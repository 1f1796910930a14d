#include "fs/views/rules/rules.h"
#include "fs/views/content.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/interrupt.h"
#include "fs/views/logs/logs.h"
#include "fs/model/json_render.h"
#include "fs/actions/backup.h"
#include "fs/actions/allow_deletes.h"
#include "fs/actions/control.h"
#include "fs/actions/settings.h"
#include "fs/views/monitor/monitor.h"
#include "fs/model/errors.h"
#include "fs/views/walk.h"
#include "fs/actions/walk_scan.h"
#include "fs/views/tenant.h"
#include "fs/actions/scratch.h"
#include "fs/views/tree.h"
#include "fs/fetch/graph_get.h"
#include "fs/fetch/stale.h"
#include "fs/model/node_error.h"

/* What of doc the file shows: its member (NULL when Graph omitted it, which
 * renders as "null"), or the whole document when member is NULL. */
static const cJSON *shown(const struct gs_doc *doc, const char *member)
{
    return member ? cJSON_GetObjectItemCaseSensitive(doc->json, member) : doc->json;
}

/* The member of doc (the whole document when NULL) as the file shows it. */
static struct gs_blob *render(const struct gs_doc *doc, const char *member)
{
    size_t len = 0;
    char *text = gs_json_render(shown(doc, member), &len);
    struct gs_blob *b = text ? gs_blob_new(text, len) : NULL;
    free(text);
    return b;
}

/* n's rendering of doc: the one it keeps when it is of this generation, else
 * a new one it keeps from now on (the time changes only with the bytes). What
 * is returned is decided under the same lock as what is kept: a rename
 * (gs_node_move) may drop the kept one at any time. n's staleness line
 * becomes `stale` (taken; NULL: the copy is fresh) under that lock too. */
static int keep_rendered(struct gs_fs *fs, struct gs_node *n, const struct gs_doc *doc,
                         const char *member, char *stale, struct gs_blob **out, struct timespec *mtime)
{
    struct gs_blob *b = NULL;
    pthread_mutex_lock(&fs->lock);
    char *was = n->stale;
    n->stale = stale;
    while (!(n->content && n->content_gen == doc->generation)) {
        if (b) {
            if (!gs_blob_equal(n->content, b) || n->mtime.tv_sec == 0) {
                n->mtime = doc->changed_at;
                gs_blob_unref(n->content);
                n->content = gs_blob_ref(b);
            }
            n->content_gen = doc->generation;
            break;
        }
        pthread_mutex_unlock(&fs->lock);
        b = render(doc, member);
        if (!b) {
            free(was);
            return -ENOMEM;
        }
        pthread_mutex_lock(&fs->lock);
    }
    *out = gs_blob_ref(n->content);
    *mtime = n->mtime;
    pthread_mutex_unlock(&fs->lock);
    gs_blob_unref(b);
    free(was);
    return 0;
}

/* A copy past its time-to-live (err->err set by gs_fs_get) is said so in
 * last_error, and by the line returned for the node's
 * user.graphsyncfs.stale (keep_rendered); a fresh one: NULL, which clears it. */
static char *note_staleness(struct gs_fs *fs, struct gs_node *n, const struct gs_doc *doc,
                            enum gs_ttl_class ttl, const struct gs_error *err)
{
    if (!err->err)
        return NULL;
    char *line = gs_stale_describe(fs, doc, ttl, err);
    gs_stale_record(fs, n->owner, doc, ttl, err);
    return line;
}

/* The doc of node n without asking Graph (0), or -EWOULDBLOCK for gs_fs_get
 * to fetch it. A walk reads what its scan brought, however old
 * (walk_scan.h); others what is fresh: batched with its siblings, or waited
 * for while a batch brings it. On libfuse's thread (gs_interrupt_nowait)
 * nothing is waited for, and the fresh copy is taken in one cache look-up
 * (a warm open costs no more: bench warm). */
static int fresh_or_scanned(struct gs_fs *fs, struct gs_node *n, const struct gs_node_id *id,
                            struct gs_doc **doc)
{
    unsigned flags = gs_kind_get_flags(id->kind) | GS_GET_FRESH_ONLY;
    if (id->kind == GS_K_SP_JSON) /* from the listing (a walk's: as old as it) */
        gs_tree_fill_sp(fs, n->sp);
    if (gs_interrupt_nowait()) {
        if (gs_cache_get(fs->cache, id->key, gs_kind_info(id->kind)->ttl, flags, doc, NULL) == 0 ||
            gs_walk_scan_get(fs, id->key, doc) == 0)
            return 0;
    } else if (!gs_cache_is_fresh(fs->cache, id->key)) {
        if (gs_walk_scan_get(fs, id->key, doc) == 0)
            return 0;
        gs_walk_need(fs, n);
    }
    return -EWOULDBLOCK;
}

/* The document n shows, with a new reference (walk_scan.h: a walk reads
 * what its scan brought, however old; others what is fresh), and its
 * staleness line (note_staleness; the caller sets it); a failure recorded in
 * last_error. */
static int graph_doc(struct gs_fs *fs, struct gs_node *n, const struct gs_node_id *id, struct gs_doc **out,
                     char **stale)
{
    const struct gs_kind_info *ki = gs_kind_info(id->kind);
    struct gs_doc *doc = NULL;
    struct gs_error err = {0};
    int r = fresh_or_scanned(fs, n, id, &doc);
    if (r < 0)
        r = gs_fs_get(fs, id->key, ki->ttl, gs_kind_get_flags(id->kind), &doc, &err);
    if (r < 0) {
        gs_node_record_error(fs, n, &err);
        gs_error_clear(&err);
        return r;
    }
    *stale = note_staleness(fs, n, doc, ki->ttl, &err);
    gs_error_clear(&err);
    *out = doc;
    return 0;
}

/* n's content when it renders the cache's fresh doc, as remember_fresh
 * noted, and nothing in the cache changed since (gs_cache_epoch): what
 * graph_doc and keep_rendered would give, without a cache look-up (a warm
 * open: bench warm). 1 with *out and *mtime, else 0. */
static int kept_fresh(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    uint64_t epoch = gs_cache_epoch(fs->cache);
    double now = gs_cache_now(fs->cache);
    int kept = 0;
    pthread_mutex_lock(&fs->lock);
    if (n->content && !n->stale && n->content_gen == n->fresh_gen && n->fresh_epoch == epoch &&
        now < n->fresh_until) {
        *out = gs_blob_ref(n->content);
        *mtime = n->mtime;
        kept = 1;
    }
    pthread_mutex_unlock(&fs->lock);
    return kept;
}

/* After n's content became the rendering of doc (fresh: no staleness
 * line), notes until when the cache keeps doc fresh, as the cache was at
 * `epoch` (read before doc was got: any change since leaves kept_fresh
 * the cache's look-up). */
static void remember_fresh(struct gs_fs *fs, struct gs_node *n, const char *key, const struct gs_doc *doc,
                           uint64_t epoch)
{
    double until = gs_cache_fresh_until(fs->cache, key, doc->generation);
    pthread_mutex_lock(&fs->lock);
    if (n->content && n->content_gen == doc->generation) {
        n->fresh_until = until;
        n->fresh_gen = doc->generation;
        n->fresh_epoch = epoch;
    }
    pthread_mutex_unlock(&fs->lock);
}

static int render_graph(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    const struct gs_node_id *id = gs_node_id(n); /* one record, whatever a rename does meanwhile */
    if (!id->key)
        return -ENOMEM; /* the node table could not index it (node.c key_link) */
    if (kept_fresh(fs, n, out, mtime))
        return 0;
    uint64_t epoch = gs_cache_epoch(fs->cache);
    struct gs_doc *doc = NULL;
    char *stale = NULL;
    int r = graph_doc(fs, n, id, &doc, &stale);
    if (r < 0)
        return r;
    int fresh = !stale;
    r = keep_rendered(fs, n, doc, gs_kind_info(id->kind)->member, stale, out, mtime);
    if (r == 0 && fresh)
        remember_fresh(fs, n, id->key, doc, epoch);
    gs_doc_unref(doc);
    return r;
}

/* n's staleness line becomes `stale` (taken; NULL: fresh), as keep_rendered
 * sets it for a node it renders. */
static void set_stale_line(struct gs_fs *fs, struct gs_node *n, char *stale)
{
    pthread_mutex_lock(&fs->lock);
    char *was = n->stale;
    n->stale = stale;
    pthread_mutex_unlock(&fs->lock);
    free(was);
}

/* With fs->lock: n's size from what it keeps for doc, 1 when it has it. */
static int kept_size_locked(const struct gs_node *n, const struct gs_doc *doc, size_t *size)
{
    if (n->content && n->content_gen == doc->generation)
        *size = n->content->len;
    else if (!n->content && n->size_gen == doc->generation)
        *size = n->size_len;
    else
        return 0;
    return 1;
}

/* The size of n's rendering of doc, measured, not rendered: a walk (find,
 * du) stats every template.json and schema.json (59 KB each) and reads
 * none. A node that keeps a rendering of an older document renders the new
 * one (its mtime moves only when the bytes change: keep_rendered); one that
 * keeps none takes the document's time, as keep_rendered would. */
static int measure_graph(struct gs_fs *fs, struct gs_node *n, size_t *size, struct timespec *mtime)
{
    const struct gs_node_id *id = gs_node_id(n);
    if (!id->key)
        return -ENOMEM;
    struct gs_doc *doc = NULL;
    char *stale = NULL;
    int r = graph_doc(fs, n, id, &doc, &stale);
    if (r < 0)
        return r;
    const char *member = gs_kind_info(id->kind)->member;
    pthread_mutex_lock(&fs->lock);
    int known = kept_size_locked(n, doc, size), rendered = n->content != NULL;
    *mtime = n->mtime;
    pthread_mutex_unlock(&fs->lock);
    if (!known && !rendered) {
        size_t len = gs_json_rendered_len(shown(doc, member));
        pthread_mutex_lock(&fs->lock);
        if (!n->content) {
            n->mtime = doc->changed_at;
            n->size_gen = doc->generation;
            n->size_len = len;
        }
        known = kept_size_locked(n, doc, size);
        *mtime = n->mtime;
        pthread_mutex_unlock(&fs->lock);
    }
    if (!known) {
        struct gs_blob *b = NULL;
        r = keep_rendered(fs, n, doc, member, stale, &b, mtime);
        *size = b ? b->len : 0;
        gs_blob_unref(b);
    } else {
        set_stale_line(fs, n, stale);
    }
    gs_doc_unref(doc);
    return r;
}

static int render_last_error(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    size_t len = 0;
    time_t when = 0;
    char *text = gs_errors_text(fs->errors, n->owner, &len, &when);
    if (!text)
        return -ENOMEM;
    *out = gs_blob_new(text, len);
    free(text);
    if (!*out)
        return -ENOMEM;
    mtime->tv_sec = when ? when : fs->started.tv_sec;
    mtime->tv_nsec = 0;
    return 0;
}

int gs_content_get(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    switch (gs_kind_info(gs_node_kind(n))->source) {
    case GS_SRC_GRAPH:
        return render_graph(fs, n, out, mtime);
    case GS_SRC_LAST_ERROR:
        return render_last_error(fs, n, out, mtime);
    case GS_SRC_RESULT: {
        int r = gs_control_result(fs, n, out, mtime);
        if (r == 0 && gs_kind_has(gs_node_kind(n), GS_KF_LOG_SUMMARY) && gs_logs_add_upload_summary(fs, n, out) < 0) {
            gs_blob_unref(*out);
            *out = NULL;
            r = -ENOMEM;
        }
        return r;
    }
    case GS_SRC_SCRATCH: {
        const char *name = gs_node_name(n);
        struct stat st;
        int r = gs_scratch_stat(fs->scratch, n->owner, name, &st);
        if (r == 0)
            r = gs_scratch_read(fs->scratch, n->owner, name, out);
        if (r == 0)
            *mtime = st.st_mtim;
        return r;
    }
    case GS_SRC_TENANT:
        return gs_tenant_status_tsv(fs, out, mtime);
    case GS_SRC_MONITOR:
        if (gs_node_kind(n) == GS_K_JOB_HEALTH)
            return gs_monitor_health(fs, n, out, mtime);
        return gs_monitor_file(fs, gs_node_kind(n), out, mtime);
    case GS_SRC_SETTING:
        return gs_setting_read(fs, n, out, mtime);
    case GS_SRC_ALLOW_DELETES:
        return gs_allow_deletes_read(fs, n, out, mtime);
    case GS_SRC_RULES:
        return gs_rules_content(fs, n, out, mtime);
    case GS_SRC_LOGS:
        return gs_logs_content(fs, n, out, mtime);
    case GS_SRC_BACKUP:
        if (!fs->cfg.backup_dir)
            return -ENOENT;
        return gs_backup_read(fs->cfg.backup_dir, n->sp, n->job, gs_node_name(n), out, mtime);
    case GS_SRC_STATIC: {
        const char *t = gs_readme_text();
        *out = gs_blob_new(t, strlen(t));
        *mtime = fs->started;
        return *out ? 0 : -ENOMEM;
    }
    default:
        return -EISDIR;
    }
}

int gs_content_stat(struct gs_fs *fs, struct gs_node *n, size_t *size, struct timespec *mtime)
{
    enum gs_kind kind = gs_node_kind(n);
    if (gs_kind_info(kind)->source == GS_SRC_GRAPH && !gs_kind_has(kind, GS_KF_COSTLY_ATTR))
        return measure_graph(fs, n, size, mtime);
    struct gs_blob *b = NULL;
    int r = gs_kind_has(kind, GS_KF_COSTLY_ATTR) ? gs_logs_known(fs, n, &b, mtime) : gs_content_get(fs, n, &b, mtime);
    if (r == 0)
        *size = b->len;
    gs_blob_unref(b);
    return r;
}

int gs_content_attr_free(struct gs_fs *fs, const struct gs_dirent *e)
{
    const struct gs_kind_info *ki = gs_kind_info(e->kind);
    if (ki->type != S_IFREG)
        return 1; /* directories and links: from the listing, or the start time */
    if (gs_kind_has(e->kind, GS_KF_LOG_SUMMARY | GS_KF_COSTLY_ATTR))
        return 0; /* a log query */
    switch (ki->source) {
    case GS_SRC_STATIC:
    case GS_SRC_LAST_ERROR:
    case GS_SRC_RESULT:
    case GS_SRC_SCRATCH:
    case GS_SRC_BACKUP:
        return 1;
    case GS_SRC_GRAPH:
    case GS_SRC_SETTING:
    case GS_SRC_RULES: {
        /* rendered from one document: free while it is fresh */
        char *key = gs_kind_key(e->kind, e->sp, e->job, e->tpl);
        int fresh = key && gs_cache_is_fresh(fs->cache, key);
        free(key);
        return fresh;
    }
    default:
        return 0; /* a tenant view or a monitoring file: a scan */
    }
}

void gs_content_dir_mtime(struct gs_fs *fs, struct gs_node *n, struct timespec *out)
{
    *out = fs->started;
    if (!gs_node_key(n))
        return;
    struct gs_doc *doc = NULL;
    if (gs_cache_get(fs->cache, gs_node_key(n), gs_kind_info(gs_node_kind(n))->ttl, GS_GET_CACHED_ONLY, &doc, NULL) == 0) {
        *out = doc->changed_at;
        gs_doc_unref(doc);
    }
}

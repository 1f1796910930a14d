#include "fs/views/rules/rules.h"
#include "fs/views/tree.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "fs/views/logs/logs.h"
#include "fs/model/errors.h"
#include "fs/model/names.h"
#include "fs/actions/backup.h"
#include "fs/actions/scratch.h"
#include "fs/actions/settings.h"
#include "fs/fetch/readahead.h"
#include "fs/views/sp_index.h"
#include "fs/views/tenant.h"
#include "fs/views/walk.h"
#include "fs/actions/walk_scan.h"
#include "fs/fetch/graph_get.h"
#include "fs/fetch/stale.h"
#include "fs/model/node_error.h"

#define SYNC "/servicePrincipals/%s/synchronization"

/* Listing servicePrincipals/ starts fetching every one's jobs in batches. */
static void queue_readahead(struct gs_fs *fs, const struct gs_doc *listing)
{
    if (!fs->readahead)
        return;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(listing->json, "value");
    int n = cJSON_GetArraySize(items);
    const char **ids = calloc(n ? (size_t)n : 1, sizeof(*ids));
    if (!ids)
        return;
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(id) && gs_name_is_safe(id->valuestring))
            ids[k++] = id->valuestring;
    }
    gs_readahead_queue_sps(fs->readahead, ids, k, 0);
    free(ids);
}

static int jobs_fresh(struct gs_fs *fs, const char *sp)
{
    char *key = gs_kind_key(GS_K_JOBS, sp, NULL, NULL);
    int fresh = key && gs_readahead_jobs_usable(fs, key);
    free(key);
    return fresh;
}

/* A job listing a reader needs now is fetched in one $batch with the next
 * ones in name order (a glob visits them next), and the ones after those
 * are queued behind it: the read-ahead follows a sequential reader, as the
 * kernel's does, so a scan after the statuses expired costs N/20 requests
 * with several in flight, not N. */
#define GS_SEQ_WINDOW (4 * GS_BATCH_MAX)

static void fetch_jobs_ahead(struct gs_fs *fs, const char *sp)
{
    char **next = NULL;
    size_t nn = 0;
    struct gs_doc *listing = NULL;
    char *lkey = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    if (lkey && gs_cache_get(fs->cache, lkey, GS_TTL_DIR, GS_GET_CACHED_ONLY, &listing, NULL) == 0) {
        if (gs_sp_index_following(fs->sp_index, listing, sp, GS_SEQ_WINDOW, &next, &nn) != 0)
            nn = 0;
        gs_doc_unref(listing);
    }
    free(lkey);
    const char *now[GS_BATCH_MAX];
    size_t k = 0, i = 0;
    now[k++] = sp;
    for (; i < nn && k < GS_BATCH_MAX; i++)
        if (!jobs_fresh(fs, next[i]))
            now[k++] = next[i];
    if (i < nn)
        gs_readahead_queue_sps(fs->readahead, (const char *const *)next + i, nn - i, 1);
    gs_readahead_fetch_now(fs, fs->readahead, now, k);
    for (size_t j = 0; j < nn; j++)
        free(next[j]);
    free(next);
}

/* servicePrincipals/, by-name/ and by-appId/: one listing, three namings (sp_index.h). */
static int lists_sps(enum gs_kind kind)
{
    return kind == GS_K_SPS || kind == GS_K_BYNAME || kind == GS_K_BYAPPID;
}

/* Fetches the listing behind a directory node. Reading servicePrincipals/
 * (for_readdir) starts the read-ahead; a job listing not fetched yet jumps
 * the read-ahead's queue (or waits for the batch already bringing it). */
static int get_listing(struct gs_fs *fs, struct gs_node *dir, int for_readdir, struct gs_doc **doc)
{
    char *key = gs_kind_key(gs_node_kind(dir), dir->sp, dir->job, dir->tpl);
    if (!key)
        return -ENOMEM;
    enum gs_kind kind = gs_node_kind(dir);
    /* a service principal known to have no job is asked again at dir_timeout;
     * a name is looked up in a listing of dir_timeout's age (a walk through
     * jobs/ resolves its names from the scan that listed them) */
    int usable = for_readdir ? gs_readahead_jobs_usable(fs, key)
                             : gs_cache_stored_within(fs->cache, key, fs->cfg.listing_recent);
    if (kind == GS_K_JOBS && ((usable && gs_cache_get(fs->cache, key, GS_TTL_STATUS, GS_GET_CACHED_ONLY, doc, NULL) == 0) ||
                              gs_walk_scan_get(fs, key, doc) == 0)) {
        if (for_readdir)
            gs_walk_scan_read(fs, key);
        free(key); /* (or as the calling process's walk has it: walk_scan.h) */
        return 0;
    }
    if (kind == GS_K_SPS && for_readdir) { /* a walk of servicePrincipals/ begins */
        gs_walk_scan_begin(fs, GS_WALK_LISTS_SPS, gs_cache_now(fs->cache));
    } else if (lists_sps(kind) && gs_walk_scan_get(fs, key, doc) == 0) {
        /* a walk looks its names up in the listing it walks, however old: a
         * find lists servicePrincipals/ once and looks each name up as it
         * descends, and a listing fetched again at dir_timeout (55 pages in
         * sequence at 50,000) would also drop the read-ahead queued for it;
         * by-name/ and by-appId/, which a walk lists after servicePrincipals/,
         * are the same listing (a du at N=10,000 fetched its 11 pages again) */
        free(key);
        return 0;
    }
    if (kind == GS_K_JOBS && fs->readahead && !gs_fs_graph_down(fs) &&
        !gs_cache_is_fresh(fs->cache, key))
        fetch_jobs_ahead(fs, dir->sp);
    struct gs_error err = {0};
    const struct gs_kind_info *ki = gs_kind_info(kind);
    gs_readahead_await(fs->readahead, key); /* a walk's batch may be bringing it */
    int r = gs_fs_get(fs, key, ki->ttl, gs_kind_get_flags(kind), doc, &err);
    if (r < 0) {
        gs_node_record_error(fs, dir, &err);
    } else if (err.err) {
        /* a copy past its time-to-live: last_error says which and why */
        gs_stale_record(fs, dir->owner, *doc, ki->ttl, &err);
    }
    if (r == 0 && gs_node_kind(dir) == GS_K_SPS && for_readdir) {
        /* the walk looks its names up in it, however long it lasts: the
         * cache's bound must not drop it meanwhile (dropped, its 11 pages
         * at N=10,000 would be fetched again in sequence) */
        gs_walk_scan_hold(fs, *doc);
        queue_readahead(fs, *doc);
    }
    if (r == 0 && kind == GS_K_JOBS && for_readdir)
        gs_walk_scan_read(fs, key);
    gs_error_clear(&err);
    free(key);
    return r;
}

static const cJSON *listing_items(const struct gs_doc *doc)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc->json, "value");
    return cJSON_IsArray(v) ? v : NULL;
}

static const char *item_str(const cJSON *item, const char *member)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, member);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Entry array builder. */
struct entries {
    struct gs_dirent *v;
    size_t n, cap;
    int err;
};

static void add(struct entries *es, const char *name, enum gs_kind kind, const char *sp,
                const char *job, const char *tpl, const char *target)
{
    if (es->err)
        return;
    if (es->n == es->cap) {
        size_t cap = es->cap ? es->cap * 2 : 16;
        struct gs_dirent *v = realloc(es->v, cap * sizeof(*v));
        if (!v) {
            es->err = -ENOMEM;
            return;
        }
        es->v = v;
        es->cap = cap;
    }
    struct gs_dirent *e = &es->v[es->n];
    memset(e, 0, sizeof(*e));
    e->name = strdup(name);
    e->kind = kind;
    e->sp = sp;
    e->job = job;
    e->tpl = tpl;
    e->target = target ? strdup(target) : NULL;
    if (!e->name || (target && !e->target)) {
        gs_dirent_clear(e);
        es->err = -ENOMEM;
        return;
    }
    es->n++;
}

static void add_fixed(struct entries *es, struct gs_node *dir, const enum gs_kind *kinds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        add(es, gs_kind_info(kinds[i])->name, kinds[i], dir->sp, dir->job, dir->tpl, NULL);
}

static const enum gs_kind root_kids[] = {GS_K_README, GS_K_SPS, GS_K_BYNAME, GS_K_BYAPPID,
                                         GS_K_TENANT_JOBS, GS_K_STATUS_TSV, GS_K_METRICS,
                                         GS_K_CHECK, GS_K_CHECK_STATE, GS_K_TENANT_LOGS};
static const enum gs_kind sp_kids[] = {GS_K_SP_JSON, GS_K_SECRETS, GS_K_LAST_ERROR,
                                       GS_K_TEMPLATES, GS_K_JOBS, GS_K_SETTINGS, GS_K_BACKUPS};
static const enum gs_kind tpl_kids[] = {GS_K_TEMPLATE_JSON, GS_K_TEMPLATE_SCHEMA, GS_K_RULES};
static const enum gs_kind job_kids[] = {
    GS_K_JOB_JSON, GS_K_JOB_STATUS, GS_K_JOB_SCHEDULE, GS_K_JOB_SETTINGS, GS_K_JOB_SCHEMA,
    GS_K_JOB_FUNCTIONS, GS_K_JOB_FILTEROPS, GS_K_LAST_ERROR, GS_K_CTL_START, GS_K_CTL_PAUSE,
    GS_K_CTL_RESTART, GS_K_CTL_RESET_SCHEMA, GS_K_CTL_POD, GS_K_CTL_VALIDATE,
    GS_K_CTL_PARSE_EXPR, GS_K_CTL_BULK, GS_K_DIRECTORIES, GS_K_BACKUPS, GS_K_JOB_HEALTH,
    GS_K_CTL_ALLOW_DELETES, GS_K_RULES, GS_K_PENDING_DIFF, GS_K_CTL_COMMIT,
    GS_K_CTL_DISCARD, GS_K_LOGS};
static const enum gs_kind directory_kids[] = {GS_K_CTL_DISCOVER};
static const enum gs_kind logs_kids[] = {GS_K_LOG_RECENT, GS_K_LOG_FAILURES, GS_K_LOG_SKIPPED,
                                         GS_K_LOG_STAGED, GS_K_LOG_RECENT_TSV, GS_K_LOG_BYID};
static const enum gs_kind tenant_logs_kids[] = {GS_K_LOG_FAILURES_TSV, GS_K_LOG_BYUSER, GS_K_LAST_ERROR};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int fixed_kids(enum gs_kind kind, const enum gs_kind **kids, size_t *n)
{
    switch (kind) {
    case GS_K_ROOT: *kids = root_kids; *n = N(root_kids); return 1;
    case GS_K_SP: *kids = sp_kids; *n = N(sp_kids); return 1;
    case GS_K_TEMPLATE: *kids = tpl_kids; *n = N(tpl_kids); return 1;
    case GS_K_JOB: *kids = job_kids; *n = N(job_kids); return 1;
    case GS_K_DIRECTORY: *kids = directory_kids; *n = N(directory_kids); return 1;
    case GS_K_LOGS: *kids = logs_kids; *n = N(logs_kids); return 1;
    case GS_K_TENANT_LOGS: *kids = tenant_logs_kids; *n = N(tenant_logs_kids); return 1;
    case GS_K_LOG_BYID: case GS_K_LOG_BYUSER: *kids = NULL; *n = 0; return 1; /* lookup only */
    default: return 0;
    }
}

static int scratch_exists(struct gs_fs *fs, struct gs_node *dir, const char *name)
{
    return gs_scratch_exists(fs->scratch, dir->owner, name);
}

static char *hidden_key(const struct gs_node *dir, const char *name)
{
    char *k = NULL;
    if (asprintf(&k, "%s/%s", dir->owner, name) < 0)
        k = NULL;
    return k;
}

int gs_tree_is_hidden(struct gs_fs *fs, const struct gs_node *dir, const char *name)
{
    char *k = hidden_key(dir, name);
    if (!k)
        return 0;
    int hidden = 0;
    time_t now = time(NULL);
    pthread_mutex_lock(&fs->extra_lock);
    time_t *until = gs_map_gets(&fs->hidden, k);
    if (until && *until > now)
        hidden = 1;
    else if (until)
        free(gs_map_dels(&fs->hidden, k));
    pthread_mutex_unlock(&fs->extra_lock);
    free(k);
    return hidden;
}

void gs_tree_hide(struct gs_fs *fs, const struct gs_node *dir, const char *name, int hide)
{
    char *k = hidden_key(dir, name);
    if (!k)
        return;
    pthread_mutex_lock(&fs->extra_lock);
    free(gs_map_dels(&fs->hidden, k));
    time_t *until = hide ? malloc(sizeof(*until)) : NULL;
    if (until) {
        *until = time(NULL) + GS_HIDE_SECONDS;
        if (gs_map_puts(&fs->hidden, k, until, NULL) != 0)
            free(until);
    }
    pthread_mutex_unlock(&fs->extra_lock);
    free(k);
}

/* Scratch files join the fixed entries; documents an editor renamed away
 * leave them for a while. */
static void add_scratch_and_hide(struct gs_fs *fs, struct gs_node *dir, struct entries *es)
{
    for (size_t i = 0; i < es->n;) {
        if (gs_tree_is_hidden(fs, dir, es->v[i].name)) {
            gs_dirent_clear(&es->v[i]);
            memmove(&es->v[i], &es->v[i + 1], (es->n - i - 1) * sizeof(*es->v));
            es->n--;
        } else {
            i++;
        }
    }
    char **names = NULL;
    size_t n = 0;
    if (gs_scratch_list(fs->scratch, dir->owner, &names, &n) != 0) {
        es->err = -ENOMEM;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        add(es, names[i], GS_K_SCRATCH, dir->sp, dir->job, NULL, NULL);
        free(names[i]);
    }
    free(names);
}

/* The name a directory definition shows: its safe name, "name~id" when
 * another definition's name is the same, its id when it has no name. */
static char *directory_name(const cJSON *defs, const cJSON *d, const char *id)
{
    const char *name = item_str(d, "name");
    if (!name || !name[0])
        return strdup(id);
    char *safe = gs_name_safe(name, GS_NAME_MAX);
    if (!safe)
        return NULL;
    const cJSON *o;
    cJSON_ArrayForEach(o, defs) {
        const char *other = item_str(o, "name");
        char *other_safe = o != d && other ? gs_name_safe(other, GS_NAME_MAX) : NULL;
        int same = other_safe && strcmp(other_safe, safe) == 0;
        free(other_safe);
        if (same) {
            free(safe);
            return gs_name_with_id(name, id);
        }
    }
    return safe;
}

/* directories/: one entry per directory definition, by name. The entry's
 * borrowed tpl (the directory id) lives in the name's own allocation, after
 * its NUL, so it is freed with the name and survives a lookup's move. */
static void add_directories(struct entries *es, struct gs_node *dir, const cJSON *defs)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, defs) {
        const char *id = item_str(d, "id");
        if (!id || !gs_name_is_safe(id))
            continue;
        char *shown = directory_name(defs, d, id);
        size_t a = shown ? strlen(shown) : 0, b = strlen(id);
        char *both = shown ? malloc(a + b + 2) : NULL;
        if (!both) {
            free(shown);
            es->err = es->err ? es->err : -ENOMEM;
            return;
        }
        memcpy(both, shown, a + 1);
        memcpy(both + a + 1, id, b + 1);
        free(shown);
        add(es, "", GS_K_DIRECTORY, dir->sp, dir->job, NULL, NULL);
        if (es->err) {
            free(both);
            return;
        }
        free(es->v[es->n - 1].name);
        es->v[es->n - 1].name = both;
        es->v[es->n - 1].tpl = both + a + 1;
    }
}

static char *sp_link_target(const char *id)
{
    char *safe = gs_name_safe(id, GS_NAME_MAX);
    char *t = NULL;
    if (safe && asprintf(&t, "../servicePrincipals/%s", safe) < 0)
        t = NULL;
    free(safe);
    return t;
}

/* jobs/<id>/directories/: the schema's directories, by id. */
static int list_directories(struct gs_fs *fs, struct gs_node *dir, int for_readdir, struct entries *es)
{
    struct gs_doc *doc = NULL;
    int r = get_listing(fs, dir, for_readdir, &doc);
    if (r < 0)
        return r;
    add_directories(es, dir, cJSON_GetObjectItemCaseSensitive(doc->json, "directories"));
    gs_doc_unref(doc);
    return 0;
}

/* jobs/<id>/backups/: the files kept on disk. */
static int list_backups(struct gs_fs *fs, struct gs_node *dir, struct entries *es)
{
    char **names = NULL;
    size_t nn = 0;
    if (fs->cfg.backup_dir) {
        int r = gs_backup_list(fs->cfg.backup_dir, dir->sp, dir->job, &names, &nn);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < nn; i++) {
        add(es, names[i], GS_K_BACKUP, dir->sp, dir->job, NULL, NULL);
        free(names[i]);
    }
    free(names);
    if (fs->cfg.backup_dir && gs_backup_has_index(fs->cfg.backup_dir, dir->sp, dir->job))
        add(es, gs_kind_info(GS_K_BACKUP_INDEX)->name, GS_K_BACKUP_INDEX, dir->sp, dir->job, NULL, NULL);
    return 0;
}

/* servicePrincipals/ (directories by id), by-name/ and by-appId/ (links). */
static int list_sps(struct gs_fs *fs, struct gs_node *dir, int for_readdir, struct entries *es)
{
    enum gs_kind kind = gs_node_kind(dir);
    struct gs_doc *doc = NULL;
    int r = get_listing(fs, dir, for_readdir, &doc);
    if (r < 0)
        return r;
    struct gs_sp_name *names = NULL;
    size_t nn = 0;
    r = gs_sp_index_list(fs->sp_index, kind, doc, &names, &nn);
    gs_doc_unref(doc);
    if (r < 0)
        return r;
    for (size_t i = 0; i < nn; i++) {
        if (kind == GS_K_SPS) {
            add(es, names[i].name, GS_K_SP, NULL, NULL, NULL, NULL);
            continue;
        }
        char *target = sp_link_target(names[i].id);
        if (target)
            add(es, names[i].name, GS_K_LINK, NULL, NULL, NULL, target);
        else
            es->err = -ENOMEM;
        free(target);
    }
    gs_sp_names_free(names, nn);
    for (size_t i = 0; i < es->n && !es->err; i++)
        if (es->v[i].kind == GS_K_SP)
            es->v[i].sp = es->v[i].name;
    return 0;
}

/* templates/ and jobs/ of a service principal, by id (jobs/ also has new). */
static int list_templates_or_jobs(struct gs_fs *fs, struct gs_node *dir, int for_readdir, struct entries *es)
{
    int jobs = gs_node_kind(dir) == GS_K_JOBS;
    struct gs_doc *doc = NULL;
    int r = get_listing(fs, dir, for_readdir, &doc);
    if (r < 0)
        return r;
    if (jobs)
        add(es, gs_kind_info(GS_K_JOBS_NEW)->name, GS_K_JOBS_NEW, dir->sp, NULL, NULL, NULL);
    if (jobs && for_readdir) /* a walk's (find): its scan of jobs/ at the end reads it again */
        gs_walk_scan_hold(fs, doc);
    const cJSON *item;
    cJSON_ArrayForEach(item, listing_items(doc)) {
        const char *id = item_str(item, "id");
        if (!id || !gs_name_is_safe(id))
            continue; /* an id that cannot be a file name is never shown */
        add(es, id, jobs ? GS_K_JOB : GS_K_TEMPLATE, dir->sp, NULL, NULL, NULL);
    }
    /* entries own their names: the ids point at them, not into the doc */
    for (size_t i = 0; i < es->n && !es->err; i++) {
        struct gs_dirent *e = &es->v[i];
        if (e->kind == GS_K_TEMPLATE)
            e->tpl = e->name;
        else if (e->kind == GS_K_JOB)
            e->job = e->name;
    }
    gs_doc_unref(doc);
    return 0;
}

static int list_dir(struct gs_fs *fs, struct gs_node *dir, int for_readdir, struct gs_dirent **out, size_t *n)
{
    struct entries es = {0};
    const enum gs_kind *kids;
    size_t nkids;
    enum gs_kind kind = gs_node_kind(dir);
    int r = 0;

    if (fixed_kids(kind, &kids, &nkids)) {
        add_fixed(&es, dir, kids, nkids);
        if (gs_kind_is_edit_dir(kind))
            add_scratch_and_hide(fs, dir, &es);
        if (kind == GS_K_SP && for_readdir)
            gs_walk_sp(fs, dir->sp); /* a walk reads these next: batched ahead of it */
        if (kind == GS_K_JOB && for_readdir)
            gs_walk_job_listed(fs, dir->sp, dir->job);
    } else if (kind == GS_K_DIRECTORIES) {
        r = list_directories(fs, dir, for_readdir, &es);
    } else if (kind == GS_K_TENANT_JOBS) {
        return gs_tenant_job_links(fs, !for_readdir, out, n);
    } else if (kind == GS_K_SETTINGS) {
        for (size_t i = 0; i < GS_SETTINGS_N; i++)
            add(&es, gs_setting_names[i], GS_K_SETTING, dir->sp, NULL, NULL, NULL);
    } else if (kind == GS_K_BACKUPS) {
        r = list_backups(fs, dir, &es);
    } else if (lists_sps(kind)) {
        r = list_sps(fs, dir, for_readdir, &es);
    } else if (kind == GS_K_TEMPLATES || kind == GS_K_JOBS) {
        r = list_templates_or_jobs(fs, dir, for_readdir, &es);
    } else {
        return -ENOTDIR;
    }
    if (r == 0 && !es.err) {
        *out = es.v;
        *n = es.n;
        return 0;
    }
    gs_dirents_free(es.v, es.n);
    return r < 0 ? r : es.err;
}

int gs_tree_list(struct gs_fs *fs, struct gs_node *dir, struct gs_dirent **out, size_t *n)
{
    if (gs_kind_has(gs_node_kind(dir), GS_KF_RULES_DIR))
        return gs_rules_list(fs, dir, out, n);
    return list_dir(fs, dir, 1, out, n);
}

/* True for names that look like a Graph object id (a GUID). */
static int looks_like_guid(const char *s)
{
    if (strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* A service principal not (yet) in the listing: ask Graph for it directly. */
static int lookup_sp_direct(struct gs_fs *fs, struct gs_node *dir, const char *id)
{
    char *key = gs_kind_key(GS_K_SP_JSON, id, NULL, NULL);
    if (!key)
        return -ENOMEM;
    struct gs_doc *doc = NULL;
    struct gs_error err = {0};
    int r = gs_fs_get(fs, key, GS_TTL_DIR, gs_kind_get_flags(GS_K_SP_JSON), &doc, &err);
    if (r == 0)
        gs_doc_unref(doc);
    else if (r != -ENOENT)
        gs_node_record_error(fs, dir, &err);
    gs_error_clear(&err);
    free(key);
    return r;
}

/* The entry of name in servicePrincipals/, by-name/ or by-appId/ (dir),
 * which the listing's index found for service principal id (taken). */
static int sp_listing_entry(struct gs_node *dir, const char *name, char *id, struct gs_dirent *out)
{
    out->name = strdup(name);
    if (gs_node_kind(dir) == GS_K_SPS) {
        out->kind = GS_K_SP;
        out->sp = out->name;
    } else {
        out->kind = GS_K_LINK;
        out->target = sp_link_target(id);
    }
    free(id);
    if (!out->name || (gs_node_kind(dir) != GS_K_SPS && !out->target)) {
        gs_dirent_clear(out);
        return -ENOMEM;
    }
    return 0;
}

/* A name in servicePrincipals/, by-name/ or by-appId/: one hash lookup in
 * the listing's index. */
static int lookup_in_sp_listing(struct gs_fs *fs, struct gs_node *dir, const char *name,
                                struct gs_dirent *out)
{
    struct gs_doc *doc = NULL;
    char *id = NULL;
    int r = get_listing(fs, dir, 0, &doc);
    if (r == 0) {
        r = gs_sp_index_find(fs->sp_index, gs_node_kind(dir), doc, name, &id);
        gs_doc_unref(doc);
    }
    if (r == 0)
        return sp_listing_entry(dir, name, id, out);
    if (gs_node_kind(dir) == GS_K_SPS && r != -ENOMEM && looks_like_guid(name)) {
        /* the listing may be older than the service principal (or failed) */
        r = lookup_sp_direct(fs, dir, name);
        if (r == 0) {
            out->name = strdup(name);
            out->kind = GS_K_SP;
            out->sp = out->name;
            r = out->name ? 0 : -ENOMEM;
        }
    }
    return r;
}

/* A name in a directory whose entries are fixed (and, in an edit
 * directory, scratch files): answered locally, no request. */
static int lookup_fixed(struct gs_fs *fs, struct gs_node *dir, const enum gs_kind *kids, size_t nkids,
                        const char *name, struct gs_dirent *out)
{
    for (size_t i = 0; i < nkids; i++) {
        if (strcmp(gs_kind_info(kids[i])->name, name) != 0)
            continue;
        if (gs_tree_is_hidden(fs, dir, name))
            return -ENOENT;
        out->name = strdup(name);
        if (!out->name)
            return -ENOMEM;
        out->kind = kids[i];
        out->sp = dir->sp;
        out->job = dir->job;
        out->tpl = dir->tpl;
        return 0;
    }
    if (gs_logs_lookup_only(gs_node_kind(dir)))
        return gs_logs_lookup(dir, name, out);
    if (gs_kind_is_edit_dir(gs_node_kind(dir)) && scratch_exists(fs, dir, name)) {
        out->name = strdup(name);
        out->kind = GS_K_SCRATCH;
        out->sp = dir->sp;
        out->job = dir->job;
        return out->name ? 0 : -ENOMEM;
    }
    return -ENOENT;
}

/* A job's name in servicePrincipals/<sp>/jobs/ that the cached listing has,
 * however old (issue 14, one walk, one scan): a walk through jobs/ that
 * lasts longer than dir_timeout follows its links with the listings the
 * scan fetched, instead of fetching each again with the next ones in
 * listing order (a second scan of the tenant). The job's own documents
 * keep their times-to-live; a name the copy does not have, or a copy a
 * write through the mount invalidated, is looked for in a listing fetched
 * as before. 0 with *out, or -ENOENT. */
static int lookup_cached_job(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out)
{
    char *key = gs_kind_key(GS_K_JOBS, dir->sp, NULL, NULL);
    struct gs_doc *doc = NULL;
    int r = -ENOENT;
    /* not a listing a write through the mount invalidated (rmdir of a job) */
    if (key && gs_cache_stored_within(fs->cache, key, 1e9) &&
        gs_cache_get(fs->cache, key, GS_TTL_STATUS, GS_GET_CACHED_ONLY, &doc, NULL) == 0) {
        const cJSON *item;
        cJSON_ArrayForEach(item, listing_items(doc)) {
            const char *id = item_str(item, "id");
            if (r == -ENOENT && id && strcmp(id, name) == 0) {
                out->name = strdup(name);
                out->kind = GS_K_JOB;
                out->sp = dir->sp;
                out->job = out->name;
                r = out->name ? 0 : -ENOMEM;
            }
        }
        gs_doc_unref(doc);
    }
    free(key);
    return r;
}

/* A name found in the directory's listing, moved out of it into *out. */
static int lookup_listed(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out)
{
    struct gs_dirent *v = NULL;
    size_t n = 0;
    int r = list_dir(fs, dir, 0, &v, &n);
    if (r < 0)
        return r;
    int found = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            found = (int)i;
    if (found >= 0) {
        *out = v[found];
        v[found].name = NULL;
        v[found].target = NULL;
        if (out->kind == GS_K_TEMPLATE)
            out->tpl = out->name;
        else if (out->kind == GS_K_JOB)
            out->job = out->name;
    } else {
        r = -ENOENT;
    }
    gs_dirents_free(v, n);
    return r;
}

/* lookup_in_sp_listing's answer when the listing is fresh and its index
 * built and free: -EWOULDBLOCK otherwise, and for a name it lacks (the
 * pool asks Graph for an id the listing may be older than). */
static int lookup_in_fresh_sp_listing(struct gs_fs *fs, struct gs_node *dir, const char *name,
                                      struct gs_dirent *out)
{
    char *key = gs_kind_key(gs_node_kind(dir), dir->sp, dir->job, dir->tpl);
    struct gs_doc *doc = NULL;
    char *id = NULL;
    int r = key ? gs_cache_get(fs->cache, key, gs_kind_info(gs_node_kind(dir))->ttl, GS_GET_FRESH_ONLY, &doc, NULL)
                : -ENOMEM;
    free(key);
    if (r == 0) {
        r = gs_sp_index_find_built(fs->sp_index, gs_node_kind(dir), doc, name, &id);
        gs_doc_unref(doc);
    }
    if (r == 0)
        return sp_listing_entry(dir, name, id, out);
    return r == -ENOMEM ? r : -EWOULDBLOCK;
}

/* gs_tree_lookup, or with cached: gs_tree_lookup_cached (the same checks in
 * the same order; what needs a fetch then gives -EWOULDBLOCK). */
static int lookup(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out, int cached)
{
    const enum gs_kind *kids;
    size_t nkids;
    enum gs_kind kind = gs_node_kind(dir);
    memset(out, 0, sizeof(*out));
    if (gs_kind_has(kind, GS_KF_RULES_DIR))
        return cached ? -EWOULDBLOCK : gs_rules_lookup(fs, dir, name, out);
    if (fixed_kids(kind, &kids, &nkids))
        return lookup_fixed(fs, dir, kids, nkids, name, out);
    if (!gs_name_is_safe(name))
        return -ENOENT;
    /* backups are served from disk: only names the listing shows */
    if (kind == GS_K_BACKUPS && !strstr(name, ".json") &&
        strcmp(name, gs_kind_info(GS_K_BACKUP_INDEX)->name) != 0)
        return -ENOENT;
    if (lists_sps(kind))
        return cached ? lookup_in_fresh_sp_listing(fs, dir, name, out) : lookup_in_sp_listing(fs, dir, name, out);
    if (kind == GS_K_TENANT_JOBS)
        return cached ? -EWOULDBLOCK : gs_tenant_job_lookup(fs, name, out);
    if (kind == GS_K_JOBS && lookup_cached_job(fs, dir, name, out) != -ENOENT)
        return out->name ? 0 : -ENOMEM;
    return cached ? -EWOULDBLOCK : lookup_listed(fs, dir, name, out);
}

int gs_tree_lookup(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out)
{
    return lookup(fs, dir, name, out, 0);
}

int gs_tree_lookup_cached(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out)
{
    return lookup(fs, dir, name, out, 1);
}

void gs_tree_fill_sp(struct gs_fs *fs, const char *sp)
{
    char *key = gs_kind_key(GS_K_SP_JSON, sp, NULL, NULL);
    char *lkey = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    struct gs_doc *listing = NULL;
    /* the fresh listing, or the one the calling process's walk lists however
     * old: the document is as old as the listing (gs_cache_put_item_of), so
     * it is fresh for others no longer than the listing was */
    if (key && lkey && !gs_cache_is_fresh(fs->cache, key) &&
        ((gs_cache_is_fresh(fs->cache, lkey) &&
          gs_cache_get(fs->cache, lkey, GS_TTL_DIR, GS_GET_CACHED_ONLY, &listing, NULL) == 0) ||
         gs_walk_scan_get(fs, lkey, &listing) == 0)) {
        cJSON *item = gs_sp_index_item(fs->sp_index, listing, sp);
        if (item)
            gs_cache_put_item_of(fs->cache, key, GS_TTL_DIR, item, listing);
        cJSON_Delete(item);
        gs_doc_unref(listing);
    }
    free(key);
    free(lkey);
}

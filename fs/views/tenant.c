#include "fs/views/tenant.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/model/names.h"
#include "fs/fetch/readahead.h"
#include "fs/fetch/graph_get.h"
#include "fs/model/fs.h"

/* --- the views as last built --- */

struct built {
    pthread_mutex_t build;  /* one build at a time: other readers wait for it, as for a cache miss.
                             * Held across the build's Graph requests (a single flight, like the
                             * cache's), so it is taken first, with no other lock held, and
                             * guards valid/at/mark here and the view's blob or entries */
    int valid;
    double at;              /* monotonic seconds when it was built */
    uint64_t mark;          /* fs->content_changes then */
};

struct gs_tenant_views {
    struct built tsv, links;
    struct gs_blob *tsv_blob;
    struct timespec tsv_mtime;
    struct gs_dirent *link_v;
    size_t link_n;
};

static void clear_links(struct gs_dirent *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gs_dirent_clear(&v[i]);
    free(v);
}

int gs_tenant_views_new(struct gs_tenant_views **out)
{
    struct gs_tenant_views *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    pthread_mutex_init(&v->tsv.build, NULL);
    pthread_mutex_init(&v->links.build, NULL);
    *out = v;
    return 0;
}

void gs_tenant_views_free(struct gs_tenant_views *v)
{
    if (!v)
        return;
    gs_blob_unref(v->tsv_blob);
    clear_links(v->link_v, v->link_n);
    pthread_mutex_destroy(&v->tsv.build);
    pthread_mutex_destroy(&v->links.build);
    free(v);
}

/* With b->build held: the view as built is still good. */
static int still_good(struct gs_fs *fs, const struct built *b)
{
    return b->valid && gs_fs_mono() - b->at < fs->cfg.view_ttl &&
           __atomic_load_n(&fs->content_changes, __ATOMIC_RELAXED) == b->mark;
}

static void built_now(struct gs_fs *fs, struct built *b)
{
    b->valid = 1;
    b->at = gs_fs_mono();
    b->mark = __atomic_load_n(&fs->content_changes, __ATOMIC_RELAXED);
}

/* Calls fn for every job of every service principal, fetching what is not
 * fresh first (in batches, ahead of the read-ahead's queue). */
typedef int (*job_fn)(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing);

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int each_job(struct gs_fs *fs, job_fn fn, void *ctx, struct timespec *latest,
                    struct gs_scan_result *res)
{
    char *key = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    struct gs_doc *sps = NULL;
    struct gs_error err = {0};
    int r = key ? gs_fs_get(fs, key, GS_TTL_DIR, gs_kind_get_flags(GS_K_SPS), &sps, &err) : -ENOMEM;
    free(key);
    gs_error_clear(&err);
    if (r < 0)
        return r;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(sps->json, "value");
    int n = cJSON_GetArraySize(items);
    const char **ids = calloc(n ? (size_t)n : 1, sizeof(*ids));
    if (!ids) {
        gs_doc_unref(sps);
        return -ENOMEM;
    }
    size_t nid = 0;
    const cJSON *sp;
    cJSON_ArrayForEach(sp, items) {
        const char *id = str(sp, "id");
        if (id && gs_name_is_safe(id))
            ids[nid++] = id;
    }
    /* one snapshot: what the batches bring stays usable until the scan ends,
     * however long it takes (a 10,000-principal scan outlives status_timeout) */
    double since = gs_cache_now(fs->cache);
    gs_readahead_fetch_now(fs, fs->readahead, ids, nid);
    *latest = sps->changed_at;
    cJSON_ArrayForEach(sp, items) {
        const char *id = str(sp, "id");
        if (!id || !gs_name_is_safe(id))
            continue;
        char *jkey = gs_kind_key(GS_K_JOBS, id, NULL, NULL);
        struct gs_doc *jobs = NULL;
        struct gs_error jerr = {0};
        int jr;
        if (!jkey) {
            jr = -ENOMEM;
        } else if (gs_cache_get_fresh_since(fs->cache, jkey, since, &jobs) == 0) {
            jr = 0;
        } else if (gs_fs_graph_down(fs)) {
            /* Graph failed moments ago: what is cached, however old, or nothing */
            jr = gs_cache_get(fs->cache, jkey, GS_TTL_STATUS, GS_GET_CACHED_ONLY, &jobs, NULL);
            if (jr < 0 && r == 0)
                r = -ETIMEDOUT; /* a view with holes would be a lie */
        } else {
            /* a listing the batch could not bring is fetched alone */
            /* (a stale copy served because Graph did not answer marks it down there) */
            jr = gs_fs_get(fs, jkey, GS_TTL_STATUS, gs_kind_get_flags(GS_K_JOBS), &jobs, &jerr);
            if (jr < 0 && jerr.http_status == 0 && jr != -ENOMEM) {
                gs_fs_mark_graph_down(fs);
                jr = gs_cache_get(fs->cache, jkey, GS_TTL_STATUS, GS_GET_CACHED_ONLY, &jobs, NULL);
                if (jr < 0 && r == 0)
                    r = jerr.err ? jerr.err : -ETIMEDOUT;
            }
        }
        if (res)
            gs_scan_note(res, id, jr, &jerr);
        gs_error_clear(&jerr);
        free(jkey);
        if (jr < 0)
            continue; /* a service principal without synchronization, or gone */
        if (jobs->changed_at.tv_sec > latest->tv_sec)
            *latest = jobs->changed_at;
        const cJSON *job;
        cJSON_ArrayForEach(job, cJSON_GetObjectItemCaseSensitive(jobs->json, "value")) {
            if (r == 0)
                r = fn(ctx, sp, job, jobs);
        }
        gs_doc_unref(jobs);
    }
    free(ids);
    gs_doc_unref(sps);
    return r;
}

/* Monitoring views (views/monitor/) scan as status.tsv does, and learn
 * how whole the scan was. */
static int scan_job(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing)
{
    (void)listing;
    struct gs_scan_result *res = ctx;
    return res->fn(res->ctx, sp, job);
}

int gs_tenant_scan(struct gs_fs *fs, struct gs_scan_result *res)
{
    struct timespec latest;
    return each_job(fs, scan_job, res, &latest, res);
}

/* --- jobs/ --- */

struct links {
    struct gs_dirent *v;
    size_t n, cap;
};

static int add_link(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing)
{
    (void)listing;
    struct links *l = ctx;
    const char *spid = str(sp, "id"), *jid = str(job, "id");
    if (!spid || !jid || !gs_name_is_safe(jid))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct gs_dirent *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    size_t room = strlen(jid) + 1 < GS_NAME_MAX ? GS_NAME_MAX - strlen(jid) - 1 : 1;
    char *dn = gs_name_safe(str(sp, "displayName"), room);
    char *name = NULL, *target = NULL;
    if (!dn || asprintf(&name, "%s:%s", dn, jid) < 0)
        name = NULL;
    if (asprintf(&target, "../servicePrincipals/%s/jobs/%s", spid, jid) < 0)
        target = NULL;
    free(dn);
    if (!name || !target) {
        free(name);
        free(target);
        return -ENOMEM;
    }
    struct gs_dirent *e = &l->v[l->n++];
    memset(e, 0, sizeof(*e));
    e->name = name;
    e->kind = GS_K_LINK;
    e->target = target;
    return 0;
}

static int copy_links(const struct gs_dirent *v, size_t n, struct gs_dirent **out, size_t *nout)
{
    struct gs_dirent *c = calloc(n ? n : 1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        c[i] = v[i];
        c[i].name = strdup(v[i].name);
        c[i].target = v[i].target ? strdup(v[i].target) : NULL;
        if (!c[i].name || (v[i].target && !c[i].target)) {
            clear_links(c, i + 1);
            return -ENOMEM;
        }
    }
    *out = c;
    *nout = n;
    return 0;
}

int gs_tenant_job_links(struct gs_fs *fs, struct gs_dirent **out, size_t *n)
{
    struct gs_tenant_views *v = fs->views;
    pthread_mutex_lock(&v->links.build);
    int r = 0;
    if (!still_good(fs, &v->links)) {
        struct links l = {0};
        struct timespec latest;
        r = each_job(fs, add_link, &l, &latest, NULL);
        if (r < 0) {
            clear_links(l.v, l.n);
        } else {
            clear_links(v->link_v, v->link_n);
            v->link_v = l.v;
            v->link_n = l.n;
            built_now(fs, &v->links);
        }
    }
    if (r == 0)
        r = copy_links(v->link_v, v->link_n, out, n);
    pthread_mutex_unlock(&v->links.build);
    return r;
}

/* --- status.tsv --- */

struct text {
    char *buf;
    size_t len, cap;
    int err;
};

static void put(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->err)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (!b) {
            t->err = -ENOMEM;
            return;
        }
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

/* One field: tabs and line breaks in Graph's values would break the table. */
static void field(struct text *t, const cJSON *v, int last)
{
    char num[32];
    const char *s = "-";
    if (cJSON_IsString(v) && v->valuestring[0])
        s = v->valuestring;
    else if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.0f", v->valuedouble);
        s = num;
    }
    size_t start = t->len;
    put(t, s);
    for (size_t i = start; !t->err && i < t->len; i++)
        if (t->buf[i] == '\t' || t->buf[i] == '\n' || t->buf[i] == '\r')
            t->buf[i] = ' ';
    put(t, last ? "\n" : "\t");
}

static const cJSON *path(const cJSON *o, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, a);
    return b ? cJSON_GetObjectItemCaseSensitive(x, b) : x;
}

static int add_line(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing)
{
    (void)listing;
    struct text *t = ctx;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(job, "status");
    const cJSON *last = cJSON_GetObjectItemCaseSensitive(status, "lastExecution");
    field(t, path(sp, "id", NULL), 0);
    field(t, path(sp, "appId", NULL), 0);
    field(t, path(sp, "displayName", NULL), 0);
    field(t, path(job, "id", NULL), 0);
    field(t, path(job, "templateId", NULL), 0);
    field(t, path(job, "schedule", "state"), 0);
    field(t, path(status, "code", NULL), 0);
    field(t, path(last, "state", NULL), 0);
    field(t, path(last, "timeEnded", NULL), 0);
    field(t, path(last, "countEscrowed", NULL), 0);
    field(t, path(status, "quarantine", "reason"), 1);
    return t->err;
}

static int build_status_tsv(struct gs_fs *fs, struct gs_blob **out, struct timespec *mtime)
{
    struct text t = {0};
    put(&t, GS_TSV_HEADER);
    int r = each_job(fs, add_line, &t, mtime, NULL);
    if (r == 0)
        r = t.err;
    if (r == 0) {
        *out = gs_blob_new(t.buf, t.len);
        if (!*out)
            r = -ENOMEM;
    }
    free(t.buf);
    return r;
}

int gs_tenant_status_tsv(struct gs_fs *fs, struct gs_blob **out, struct timespec *mtime)
{
    struct gs_tenant_views *v = fs->views;
    pthread_mutex_lock(&v->tsv.build);
    int r = 0;
    if (!still_good(fs, &v->tsv)) {
        struct gs_blob *b = NULL;
        struct timespec m;
        r = build_status_tsv(fs, &b, &m);
        if (r == 0) {
            gs_blob_unref(v->tsv_blob);
            v->tsv_blob = b;
            v->tsv_mtime = m;
            built_now(fs, &v->tsv);
        }
    }
    if (r == 0) {
        *out = gs_blob_ref(v->tsv_blob);
        *mtime = v->tsv_mtime;
    }
    pthread_mutex_unlock(&v->tsv.build);
    return r;
}

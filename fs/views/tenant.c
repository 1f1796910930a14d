#include "fs/views/tenant.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/json_pack.h"
#include "fs/model/names.h"
#include "fs/fetch/readahead.h"
#include "fs/fetch/graph_get.h"
#include "fs/model/fs.h"
#include "common/errno_name.h"
#include "common/log.h"
#include "common/interrupt.h"
#include "fs/model/errors.h"
#include "fs/fetch/stale.h"
#include "fs/actions/walk_scan.h"

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
    double links_since;     /* cache time the scan behind link_v began (links.build held) */
};

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
    gs_dirents_free(v->link_v, v->link_n);
    pthread_mutex_destroy(&v->tsv.build);
    pthread_mutex_destroy(&v->links.build);
    free(v);
}

/* Takes b->build, waiting for another reader's build unless this call is
 * interrupted (-EINTR) or its time bound passed (-ETIMEDOUT;
 * common/interrupt.h gs_interrupt_errno). */
static int lock_build(struct built *b)
{
    for (;;) {
        if (gs_interrupted())
            return gs_interrupt_errno();
        struct timespec ts;
        gs_interrupt_poll_deadline(&ts);
        if (pthread_mutex_timedlock(&b->build, &ts) == 0)
            return 0;
    }
}

/* With b->build held: the view as built is still good. */
static int still_good(struct gs_fs *fs, const struct built *b)
{
    return b->valid && gs_fs_mono() - b->at < fs->cfg.view_ttl &&
           __atomic_load_n(&fs->content_changes, __ATOMIC_RELAXED) == b->mark;
}

/* The view as built now; by a walk from listings fetched age seconds
 * before its scan began, as old as they are for readers outside that walk
 * (actions/walk_scan.h). */
static void built_now(struct gs_fs *fs, struct built *b, double age)
{
    b->valid = 1;
    b->at = gs_fs_mono() - (age > 0 ? age : 0);
    b->mark = __atomic_load_n(&fs->content_changes, __ATOMIC_RELAXED);
}

/* Calls fns->job for every job of every service principal, fetching what
 * is not fresh first (in batches, ahead of the read-ahead's queue), and
 * fns->unknown for every service principal whose jobs could not be read:
 * a view shows what it could not read, never a silent gap (issue 13). */
struct scan_fns {
    /* stale: err set when listing is a copy past its time-to-live (why) */
    int (*job)(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing,
               const struct gs_error *stale);
    int (*unknown)(void *ctx, const cJSON *sp, const struct gs_error *why);
};

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The cached copy of a listing Graph did not give now, however old; why
 * keeps the reason (a copy past its time-to-live) or becomes "none cached". */
static int cached_copy(struct gs_fs *fs, const char *key, struct gs_doc **jobs, struct gs_error *why)
{
    if (gs_cache_get(fs->cache, key, GS_TTL_STATUS, GS_GET_CACHED_ONLY, jobs, NULL) == 0) {
        if (gs_cache_is_fresh(fs->cache, key))
            gs_error_clear(why);
        return 0;
    }
    if (!why->err) {
        char *url = gs_client_url(fs->client, key);
        gs_error_set_local(why, "GET", url ? url : key, -EHOSTUNREACH, "GraphUnreachable",
                           "Graph did not answer moments ago and no copy is cached");
        free(url);
    }
    return why->err;
}

/* One service principal's job listing for a scan that began at since:
 * 0 (why->err set when it is a stale copy, and why; *jobs NULL when the
 * read-ahead brought it empty and holds nothing for it), -ENOENT when the
 * service principal is gone (404), another negative errno when its jobs
 * are unknown (why says why). */
static int read_jobs(struct gs_fs *fs, struct gs_ra_scan *scan, const char *id, double since,
                     struct gs_doc **jobs, struct gs_error *why)
{
    char *key = gs_kind_key(GS_K_JOBS, id, NULL, NULL);
    int r;
    if (!key) {
        gs_error_set_local(why, "GET", id, -ENOMEM, "OutOfMemory", "no memory for the scan");
        r = -ENOMEM;
    } else if (gs_readahead_scan_take(fs, scan, key, jobs) >= 0) {
        r = 0; /* as its batch brought it (GS_RA_NO_JOBS: empty, *jobs NULL) */
    } else if (gs_cache_get_fresh_since(fs->cache, key, since, jobs) == 0) {
        r = 0;
    } else if (gs_fs_graph_down(fs)) {
        /* Graph failed moments ago: what is cached, however old, or unknown */
        r = cached_copy(fs, key, jobs, why);
    } else {
        /* a listing the batch could not bring is fetched alone */
        r = gs_fs_get(fs, key, GS_TTL_STATUS, gs_kind_get_flags(GS_K_JOBS), jobs, why);
        /* a call whose time bound ran out asked nothing: that says nothing about Graph */
        if (r < 0 && why->http_status == 0 && r != -ENOMEM && r != -EINTR && !gs_interrupt_past_deadline()) {
            gs_fs_mark_graph_down(fs);
            r = cached_copy(fs, key, jobs, why);
        }
    }
    free(key);
    if (r == 0 || r == -ENOMEM || r == -EINTR || (r == -ENOENT && why->http_status == 404))
        return r;
    return r == -ENOENT ? -EIO : r; /* not "gone": unknown */
}

/* The jobs of one service principal could not be read: its last_error says
 * so, and so does the view. */
static int sp_unknown(struct gs_fs *fs, const struct scan_fns *fns, void *ctx, const cJSON *sp,
                      const struct gs_error *why)
{
    char *owner = gs_errors_owner(str(sp, "id"), NULL);
    if (owner)
        gs_errors_record(fs->errors, owner, why);
    free(owner);
    return fns->unknown(ctx, sp, why);
}

struct page_ctx {
    struct gs_fs *fs;
    struct gs_ra_scan *scan;
    size_t reserved;    /* what the pages arrived so far hold, reserved in the cache */
    size_t most;        /* the most the cache held with them, after each page */
};

/* A page of the service principal listing arrived: its job listings are
 * batched now, not after the last page, all in one go. */
static void page_arrived(void *ctx, const cJSON *first)
{
    struct page_ctx *p = ctx;
    size_t n = 0, k = 0;
    for (const cJSON *sp = first; sp; sp = sp->next)
        n++;
    const char **ids = calloc(n ? n : 1, sizeof(*ids));
    if (!ids)
        return; /* the scan queues them after the last page */
    size_t bytes = 0;
    for (const cJSON *sp = first; sp; sp = sp->next) {
        const char *id = str(sp, "id");
        if (id && gs_name_is_safe(id))
            ids[k++] = id;
        bytes += gs_json_is_packed(sp) ? gs_json_packed_size(sp) + 16 : 0;
    }
    /* the listing in the making counts against the cache's bound: what the
     * cache holds (job listings the scan took) goes for it now, not once
     * the whole listing is stored */
    gs_cache_reserve(p->fs->cache, bytes);
    p->reserved += bytes;
    struct gs_cache_stats st;
    gs_cache_get_stats(p->fs->cache, &st);
    if (st.bytes + p->reserved > p->most)
        p->most = st.bytes + p->reserved;
    if (k)
        gs_readahead_scan_add(p->fs, p->scan, ids, k);
    free(ids);
}

/* When a scan's snapshot begins (cache time): now, or when the calling
 * process's walk began (walk_scan.h: one walk, one scan). */
static double scan_since(struct gs_fs *fs)
{
    double since = gs_cache_now(fs->cache);
    gs_walk_scan_since(fs, &since);
    return since;
}

/* The service principal listing of a scan: the walk's copy, or fetched. */
static int get_sps(struct gs_fs *fs, const char *key, struct gs_doc **sps)
{
    if (gs_walk_scan_get(fs, key, sps) == 0)
        return 0;
    struct gs_error err = {0};
    int r = gs_fs_get(fs, key, GS_TTL_DIR, gs_kind_get_flags(GS_K_SPS), sps, &err);
    gs_error_clear(&err);
    return r;
}

static int each_job(struct gs_fs *fs, const struct scan_fns *fns, void *ctx, struct timespec *latest,
                    int *unknowns, struct gs_scan_result *res)
{
    char *key = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    struct gs_doc *sps = NULL;
    /* one snapshot: what the batches bring stays usable until the scan ends,
     * however long it takes (a 10,000-principal scan outlives status_timeout);
     * job listings are batched as each page of the listing arrives, and each
     * is taken as its batch brings it */
    double since = scan_since(fs);
    struct page_ctx pc = {fs, gs_readahead_scan_new(fs, since), 0, 0};
    if (pc.scan)
        gs_client_set_page_hook(page_arrived, &pc);
    int r = key ? get_sps(fs, key, &sps) : -ENOMEM;
    gs_client_set_page_hook(NULL, NULL);
    gs_cache_unreserve(fs->cache, pc.reserved);
    if (pc.reserved)
        gs_debug("tenant scan: the service principal listing coming (%zu bytes) and the cache held %zu bytes "
                 "at most", pc.reserved, pc.most);
    free(key);
    struct gs_ra_scan *scan = pc.scan;
    if (r < 0) {
        gs_readahead_scan_end(fs, scan);
        return r;
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(sps->json, "value");
    int n = cJSON_GetArraySize(items);
    const char **ids = calloc(n ? (size_t)n : 1, sizeof(*ids));
    if (!ids) {
        gs_readahead_scan_end(fs, scan);
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
    gs_readahead_scan_add(fs, scan, ids, nid);
    gs_readahead_scan_listed(fs, scan);
    *latest = sps->changed_at;
    *unknowns = 0;
    cJSON_ArrayForEach(sp, items) {
        const char *id = str(sp, "id");
        if (r < 0 || !id || !gs_name_is_safe(id))
            continue;
        struct gs_doc *jobs = NULL;
        struct gs_error why = {0};
        int jr = gs_interrupted() ? -EINTR : read_jobs(fs, scan, id, since, &jobs, &why);
        if (res && jr != -EINTR)
            gs_scan_note(res, id, jr, &why);
        if (jr == -ENOMEM || jr == -EINTR) { /* interrupted: the view is not built */
            r = jr;
        } else if (jr < 0 && jr != -ENOENT) {
            ++*unknowns;
            r = sp_unknown(fs, fns, ctx, sp, &why);
        } else if (jr == 0 && jobs) {
            if (jobs->changed_at.tv_sec > latest->tv_sec)
                *latest = jobs->changed_at;
            const cJSON *job;
            cJSON_ArrayForEach(job, cJSON_GetObjectItemCaseSensitive(jobs->json, "value")) {
                if (r == 0)
                    r = fns->job(ctx, sp, job, jobs, &why);
            }
            gs_doc_unref(jobs);
        } /* -ENOENT: the service principal is gone */
        gs_error_clear(&why);
    }
    gs_readahead_scan_empty_changed(fs, scan, latest);
    gs_readahead_scan_end(fs, scan);
    free(ids);
    gs_doc_unref(sps);
    if (r == 0 && *unknowns && fs->cfg.strict)
        r = -EIO; /* strict: a view with a gap is a failure */
    return r;
}

/* Monitoring views (views/monitor/) scan as status.tsv does, and learn
 * how whole the scan was (res counts the service principals it could not read). */
static int scan_job(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing,
                    const struct gs_error *stale)
{
    (void)listing;
    (void)stale;
    struct gs_scan_result *res = ctx;
    return res->fn(res->ctx, sp, job);
}

static int scan_unknown(void *ctx, const cJSON *sp, const struct gs_error *why)
{
    (void)ctx;
    (void)sp;
    (void)why;
    return 0; /* gs_scan_note counted it */
}

int gs_tenant_scan(struct gs_fs *fs, struct gs_scan_result *res)
{
    static const struct scan_fns fns = {scan_job, scan_unknown};
    struct timespec latest;
    int unknowns;
    return each_job(fs, &fns, res, &latest, &unknowns, res);
}

/* --- jobs/ --- */

struct links {
    struct gs_fs *fs;
    struct gs_dirent *v;
    size_t n, cap;
    const struct gs_dirent *prev; /* the links last built (links.build held) */
    size_t prev_n;
    const struct gs_doc *held;    /* the job listing last held for the walk */
};

/* The job listing of a link, and its job, are held for the calling
 * process's walk: what it reads next (actions/walk_scan.h). */
static void hold_for_walk(struct links *l, const struct gs_doc *listing, const char *jid)
{
    if (listing != l->held)
        gs_walk_scan_hold(l->fs, (struct gs_doc *)listing);
    l->held = listing;
    char *esc = gs_path("%s", jid), *key = NULL;
    struct gs_doc *doc = NULL;
    if (esc && asprintf(&key, "%s/%s", listing->key, esc) >= 0 && gs_cache_peek(l->fs->cache, key, &doc) == 0)
        gs_walk_scan_hold(l->fs, doc);
    gs_doc_unref(doc);
    free(esc);
    free(key);
}

/* Appends a link; takes name and target (freed on failure). */
static int push_link(struct links *l, char *name, char *target)
{
    if (!name || !target) {
        free(name);
        free(target);
        return -ENOMEM;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct gs_dirent *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            free(name);
            free(target);
            return -ENOMEM;
        }
        l->v = v;
        l->cap = cap;
    }
    struct gs_dirent *e = &l->v[l->n++];
    memset(e, 0, sizeof(*e));
    e->name = name;
    e->kind = GS_K_LINK;
    e->target = target;
    return 0;
}

static int add_link(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing,
                    const struct gs_error *stale)
{
    (void)stale;
    struct links *l = ctx;
    const char *spid = str(sp, "id"), *jid = str(job, "id");
    if (!spid || !jid || !gs_name_is_safe(jid))
        return 0;
    hold_for_walk(l, listing, jid);
    size_t room = strlen(jid) + 1 < GS_NAME_MAX ? GS_NAME_MAX - strlen(jid) - 1 : 1;
    char *dn = gs_name_safe(str(sp, "displayName"), room);
    char *name = NULL, *target = NULL;
    if (!dn || asprintf(&name, "%s~%s", dn, jid) < 0)
        name = NULL;
    if (asprintf(&target, "../servicePrincipals/%s/jobs/%s", spid, jid) < 0)
        target = NULL;
    free(dn);
    return push_link(l, name, target);
}

/* A service principal whose jobs could not be read keeps the links it had:
 * a name once listed stays until a listing that worked says it is gone. */
static int keep_links(void *ctx, const cJSON *sp, const struct gs_error *why)
{
    (void)why;
    struct links *l = ctx;
    char *prefix = NULL;
    if (asprintf(&prefix, "../servicePrincipals/%s/jobs/", str(sp, "id")) < 0)
        return -ENOMEM;
    size_t plen = strlen(prefix);
    int r = 0;
    for (size_t i = 0; r == 0 && i < l->prev_n; i++) {
        const struct gs_dirent *e = &l->prev[i];
        if (e->target && strncmp(e->target, prefix, plen) == 0)
            r = push_link(l, strdup(e->name), strdup(e->target));
    }
    free(prefix);
    return r;
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
            gs_dirents_free(c, i + 1);
            return -ENOMEM;
        }
    }
    *out = c;
    *nout = n;
    return 0;
}

int gs_tenant_known_jobs(struct gs_fs *fs, char ***sps, char ***jobs, size_t *n)
{
    struct gs_tenant_views *v = fs->views;
    *sps = *jobs = NULL;
    *n = 0;
    if (pthread_mutex_trylock(&v->links.build) != 0)
        return -EBUSY; /* being built: a scan is fetching, siblings can wait */
    int r = v->links.valid ? 0 : -ENOENT;
    char **s = NULL, **j = NULL;
    size_t k = 0;
    if (r == 0 && (!(s = calloc(v->link_n + 1, sizeof(*s))) || !(j = calloc(v->link_n + 1, sizeof(*j)))))
        r = -ENOMEM;
    for (size_t i = 0; r == 0 && i < v->link_n; i++) {
        /* the target is ../servicePrincipals/<sp>/jobs/<job> */
        const char *t = v->link_v[i].target, *a = t ? strstr(t, "servicePrincipals/") : NULL;
        const char *b = a ? strstr(a + 18, "/jobs/") : NULL;
        if (!b)
            continue;
        s[k] = strndup(a + 18, (size_t)(b - a - 18));
        j[k] = strdup(b + 6);
        if (!s[k] || !j[k])
            r = -ENOMEM;
        k++;
    }
    pthread_mutex_unlock(&v->links.build);
    if (r != 0) {
        for (size_t i = 0; i < k; i++) {
            free(s[i]);
            free(j[i]);
        }
        free(s);
        free(j);
        return r;
    }
    *sps = s;
    *jobs = j;
    *n = k;
    return 0;
}

static int by_link_name(const void *a, const void *b)
{
    return strcmp(((const struct gs_dirent *)a)->name, ((const struct gs_dirent *)b)->name);
}

int gs_tenant_job_links(struct gs_fs *fs, int for_lookup, struct gs_dirent **out, size_t *n)
{
    struct gs_tenant_views *v = fs->views;
    int r = lock_build(&v->links);
    if (r < 0)
        return r;
    /* a name is resolved from a view up to dir_timeout old: a walk through
     * jobs/ uses the scan that listed it, however long the walk */
    int recent = for_lookup && v->links.valid && gs_fs_mono() - v->links.at < fs->cfg.listing_recent;
    int again = !recent && !still_good(fs, &v->links);
    if (!for_lookup) /* a listing of jobs/: the process walks what this scan brings */
        gs_walk_scan_begin(fs, GS_WALK_LISTS_JOBS, again ? gs_cache_now(fs->cache) : v->links_since);
    if (again) {
        static const struct scan_fns fns = {add_link, keep_links};
        struct links l = {.fs = fs, .prev = v->link_v, .prev_n = v->link_n};
        struct timespec latest;
        int unknowns;
        double start = gs_cache_now(fs->cache), since = scan_since(fs);
        r = each_job(fs, &fns, &l, &latest, &unknowns, NULL);
        /* in name order, the order a glob visits them: what reads one job's
         * document reads ahead of is then what it visits next */
        if (r >= 0 && l.n)
            qsort(l.v, l.n, sizeof(*l.v), by_link_name);
        if (r < 0) {
            gs_dirents_free(l.v, l.n);
        } else {
            gs_dirents_free(v->link_v, v->link_n);
            v->link_v = l.v;
            v->link_n = l.n;
            v->links_since = since;
            built_now(fs, &v->links, start - since);
            v->links.valid = !unknowns; /* with gaps: built again at the next look */
        }
    }
    if (r == 0)
        r = copy_links(v->link_v, v->link_n, out, n);
    pthread_mutex_unlock(&v->links.build);
    return r;
}

/* A name the view as built already has (links.build held): copied into
 * *out. Not only while nothing changed (content_changes moves with every
 * status a walk fetches): a link once listed stays, its target says
 * whether the job is still there. */
static int find_link_locked(const struct gs_tenant_views *v, const char *name, struct gs_dirent *out)
{
    struct gs_dirent key = {.name = (char *)name};
    const struct gs_dirent *e = v->links.at > 0 && v->link_n
                                    ? bsearch(&key, v->link_v, v->link_n, sizeof(key), by_link_name) : NULL;
    if (!e)
        return -ENOENT;
    struct gs_dirent *c = NULL;
    size_t n = 0;
    int r = copy_links(e, 1, &c, &n);
    if (r == 0) {
        *out = c[0];
        free(c);
    }
    return r;
}

int gs_tenant_job_lookup(struct gs_fs *fs, const char *name, struct gs_dirent *out)
{
    struct gs_tenant_views *v = fs->views;
    int r = lock_build(&v->links);
    if (r < 0)
        return r;
    r = find_link_locked(v, name, out);
    pthread_mutex_unlock(&v->links.build);
    if (r != -ENOENT)
        return r;
    struct gs_dirent *all = NULL;
    size_t n = 0;
    r = gs_tenant_job_links(fs, 1, &all, &n);
    if (r < 0)
        return r;
    struct gs_dirent key = {.name = (char *)name};
    struct gs_dirent *e = n ? bsearch(&key, all, n, sizeof(key), by_link_name) : NULL;
    if (e) {
        *out = *e;
        e->name = NULL;
        e->target = NULL;
    }
    gs_dirents_free(all, n);
    return e ? 0 : -ENOENT;
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

static void text_field(struct text *t, const char *s, int last)
{
    cJSON v = {.type = cJSON_String, .valuestring = (char *)s};
    field(t, s ? &v : NULL, last);
}

struct tsv {
    struct text t;
    struct gs_fs *fs;
};

static void fetched_field(struct text *t, const struct gs_doc *listing)
{
    char buf[32];
    struct tm tm;
    if (gmtime_r(&listing->fetched_at.tv_sec, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
        text_field(t, buf, 0);
    else
        text_field(t, NULL, 0);
}

static int add_line(void *ctx, const cJSON *sp, const cJSON *job, const struct gs_doc *listing,
                    const struct gs_error *stale)
{
    struct tsv *x = ctx;
    struct text *t = &x->t;
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
    field(t, path(status, "quarantine", "reason"), 0);
    fetched_field(t, listing);
    char *why = stale->err ? gs_stale_describe(x->fs, listing, GS_TTL_STATUS, stale) : NULL;
    char *e = NULL;
    if (why && asprintf(&e, "stale copy: %s", why) < 0)
        e = NULL;
    text_field(t, e, 1);
    if (stale->err && !e)
        t->err = -ENOMEM;
    free(why);
    free(e);
    return t->err;
}

/* The row of a service principal whose jobs could not be read. */
static int add_unknown(void *ctx, const cJSON *sp, const struct gs_error *why)
{
    struct tsv *x = ctx;
    struct text *t = &x->t;
    field(t, path(sp, "id", NULL), 0);
    field(t, path(sp, "appId", NULL), 0);
    field(t, path(sp, "displayName", NULL), 0);
    for (int i = 0; i < 3; i++)
        text_field(t, NULL, 0); /* jobId, templateId, scheduleState */
    text_field(t, "Unknown", 0);
    for (int i = 0; i < 5; i++)
        text_field(t, NULL, 0); /* lastRunState ... quarantineReason, fetched */
    char status[32] = "";
    if (why->http_status)
        snprintf(status, sizeof(status), "HTTP %ld ", why->http_status);
    char *e = NULL;
    if (asprintf(&e, "the jobs could not be read: %s %s%s%s%s", gs_errno_name(why->err), status,
                 why->code ? why->code : "", why->code && why->message ? ": " : "",
                 why->message ? why->message : "") < 0)
        return -ENOMEM;
    text_field(t, e, 1);
    free(e);
    return t->err;
}

static int build_status_tsv(struct gs_fs *fs, struct gs_blob **out, struct timespec *mtime,
                            int *unknowns)
{
    static const struct scan_fns fns = {add_line, add_unknown};
    struct tsv x = {.fs = fs};
    put(&x.t, GS_TSV_HEADER);
    int r = each_job(fs, &fns, &x, mtime, unknowns, NULL);
    if (r == 0)
        r = x.t.err;
    if (r == 0) {
        *out = gs_blob_new(x.t.buf, x.t.len);
        if (!*out)
            r = -ENOMEM;
    }
    free(x.t.buf);
    return r;
}

int gs_tenant_status_tsv(struct gs_fs *fs, struct gs_blob **out, struct timespec *mtime)
{
    struct gs_tenant_views *v = fs->views;
    int r = lock_build(&v->tsv);
    if (r < 0)
        return r;
    if (!still_good(fs, &v->tsv)) {
        struct gs_blob *b = NULL;
        struct timespec m;
        int unknowns = 0;
        double start = gs_cache_now(fs->cache), since = scan_since(fs);
        r = build_status_tsv(fs, &b, &m, &unknowns);
        if (r == 0) {
            gs_blob_unref(v->tsv_blob);
            v->tsv_blob = b;
            v->tsv_mtime = m;
            built_now(fs, &v->tsv, start - since);
            v->tsv.valid = !unknowns; /* a view with gaps is built again at the next read */
        }
    }
    if (r == 0) {
        *out = gs_blob_ref(v->tsv_blob);
        *mtime = v->tsv_mtime;
    }
    pthread_mutex_unlock(&v->tsv.build);
    return r;
}

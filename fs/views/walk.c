#include "fs/views/walk.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/fetch/graph_get.h"
#include "fs/fetch/readahead.h"
#include "fs/views/sp_index.h"
#include "fs/views/tenant.h"
#include "fs/actions/walk_scan.h"

/* Service principals queued ahead of a walk that follows the listing, and
 * at a first (or out of order) visit. Ahead: as many as the cache's bound
 * holds template schemas (about 60 KB each, one per service principal) in
 * a fifth of it, within these. At 96 du caught up with the schemas its
 * read-ahead was bringing (54 waits for a batch in flight, 5 s of a walk of
 * 2,000 service principals at 150 ms: the schemas come two answers after
 * the visit that queues them); at 192, 7 waits, 0.7 s. */
#define WALK_AHEAD_MIN 96
#define WALK_AHEAD_MAX 192
#define WALK_AHEAD_BYTES (5 * 64 * 1024)
#define WALK_FIRST 20
/* Jobs next to one whose document is read, whose same document is read
 * ahead, in the direction the reads go (a glob tests names in reverse). */
#define SIBLINGS_AHEAD 59
/* A walk that needed a document within this many seconds stats files (du,
 * ls -lR): secrets.json is read ahead with the listings. One that did not
 * (find) does not read it. */
#define DOCS_RECENT 10.0

/* Where the walks of one filesystem are. Locking contract: `lock` is a leaf
 * lock (HACKING.md "Locks"): it guards every member, is held for these few
 * fields only, never across a request, a wait or another lock. */
struct gs_walk {
    pthread_mutex_t lock;
    int any;           /* a service principal was visited */
    uint64_t gen;      /* generation of the listing the ranks refer to */
    size_t last;       /* rank of the last service principal visited */
    size_t frontier;   /* rank of the last one queued */
    double docs_at;    /* monotonic time a walk last needed a document, 0: never */
    int docs_behind;   /* documents became wanted: the ranks queued before lack them */
    int sib_any;       /* a job's document was read with its siblings */
    enum gs_kind sib_kind; /* of which kind */
    size_t sib_at;     /* its position among the jobs jobs/ lists */
    int sib_back;      /* the reads go towards the start of that list */
    char *listed_job;  /* "<sp>/<job>" of the job directory listed last (ls -l, grep -R) */
    double listed_at;  /* monotonic time of that listing */
};

int gs_walk_new(struct gs_walk **out)
{
    struct gs_walk *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    pthread_mutex_init(&w->lock, NULL);
    *out = w;
    return 0;
}

void gs_walk_free(struct gs_walk *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->lock);
    free(w->listed_job);
    free(w);
}

/* 1 when the walk reads documents too (walk lock taken here). */
static int wants_docs(struct gs_fs *fs)
{
    pthread_mutex_lock(&fs->walk->lock);
    double at = fs->walk->docs_at;
    pthread_mutex_unlock(&fs->walk->lock);
    return at > 0 && gs_fs_mono() - at < DOCS_RECENT;
}

/* Keys collected to be queued at once: queued one by one, an idle worker
 * would take each alone. */
struct keys {
    enum gs_kind *kinds;
    char **keys;
    size_t n;
};

/* 1 when the calling process's walk has the copy at key (walk_scan.h). */
static int walk_has(struct gs_fs *fs, const char *key)
{
    struct gs_doc *doc = NULL;
    int yes = gs_walk_scan_get(fs, key, &doc) == 0;
    gs_doc_unref(doc);
    return yes;
}

static void add_key(struct gs_fs *fs, struct keys *k, enum gs_kind kind, const char *sp, int docs)
{
    char *key = gs_kind_key(kind, sp, NULL, NULL);
    if (!key)
        return;
    int skip = kind == GS_K_JOBS ? gs_readahead_jobs_usable(fs, key) || walk_has(fs, key)
                                 : gs_cache_is_fresh(fs->cache, key);
    if (!skip) {
        k->kinds[k->n] = kind;
        k->keys[k->n++] = key;
        return;
    }
    if (kind == GS_K_JOBS)
        gs_readahead_queue_job_docs(fs->readahead, key, docs); /* the listing is here: its jobs' documents */
    free(key);
}

/* The listings of these service principals and what each brings
 * (readahead.h: template schemas, which rules/ lists, and job documents),
 * and with docs their secrets.json, which only a walk that stats reads. */
static void queue_sps(struct gs_fs *fs, char **ids, size_t n)
{
    int docs = wants_docs(fs);
    struct keys k = {calloc(3 * n + 1, sizeof(enum gs_kind)), calloc(3 * n + 1, sizeof(char *)), 0};
    /* add_key queues the documents of the jobs listed already: they go with the rest */
    gs_readahead_gather(fs->readahead, 1);
    for (size_t i = 0; i < n; i++) {
        if (k.kinds && k.keys) {
            if (docs)
                add_key(fs, &k, GS_K_SECRETS, ids[i], docs);
            add_key(fs, &k, GS_K_TEMPLATES, ids[i], docs);
            add_key(fs, &k, GS_K_JOBS, ids[i], docs);
        }
        free(ids[i]);
    }
    gs_readahead_queue(fs->readahead, k.kinds, k.keys, k.n, docs);
    gs_readahead_gather(fs->readahead, 0);
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    free(k.kinds);
    free(k.keys);
    free(ids);
}

/* With the walk lock: documents became wanted since the ranks up to the
 * frontier were queued without them: queue those again (what is queued or
 * fresh is skipped), so that the visits ahead do not fetch them alone. */
static void catch_up_locked(struct gs_walk *w, size_t rank, size_t *from, size_t *to)
{
    if (!w->docs_behind || !w->any)
        return;
    w->docs_behind = 0;
    *from = rank;
    if (*to < w->frontier + 1)
        *to = w->frontier + 1;
}

/* How many service principals a walk that follows the listing reads ahead. */
static size_t walk_ahead(const struct gs_fs *fs)
{
    size_t n = fs->cfg.cache_bytes / WALK_AHEAD_BYTES;
    return n < WALK_AHEAD_MIN ? WALK_AHEAD_MIN : n > WALK_AHEAD_MAX ? WALK_AHEAD_MAX : n;
}

/* The ranks of the listing to queue for a visit of rank (walk lock taken here). */
static void plan(struct gs_walk *w, size_t ahead, uint64_t gen, size_t rank, size_t *from, size_t *to)
{
    pthread_mutex_lock(&w->lock);
    if (w->any && w->gen == gen && rank == w->last) {
        /* the same visit again (find opens a directory twice): a first
         * visit's plan would pull the frontier back, and each later visit
         * would then queue one service principal at a time, which an idle
         * worker takes alone: single GETs */
        *from = *to = rank;
        catch_up_locked(w, rank, from, to);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    int seq = w->any && w->gen == gen && rank > w->last && rank <= w->frontier + 1;
    *from = seq && w->frontier + 1 > rank ? w->frontier + 1 : rank;
    *to = rank + (seq ? ahead : WALK_FIRST);
    if (seq && w->frontier >= rank + ahead * 3 / 4)
        *to = *from; /* far enough ahead: refilled in chunks of a quarter (48 service
                      * principals: 5 to 7 full batches); by halves, du caught up with
                      * schemas still in flight when the lead was at its lowest */
    if (seq)
        catch_up_locked(w, rank, from, to);
    if (*to > *from && *to - 1 > w->frontier)
        w->frontier = *to - 1;
    else if (!seq && *to > *from)
        w->frontier = *to - 1;
    w->last = rank;
    w->gen = gen;
    w->any = 1;
    pthread_mutex_unlock(&w->lock);
}

void gs_walk_sp(struct gs_fs *fs, const char *sp)
{
    /* a visit is the walking process asking through its walk, even when
     * everything it reads is fresh: its walk must not end idle under it
     * (walk_scan.h), or what it read ahead is fetched again once past its
     * time-to-live */
    double since;
    gs_walk_scan_since(fs, &since);
    if (!fs->readahead)
        return;
    char *lkey = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    struct gs_doc *listing = NULL;
    if (!lkey || gs_cache_get(fs->cache, lkey, GS_TTL_DIR, GS_GET_CACHED_ONLY, &listing, NULL) != 0) {
        free(lkey);
        return;
    }
    free(lkey);
    char **ids = NULL;
    size_t n = 0, rank = 0, from, to;
    if (gs_sp_index_listed_after(fs->sp_index, listing, sp, 0, 0, &ids, &n, &rank) == 0) {
        free(ids);
        plan(fs->walk, walk_ahead(fs), listing->generation, rank, &from, &to);
        gs_debug("walk: %s rank %zu: queue %zu..%zu", sp, rank, from, to);
        if (to > from &&
            gs_sp_index_listed_after(fs->sp_index, listing, sp, from - rank, to - from, &ids, &n, &rank) == 0)
            queue_sps(fs, ids, n);
    }
    gs_doc_unref(listing);
}

/* Whether reads of kind go towards the start of jobs/'s list, from the last
 * one (walk lock taken here): a glob (bash) tests names last first, then
 * cat reads them first first. */
static int backwards(struct gs_walk *w, enum gs_kind kind, size_t at)
{
    pthread_mutex_lock(&w->lock);
    if (w->sib_any && w->sib_kind == kind && at != w->sib_at)
        w->sib_back = at < w->sib_at;
    else if (!w->sib_any || w->sib_kind != kind)
        w->sib_back = 0;
    w->sib_any = 1;
    w->sib_kind = kind;
    w->sib_at = at;
    int back = w->sib_back;
    pthread_mutex_unlock(&w->lock);
    return back;
}

/* The sibling `step` places from `at` in the walk's direction, or -1. */
static long sibling(size_t at, size_t nj, int back, size_t step)
{
    if (back)
        return step <= at ? (long)(at - step) : -1;
    return at + step < nj ? (long)(at + step) : -1;
}

/* n's document and the same document of the jobs jobs/ lists next to n's
 * (name order, a glob's), SIBLINGS_AHEAD of them in the direction the reads
 * go: more would not stay in the cache until read. */
static void queue_siblings(struct gs_fs *fs, const struct gs_node *n)
{
    char **sps = NULL, **jobs = NULL;
    size_t nj = 0, at = 0;
    enum gs_kind kind = gs_node_kind(n);
    if (gs_tenant_known_jobs(fs, &sps, &jobs, &nj) != 0)
        return;
    while (at < nj && !(strcmp(sps[at], n->sp) == 0 && strcmp(jobs[at], n->job) == 0))
        at++;
    /* at the last one, there is nothing after it: the glob's first test */
    int back = at < nj && (backwards(fs->walk, kind, at) || at + 1 == nj);
    struct keys k = {calloc(SIBLINGS_AHEAD + 2, sizeof(enum gs_kind)), calloc(SIBLINGS_AHEAD + 2, sizeof(char *)), 0};
    if (k.kinds && k.keys && (k.keys[0] = gs_kind_key(kind, n->sp, n->job, NULL)))
        k.kinds[k.n++] = kind;
    for (size_t step = 1; k.n && at < nj && step <= SIBLINGS_AHEAD; step++) {
        long i = sibling(at, nj, back, step);
        char *key = i >= 0 ? gs_kind_key(kind, sps[i], jobs[i], NULL) : NULL;
        if (key && !gs_cache_is_fresh(fs->cache, key) && !walk_has(fs, key)) {
            k.kinds[k.n] = kind;
            k.keys[k.n++] = key;
        } else {
            free(key);
        }
    }
    gs_readahead_queue(fs->readahead, k.kinds, k.keys, k.n, 0);
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    for (size_t i = 0; i < nj; i++) {
        free(sps[i]);
        free(jobs[i]);
    }
    free(k.kinds);
    free(k.keys);
    free(sps);
    free(jobs);
}

void gs_walk_job_dir(struct gs_fs *fs, const char *sp, const char *job)
{
    static const enum gs_kind docs[] = {GS_K_JOB_SCHEMA, GS_K_JOB_FUNCTIONS, GS_K_JOB_FILTEROPS};
    enum gs_kind kinds[3];
    char *keys[3];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++) {
        char *key = gs_kind_key(docs[i], sp, job, NULL);
        if (key && !gs_cache_is_fresh(fs->cache, key)) {
            kinds[n] = docs[i];
            keys[n++] = key;
        } else {
            free(key);
        }
    }
    /* one missing: its reader's own GET is as cheap */
    if (n > 1)
        gs_readahead_fetch_keys(fs, kinds, keys, n);
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
}

void gs_walk_job_listed(struct gs_fs *fs, const char *sp, const char *job)
{
    char *id = NULL;
    if (!fs->walk || asprintf(&id, "%s/%s", sp, job) < 0)
        return;
    pthread_mutex_lock(&fs->walk->lock);
    free(fs->walk->listed_job);
    fs->walk->listed_job = id;
    fs->walk->listed_at = gs_fs_mono();
    pthread_mutex_unlock(&fs->walk->lock);
}

/* A document of the job directory listed moments ago is wanted: a listing
 * with sizes (ls -l) or a recursive read stats or reads them all next. */
static int job_just_listed(struct gs_fs *fs, const struct gs_node *n, double now)
{
    size_t sl = strlen(n->sp);
    pthread_mutex_lock(&fs->walk->lock);
    const char *id = fs->walk->listed_job;
    int yes = id && now - fs->walk->listed_at < DOCS_RECENT && strncmp(id, n->sp, sl) == 0 &&
              id[sl] == '/' && strcmp(id + sl + 1, n->job) == 0;
    pthread_mutex_unlock(&fs->walk->lock);
    return yes;
}

void gs_walk_need(struct gs_fs *fs, const struct gs_node *n)
{
    if (!gs_node_key(n))
        return;
    double now = gs_fs_mono();
    enum gs_kind kind = gs_node_kind(n);
    /* functions.json and filterOperators.json are fetched only when read or
     * stat'ed: then with the job's schema, in one batch; and so are all three
     * when the job's directory was just listed (ls -l, grep -R), but not for a
     * glob of schemas (cat jobs/x/schema.json) nor for a listing alone (find) */
    int job_doc = kind == GS_K_JOB_FUNCTIONS || kind == GS_K_JOB_FILTEROPS || kind == GS_K_JOB_SCHEMA;
    if (job_doc && n->sp && n->job && (kind != GS_K_JOB_SCHEMA || job_just_listed(fs, n, now)))
        gs_walk_job_dir(fs, n->sp, n->job);
    if (!fs->readahead)
        return;
    pthread_mutex_lock(&fs->walk->lock);
    if (!(fs->walk->docs_at > 0 && now - fs->walk->docs_at < DOCS_RECENT))
        fs->walk->docs_behind = 1; /* the next visit queues secrets.json up to the frontier */
    fs->walk->docs_at = now; /* this walk stats files: documents come with listings */
    pthread_mutex_unlock(&fs->walk->lock);
    if (gs_kind_has(kind, GS_KF_SIBLINGS) && n->sp && n->job)
        queue_siblings(fs, n);
    gs_readahead_await(fs->readahead, gs_node_key(n));
}

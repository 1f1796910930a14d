#include "fs/views/walk.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/fetch/readahead.h"
#include "fs/views/sp_index.h"
#include "fs/views/tenant.h"

/* Service principals queued ahead of a walk that follows the listing, and
 * at a first (or out of order) visit. */
#define WALK_AHEAD 96
#define WALK_FIRST 20
/* Jobs after one whose document is read, whose same document is read ahead. */
#define SIBLINGS_AHEAD 59

/* Where the walk is (one filesystem per process); guarded by walk_lock. */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;
static int walk_any;          /* a visit happened */
static uint64_t walk_gen;     /* generation of the listing the ranks refer to */
static size_t walk_last;      /* rank of the last service principal visited */
static size_t walk_frontier;  /* rank of the last one queued */

/* Keys collected to be queued at once: queued one by one, an idle worker
 * would take each alone. */
struct keys {
    enum gs_kind *kinds;
    char **keys;
    size_t n;
};

static void add_key(struct gs_fs *fs, struct keys *k, enum gs_kind kind, const char *sp)
{
    char *key = gs_kind_key(kind, sp, NULL, NULL);
    if (!key)
        return;
    int skip = kind == GS_K_JOBS ? gs_readahead_jobs_usable(fs, key) : gs_cache_is_fresh(fs->cache, key);
    if (!skip) {
        k->kinds[k->n] = kind;
        k->keys[k->n++] = key;
        return;
    }
    if (kind == GS_K_JOBS)
        gs_readahead_queue_job_docs(fs->readahead, key); /* the listing is here: its jobs' documents */
    free(key);
}

static void queue_sps(struct gs_fs *fs, char **ids, size_t n)
{
    struct keys k = {calloc(3 * n + 1, sizeof(enum gs_kind)), calloc(3 * n + 1, sizeof(char *)), 0};
    for (size_t i = 0; i < n; i++) {
        if (k.kinds && k.keys) {
            add_key(fs, &k, GS_K_SECRETS, ids[i]);
            add_key(fs, &k, GS_K_TEMPLATES, ids[i]);
            add_key(fs, &k, GS_K_JOBS, ids[i]);
        }
        free(ids[i]);
    }
    gs_readahead_queue(fs->readahead, k.kinds, k.keys, k.n);
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    free(k.kinds);
    free(k.keys);
    free(ids);
}

/* The ranks of the listing to queue for a visit of rank (walk_lock taken here). */
static void plan(uint64_t gen, size_t rank, size_t *from, size_t *to)
{
    pthread_mutex_lock(&walk_lock);
    int seq = walk_any && walk_gen == gen && rank > walk_last && rank <= walk_frontier + 1;
    *from = seq && walk_frontier + 1 > rank ? walk_frontier + 1 : rank;
    *to = rank + (seq ? WALK_AHEAD : WALK_FIRST);
    if (seq && walk_frontier >= rank + WALK_AHEAD / 2)
        *to = *from; /* far enough ahead: refilled in chunks, so batches stay full */
    if (*to > *from)
        walk_frontier = *to - 1;
    walk_last = rank;
    walk_gen = gen;
    walk_any = 1;
    pthread_mutex_unlock(&walk_lock);
}

void gs_walk_sp(struct gs_fs *fs, const char *sp)
{
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
        plan(listing->generation, rank, &from, &to);
        gs_debug("walk: %s rank %zu: queue %zu..%zu", sp, rank, from, to);
        if (to > from &&
            gs_sp_index_listed_after(fs->sp_index, listing, sp, from - rank, to - from, &ids, &n, &rank) == 0)
            queue_sps(fs, ids, n);
    }
    gs_doc_unref(listing);
}

/* n's document and the same document of the jobs jobs/ lists after n's
 * (name order, a glob's), SIBLINGS_AHEAD of them: more would not stay in
 * the cache until read. */
static void queue_siblings(struct gs_fs *fs, const struct gs_node *n)
{
    char **sps = NULL, **jobs = NULL;
    size_t nj = 0, at = 0;
    if (gs_tenant_known_jobs(fs, &sps, &jobs, &nj) != 0)
        return;
    while (at < nj && !(strcmp(sps[at], n->sp) == 0 && strcmp(jobs[at], n->job) == 0))
        at++;
    struct keys k = {calloc(SIBLINGS_AHEAD + 2, sizeof(enum gs_kind)), calloc(SIBLINGS_AHEAD + 2, sizeof(char *)), 0};
    char *own = gs_kind_key(gs_node_kind(n), n->sp, n->job, NULL);
    if (own && k.kinds && k.keys) {
        k.kinds[k.n] = gs_node_kind(n);
        k.keys[k.n++] = own;
        own = NULL;
    }
    for (size_t i = at + 1; k.kinds && k.keys && i < nj && i <= at + SIBLINGS_AHEAD; i++) {
        char *key = gs_kind_key(gs_node_kind(n), sps[i], jobs[i], NULL);
        if (key && !gs_cache_is_fresh(fs->cache, key)) {
            k.kinds[k.n] = gs_node_kind(n);
            k.keys[k.n++] = key;
        } else {
            free(key);
        }
    }
    gs_readahead_queue(fs->readahead, k.kinds, k.keys, k.n);
    for (size_t i = 0; i < k.n; i++)
        free(k.keys[i]);
    for (size_t i = 0; i < nj; i++) {
        free(sps[i]);
        free(jobs[i]);
    }
    free(k.kinds);
    free(k.keys);
    free(own);
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

void gs_walk_need(struct gs_fs *fs, const struct gs_node *n)
{
    if (!fs->readahead || !gs_node_key(n))
        return;
    if (gs_kind_has(gs_node_kind(n), GS_KF_SIBLINGS) && n->sp && n->job)
        queue_siblings(fs, n);
    gs_readahead_await(fs->readahead, gs_node_key(n));
}

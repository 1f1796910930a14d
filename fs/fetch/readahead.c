#include "common/interrupt.h"
#include "fs/fetch/readahead.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/thread.h"
#include "fs/model/fs.h"
#include "fs/fetch/graph_get.h"

/* A throttled item is batched again at most this often (Graph throttling
 * 30% of items at random leaves about 0.3^12 of them here); then a reader's
 * own GET (which honours Retry-After too) takes over. */
#define MAX_THROTTLES 12
/* The window starts here and grows while batches come back unthrottled. */
#define START_WINDOW 4.0
/* A batch with at least this many items, all throttled, cuts it. */
#define MIN_CUT_ITEMS 5

/* The queue's four parts, head first: what a reader or a scan waits for
 * (front), the documents a listing the walk asked for brought (walk_docs:
 * its templates' and jobs' schemas), what a walk reads next (walk: the
 * listings of the service principals ahead of it), and the plain
 * read-ahead behind them (the job listings of a whole service principal
 * listing: hundreds of batches at tenant scale, which a walk's templates
 * queued behind waited for at its start). The schemas a listing brings go
 * before the listings queued after it: behind them, the walk caught up
 * with schemas still in flight (du at N=10,000: 60 waits, 5.3 s). */
enum { LANE_PLAIN, LANE_WALK, LANE_WALK_DOCS, LANE_FRONT };

/* One document or listing to fetch. The queue is doubly linked so that a
 * read that needs a queued key can move it to the front. */
struct item {
    struct item *prev, *next;
    enum gs_kind kind;  /* GS_K_JOBS or GS_K_TEMPLATES (a listing and its items), or a document */
    int throttles;      /* times Graph answered it 429/503 */
    int walk;           /* queued for a walk: a jobs listing brings its jobs' documents */
    int stats;          /* for a walk that stats files (du): functions.json and
                         * filterOperators.json too */
    int scan;           /* when taken: a running tenant scan waits for it */
    int urgent;         /* queued, and a reader waits for it (counted in ra->nurgent) */
    int lane;           /* where it was queued: LANE_PLAIN, LANE_WALK, LANE_WALK_DOCS or LANE_FRONT */
    uint64_t src_gen;   /* a job listing queued from the service principal listing of this
                         * generation (0: for a reader, or a running scan): dropped, not
                         * sent, once a newer listing replaced that one */
    double not_before;  /* monotonic: a throttled item waits for its Retry-After */
    char key[];
};

/* Marks a key a scan waits for and has not received yet. */
static char wanted;
/* Marks a job listing delivered empty: the scan holds nothing for it. At
 * tenant scale most service principals have no job, and holding each of
 * their listings until the scan reached it kept them all past the cache's
 * bound (20 MiB of 50,000 while the service principal listing came). */
static char no_jobs;

struct gs_ra_scan {
    struct gs_ra_scan *next;
    int listing;        /* its service principal listing is still coming (counted in ra->listing) */
    double since;       /* cache time its snapshot began: what was stored since is not fetched again */
    struct gs_map docs; /* job listing key -> &wanted, &no_jobs, or the delivered doc (a reference) */
    struct timespec empty_changed; /* the latest changed_at of those delivered as &no_jobs */
    size_t held, held_max;         /* delivered docs held now, and at most */
};

/* A walk's hold (readahead.h gs_readahead_hold_begin). */
struct ra_hold {
    struct ra_hold *next;
    long owner;
    struct gs_map docs; /* job listing key -> the doc (a reference) */
    size_t held, held_max;
};

/* 1 when doc is a job listing without jobs. */
static int listing_empty(const struct gs_doc *doc)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc->json, "value");
    return cJSON_IsArray(v) && !v->child;
}

struct gs_readahead {
    struct gs_fs *fs;
    /* guards every member below but nworkers and threads (set before the
     * workers start); a leaf lock: workers drop it before fetching */
    pthread_mutex_t lock;
    pthread_cond_t work;    /* items queued, window grown, stopping */
    pthread_cond_t done;    /* a batch finished */
    struct item *head, *tail;
    struct item *wtail;     /* the last item of the walk lane (NULL: none queued) */
    struct item *wdtail;    /* the last item of the walk_docs lane (NULL: none queued) */
    size_t nqueued;         /* items from head to tail */
    int listing;            /* scans whose service principal listing is still coming: the
                             * queue goes only in full batches meanwhile (more keys follow) */
    size_t nurgent;         /* queued items a reader waits for: the queue goes as it is */
    int gathering;          /* callers queueing what belongs together: full batches only */
    struct item *dhead, *dtail; /* throttled items in not_before order, each batched again then */
    struct gs_map queued;   /* key -> its item in the queue (or the throttled list) */
    struct gs_map inflight; /* key -> (void *)1 while a batch is fetching it */
    struct gs_ra_scan *scans; /* tenant scans taking their listings as they arrive */
    struct ra_hold *holds;  /* walks holding the job listings brought for them */
    /* adaptive concurrency (AIMD): window of batches in flight, grown by one
     * per batch Graph answered in full, halved when it throttles */
    double window;
    int busy;               /* batches in flight */
    uint64_t started;       /* batches started */
    uint64_t cut_at;        /* started when the window was last cut: one cut per burst */
    double not_before;      /* monotonic: no batch starts before it (Retry-After) */
    int stop;
    int nworkers;
    pthread_t *threads;
};

static double mono(void)
{
    return gs_fs_mono();
}

/* Stores a listing answer j (the cache takes it): the listing its own
 * array, not a copy, and each item under key/<id> (the listing's item, not
 * a copy: cache.h gs_cache_put_listing_since), expired when changed after
 * mark (from gs_cache_mark). */
static void store_listing(struct gs_fs *fs, enum gs_kind kind, const char *list_key, cJSON *j,
                          const char *request_id, uint64_t mark, struct gs_doc **stored)
{
    enum gs_ttl_class ttl = gs_kind_info(kind)->ttl;
    cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
    /* a listing with more pages is left to a plain GET, which follows them */
    if (!cJSON_IsArray(value) || cJSON_GetObjectItemCaseSensitive(j, "@odata.nextLink")) {
        cJSON_Delete(j);
        return;
    }
    cJSON *listing = cJSON_CreateObject();
    value = cJSON_DetachItemViaPointer(j, value);
    cJSON_Delete(j);
    if (!listing || !cJSON_AddItemToObject(listing, "value", value)) {
        cJSON_Delete(listing);
        cJSON_Delete(value);
        return;
    }
    gs_cache_put_listing_since(fs->cache, list_key, ttl, listing, request_id, mark, stored);
}

void gs_readahead_store_jobs(struct gs_fs *fs, const char *jobs_key, const char *body, size_t len,
                             const char *request_id, uint64_t mark)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    if (j)
        store_listing(fs, GS_K_JOBS, jobs_key, j, request_id, mark, NULL);
}

/* Stores an answer: the tree the batch parsed (taken from the item), or its
 * text parsed; a jobs listing's doc comes back in *stored (for the scans). */
static void store_answer(struct gs_fs *fs, const struct item *it, struct gs_batch_item *bi, uint64_t mark,
                         struct gs_doc **stored)
{
    cJSON *j = bi->json_out ? bi->json_out : cJSON_ParseWithLength(bi->body_out, bi->body_len);
    bi->json_out = NULL;
    if (!j)
        return;
    if (gs_kind_info(it->kind)->get_flags & GS_GET_FILL_ITEMS)
        store_listing(fs, it->kind, it->key, j, bi->request_id, mark, it->kind == GS_K_JOBS ? stored : NULL);
    else
        gs_cache_put_take(fs->cache, it->key, gs_kind_info(it->kind)->ttl, j, bi->request_id, mark, NULL);
}

static void unlink_item(struct gs_readahead *ra, struct item *it)
{
    if (ra->wtail == it)
        ra->wtail = it->prev && it->prev->lane == LANE_WALK ? it->prev : NULL;
    if (ra->wdtail == it)
        ra->wdtail = it->prev && it->prev->lane == LANE_WALK_DOCS ? it->prev : NULL;
    if (it->prev)
        it->prev->next = it->next;
    else
        ra->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        ra->tail = it->prev;
    it->prev = it->next = NULL;
    ra->nqueued--;
}

/* Inserts it after `after` (NULL: at the head) in the list from *head to
 * *tail: the queue, or the throttled list. */
static void insert_after(struct item **head, struct item **tail, struct item *it, struct item *after)
{
    it->prev = after;
    it->next = after ? after->next : *head;
    if (it->next)
        it->next->prev = it;
    else
        *tail = it;
    if (after)
        after->next = it;
    else
        *head = it;
}

/* Inserts it in the queue after `after` (NULL: at the head). */
static void link_after(struct gs_readahead *ra, struct item *it, struct item *after)
{
    insert_after(&ra->head, &ra->tail, it, after);
    ra->nqueued++;
}

/* The last item of the front lane, or NULL. */
static struct item *front_end(const struct gs_readahead *ra)
{
    struct item *after = NULL;
    for (struct item *p = ra->head; p && p->lane == LANE_FRONT; p = p->next)
        after = p;
    return after;
}

/* Queues it in its lane: the front at the head, the walk's documents and
 * then the walk's listings each at the end of their lane (behind the front),
 * the plain read-ahead at the tail. */
static void link_item(struct gs_readahead *ra, struct item *it, int lane)
{
    it->lane = lane;
    if (lane == LANE_FRONT) {
        link_after(ra, it, NULL);
    } else if (lane == LANE_WALK_DOCS) {
        link_after(ra, it, ra->wdtail ? ra->wdtail : front_end(ra));
        ra->wdtail = it;
    } else if (lane == LANE_WALK) {
        struct item *after = ra->wtail ? ra->wtail : ra->wdtail ? ra->wdtail : front_end(ra);
        link_after(ra, it, after);
        ra->wtail = it;
    } else {
        link_after(ra, it, ra->tail);
    }
}

/* Queues one key (ra->lock held) in a lane (LANE_*) unless it is queued or
 * in flight already; a queued key moves up to a lane ahead of its own (a
 * throttled item keeps its place and time). */
static int push(struct gs_readahead *ra, enum gs_kind kind, const char *key, int lane)
{
    if (gs_map_gets(&ra->inflight, key))
        return 0;
    struct item *it = gs_map_gets(&ra->queued, key);
    if (it && (lane <= it->lane || it->not_before > 0))
        return 0;
    if (it) {
        unlink_item(ra, it);
        if (lane == LANE_FRONT)
            it->src_gen = 0; /* a reader or a scan wants it now, whatever the listing */
    } else {
        size_t len = strlen(key);
        it = calloc(1, sizeof(*it) + len + 1);
        if (!it)
            return -ENOMEM;
        memcpy(it->key, key, len + 1);
        it->kind = kind;
        if (gs_map_puts(&ra->queued, key, it, NULL) != 0) {
            free(it);
            return -ENOMEM;
        }
    }
    link_item(ra, it, lane);
    return 0;
}

/* A reader waits for key (ra->lock held): queued (again) at the front, and
 * the queue goes as it is until a batch takes it, with what is queued
 * behind it. A throttled key keeps its Retry-After. */
static void want_locked(struct gs_readahead *ra, enum gs_kind kind, const char *key)
{
    push(ra, kind, key, LANE_FRONT);
    struct item *it = gs_map_gets(&ra->queued, key);
    if (it && it->not_before == 0 && !it->urgent) {
        it->urgent = 1;
        ra->nurgent++;
    }
}

/* The generation of the cached service principal listing (0: none); no lock held. */
static uint64_t sps_generation(struct gs_fs *fs)
{
    char *key = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    struct gs_doc *doc = NULL;
    uint64_t gen = key && gs_cache_peek(fs->cache, key, &doc) == 0 ? doc->generation : 0;
    gs_doc_unref(doc);
    free(key);
    return gen;
}

/* Marks a queued key as read ahead for the listing of generation gen (ra->lock held). */
static void stamp(struct gs_readahead *ra, const char *key, uint64_t gen)
{
    struct item *it = gs_map_gets(&ra->queued, key);
    if (it)
        it->src_gen = gen;
}

/* 1 when a running scan waits for key (ra->lock held). */
static int scan_wants(const struct gs_readahead *ra, const char *key)
{
    for (const struct gs_ra_scan *s = ra->scans; s; s = s->next)
        if (gs_map_gets(&s->docs, key) == &wanted)
            return 1;
    return 0;
}

/* A job listing a batch brought, for the scans and walks' holds that take
 * it: doc as stored, or when NULL (it was fresh already) the cached one,
 * peeked once for all of them (own: that reference). */
struct brought {
    const char *key;
    struct gs_doc *doc;
    struct gs_doc *own;
    int peeked;
};

/* b's doc, NULL when it is neither stored nor cached (ra->lock held). */
static struct gs_doc *brought_doc(struct gs_readahead *ra, struct brought *b)
{
    if (!b->doc && !b->peeked) {
        b->peeked = 1;
        if (gs_cache_peek(ra->fs->cache, b->key, &b->own) == 0)
            b->doc = b->own;
    }
    return b->doc;
}

/* Hands a job listing to the scans waiting for it (ra->lock held). */
static void deliver_locked(struct gs_readahead *ra, struct brought *b)
{
    for (struct gs_ra_scan *s = ra->scans; s; s = s->next) {
        if (gs_map_gets(&s->docs, b->key) != &wanted)
            continue;
        struct gs_doc *d = brought_doc(ra, b);
        if (!d)
            return;
        if (listing_empty(d)) {
            if (d->changed_at.tv_sec > s->empty_changed.tv_sec)
                s->empty_changed = d->changed_at;
            gs_map_puts(&s->docs, b->key, &no_jobs, NULL); /* replaces an existing key: cannot fail */
            continue;
        }
        gs_doc_ref(d);
        gs_map_puts(&s->docs, b->key, d, NULL);
        if (++s->held > s->held_max)
            s->held_max = s->held;
    }
}

/* Keeps a job listing for every walk's hold (ra->lock held). */
static void hold_locked(struct gs_readahead *ra, struct brought *b)
{
    for (struct ra_hold *h = ra->holds; h; h = h->next) {
        if (gs_map_gets(&h->docs, b->key))
            continue;
        struct gs_doc *d = brought_doc(ra, b);
        if (!d)
            return;
        if (gs_map_puts(&h->docs, b->key, d, NULL) != 0)
            continue;
        gs_doc_ref(d);
        if (++h->held > h->held_max)
            h->held_max = h->held;
    }
}

/* Queues key + suffix for each item of the listing at list_key (ra->lock
 * held), in the walk_docs lane: a walk brought the listing and reads them
 * next, before the listings it queued after this one. */
static void queue_items(struct gs_readahead *ra, const char *list_key, enum gs_kind kind,
                        const char *suffix)
{
    struct gs_doc *doc = NULL;
    if (gs_cache_peek(ra->fs->cache, list_key, &doc) != 0)
        return;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc->json, "value")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
        char *esc = cJSON_IsString(id) ? gs_path("%s", id->valuestring) : NULL;
        char *key = NULL;
        if (esc && asprintf(&key, "%s/%s%s", list_key, esc, suffix) >= 0 && !gs_cache_is_fresh(ra->fs->cache, key))
            push(ra, kind, key, LANE_WALK_DOCS);
        free(esc);
        free(key);
    }
    gs_doc_unref(doc);
}

/* A jobs listing a walk brought: each job's schema follows (ra->lock held);
 * functions and filterOperators for a walk that stats them (du), else only
 * when read (views/walk.h). */
static void queue_job_docs_locked(struct gs_readahead *ra, const char *jobs_key, int stats)
{
    queue_items(ra, jobs_key, GS_K_JOB_SCHEMA, "/schema");
    if (!stats)
        return;
    queue_items(ra, jobs_key, GS_K_JOB_FUNCTIONS, "/schema/functions");
    queue_items(ra, jobs_key, GS_K_JOB_FILTEROPS, "/schema/filterOperators");
}

void gs_readahead_queue_job_docs(struct gs_readahead *ra, const char *jobs_key, int stats)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    queue_job_docs_locked(ra, jobs_key, stats);
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
}

/* Templates brought by the read-ahead: their schemas follow (a walk stats them next). */
static void queue_template_schemas(struct gs_readahead *ra, const char *list_key)
{
    queue_items(ra, list_key, GS_K_TEMPLATE_SCHEMA, "/schema");
}

struct outcome {
    int fetched;    /* items sent */
    int throttled;  /* items Graph answered 429/503 */
    double wait;    /* the longest Retry-After among them */
    int retry[GS_BATCH_MAX]; /* 1: batch this item again */
    double after[GS_BATCH_MAX]; /* its own Retry-After, when retry */
    int failed[GS_BATCH_MAX]; /* 1: fetched without an answer to store */
    struct gs_doc *stored[GS_BATCH_MAX]; /* jobs listings as stored (a reference each) */
};

/* One $batch of up to GS_BATCH_MAX items (no lock held). */
static void fetch_batch(struct gs_fs *fs, struct item **its, size_t n, struct outcome *o)
{
    struct gs_batch_item items[GS_BATCH_MAX];
    memset(items, 0, sizeof(items));
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < n; i++) {
        items[i].method = "GET";
        items[i].path = its[i]->key;
        items[i].want_json = 1;
    }
    o->fetched = (int)n;
    for (size_t i = 0; i < n; i++)
        o->failed[i] = 1;
    if (gs_fs_graph_down(fs))
        return; /* it failed moments ago: do not wait on it again now */
    /* an action during the batch makes its answers old: they are stored expired */
    uint64_t mark = gs_cache_mark(fs->cache);
    if (gs_client_batch_keep_throttled(fs->client, items, n) != 0)
        return;
    size_t unreachable = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].err != 0 && items[i].error.http_status == 0 && items[i].err != -ENOMEM)
            unreachable++;
    if (unreachable == n)
        gs_fs_mark_graph_down(fs);
    for (size_t i = 0; i < n; i++) {
        if (items[i].err == 0 && items[i].status == 200) {
            store_answer(fs, its[i], &items[i], mark, &o->stored[i]);
            o->failed[i] = 0;
        } else if ((items[i].status == 429 || items[i].status == 503) && items[i].retry_after >= 0) {
            o->throttled++;
            o->retry[i] = its[i]->throttles + 1 < MAX_THROTTLES;
            o->after[i] = items[i].retry_after;
            if (items[i].retry_after > o->wait)
                o->wait = items[i].retry_after;
        } else {
            gs_debug("read-ahead of %s: %s", its[i]->key, items[i].err ? strerror(-items[i].err) : "no answer");
        }
        gs_batch_item_clear(&items[i]);
    }
}

/* After a batch (ra->lock held): the window follows what Graph said. A
 * batch throttled whole halves it (once per burst) and holds every batch
 * for the Retry-After; a batch Graph mostly answered grows it by one (its
 * throttled items wait for their own Retry-After: Graph serves this rate);
 * one mostly throttled only slows its growth. */
static void adapt_locked(struct gs_readahead *ra, const struct outcome *o, uint64_t seq)
{
    double max = ra->nworkers;
    if (o->throttled == o->fetched && o->throttled >= MIN_CUT_ITEMS) {
        ra->not_before = ra->not_before > mono() + o->wait ? ra->not_before : mono() + o->wait;
        if (seq > ra->cut_at) { /* batches started before the last cut do not cut again */
            ra->window = ra->window / 2 < 1 ? 1 : ra->window / 2;
            ra->cut_at = ra->started;
            gs_debug("read-ahead throttled (%d of %d): %.0f batches in flight, again in %.1f s",
                     o->throttled, o->fetched, ra->window, o->wait);
        }
    } else {
        ra->window += 2 * o->throttled < o->fetched ? 1 : 1 / ra->window;
        if (ra->window > max)
            ra->window = max;
    }
}

/* 1 when the queue may go now (ra->lock held): a full batch always, one a
 * reader waits for as it is; a partial one only when no batch is in flight
 * (Nagle's rule: an answer brings more to queue, the schemas of the
 * templates and jobs it listed, and the walk queues its next service
 * principals; partial batches sent as soon as a worker was idle averaged 13
 * items in du's walk), nor a scan's listing still coming (its next page
 * brings more keys), nor a caller gathering what it queues. */
static int queue_ready(const struct gs_readahead *ra)
{
    return ra->head && (ra->nqueued >= GS_BATCH_MAX || ra->nurgent ||
                        (!ra->listing && !ra->gathering && ra->busy == 0));
}

/* The next item to batch: a throttled one whose Retry-After has passed
 * first, then the queue's head when it may go (ra->lock held). */
static struct item *next_due(struct gs_readahead *ra, double now, int queue_ok)
{
    if (ra->dhead && ra->dhead->not_before <= now) {
        struct item *it = ra->dhead;
        ra->dhead = it->next;
        if (ra->dhead)
            ra->dhead->prev = NULL;
        else
            ra->dtail = NULL;
        it->next = NULL;
        return it;
    }
    struct item *it = queue_ok ? ra->head : NULL;
    if (it)
        unlink_item(ra, it);
    return it;
}

/* Takes up to GS_BATCH_MAX items off the queue into flight (ra->lock held). */
static size_t take_locked(struct gs_readahead *ra, struct item **taken)
{
    size_t n = 0;
    double now = mono();
    int queue_ok = queue_ready(ra);
    struct item *it;
    while (n < GS_BATCH_MAX && (it = next_due(ra, now, queue_ok))) {
        gs_map_dels(&ra->queued, it->key);
        if (it->urgent)
            ra->nurgent--;
        it->urgent = 0;
        if (gs_map_puts(&ra->inflight, it->key, (void *)1, NULL) != 0) {
            free(it); /* out of memory: a read fetches it itself */
            continue;
        }
        it->scan = it->src_gen && scan_wants(ra, it->key);
        taken[n++] = it;
    }
    return n;
}

/* Waits (ra->lock held) until a batch may start: work due, room in the
 * window, and Retry-After passed. 0 when it may, -1 when stopping. */
static int wait_turn(struct gs_readahead *ra)
{
    for (;;) {
        if (ra->stop)
            return -1;
        int queue_ok = queue_ready(ra);
        if ((!queue_ok && !ra->dhead) || ra->busy >= (int)ra->window) {
            pthread_cond_wait(&ra->work, &ra->lock);
            continue;
        }
        double now = mono();
        double at = ra->not_before;
        if (!queue_ok && ra->dhead->not_before > at)
            at = ra->dhead->not_before; /* only throttled items left: their time */
        if (now >= at)
            return 0;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double wait = at - now;
        until.tv_sec += (time_t)wait;
        until.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&ra->work, &ra->lock, &until);
    }
}

/* Puts a throttled item on the throttled list, in not_before order (ra->lock
 * held): each goes again as soon as its own Retry-After has passed, with the
 * others then due. Retry-Afters are few and alike: the place is near the tail. */
static void defer_locked(struct gs_readahead *ra, struct item *it)
{
    struct item *after = ra->dtail;
    while (after && after->not_before > it->not_before)
        after = after->prev;
    insert_after(&ra->dhead, &ra->dtail, it, after);
}

static void finish_locked(struct gs_readahead *ra, struct item **taken, size_t n, const struct outcome *o)
{
    for (size_t i = n; i-- > 0;) {
        struct item *it = taken[i];
        gs_map_dels(&ra->inflight, it->key);
        int again = o->retry[i] && !gs_map_gets(&ra->queued, it->key);
        if (again && gs_map_puts(&ra->queued, it->key, it, NULL) == 0) {
            it->throttles++;
            it->not_before = mono() + o->after[i]; /* batched again first, after its Retry-After */
            defer_locked(ra, it);
            continue;
        }
        if (!o->retry[i] && !o->failed[i] && it->kind == GS_K_JOBS && it->walk)
            queue_job_docs_locked(ra, it->key, it->stats);
        if (!o->retry[i] && !o->failed[i] && it->kind == GS_K_JOBS) {
            struct brought b = {.key = it->key, .doc = o->stored[i]};
            deliver_locked(ra, &b);
            hold_locked(ra, &b);
            gs_doc_unref(b.own);
        }
        else if (!o->retry[i] && !o->failed[i] && it->kind == GS_K_TEMPLATES)
            queue_template_schemas(ra, it->key);
        free(it);
    }
}

/* Which taken items to fetch (no lock held): not those fresh already, nor
 * those read ahead for a service principal listing a newer one replaced
 * (work for a listing that has since changed is dropped: o->failed). */
static size_t to_fetch(struct gs_readahead *ra, struct item **taken, size_t n, struct item **fetch,
                       size_t *where, struct outcome *o)
{
    size_t nf = 0;
    uint64_t gen = 0;
    int looked = 0;
    for (size_t i = 0; i < n; i++) {
        int replaced = 0;
        if (taken[i]->src_gen && !taken[i]->scan) {
            if (!looked++)
                gen = sps_generation(ra->fs);
            replaced = gen && gen != taken[i]->src_gen; /* none cached (evicted): not known */
        }
        if (replaced) {
            o->failed[i] = 1;
            gs_debug("read-ahead of %s dropped: the listing that queued it was replaced", taken[i]->key);
        } else if (!gs_cache_is_fresh(ra->fs->cache, taken[i]->key)) {
            where[nf] = i;
            fetch[nf++] = taken[i];
        }
    }
    return nf;
}

static void *worker(void *arg)
{
    struct gs_readahead *ra = arg;
    gs_thread_background("gs-readahead");
    pthread_mutex_lock(&ra->lock);
    while (wait_turn(ra) == 0) {
        struct item *taken[GS_BATCH_MAX], *fetch[GS_BATCH_MAX];
        size_t n = take_locked(ra, taken), nf = 0;
        uint64_t seq = ++ra->started;
        ra->busy++;
        pthread_mutex_unlock(&ra->lock);
        struct outcome o, fo;
        memset(&o, 0, sizeof(o));
        size_t where[GS_BATCH_MAX];
        nf = to_fetch(ra, taken, n, fetch, where, &o);
        if (nf) {
            fetch_batch(ra->fs, fetch, nf, &fo);
            o.fetched = fo.fetched;
            o.throttled = fo.throttled;
            o.wait = fo.wait;
            for (size_t i = 0; i < nf; i++) {
                o.retry[where[i]] = fo.retry[i];
                o.after[where[i]] = fo.after[i];
                o.failed[where[i]] = fo.failed[i];
                o.stored[where[i]] = fo.stored[i];
            }
        }
        pthread_mutex_lock(&ra->lock);
        ra->busy--;
        if (nf)
            adapt_locked(ra, &o, seq);
        finish_locked(ra, taken, n, &o);
        for (size_t i = 0; i < n; i++)
            gs_doc_unref(o.stored[i]);
        pthread_cond_broadcast(&ra->done);
        pthread_cond_broadcast(&ra->work);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

int gs_readahead_start(struct gs_fs *fs, int workers, struct gs_readahead **out)
{
    *out = NULL;
    if (workers <= 0)
        return 0;
    struct gs_readahead *ra = calloc(1, sizeof(*ra));
    if (!ra || gs_map_init(&ra->queued) != 0 || gs_map_init(&ra->inflight) != 0 ||
        !(ra->threads = calloc((size_t)workers, sizeof(pthread_t)))) {
        if (ra) {
            gs_map_destroy(&ra->queued);
            gs_map_destroy(&ra->inflight);
        }
        free(ra);
        return -ENOMEM;
    }
    ra->fs = fs;
    ra->window = START_WINDOW < workers ? START_WINDOW : workers;
    pthread_mutex_init(&ra->lock, NULL);
    gs_cond_init_monotonic(&ra->work);
    pthread_cond_init(&ra->done, NULL);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&ra->threads[i], NULL, worker, ra) != 0)
            break;
        ra->nworkers++;
    }
    if (ra->nworkers == 0) {
        gs_readahead_stop(ra);
        return -EAGAIN;
    }
    *out = ra;
    return 0;
}

void gs_readahead_stop(struct gs_readahead *ra)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    ra->stop = 1;
    pthread_cond_broadcast(&ra->work);
    pthread_cond_broadcast(&ra->done);
    pthread_mutex_unlock(&ra->lock);
    for (int i = 0; i < ra->nworkers; i++)
        pthread_join(ra->threads[i], NULL);
    while (ra->head) {
        struct item *it = ra->head;
        ra->head = it->next;
        free(it);
    }
    while (ra->dhead) {
        struct item *it = ra->dhead;
        ra->dhead = it->next;
        free(it);
    }
    while (ra->holds)
        gs_readahead_hold_end(ra, ra->holds->owner);
    gs_map_destroy(&ra->queued);
    gs_map_destroy(&ra->inflight);
    pthread_cond_destroy(&ra->work);
    pthread_cond_destroy(&ra->done);
    pthread_mutex_destroy(&ra->lock);
    free(ra->threads);
    free(ra);
}

int gs_readahead_jobs_usable(struct gs_fs *fs, const char *key)
{
    if (gs_cache_is_fresh(fs->cache, key))
        return 1;
    double recent = fs->cfg.listing_recent;
    if (recent <= 0 || !gs_cache_stored_within(fs->cache, key, recent))
        return 0;
    /* a service principal known to have no job is checked again at dir_timeout */
    struct gs_doc *doc = NULL;
    if (gs_cache_peek(fs->cache, key, &doc) != 0)
        return 0;
    int empty = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc->json, "value")) == 0;
    gs_doc_unref(doc);
    return empty;
}

void gs_readahead_queue_sps(struct gs_readahead *ra, const char *const *sp_ids, size_t n, int refresh)
{
    if (!ra)
        return;
    struct gs_cache *c = ra->fs->cache;
    double recent = ra->fs->cfg.listing_recent;
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t nk = 0;
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++) {
        char *key = gs_kind_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (!key)
            continue;
        int skip = refresh || recent <= 0 ? gs_readahead_jobs_usable(ra->fs, key)
                                          : gs_cache_stored_within(c, key, recent);
        if (!skip)
            keys[nk++] = key;
        else
            free(key);
    }
    /* all at once: a worker taking the queue between two keys would send a
     * batch of what is there; each for the listing cached now (the one that
     * listed them), dropped if another replaces it before it goes */
    uint64_t gen = sps_generation(ra->fs);
    pthread_mutex_lock(&ra->lock);
    for (size_t i = 0; i < nk; i++) {
        push(ra, GS_K_JOBS, keys[i], LANE_PLAIN);
        stamp(ra, keys[i], gen);
    }
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
    for (size_t i = 0; i < nk; i++)
        free(keys[i]);
    free(keys);
}

void gs_readahead_queue(struct gs_readahead *ra, const enum gs_kind *kinds, char *const *keys, size_t n,
                        int stats)
{
    if (!ra || !n)
        return;
    pthread_mutex_lock(&ra->lock);
    for (size_t i = 0; i < n; i++) {
        push(ra, kinds[i], keys[i], LANE_WALK);
        struct item *it = gs_map_gets(&ra->queued, keys[i]);
        if (it) {
            it->walk = 1;
            it->stats |= stats;
        }
    }
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
}

void gs_readahead_gather(struct gs_readahead *ra, int begin)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    ra->gathering += begin ? 1 : -1;
    if (!ra->gathering)
        pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
}

static int pending(struct gs_readahead *ra, const char *key)
{
    return gs_map_gets(&ra->queued, key) || gs_map_gets(&ra->inflight, key);
}

/* Waits for a batch to finish (ra->lock held); -EINTR when the caller was
 * interrupted, -ETIMEDOUT when its time bound passed (it stops waiting; the
 * batches go on). */
static int wait_done(struct gs_readahead *ra)
{
    if (gs_interrupted())
        return gs_interrupt_errno();
    struct timespec ts;
    gs_interrupt_poll_deadline(&ts);
    pthread_cond_timedwait(&ra->done, &ra->lock, &ts);
    return 0;
}

void gs_readahead_await(struct gs_readahead *ra, const char *key)
{
    if (!ra || !key || gs_interrupt_nowait())
        return;
    pthread_mutex_lock(&ra->lock);
    struct item *it = gs_map_gets(&ra->queued, key);
    if (it) {
        want_locked(ra, it->kind, key); /* a reader waits for it: it goes first */
        pthread_cond_broadcast(&ra->work);
    }
    while (!ra->stop && pending(ra, key) && wait_done(ra) == 0)
        ;
    pthread_mutex_unlock(&ra->lock);
}

/* Fetches keys itself, GS_BATCH_MAX per $batch (no read-ahead threads);
 * kinds[i] for keys[i], or kind for every key when kinds is NULL. */
static void fetch_directly(struct gs_fs *fs, enum gs_kind kind, const enum gs_kind *kinds, char *const *keys,
                           size_t nk)
{
    for (size_t i = 0; i < nk; i += GS_BATCH_MAX) {
        struct item *its[GS_BATCH_MAX];
        size_t n = nk - i < GS_BATCH_MAX ? nk - i : GS_BATCH_MAX, k = 0;
        for (; k < n; k++) {
            size_t len = strlen(keys[i + k]);
            if (!(its[k] = calloc(1, sizeof(struct item) + len + 1)))
                break;
            its[k]->kind = kinds ? kinds[i + k] : kind;
            memcpy(its[k]->key, keys[i + k], len + 1);
        }
        struct outcome o;
        memset(&o, 0, sizeof(o));
        if (k)
            fetch_batch(fs, its, k, &o);
        for (size_t j = 0; j < k; j++)
            gs_doc_unref(o.stored[j]);
        for (size_t j = 0; j < k; j++)
            free(its[j]);
    }
}

void gs_readahead_fetch_now(struct gs_fs *fs, struct gs_readahead *ra, const char *const *sp_ids, size_t n)
{
    if (gs_interrupt_nowait())
        return; /* libfuse's thread: the request pool fetches */
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t nk = 0;
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++) {
        char *key = gs_kind_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (key && !gs_readahead_jobs_usable(fs, key))
            keys[nk++] = key;
        else
            free(key);
    }
    if (!ra) {
        fetch_directly(fs, GS_K_JOBS, NULL, keys, nk);
    } else if (nk) {
        pthread_mutex_lock(&ra->lock);
        /* pushed to the front in reverse, so they run in listing order; a key
         * a batch is already fetching is waited for, not fetched again */
        for (size_t i = nk; i-- > 0;)
            want_locked(ra, GS_K_JOBS, keys[i]);
        pthread_cond_broadcast(&ra->work);
        /* batches finish roughly in queue order: check from the first
         * key still pending onwards */
        size_t first = 0;
        while (!ra->stop) {
            while (first < nk && !pending(ra, keys[first]))
                first++;
            if (first == nk || gs_interrupted())
                break; /* an interrupted caller stops waiting; the batches go on */
            struct timespec ts;
            gs_interrupt_poll_deadline(&ts);
            pthread_cond_timedwait(&ra->done, &ra->lock, &ts);
        }
        pthread_mutex_unlock(&ra->lock);
    }
    for (size_t i = 0; i < nk; i++)
        free(keys[i]);
    free(keys);
}

void gs_readahead_fetch_keys(struct gs_fs *fs, const enum gs_kind *kinds, char *const *keys, size_t n)
{
    struct gs_readahead *ra = fs->readahead;
    if (!ra) {
        fetch_directly(fs, 0, kinds, keys, n);
        return;
    }
    pthread_mutex_lock(&ra->lock);
    for (size_t i = n; i-- > 0;)
        want_locked(ra, kinds[i], keys[i]);
    pthread_cond_broadcast(&ra->work);
    for (size_t i = 0; i < n; i++)
        while (!ra->stop && pending(ra, keys[i]) && wait_done(ra) == 0)
            ;
    pthread_mutex_unlock(&ra->lock);
}

/* --- walks' holds --- */

static void drop_doc(void *ctx, const void *key, size_t klen, void *value);

void gs_readahead_hold_begin(struct gs_readahead *ra, long owner)
{
    if (!ra || !owner)
        return;
    struct ra_hold *h = calloc(1, sizeof(*h));
    if (!h || gs_map_init(&h->docs) != 0) {
        free(h);
        return; /* not held: only fetched again if evicted */
    }
    h->owner = owner;
    pthread_mutex_lock(&ra->lock);
    struct ra_hold *o = ra->holds;
    while (o && o->owner != owner)
        o = o->next;
    if (!o) {
        h->next = ra->holds;
        ra->holds = h;
    }
    pthread_mutex_unlock(&ra->lock);
    if (o) {
        gs_map_destroy(&h->docs);
        free(h);
    }
}

void gs_readahead_hold_drop(struct gs_readahead *ra, long owner, const char *key)
{
    if (!ra || !owner || !key)
        return;
    struct gs_doc *d = NULL;
    pthread_mutex_lock(&ra->lock);
    for (struct ra_hold *h = ra->holds; h && !d; h = h->next) {
        if (h->owner == owner && (d = gs_map_dels(&h->docs, key)))
            h->held--;
    }
    pthread_mutex_unlock(&ra->lock);
    gs_doc_unref(d);
}

void gs_readahead_hold_end(struct gs_readahead *ra, long owner)
{
    if (!ra || !owner)
        return;
    struct ra_hold *h = NULL;
    pthread_mutex_lock(&ra->lock);
    for (struct ra_hold **p = &ra->holds; *p; p = &(*p)->next) {
        if ((*p)->owner == owner) {
            h = *p;
            *p = h->next;
            break;
        }
    }
    pthread_mutex_unlock(&ra->lock);
    if (!h)
        return;
    gs_debug("walk of process %ld: %zu job listings held at most until read", owner, h->held_max);
    gs_map_each(&h->docs, drop_doc, NULL);
    gs_map_destroy(&h->docs);
    free(h);
}

/* --- tenant scans --- */

struct stamp_ctx {
    struct gs_readahead *ra;
    uint64_t gen;
};

/* A key a scan still waits for, read ahead for the listing it scanned (ra->lock held). */
static void stamp_wanted(void *ctx, const void *key, size_t klen, void *value)
{
    struct stamp_ctx *c = ctx;
    (void)klen;
    if (value == &wanted)
        stamp(c->ra, key, c->gen);
}

static void drop_doc(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    if (value != &wanted && value != &no_jobs)
        gs_doc_unref(value);
}

struct gs_ra_scan *gs_readahead_scan_new(struct gs_fs *fs, double since)
{
    struct gs_readahead *ra = fs->readahead;
    if (!ra)
        return NULL;
    struct gs_ra_scan *s = calloc(1, sizeof(*s));
    if (!s || gs_map_init(&s->docs) != 0) {
        free(s);
        return NULL;
    }
    s->since = since;
    pthread_mutex_lock(&ra->lock);
    s->next = ra->scans;
    ra->scans = s;
    s->listing = 1;
    ra->listing++;
    pthread_mutex_unlock(&ra->lock);
    return s;
}

/* 1 when the scan's snapshot has the listing at key already (stored since it began). */
static int in_snapshot(struct gs_fs *fs, const struct gs_ra_scan *s, const char *key)
{
    struct gs_doc *doc = NULL;
    int yes = gs_cache_get_fresh_since(fs->cache, key, s->since, &doc) == 0;
    gs_doc_unref(doc);
    return yes;
}

void gs_readahead_scan_add(struct gs_fs *fs, struct gs_ra_scan *s, const char *const *sp_ids, size_t n)
{
    struct gs_readahead *ra = fs->readahead;
    if (!s || !ra) {
        gs_readahead_fetch_now(fs, ra, sp_ids, n);
        return;
    }
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t nk = 0;
    if (!keys)
        return; /* the scan fetches them itself */
    for (size_t i = n; i-- > 0;) {
        char *key = gs_kind_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (!key)
            continue;
        pthread_mutex_lock(&ra->lock);
        int known = gs_map_gets(&s->docs, key) != NULL;
        pthread_mutex_unlock(&ra->lock);
        if (!known && !gs_readahead_jobs_usable(fs, key) && !in_snapshot(fs, s, key))
            keys[nk++] = key;
        else
            free(key);
    }
    /* queued at the front in reverse: in listing order, ahead of the plain
     * read-ahead; all at once (a worker taking the queue between two keys
     * would send a batch of what is there: a request more) */
    pthread_mutex_lock(&ra->lock);
    for (size_t i = 0; i < nk; i++)
        if (!gs_map_gets(&s->docs, keys[i]) && gs_map_puts(&s->docs, keys[i], &wanted, NULL) == 0)
            push(ra, GS_K_JOBS, keys[i], LANE_FRONT);
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
    for (size_t i = 0; i < nk; i++)
        free(keys[i]);
    free(keys);
}

/* (ra->lock held) */
static void listed_locked(struct gs_readahead *ra, struct gs_ra_scan *s)
{
    if (!s->listing)
        return;
    s->listing = 0;
    ra->listing--;
    pthread_cond_broadcast(&ra->work); /* what was held for a full batch goes now */
}

void gs_readahead_scan_listed(struct gs_fs *fs, struct gs_ra_scan *s)
{
    struct gs_readahead *ra = fs->readahead;
    if (!s || !ra)
        return;
    pthread_mutex_lock(&ra->lock);
    listed_locked(ra, s);
    pthread_mutex_unlock(&ra->lock);
}

int gs_readahead_scan_take(struct gs_fs *fs, struct gs_ra_scan *s, const char *key, struct gs_doc **out)
{
    struct gs_readahead *ra = fs->readahead;
    *out = NULL;
    if (!s || !ra)
        return -ENOENT;
    pthread_mutex_lock(&ra->lock);
    void *v = gs_map_gets(&s->docs, key);
    struct item *it = v == &wanted ? gs_map_gets(&ra->queued, key) : NULL;
    if (it) { /* a scan's listing still coming (this one's or another's) does not hold it */
        want_locked(ra, it->kind, key);
        pthread_cond_broadcast(&ra->work);
    }
    while (v == &wanted && pending(ra, key) && !ra->stop && wait_done(ra) == 0)
        v = gs_map_gets(&s->docs, key);
    if (v)
        gs_map_dels(&s->docs, key);
    if (v && v != &wanted && v != &no_jobs)
        s->held--;
    pthread_mutex_unlock(&ra->lock);
    if (v == &no_jobs)
        return GS_RA_NO_JOBS;
    if (v && v != &wanted) {
        *out = v; /* the scan's reference passes to the caller */
        return 0;
    }
    if (!v) /* usable when the scan began: the same snapshot, however long the scan */
        return gs_cache_get(fs->cache, key, GS_TTL_STATUS, GS_GET_CACHED_ONLY, out, NULL);
    return -ENOENT;
}

void gs_readahead_scan_empty_changed(struct gs_fs *fs, struct gs_ra_scan *s, struct timespec *latest)
{
    struct gs_readahead *ra = fs->readahead;
    if (!s || !ra)
        return;
    pthread_mutex_lock(&ra->lock);
    if (s->empty_changed.tv_sec > latest->tv_sec)
        *latest = s->empty_changed;
    pthread_mutex_unlock(&ra->lock);
}

void gs_readahead_scan_end(struct gs_fs *fs, struct gs_ra_scan *s)
{
    struct gs_readahead *ra = fs->readahead;
    if (!s || !ra)
        return;
    /* what it queued and did not take (it was interrupted) goes on, for the
     * listing it scanned: dropped once a newer listing replaces that one */
    struct stamp_ctx sc = {ra, sps_generation(fs)};
    pthread_mutex_lock(&ra->lock);
    listed_locked(ra, s);
    if (sc.gen)
        gs_map_each(&s->docs, stamp_wanted, &sc);
    for (struct gs_ra_scan **p = &ra->scans; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&ra->lock);
    gs_debug("tenant scan: %zu job listings held at most until read (those without jobs not held)", s->held_max);
    gs_map_each(&s->docs, drop_doc, NULL);
    gs_map_destroy(&s->docs);
    free(s);
    /* a tenant scan parsed and freed megabytes: give the freed pages back */
    malloc_trim(0);
}

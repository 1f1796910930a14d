/* What the files of cache/ share: the cache object, a fetch in flight, and
 * the publishing of new content (publish.c). */
#ifndef GS_CACHE_INTERNAL_H
#define GS_CACHE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "api/graph_error.h"
#include "cache/cache.h"
#include "cache/cache_fetch.h"
#include "cache/doc_impl.h"
#include "cache/table.h"

/* One fetch of one key and the callers waiting for it. Lives until its last
 * participant has taken the result; it never points at its entry (a remove
 * may free the entry meanwhile): completion looks the key up again. */
struct gs_flight {
    pthread_cond_t done_cv;
    int refs;                   /* the fetcher and its waiters (under the cache lock) */
    int done;
    int result;                 /* 0 or a negative errno */
    uint64_t start_seq;         /* c->change_seq when the fetch started */
    struct gs_doc_impl *doc;    /* the result (one reference) when result == 0 */
    struct gs_error err;        /* the failure when result < 0 */
};

struct gs_cache {
    /* guards every member below but the callbacks and clock (set before
     * use); a leaf lock: never held across a fetch or the change callback */
    pthread_mutex_t lock;
    struct gs_table table;
    double ttl[GS_TTL_NCLASS];
    double max_stale;           /* <= 0: no limit */
    size_t max_bytes;
    size_t bytes;               /* sum of the estimates of the stored docs */
    size_t reserved;            /* for content still coming (gs_cache_reserve) */
    size_t ndocs;               /* entries holding a doc */
    uint64_t last_generation;   /* generations are unique across keys */
    uint64_t change_seq;        /* counts puts and invalidations, see entry->changed_seq */
    uint64_t epoch;             /* atomic, written under the lock: gs_cache_epoch */
    uint64_t hits, misses, fetches, coalesced, evictions, swept;
    uint64_t evict_looked;      /* entries eviction looked at */
    gs_cache_fetch_fn fetch;
    void *fetch_ctx;
    gs_cache_clock_fn clock;
    void *clock_ctx;
    gs_cache_change_fn on_change;
    void *change_ctx;
};

/* An item's "id" (non-empty), or NULL; and key + "/" + id escaped as one
 * path segment (malloc'd, NULL on ENOMEM): the key of a listing's item. */
const char *gs_cache_item_id(const cJSON *item);
char *gs_cache_item_key(const char *key, const char *id);

/* Monotonic seconds, and wall-clock time, from the cache's clock. */
double gs_cache_mono(struct gs_cache *c);
void gs_cache_realtime(struct gs_cache *c, struct timespec *ts);

/* 1 when e has a doc whose time-to-live (of e's class) still holds (at
 * `now`, from gs_cache_mono). */
int gs_entry_fresh_locked(struct gs_cache *c, const struct gs_entry *e);
int gs_entry_fresh_at(const struct gs_cache *c, const struct gs_entry *e, double now);

/* Under the lock: what a get may return changed (gs_cache_epoch). */
void gs_cache_changed_locked(struct gs_cache *c);
/* Under the lock: e's class becomes cls (a change moves the epoch: the
 * doc's time-to-live is another). */
void gs_cache_set_class_locked(struct gs_cache *c, struct gs_entry *e, enum gs_ttl_class cls);

/* Takes e's doc out of the accounting; returns it (its reference passes to
 * the caller, who drops it outside the lock). */
struct gs_doc_impl *gs_cache_take_doc_locked(struct gs_cache *c, struct gs_entry *e);

/* One doc being stored and what storing it did. */
struct gs_pub {
    struct gs_doc_impl *doc;      /* the publisher's reference */
    struct gs_doc_impl *prev;     /* the content it was compared with (a reference) */
    int same;                     /* doc has prev's content */
    int changed;                  /* out: it replaced different content: report it */
    struct gs_doc_impl *replaced; /* out: the doc it replaced (a reference) */
};

/* How an install relates to concurrent changes of the key. */
struct gs_pub_origin {
    const struct gs_flight *own;  /* the flight that fetched it (its key's entry), or NULL */
    uint64_t since_seq;           /* stored expired if the key was put or invalidated
                                   * after this point (UINT64_MAX: never) */
    int supersedes;               /* counts as a put for fetches in flight on the key */
    int taken;                    /* the putter takes a reference: it reads it (not unread) */
    double stored_at;             /* when its content was fetched, on the cache's clock
                                   * (an item of a listing fetched then), or 0: now */
};

/* Reads, under the lock, what each doc would replace, then compares without
 * the lock (printing a large listing must not stall other threads). */
void gs_pub_compare(struct gs_cache *c, struct gs_pub *pubs, size_t n);

/* Under the lock: stores p->doc under its key with class cls. Returns 0;
 * 1 when origin->own no longer owns the key's entry (removed meanwhile:
 * nothing is stored); or -ENOMEM. Generation and changed_at of p->doc are
 * set in every case. */
int gs_pub_install_locked(struct gs_cache *c, struct gs_pub *p, enum gs_ttl_class cls,
                          const struct gs_pub_origin *origin);

/* Under the lock: drops least recently used entries until the bound holds,
 * skipping entries in flight or whose doc someone holds (at most a few per
 * call: those become the most recently used). Returns the dropped
 * entries chained by hnext, for gs_cache_free_entries outside the lock. */
struct gs_entry *gs_cache_evict_locked(struct gs_cache *c);
void gs_cache_free_entries(struct gs_entry *chain);

/* Without the lock: reports changed content, drops every reference. */
void gs_pub_finish(struct gs_cache *c, struct gs_pub *pubs, size_t n);

#endif

/* The cache between the filesystem and Graph (DESIGN.md section 7).
 * Keys are Graph paths relative to the version root. Entries are immutable,
 * reference-counted documents: a refresh publishes a new gs_doc, so a reader
 * holding one never sees it change. Knows nothing of FUSE. */
#ifndef GS_CACHE_H
#define GS_CACHE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "api/graph_client.h"
#include "cache/doc.h"

/* Called when an entry's content changed (a refresh brought different JSON)
 * or the entry was invalidated or dropped after a 404. May be called from any
 * thread, never with a cache lock held. Must not block. */
typedef void (*gs_cache_change_fn)(void *ctx, const char *key);

struct gs_cache_config {
    double ttl[GS_TTL_NCLASS];  /* seconds; 0 = always refetch (still one request for concurrent readers) */
    size_t max_bytes;           /* memory bound of all entries (estimated), default 64 MiB */
    double max_stale;           /* GS_GET_STALE_OK serves an entry at most this many seconds
                                 * past its time-to-live; <= 0: no limit */
};

struct gs_cache;

int gs_cache_new(struct gs_client *client, const struct gs_cache_config *cfg,
                 gs_cache_change_fn on_change, void *ctx, struct gs_cache **out);
void gs_cache_free(struct gs_cache *c);

enum {
    GS_GET_COLLECTION = 1 << 0, /* follow @odata.nextLink; the doc is {"value":[all items]} */
    GS_GET_FILL_ITEMS = 1 << 1, /* with COLLECTION: also store each item that has an "id"
                                 * under key + "/" + gs_path-escaped id, same class */
    GS_GET_CACHED_ONLY = 1 << 2,/* never fetch: return what is cached (even expired) or -ENOENT */
    GS_GET_STALE_OK = 1 << 3,   /* if the refresh brings no usable answer (a network error,
                                 * 429, 5xx, 3xx, a body that is not JSON), return the
                                 * expired entry instead of the error; err (if given) then
                                 * says why the refresh failed although 0 is returned */
    GS_GET_FRESH_ONLY = 1 << 4, /* never fetch nor wait: return the cached doc while its TTL
                                 * holds, else -EWOULDBLOCK (no miss counted) */
};

/* Returns a referenced doc: the cached one while its TTL holds, otherwise
 * fetched by GET (one request for any number of concurrent callers of the
 * same key; no cache lock is held during the request). A refresh whose JSON
 * equals the cached JSON keeps generation and changed_at.
 * On failure: negative errno, and err (may be NULL) describes it. A 404 drops
 * the entry. */
int gs_cache_get(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                 unsigned flags, struct gs_doc **out, struct gs_error *err);

/* Stores content obtained otherwise (a listing item, a $batch answer, the
 * body returned by a write). Takes its own copy of json. Same change rules
 * as a fetch. */
int gs_cache_put(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                 const cJSON *json, const char *request_id);

/* For content fetched outside the cache (a $batch): take a mark before the
 * request, and store its answers with gs_cache_put_since, which stores an
 * answer already expired when its key was put or invalidated after the mark
 * (a write made the answer old while it was in flight). */
/* Content put this way is read-ahead: until it is first read (a get), the
 * memory bound drops entries read before it, and drops it only while the
 * cache holds more than 1.25 times max_bytes (what was read ahead for a
 * walk is what it reads next). */
uint64_t gs_cache_mark(struct gs_cache *c);
int gs_cache_put_since(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                       const cJSON *json, const char *request_id, uint64_t mark);

/* gs_cache_put_since that also returns a reference to the doc it stored
 * (*out NULL on failure), which the cache bound cannot take away. */
int gs_cache_put_since_ref(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                           const cJSON *json, const char *request_id, uint64_t mark, struct gs_doc **out);

/* gs_cache_put_since_ref storing json itself instead of a copy: the cache
 * owns json from the call on, also when it fails (a tree parsed for the
 * cache alone is not copied and deleted). json must be a root (no ->next,
 * ->prev, or member name). */
int gs_cache_put_take(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                      cJSON *json, const char *request_id, uint64_t mark, struct gs_doc **out);

/* gs_cache_put_take of a listing ({"value": [...]}) that also stores each
 * item that has an "id" under key + "/" + the escaped id, as
 * GS_GET_FILL_ITEMS does: each item's doc is the listing's item, not a copy
 * of it (it keeps a reference to the listing: a job listing's jobs are not
 * held twice). */
int gs_cache_put_listing_since(struct gs_cache *c, const char *key, enum gs_ttl_class cls, cJSON *json,
                               const char *request_id, uint64_t mark, struct gs_doc **out);

/* Stores item, one item of listing (a doc the cache holds under its key),
 * as the cache's entry at key, as old as the listing: fetched when it was
 * and fresh only as long as it is, however long after the listing it is
 * stored (a walk fills a service principal's document from the listing it
 * walks: gs_cache_get_fresh_since serves it, other readers fetch it anew
 * once the listing's time-to-live has passed). Nothing is stored over a
 * copy as new or newer. 0, -ESTALE when the cache holds another listing
 * at its key now, -ENOMEM, -EINVAL. */
int gs_cache_put_item_of(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                         const cJSON *item, const struct gs_doc *listing);

/* Marks an entry expired (next get refetches; CACHED_ONLY still sees it).
 * Calls on_change. */
void gs_cache_invalidate(struct gs_cache *c, const char *key);
/* Same for every key that starts with prefix. */
void gs_cache_invalidate_prefix(struct gs_cache *c, const char *prefix);
/* Removes an entry (after a DELETE). Calls on_change. */
void gs_cache_remove(struct gs_cache *c, const char *key);

/* 1 when the key has an entry that GS_GET_STALE_OK may still serve (its
 * time-to-live plus max_stale has not passed). */
int gs_cache_servable(struct gs_cache *c, const char *key);

/* The time-to-live of a class, in seconds (set at gs_cache_new). */
double gs_cache_ttl(const struct gs_cache *c, enum gs_ttl_class cls);

/* 1 when the key has an entry whose TTL still holds. */
int gs_cache_is_fresh(struct gs_cache *c, const char *key);

/* Counts every change of what a get may return: a doc stored or dropped, an
 * invalidation, a key's time-to-live class changed. Read without the lock:
 * a caller that read it before learning something of a key (its doc, how
 * long that stays fresh) knows the cache as it was while the count stays. */
uint64_t gs_cache_epoch(struct gs_cache *c);
/* Until when (gs_cache_now seconds) the key's doc of this generation stays
 * fresh, unless the epoch moves first; 0 when it is not fresh now, or the
 * key holds another generation. */
double gs_cache_fresh_until(struct gs_cache *c, const char *key, uint64_t generation);

/* The doc stored for key, fresh or not (*out NULL when none), without
 * counting a hit or making it recently used. Every fetch that answers stores
 * a new doc, so comparing with what gs_cache_get returns afterwards tells
 * whether a refresh got an answer. Returns 0 or -ENOENT. */
int gs_cache_peek(struct gs_cache *c, const char *key, struct gs_doc **out);

/* 1 when the key has content stored less than seconds ago (whatever its
 * time-to-live) and not invalidated since. */
int gs_cache_stored_within(struct gs_cache *c, const char *key, double seconds);

/* Monotonic seconds on the cache's clock. */
double gs_cache_now(struct gs_cache *c);

/* The cached doc if it was fresh at some moment at or after since (from
 * gs_cache_now) and has not been invalidated: a tenant-wide view that began
 * at since reads what it fetched as one snapshot, however long the scan
 * takes, instead of fetching again what expired during it. Never fetches:
 * -ENOENT otherwise. */
int gs_cache_get_fresh_since(struct gs_cache *c, const char *key, double since, struct gs_doc **out);

/* Copies past their time-to-live stay for stale serving (max_stale) only
 * within this share of max_bytes, the most recently used kept: after a
 * tenant scan has expired, the daemon goes back to about its idle size. */
#define GS_CACHE_STALE_SHARE 64

/* Drops what is past its time-to-live, stored at least min_age seconds ago
 * and not read since for as long: everything past the stale limit,
 * and of the rest all but the most recently used GS_CACHE_STALE_SHARE-th of
 * max_bytes. Entries in flight or whose doc someone holds stay. Returns
 * the estimated bytes dropped. Takes the cache's lock; frees outside it. */
size_t gs_cache_sweep(struct gs_cache *c, double min_age);

/* Content still coming (a tenant's listing, page by page, before it is
 * stored whole): counted against max_bytes meanwhile, entries dropped for
 * it as for a store, so that what the cache holds and what is coming stay
 * within the bound. gs_cache_unreserve gives it back once the content is
 * stored (it then counts as itself) or failed. */
void gs_cache_reserve(struct gs_cache *c, size_t bytes);
void gs_cache_unreserve(struct gs_cache *c, size_t bytes);

struct gs_cache_stats {
    uint64_t hits, misses, fetches, coalesced, evictions, swept;
    uint64_t evict_looked; /* entries eviction looked at (held ones it passed over too) */
    size_t bytes, entries;
};
void gs_cache_get_stats(struct gs_cache *c, struct gs_cache_stats *out);

#endif

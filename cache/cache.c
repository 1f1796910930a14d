/* The cache object: creation, clocks, freshness, statistics. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_internal.h"

static const double default_ttl[GS_TTL_NCLASS] = {
    [GS_TTL_DIR] = 60, [GS_TTL_STATUS] = 5, [GS_TTL_DOC] = 300,
};
#define GS_CACHE_DEFAULT_MAX_BYTES ((size_t)64 << 20)

static void system_clock(void *ctx, clockid_t which, struct timespec *ts)
{
    clock_gettime(which, ts);
}

int gs_cache_new_with_fetcher(const struct gs_cache_config *cfg, gs_cache_fetch_fn fetch,
                              void *fetch_ctx, gs_cache_change_fn on_change, void *ctx,
                              struct gs_cache **out)
{
    if (!out || !fetch)
        return -EINVAL;
    *out = NULL;
    if (cfg) {
        for (int i = 0; i < GS_TTL_NCLASS; i++)
            if (!isfinite(cfg->ttl[i]) || cfg->ttl[i] < 0)
                return -EINVAL;
    }
    struct gs_cache *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    int r = gs_table_init(&c->table);
    if (r != 0) {
        free(c);
        return r;
    }
    r = -pthread_mutex_init(&c->lock, NULL);
    if (r != 0) {
        gs_table_destroy(&c->table);
        free(c);
        return r;
    }
    memcpy(c->ttl, cfg ? cfg->ttl : default_ttl, sizeof(c->ttl));
    c->max_bytes = cfg && cfg->max_bytes ? cfg->max_bytes : GS_CACHE_DEFAULT_MAX_BYTES;
    c->max_stale = cfg && isfinite(cfg->max_stale) ? cfg->max_stale : 0;
    c->fetch = fetch;
    c->fetch_ctx = fetch_ctx;
    c->clock = system_clock;
    c->on_change = on_change;
    c->change_ctx = ctx;
    *out = c;
    return 0;
}

void gs_cache_set_clock(struct gs_cache *c, gs_cache_clock_fn clock, void *clock_ctx)
{
    c->clock = clock ? clock : system_clock;
    c->clock_ctx = clock_ctx;
}

/* No get may be running; docs still held by callers stay valid. */
void gs_cache_free(struct gs_cache *c)
{
    if (!c)
        return;
    struct gs_entry *chain = NULL;
    while (c->table.oldest) {
        struct gs_entry *e = c->table.oldest;
        gs_table_unlink(&c->table, e);
        e->hnext = chain;
        chain = e;
    }
    gs_cache_free_entries(chain);
    gs_table_destroy(&c->table);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

double gs_cache_mono(struct gs_cache *c)
{
    struct timespec ts;
    c->clock(c->clock_ctx, CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gs_cache_realtime(struct gs_cache *c, struct timespec *ts)
{
    c->clock(c->clock_ctx, CLOCK_REALTIME, ts);
}

int gs_entry_fresh_locked(struct gs_cache *c, const struct gs_entry *e)
{
    return gs_entry_fresh_at(c, e, gs_cache_mono(c));
}

int gs_entry_fresh_at(const struct gs_cache *c, const struct gs_entry *e, double now)
{
    return e->doc && !e->invalidated && now - e->stored_at < c->ttl[e->cls];
}

int gs_cache_servable(struct gs_cache *c, const char *key)
{
    if (!c || !key)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    int ok = e && e->doc &&
             (c->max_stale <= 0 || gs_cache_mono(c) - e->stored_at < c->ttl[e->cls] + c->max_stale);
    pthread_mutex_unlock(&c->lock);
    return ok;
}

int gs_cache_peek(struct gs_cache *c, const char *key, struct gs_doc **out)
{
    *out = NULL;
    if (!c || !key)
        return -ENOENT;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    if (e && e->doc) {
        gs_doc_ref(&e->doc->pub);
        *out = &e->doc->pub;
    }
    pthread_mutex_unlock(&c->lock);
    return *out ? 0 : -ENOENT;
}

double gs_cache_ttl(const struct gs_cache *c, enum gs_ttl_class cls)
{
    return (unsigned)cls < GS_TTL_NCLASS ? c->ttl[cls] : 0;
}

int gs_cache_is_fresh(struct gs_cache *c, const char *key)
{
    if (!c || !key)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    int fresh = e && gs_entry_fresh_locked(c, e);
    pthread_mutex_unlock(&c->lock);
    return fresh;
}

void gs_cache_changed_locked(struct gs_cache *c)
{
    __atomic_store_n(&c->epoch, c->epoch + 1, __ATOMIC_RELEASE);
}

void gs_cache_set_class_locked(struct gs_cache *c, struct gs_entry *e, enum gs_ttl_class cls)
{
    if (e->cls != cls)
        gs_cache_changed_locked(c);
    gs_table_set_class(&c->table, e, cls);
}

uint64_t gs_cache_epoch(struct gs_cache *c)
{
    return __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
}

double gs_cache_fresh_until(struct gs_cache *c, const char *key, uint64_t generation)
{
    if (!c || !key)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    double until = 0;
    if (e && gs_entry_fresh_locked(c, e) && e->doc->pub.generation == generation)
        until = e->stored_at + c->ttl[e->cls];
    pthread_mutex_unlock(&c->lock);
    return until;
}

int gs_cache_stored_within(struct gs_cache *c, const char *key, double seconds)
{
    if (!c || !key)
        return 0;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    int recent = e && e->doc && !e->invalidated && gs_cache_mono(c) - e->stored_at < seconds;
    pthread_mutex_unlock(&c->lock);
    return recent;
}

double gs_cache_now(struct gs_cache *c)
{
    return gs_cache_mono(c);
}

int gs_cache_get_fresh_since(struct gs_cache *c, const char *key, double since, struct gs_doc **out)
{
    if (!c || !key || !out)
        return -EINVAL;
    *out = NULL;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    int ok = e && e->doc && !e->invalidated && e->stored_at + c->ttl[e->cls] > since;
    if (ok) {
        gs_table_touch(&c->table, e, gs_cache_mono(c));
        gs_doc_ref(&e->doc->pub);
        *out = &e->doc->pub;
        c->hits++;
    }
    pthread_mutex_unlock(&c->lock);
    return ok ? 0 : -ENOENT;
}

void gs_cache_reserve(struct gs_cache *c, size_t bytes)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->reserved += bytes;
    struct gs_entry *evicted = gs_cache_evict_locked(c);
    pthread_mutex_unlock(&c->lock);
    gs_cache_free_entries(evicted);
}

void gs_cache_unreserve(struct gs_cache *c, size_t bytes)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->reserved -= bytes < c->reserved ? bytes : c->reserved;
    pthread_mutex_unlock(&c->lock);
}

void gs_cache_get_stats(struct gs_cache *c, struct gs_cache_stats *out)
{
    pthread_mutex_lock(&c->lock);
    out->hits = c->hits;
    out->misses = c->misses;
    out->fetches = c->fetches;
    out->coalesced = c->coalesced;
    out->evictions = c->evictions;
    out->evict_looked = c->evict_looked;
    out->swept = c->swept;
    out->bytes = c->bytes;
    out->entries = c->ndocs;
    pthread_mutex_unlock(&c->lock);
}

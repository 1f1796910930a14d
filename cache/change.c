/* Changes that come from outside a fetch: put, invalidate, remove. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_pack.h"
#include "cache/cache_internal.h"

/* Prefix invalidation reports its keys in batches of this many, so that it
 * needs no allocation and calls on_change with no lock held. */
#define GS_REPORT_BATCH 64

uint64_t gs_cache_mark(struct gs_cache *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t seq = c->change_seq;
    pthread_mutex_unlock(&c->lock);
    return seq;
}

int gs_cache_put(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                 const cJSON *json, const char *request_id)
{
    return gs_cache_put_since(c, key, cls, json, request_id, UINT64_MAX);
}

int gs_cache_put_since(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                       const cJSON *json, const char *request_id, uint64_t mark)
{
    return gs_cache_put_since_ref(c, key, cls, json, request_id, mark, NULL);
}

int gs_cache_put_since_ref(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                           const cJSON *json, const char *request_id, uint64_t mark, struct gs_doc **out)
{
    if (out)
        *out = NULL;
    if (!c || !key || !json || (unsigned)cls >= GS_TTL_NCLASS)
        return -EINVAL;
    cJSON *copy = gs_json_copy(json);
    if (!copy)
        return -ENOMEM;
    return gs_cache_put_take(c, key, cls, copy, request_id, mark, out);
}

/* Stores doc (the caller's reference passes to the cache), as a put since
 * mark, stored at stored_at (0: now). */
static int put_doc_at(struct gs_cache *c, enum gs_ttl_class cls, struct gs_doc_impl *doc, uint64_t mark,
                      double stored_at, struct gs_doc **out)
{
    struct gs_pub p = {.doc = doc};
    gs_pub_compare(c, &p, 1);
    const struct gs_pub_origin origin = {.own = NULL, .since_seq = mark, .supersedes = 1,
                                         .taken = out != NULL, .stored_at = stored_at};
    pthread_mutex_lock(&c->lock);
    int r = gs_pub_install_locked(c, &p, cls, &origin);
    struct gs_entry *evicted = gs_cache_evict_locked(c);
    pthread_mutex_unlock(&c->lock);
    if (out && r == 0) {
        /* taken before the publisher's reference goes: never evicted in between */
        gs_doc_ref(&p.doc->pub);
        *out = &p.doc->pub;
    }
    gs_pub_finish(c, &p, 1);
    gs_cache_free_entries(evicted);
    return r;
}

static int put_doc(struct gs_cache *c, enum gs_ttl_class cls, struct gs_doc_impl *doc, uint64_t mark,
                   struct gs_doc **out)
{
    return put_doc_at(c, cls, doc, mark, 0, out);
}

int gs_cache_put_item_of(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                         const cJSON *item, const struct gs_doc *listing)
{
    if (!c || !key || !item || !listing || (unsigned)cls >= GS_TTL_NCLASS)
        return -EINVAL;
    uint64_t mark = gs_cache_mark(c);
    pthread_mutex_lock(&c->lock);
    struct gs_entry *le = gs_table_find(&c->table, listing->key);
    int held = le && le->doc && &le->doc->pub == listing;
    double stored_at = held ? le->stored_at : 0;
    struct gs_entry *e = held ? gs_table_find(&c->table, key) : NULL;
    int newer = e && e->doc && !e->invalidated && e->stored_at >= stored_at;
    pthread_mutex_unlock(&c->lock);
    if (!held)
        return -ESTALE;
    if (newer)
        return 0;
    cJSON *copy = gs_json_copy(item);
    struct gs_doc_impl *d = NULL;
    if (!copy || gs_doc_create(key, copy, listing->request_id, &listing->fetched_at, &d) != 0)
        return -ENOMEM; /* gs_doc_create freed the copy */
    return put_doc_at(c, cls, d, mark, stored_at, NULL);
}

/* The doc a put of json (taken, freed on failure) stores under key, made at
 * *now (the cache's clock); *out cleared for the put's answer. */
static int new_put_doc(struct gs_cache *c, const char *key, enum gs_ttl_class cls, cJSON *json,
                       const char *request_id, struct gs_doc **out, struct timespec *now,
                       struct gs_doc_impl **d)
{
    if (out)
        *out = NULL;
    if (!c || !key || !json || (unsigned)cls >= GS_TTL_NCLASS) {
        cJSON_Delete(json);
        return -EINVAL;
    }
    gs_cache_realtime(c, now);
    return gs_doc_create(key, json, request_id, now, d);
}

int gs_cache_put_take(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                      cJSON *json, const char *request_id, uint64_t mark, struct gs_doc **out)
{
    struct timespec now;
    struct gs_doc_impl *d = NULL;
    int r = new_put_doc(c, key, cls, json, request_id, out, &now, &d);
    return r != 0 ? r : put_doc(c, cls, d, mark, out);
}

int gs_cache_put_listing_since(struct gs_cache *c, const char *key, enum gs_ttl_class cls, cJSON *json,
                               const char *request_id, uint64_t mark, struct gs_doc **out)
{
    struct timespec now;
    struct gs_doc_impl *d = NULL;
    int r = new_put_doc(c, key, cls, json, request_id, out, &now, &d);
    if (r != 0)
        return r;
    gs_doc_ref(&d->pub); /* for its items, whatever the bound does meanwhile */
    r = put_doc(c, cls, d, mark, out);
    const cJSON *items = r == 0 ? cJSON_GetObjectItemCaseSensitive(d->pub.json, "value") : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, items) {
        const char *id = gs_cache_item_id(it);
        char *ik = id ? gs_cache_item_key(key, id) : NULL;
        struct gs_doc_impl *item = NULL;
        if (ik && gs_doc_create_item(ik, d, it, request_id, &now, &item) == 0)
            put_doc(c, cls, item, mark, NULL);
        free(ik);
    }
    gs_doc_unref(&d->pub);
    return r;
}

/* Under the lock: the entry's content is out of date, and a fetch of it
 * already in flight may predate the change. */
static void expire_locked(struct gs_cache *c, struct gs_entry *e)
{
    e->invalidated = 1;
    e->changed_seq = ++c->change_seq;
    gs_cache_changed_locked(c);
}

void gs_cache_invalidate(struct gs_cache *c, const char *key)
{
    if (!c || !key)
        return;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    if (e)
        expire_locked(c, e);
    pthread_mutex_unlock(&c->lock);
    /* reported even when nothing is cached: the kernel may still hold it */
    if (c->on_change)
        c->on_change(c->change_ctx, key);
}

void gs_cache_invalidate_prefix(struct gs_cache *c, const char *prefix)
{
    if (!c || !prefix)
        return;
    size_t len = strlen(prefix);
    pthread_mutex_lock(&c->lock);
    for (struct gs_entry *e = c->table.newest; e; e = e->older) {
        if (strncmp(e->key, prefix, len) == 0) {
            expire_locked(c, e);
            e->notify_pending = e->doc != NULL;
        }
    }
    pthread_mutex_unlock(&c->lock);

    int more = 1;
    while (more) {
        struct gs_doc_impl *batch[GS_REPORT_BATCH];
        size_t n = 0;
        more = 0;
        pthread_mutex_lock(&c->lock);
        for (struct gs_entry *e = c->table.newest; e; e = e->older) {
            if (!e->notify_pending || strncmp(e->key, prefix, len) != 0)
                continue;
            if (n == GS_REPORT_BATCH) {
                more = 1;
                break;
            }
            e->notify_pending = 0;
            if (e->doc) {
                gs_doc_ref(&e->doc->pub);
                batch[n++] = e->doc;
            }
        }
        pthread_mutex_unlock(&c->lock);
        for (size_t i = 0; i < n; i++) {
            if (c->on_change)
                c->on_change(c->change_ctx, batch[i]->pub.key);
            gs_doc_unref(&batch[i]->pub);
        }
    }
}

void gs_cache_remove(struct gs_cache *c, const char *key)
{
    if (!c || !key)
        return;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    struct gs_doc_impl *d = NULL;
    if (e) {
        /* a fetch in flight no longer finds its entry: its result is not stored */
        d = gs_cache_take_doc_locked(c, e);
        gs_table_unlink(&c->table, e);
        gs_cache_changed_locked(c);
    }
    pthread_mutex_unlock(&c->lock);
    free(e);
    if (d)
        gs_doc_unref(&d->pub);
    if (c->on_change)
        c->on_change(c->change_ctx, key);
}

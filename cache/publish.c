/* Storing new content: comparison with what it replaces, generations,
 * change reports, memory accounting and eviction. */
#include <errno.h>
#include <stdlib.h>

#include "cache/cache_internal.h"

void gs_pub_compare(struct gs_cache *c, struct gs_pub *pubs, size_t n)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < n; i++) {
        struct gs_entry *e = gs_table_find(&c->table, pubs[i].doc->pub.key);
        pubs[i].prev = e ? e->doc : NULL;
        if (pubs[i].prev)
            gs_doc_ref(&pubs[i].prev->pub);
    }
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        pubs[i].same = pubs[i].prev && gs_doc_same_content(pubs[i].prev, pubs[i].doc);
}

struct gs_doc_impl *gs_cache_take_doc_locked(struct gs_cache *c, struct gs_entry *e)
{
    struct gs_doc_impl *d = e->doc;
    if (d) {
        c->bytes -= d->bytes;
        c->ndocs--;
        e->doc = NULL;
        gs_cache_changed_locked(c);
    }
    return d;
}

int gs_pub_install_locked(struct gs_cache *c, struct gs_pub *p, enum gs_ttl_class cls,
                          const struct gs_pub_origin *origin)
{
    struct gs_doc_impl *d = p->doc;
    struct gs_entry *e = gs_table_find(&c->table, d->pub.key);
    if (origin->own && (!e || e->flight != origin->own)) {
        d->pub.generation = ++c->last_generation;
        d->pub.changed_at = d->pub.fetched_at;
        return 1;
    }
    if (!e && gs_table_add(&c->table, d->pub.key, &e) != 0) {
        d->pub.generation = ++c->last_generation;
        d->pub.changed_at = d->pub.fetched_at;
        return -ENOMEM;
    }
    if (origin->own)
        e->flight = NULL;

    /* the content compared in gs_pub_compare may have been replaced since */
    struct gs_doc_impl *old = e->doc;
    if (old && p->same && old == p->prev) {
        d->pub.generation = old->pub.generation;
        d->pub.changed_at = old->pub.changed_at;
    } else {
        d->pub.generation = ++c->last_generation;
        d->pub.changed_at = d->pub.fetched_at;
        p->changed = old != NULL;
    }
    p->replaced = gs_cache_take_doc_locked(c, e);
    /* a tenant's 50,000 entries are 10 MiB of their own: counted with their doc */
    d->bytes += gs_table_entry_bytes(e);
    e->moved = 0;
    gs_doc_ref(&d->pub);
    e->doc = d;
    c->bytes += d->bytes;
    c->ndocs++;
    e->stored_at = origin->stored_at > 0 ? origin->stored_at : gs_cache_mono(c);
    gs_cache_set_class_locked(c, e, cls);
    gs_cache_changed_locked(c);
    e->invalidated = e->changed_seq > origin->since_seq;
    if (origin->supersedes)
        e->changed_seq = ++c->change_seq;
    gs_table_touch(&c->table, e, gs_cache_mono(c));
    /* read ahead (a batch's answer put since a mark): nobody read it yet */
    e->unread = !origin->own && !origin->taken && origin->since_seq != UINT64_MAX;
    return 0;
}

/* Drops e when nobody else holds its doc (under the lock), and, unless
 * unread_too, when it was read since it was stored. */
static int evict_one(struct gs_cache *c, struct gs_entry *e, int unread_too, struct gs_entry **dropped)
{
    c->evict_looked++;
    /* the cache's own reference is the only one: nobody holds the doc,
     * and nobody can take one without the lock we hold */
    if (e->flight || !e->doc || gs_doc_refs(e->doc) != 1 || (e->unread && !unread_too))
        return 0;
    gs_table_unlink(&c->table, e);
    c->bytes -= e->doc->bytes;
    c->ndocs--;
    c->evictions++;
    gs_cache_changed_locked(c);
    e->hnext = *dropped;
    *dropped = e;
    return 1;
}

/* Held entries one eviction passes over, per list: a tenant scan holds
 * thousands of listings while the cache is over its bound, and looking at
 * every one at every store made the scan quadratic. */
#define HELD_LOOKS 32

/* Evicts from the oldest end of one recency list (docs: the documents')
 * while over limit (unread_too: read-ahead not read yet goes too).
 * An entry it cannot drop (held, in flight, unread) becomes the most recently used
 * (it is in use): the next eviction looks past it, so each store looks at
 * a bounded number of them and the bound comes back as they are released. */
static void evict_from(struct gs_cache *c, int docs, int unread_too, size_t limit,
                       struct gs_entry **dropped)
{
    struct gs_entry *e = docs ? c->table.doldest : c->table.oldest;
    int passed = 0;
    while (e && c->bytes + c->reserved > limit && passed < HELD_LOOKS) {
        struct gs_entry *next = docs ? e->dnewer : e->newer;
        if (!evict_one(c, e, unread_too, dropped)) {
            passed++;
            if (next)
                gs_table_requeue(&c->table, e);
        }
        e = next;
    }
}

/* Documents (GS_TTL_DOC: schemas, templates, secrets) go first, least
 * recently used first: they are large and read one by one, while the
 * listings and statuses a tenant scan or a walk needs are small and costly
 * to bring back one GET at a time. What was read ahead and not read yet
 * stays: least recently used is exactly what a walk reads next (its batch
 * came before the later ones), and dropping it turns the walk's batches
 * into single GETs. Only beyond a quarter over the bound does it go too,
 * oldest first (what a walk passed by without reading). */
struct gs_entry *gs_cache_evict_locked(struct gs_cache *c)
{
    struct gs_entry *dropped = NULL;
    size_t hard = c->max_bytes + c->max_bytes / 4;
    evict_from(c, 1, 0, c->max_bytes, &dropped);
    evict_from(c, 0, 0, c->max_bytes, &dropped);
    evict_from(c, 0, 1, hard, &dropped);
    return dropped;
}

void gs_cache_free_entries(struct gs_entry *chain)
{
    while (chain) {
        struct gs_entry *next = chain->hnext;
        if (chain->doc)
            gs_doc_unref(&chain->doc->pub);
        free(chain);
        chain = next;
    }
}

void gs_pub_finish(struct gs_cache *c, struct gs_pub *pubs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (pubs[i].changed && c->on_change)
            c->on_change(c->change_ctx, pubs[i].doc->pub.key);
        if (pubs[i].prev)
            gs_doc_unref(&pubs[i].prev->pub);
        if (pubs[i].replaced)
            gs_doc_unref(&pubs[i].replaced->pub);
        if (pubs[i].doc)
            gs_doc_unref(&pubs[i].doc->pub);
        pubs[i].prev = pubs[i].replaced = pubs[i].doc = NULL;
        pubs[i].changed = 0;
    }
}

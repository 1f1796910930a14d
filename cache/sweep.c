/* Dropping what expired: the cache's bound keeps it under max_bytes while
 * content arrives, and this gives the memory back once it stops arriving. */
#include <stdlib.h>

#include "cache/cache_internal.h"

/* The stale copies a sweep keeps that were not moved yet. */
struct kept {
    struct gs_entry **v;
    size_t n, cap;
};

/* Under the lock: 1 when e may go (nobody holds its doc, no fetch). */
static int droppable(const struct gs_entry *e)
{
    return e->doc && !e->flight && gs_doc_refs(e->doc) == 1;
}

static void remember(struct kept *k, struct gs_entry *e)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 256;
        struct gs_entry **v = realloc(k->v, cap * sizeof(*v));
        if (!v)
            return; /* not compacted: only memory stays higher */
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = e;
}

/* Under the lock: each kept entry and its doc move to new memory (the old
 * doc goes to *old, freed by the caller without the lock). The kept copies
 * were spread one or two to a page among what was just dropped: 1 MiB of
 * them held 6 MiB of pages after a 50,000 scan. Copied, they sit in a few. */
static void compact_locked(struct gs_cache *c, struct kept *k, struct gs_doc_impl ***old)
{
    *old = calloc(k->n ? k->n : 1, sizeof(**old));
    for (size_t i = 0; *old && i < k->n; i++) {
        struct gs_entry *e = gs_table_move(&c->table, k->v[i]);
        e->moved = 1;
        struct gs_doc_impl *copy = NULL;
        if (gs_doc_copy(e->doc, &copy) != 0)
            continue;
        (*old)[i] = e->doc;
        e->doc = copy;
        gs_cache_changed_locked(c);
    }
}

size_t gs_cache_sweep(struct gs_cache *c, double min_age)
{
    if (!c)
        return 0;
    struct gs_entry *dropped = NULL;
    struct kept k = {0};
    struct gs_doc_impl **old = NULL;
    size_t freed = 0, kept = 0;
    pthread_mutex_lock(&c->lock);
    const size_t keep = c->max_bytes / GS_CACHE_STALE_SHARE;
    const double now = gs_cache_mono(c);
    /* newest first: the stale copies kept are the most recently used */
    for (struct gs_entry *e = c->table.newest, *next; e; e = next) {
        next = e->older;
        if (!droppable(e))
            continue;
        double age = now - e->stored_at;
        if ((!e->invalidated && age < c->ttl[e->cls]) || age < min_age || now - e->used_at < min_age)
            continue; /* fresh, or still in use (a walk reads an expired listing for its names) */
        int servable = c->max_stale <= 0 || age < c->ttl[e->cls] + c->max_stale;
        if (servable && kept + e->doc->bytes <= keep) {
            kept += e->doc->bytes;
            if (!e->moved)
                remember(&k, e);
            continue;
        }
        gs_table_unlink(&c->table, e);
        gs_cache_changed_locked(c);
        freed += e->doc->bytes;
        c->bytes -= e->doc->bytes;
        c->ndocs--;
        c->swept++;
        e->hnext = dropped;
        dropped = e;
    }
    compact_locked(c, &k, &old);
    gs_table_shrink(&c->table);
    pthread_mutex_unlock(&c->lock);
    gs_cache_free_entries(dropped);
    for (size_t i = 0; old && i < k.n; i++)
        if (old[i])
            gs_doc_unref(&old[i]->pub);
    free(old);
    free(k.v);
    return freed;
}

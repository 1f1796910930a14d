/* Dropping what expired: the cache's bound keeps it under max_bytes while
 * content arrives, and this gives the memory back once it stops arriving. */
#include "cache/cache_internal.h"

/* Under the lock: 1 when e may go (nobody holds its doc, no fetch). */
static int droppable(const struct gs_entry *e)
{
    return e->doc && !e->flight && gs_doc_refs(e->doc) == 1;
}

size_t gs_cache_sweep(struct gs_cache *c, double min_age)
{
    if (!c)
        return 0;
    struct gs_entry *dropped = NULL;
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
            continue;
        }
        gs_table_unlink(&c->table, e);
        freed += e->doc->bytes;
        c->bytes -= e->doc->bytes;
        c->ndocs--;
        c->swept++;
        e->hnext = dropped;
        dropped = e;
    }
    pthread_mutex_unlock(&c->lock);
    gs_cache_free_entries(dropped);
    return freed;
}

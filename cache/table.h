/* The cache's index: a hash table of entries by key, chained, growing with
 * the number of keys, plus a recency list for least-recently-used eviction.
 * Not thread-safe: the cache calls it under its lock. */
#ifndef GS_CACHE_TABLE_H
#define GS_CACHE_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "cache/doc.h"

struct gs_doc_impl;
struct gs_flight;

struct gs_entry {
    struct gs_entry *hnext;         /* hash chain */
    struct gs_entry *newer, *older; /* recency list */
    struct gs_entry *dnewer, *dolder; /* recency list of documents (in_docs) */
    int in_docs;                    /* on the documents' list (class GS_TTL_DOC) */
    struct gs_doc_impl *doc;        /* current content (one reference), NULL while the
                                     * first fetch is in flight */
    struct gs_flight *flight;       /* the fetch in progress, or NULL */
    double stored_at;               /* monotonic seconds when doc was stored */
    double used_at;                 /* monotonic seconds when it was last stored or read */
    enum gs_ttl_class cls;          /* class of the last get or put */
    int invalidated;                /* expired by gs_cache_invalidate* */
    uint64_t changed_seq;           /* cache change_seq of its last put or invalidation:
                                     * a fetch started before it is not trusted */
    int notify_pending;             /* a prefix invalidation still has to report it */
    int unread;                     /* stored by a put (a batch's answer, a listing's item)
                                     * and not read since: the bound keeps it while the
                                     * cache holds less than 1.25 times the bound */
    int moved;                      /* kept as a stale copy and moved since (sweep.c) */
    uint64_t hash;
    char key[];
};

struct gs_table {
    struct gs_entry **buckets;
    size_t nbuckets;                /* a power of two */
    size_t count;
    struct gs_entry *newest, *oldest;
    struct gs_entry *dnewest, *doldest; /* documents only: evicted first */
};

int gs_table_init(struct gs_table *t);
/* Frees the buckets; the entries must have been taken out before. */
void gs_table_destroy(struct gs_table *t);

struct gs_entry *gs_table_find(const struct gs_table *t, const char *key);
/* Adds a zeroed entry for key (not present) as the most recently used.
 * Returns 0 or -ENOMEM. */
int gs_table_add(struct gs_table *t, const char *key, struct gs_entry **out);
/* Halves the bucket array while it is under 1/8 full (down to its first
 * size): what a tenant scan grew goes once its entries have gone. */
void gs_table_shrink(struct gs_table *t);
/* Takes e out of the table and the recency list; the caller frees it. */
void gs_table_unlink(struct gs_table *t, struct gs_entry *e);
/* e moved to new memory, in the same place of the table and its lists;
 * e is freed (on ENOMEM, e stays where it was and is returned). */
struct gs_entry *gs_table_move(struct gs_table *t, struct gs_entry *e);
/* The memory e takes with its key, as malloc rounds it. */
size_t gs_table_entry_bytes(const struct gs_entry *e);
/* Makes e the most recently used, used at now (monotonic seconds): a read,
 * no longer unread. */
void gs_table_touch(struct gs_table *t, struct gs_entry *e, double now);
/* Makes e the most recently used without marking it read or used (eviction
 * passing over an entry it cannot drop). */
void gs_table_requeue(struct gs_table *t, struct gs_entry *e);
/* Sets e's class: documents (GS_TTL_DOC) are also on a list of their own. */
void gs_table_set_class(struct gs_table *t, struct gs_entry *e, enum gs_ttl_class cls);

#endif

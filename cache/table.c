/* Hash table and recency list of cache entries. */
#include "cache/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define GS_TABLE_MIN_BUCKETS 1024

#define MIX 0x9e3779b97f4a7c15ULL

/* Eight bytes a step: keys are Graph paths of 100 to 200 bytes, hashed at
 * every look-up (a warm open makes one), and FNV-1a's byte a step cost more
 * than the rest of the look-up. */
static uint64_t hash_key(const char *s)
{
    size_t len = strlen(s);
    uint64_t h = 14695981039346656037ULL ^ len, w;
    for (; len >= 8; s += 8, len -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * MIX;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, s, len);
    h = (h ^ w) * MIX;
    h ^= h >> 29;
    h *= MIX;
    return h ^ (h >> 32);
}

int gs_table_init(struct gs_table *t)
{
    memset(t, 0, sizeof(*t));
    t->buckets = calloc(GS_TABLE_MIN_BUCKETS, sizeof(*t->buckets));
    if (!t->buckets)
        return -ENOMEM;
    t->nbuckets = GS_TABLE_MIN_BUCKETS;
    return 0;
}

void gs_table_destroy(struct gs_table *t)
{
    free(t->buckets);
    t->buckets = NULL;
    t->nbuckets = 0;
}

struct gs_entry *gs_table_find(const struct gs_table *t, const char *key)
{
    uint64_t h = hash_key(key);
    for (struct gs_entry *e = t->buckets[h & (t->nbuckets - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

/* Moves every entry into n buckets; if that memory is not available the
 * table stays as it was: lookups stay correct. */
static void rehash(struct gs_table *t, size_t n)
{
    struct gs_entry **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct gs_entry *e = t->buckets[i];
        while (e) {
            struct gs_entry *next = e->hnext;
            size_t j = e->hash & (n - 1);
            e->hnext = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

/* Doubles the bucket array when the table is 3/4 full (else the chains
 * just get longer). */
static void maybe_grow(struct gs_table *t)
{
    if (t->count >= t->nbuckets / 4 * 3)
        rehash(t, t->nbuckets * 2);
}

void gs_table_shrink(struct gs_table *t)
{
    size_t n = t->nbuckets;
    while (n > GS_TABLE_MIN_BUCKETS && t->count < n / 8)
        n /= 2;
    if (n != t->nbuckets)
        rehash(t, n);
}

static void list_push_newest(struct gs_table *t, struct gs_entry *e)
{
    e->newer = NULL;
    e->older = t->newest;
    if (t->newest)
        t->newest->newer = e;
    t->newest = e;
    if (!t->oldest)
        t->oldest = e;
}

static void list_remove(struct gs_table *t, struct gs_entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        t->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        t->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void docs_push_newest(struct gs_table *t, struct gs_entry *e)
{
    e->dnewer = NULL;
    e->dolder = t->dnewest;
    if (t->dnewest)
        t->dnewest->dnewer = e;
    t->dnewest = e;
    if (!t->doldest)
        t->doldest = e;
    e->in_docs = 1;
}

static void docs_remove(struct gs_table *t, struct gs_entry *e)
{
    if (!e->in_docs)
        return;
    if (e->dnewer)
        e->dnewer->dolder = e->dolder;
    else
        t->dnewest = e->dolder;
    if (e->dolder)
        e->dolder->dnewer = e->dnewer;
    else
        t->doldest = e->dnewer;
    e->dnewer = e->dolder = NULL;
    e->in_docs = 0;
}

void gs_table_set_class(struct gs_table *t, struct gs_entry *e, enum gs_ttl_class cls)
{
    e->cls = cls;
    if (cls == GS_TTL_DOC && !e->in_docs)
        docs_push_newest(t, e);
    else if (cls != GS_TTL_DOC)
        docs_remove(t, e);
}

int gs_table_add(struct gs_table *t, const char *key, struct gs_entry **out)
{
    size_t len = strlen(key);
    struct gs_entry *e = calloc(1, sizeof(*e) + len + 1);
    if (!e)
        return -ENOMEM;
    memcpy(e->key, key, len + 1);
    e->hash = hash_key(key);
    maybe_grow(t);
    size_t i = e->hash & (t->nbuckets - 1);
    e->hnext = t->buckets[i];
    t->buckets[i] = e;
    t->count++;
    list_push_newest(t, e);
    *out = e;
    return 0;
}

void gs_table_unlink(struct gs_table *t, struct gs_entry *e)
{
    struct gs_entry **p = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
    e->hnext = NULL;
    t->count--;
    list_remove(t, e);
    docs_remove(t, e);
}

void gs_table_touch(struct gs_table *t, struct gs_entry *e, double now)
{
    e->unread = 0;
    e->used_at = now;
    gs_table_requeue(t, e);
}

void gs_table_requeue(struct gs_table *t, struct gs_entry *e)
{
    if (e->in_docs && t->dnewest != e) {
        docs_remove(t, e);
        docs_push_newest(t, e);
    }
    if (t->newest == e)
        return;
    list_remove(t, e);
    list_push_newest(t, e);
}

size_t gs_table_entry_bytes(const struct gs_entry *e)
{
    size_t n = sizeof(*e) + strlen(e->key) + 1 + 8 + 15; /* malloc's header, rounded to 16 */
    return n & ~(size_t)15;
}

/* Points whatever pointed at e (its chain, its neighbours, the list ends) at n. */
static void relink(struct gs_table *t, struct gs_entry *e, struct gs_entry *n)
{
    struct gs_entry **p = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = n;
    *(e->newer ? &e->newer->older : &t->newest) = n;
    *(e->older ? &e->older->newer : &t->oldest) = n;
    if (e->in_docs) {
        *(e->dnewer ? &e->dnewer->dolder : &t->dnewest) = n;
        *(e->dolder ? &e->dolder->dnewer : &t->doldest) = n;
    }
}

struct gs_entry *gs_table_move(struct gs_table *t, struct gs_entry *e)
{
    size_t size = sizeof(*e) + strlen(e->key) + 1;
    struct gs_entry *n = malloc(size);
    if (!n)
        return e;
    memcpy(n, e, size);
    relink(t, e, n);
    free(e);
    return n;
}

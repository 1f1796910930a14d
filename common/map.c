#include "common/map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_bytes(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int gs_map_init(struct gs_map *m)
{
    m->nbuckets = 64;
    m->count = 0;
    m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
    return m->buckets ? 0 : -ENOMEM;
}

void gs_map_destroy(struct gs_map *m)
{
    if (!m->buckets)
        return;
    for (size_t i = 0; i < m->nbuckets; i++) {
        struct gs_map_entry *e = m->buckets[i];
        while (e) {
            struct gs_map_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = NULL;
    m->count = 0;
}

static struct gs_map_entry **find_slot(const struct gs_map *m, const void *key, size_t klen, uint64_t h)
{
    struct gs_map_entry **pp = &m->buckets[h & (m->nbuckets - 1)];
    while (*pp) {
        struct gs_map_entry *e = *pp;
        if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return pp;
        pp = &e->next;
    }
    return pp;
}

void *gs_map_get(const struct gs_map *m, const void *key, size_t klen)
{
    struct gs_map_entry **pp = find_slot(m, key, klen, hash_bytes(key, klen));
    return *pp ? (*pp)->value : NULL;
}

static void grow(struct gs_map *m)
{
    size_t n = m->nbuckets * 2;
    struct gs_map_entry **b = calloc(n, sizeof(*b));
    if (!b)
        return; /* keep the current table: slower, still correct */
    for (size_t i = 0; i < m->nbuckets; i++) {
        struct gs_map_entry *e = m->buckets[i];
        while (e) {
            struct gs_map_entry *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
}

int gs_map_put(struct gs_map *m, const void *key, size_t klen, void *value, void **old)
{
    uint64_t h = hash_bytes(key, klen);
    struct gs_map_entry **pp = find_slot(m, key, klen, h);
    if (old)
        *old = NULL;
    if (*pp) {
        if (old)
            *old = (*pp)->value;
        (*pp)->value = value;
        return 0;
    }
    struct gs_map_entry *e = malloc(sizeof(*e) + klen + 1);
    if (!e)
        return -ENOMEM;
    e->next = NULL;
    e->hash = h;
    e->value = value;
    e->klen = klen;
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    *pp = e;
    if (++m->count > m->nbuckets)
        grow(m);
    return 0;
}

void *gs_map_del(struct gs_map *m, const void *key, size_t klen)
{
    struct gs_map_entry **pp = find_slot(m, key, klen, hash_bytes(key, klen));
    struct gs_map_entry *e = *pp;
    if (!e)
        return NULL;
    void *v = e->value;
    *pp = e->next;
    free(e);
    m->count--;
    return v;
}

void gs_map_each(const struct gs_map *m, void (*fn)(void *ctx, const void *key, size_t klen, void *value), void *ctx)
{
    for (size_t i = 0; i < m->nbuckets; i++)
        for (struct gs_map_entry *e = m->buckets[i]; e; e = e->next)
            fn(ctx, e->key, e->klen, e->value);
}

/* A small hash map from byte-string keys to pointers (chaining, FNV-1a,
 * grows by doubling). Not thread-safe: callers hold their own lock. */
#ifndef GS_MAP_H
#define GS_MAP_H

#include <stddef.h>
#include <stdint.h>

struct gs_map_entry {
    struct gs_map_entry *next;
    uint64_t hash;
    void *value;
    size_t klen;
    char key[];          /* klen bytes, plus a NUL for string keys */
};

struct gs_map {
    struct gs_map_entry **buckets;
    size_t nbuckets;
    size_t count;
};

int gs_map_init(struct gs_map *m);
/* Frees the map's own memory; values are the caller's. */
void gs_map_destroy(struct gs_map *m);

void *gs_map_get(const struct gs_map *m, const void *key, size_t klen);
/* Inserts or replaces; *old (may be NULL) gets the replaced value. 0 or -ENOMEM. */
int gs_map_put(struct gs_map *m, const void *key, size_t klen, void *value, void **old);
/* Removes; returns the value or NULL. */
void *gs_map_del(struct gs_map *m, const void *key, size_t klen);

static inline void *gs_map_gets(const struct gs_map *m, const char *s);
static inline int gs_map_puts(struct gs_map *m, const char *s, void *v, void **old);
static inline void *gs_map_dels(struct gs_map *m, const char *s);

/* Calls fn for every entry; fn must not modify the map. */
void gs_map_each(const struct gs_map *m, void (*fn)(void *ctx, const void *key, size_t klen, void *value), void *ctx);

#include <string.h>
static inline void *gs_map_gets(const struct gs_map *m, const char *s) { return gs_map_get(m, s, strlen(s)); }
static inline int gs_map_puts(struct gs_map *m, const char *s, void *v, void **old) { return gs_map_put(m, s, strlen(s), v, old); }
static inline void *gs_map_dels(struct gs_map *m, const char *s) { return gs_map_del(m, s, strlen(s)); }

#endif

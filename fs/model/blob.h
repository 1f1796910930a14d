/* Reference-counted immutable bytes: a rendered file shared by its node and
 * by every open handle that took a snapshot of it. */
#ifndef GS_BLOB_H
#define GS_BLOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct gs_blob {
    atomic_uint refs;
    size_t len;
    char data[];
};

static inline struct gs_blob *gs_blob_new(const char *data, size_t len)
{
    struct gs_blob *b = malloc(sizeof(*b) + len + 1);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    if (len)
        memcpy(b->data, data, len);
    b->data[len] = '\0';
    return b;
}

static inline struct gs_blob *gs_blob_ref(struct gs_blob *b)
{
    if (b)
        atomic_fetch_add(&b->refs, 1);
    return b;
}

static inline void gs_blob_unref(struct gs_blob *b)
{
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* Blobs are immutable: one blob equals itself without reading its bytes (a
 * warm open compares the node's rendering with the page cache's, mostly the
 * same blob). */
static inline int gs_blob_equal(const struct gs_blob *a, const struct gs_blob *b)
{
    return a && b && (a == b || (a->len == b->len && memcmp(a->data, b->data, a->len) == 0));
}

#endif

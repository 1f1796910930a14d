/* The private side of struct gs_doc: one allocation holding the public part,
 * the key, an atomic reference count, and what content comparisons and memory
 * accounting need. A doc never changes once it has been handed out. */
#ifndef GS_CACHE_DOC_IMPL_H
#define GS_CACHE_DOC_IMPL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cache/doc.h"

struct gs_doc_impl {
    struct gs_doc pub;      /* first: a struct gs_doc * is a struct gs_doc_impl * */
    int refs;               /* atomic */
    int shared;             /* pub.json is the one empty listing all share (never freed) */
    struct gs_doc_impl *owner; /* pub.json is an item of this listing's tree (a reference;
                                * its siblings are not this doc's): not freed with it */
    size_t text_len;        /* bytes of the content's fingerprint (doc.c) */
    uint64_t text_hash;     /* FNV-1a of the content's fingerprint */
    size_t bytes;           /* memory it holds: this struct with its key, the parsed JSON,
                             * and once stored its entry in the cache's table (publish.c) */
    char key[];
};

static inline struct gs_doc_impl *gs_doc_impl_of(struct gs_doc *d)
{
    return (struct gs_doc_impl *)d;
}

/* New doc with one reference. Takes json (deleted on failure too).
 * request_id may be NULL. generation and changed_at are left 0 for the
 * publisher to set. Returns 0 or -ENOMEM. */
int gs_doc_create(const char *key, cJSON *json, const char *request_id,
                  const struct timespec *fetched_at, struct gs_doc_impl **out);

/* New doc with one reference for item, a node of listing's tree (not a
 * copy: the doc keeps a reference to listing). Returns 0 or -ENOMEM. */
int gs_doc_create_item(const char *key, struct gs_doc_impl *listing, const cJSON *item,
                       const char *request_id, const struct timespec *fetched_at, struct gs_doc_impl **out);

/* A copy of d in new memory, with one reference: the same key, content,
 * generation and times (the cache moves a doc it alone holds, to pack what
 * it keeps). Returns 0 or -ENOMEM. */
int gs_doc_copy(const struct gs_doc_impl *d, struct gs_doc_impl **out);

/* Number of references now (meaningful under the cache lock only for deciding
 * that the cache holds the only one: nobody can add a reference without it). */
int gs_doc_refs(struct gs_doc_impl *d);

/* 1 when a and b hold the same content in the same key order (what the
 * mount prints from them is the same), 0 when they differ. */
int gs_doc_same_content(const struct gs_doc_impl *a, const struct gs_doc_impl *b);

#endif

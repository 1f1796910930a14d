/* The names of the three directories made from the service-principal listing
 * (servicePrincipals/, by-name/, by-appId/), built once per listing
 * generation. A lookup among N service principals is a hash lookup, not a
 * walk of the listing, and by-name's duplicate detection is linear: a glob
 * over servicePrincipals/<all> costs O(N), not O(N^2). Thread-safe. */
#ifndef GS_SP_INDEX_H
#define GS_SP_INDEX_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "fs/model/kinds.h"

struct gs_sp_index;

int gs_sp_index_new(struct gs_sp_index **out);
void gs_sp_index_free(struct gs_sp_index *x);

/* Lets go of every listing indexed that the cache no longer keeps fresh and
 * that was stored at least min_age seconds ago: the index would keep a
 * tenant's listing (and its names) in memory after the cache dropped it.
 * The next use builds it again. Returns 1 when it let go of one. */
int gs_sp_index_trim(struct gs_sp_index *x, struct gs_cache *cache, double min_age);

/* One name of such a directory and the service principal it stands for. */
struct gs_sp_name {
    char *name; /* the file name (for GS_K_SPS, the id) */
    char *id;   /* the service principal's id */
};

/* Finds name among the entries of directory kind (GS_K_SPS, GS_K_BYNAME or
 * GS_K_BYAPPID) made from this listing (the index is rebuilt when its
 * generation differs from the one indexed, and keeps a reference to it).
 * *id_out is malloc'd. 0, -ENOENT or -ENOMEM (-EINVAL for another kind). */
int gs_sp_index_find(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing,
                     const char *name, char **id_out);
/* gs_sp_index_find without building: -EWOULDBLOCK when the index of this
 * listing generation is not built, or another thread holds it. */
int gs_sp_index_find_built(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing,
                           const char *name, char **id_out);

/* Every entry, in listing order: *out is a malloc'd array of malloc'd
 * names and ids (free with gs_sp_names_free). */
int gs_sp_index_list(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing,
                     struct gs_sp_name **out, size_t *n);

/* A copy of the listing's item for service principal id: what
 * servicePrincipal.json shows, without a request and without keeping a
 * second copy of every item. NULL when it is not listed (or ENOMEM). */
cJSON *gs_sp_index_item(struct gs_sp_index *x, struct gs_doc *listing, const char *id);

/* Up to max service principal ids that follow id in name order, the order
 * a shell's glob visits servicePrincipals/: what a scan reads next. *out is
 * a malloc'd array of malloc'd strings. 0, -ENOENT (id not listed), -ENOMEM. */
int gs_sp_index_following(struct gs_sp_index *x, struct gs_doc *listing, const char *id, size_t max,
                          char ***out, size_t *n);

/* The rank of id in listing order (*rank), and up to max ids listed from
 * rank + skip on: what a walk of servicePrincipals/ (find, du) visits next.
 * *out as for gs_sp_index_following. 0, -ENOENT (id not listed), -ENOMEM. */
int gs_sp_index_listed_after(struct gs_sp_index *x, struct gs_doc *listing, const char *id, size_t skip,
                             size_t max, char ***out, size_t *n, size_t *rank);

void gs_sp_names_free(struct gs_sp_name *v, size_t n);

#endif

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

#include "fs/kinds.h"

struct gs_sp_index;

int gs_sp_index_new(struct gs_sp_index **out);
void gs_sp_index_free(struct gs_sp_index *x);

/* One name of such a directory and the service principal it stands for. */
struct gs_sp_name {
    char *name; /* the file name (for GS_K_SPS, the id) */
    char *id;   /* the service principal's id */
};

/* Finds name among the entries of directory kind (GS_K_SPS, GS_K_BYNAME or
 * GS_K_BYAPPID) made from the listing items (its "value" array) of this
 * generation. *id_out is malloc'd. 0, -ENOENT or -ENOMEM (-EINVAL for
 * another kind). */
int gs_sp_index_find(struct gs_sp_index *x, enum gs_kind kind, uint64_t generation,
                     const cJSON *items, const char *name, char **id_out);

/* Every entry, in listing order: *out is a malloc'd array of malloc'd
 * names and ids (free with gs_sp_names_free). */
int gs_sp_index_list(struct gs_sp_index *x, enum gs_kind kind, uint64_t generation,
                     const cJSON *items, struct gs_sp_name **out, size_t *n);
void gs_sp_names_free(struct gs_sp_name *v, size_t n);

#endif

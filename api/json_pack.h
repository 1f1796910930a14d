/* Parsed JSON in one allocation: a service principal of a tenant's listing
 * is a dozen cJSON nodes and four strings, each malloc'd on its own (1.1 KB
 * with malloc's headers and rounding, for 450 bytes of text); packed, its
 * nodes and strings sit side by side in one block (a fifth less), and
 * freeing it frees one block instead of scattering sixteen small holes that
 * keep pages from going back to the system.
 *
 * A packed tree is read-only: its inner nodes are not allocations of their
 * own, so nothing under its root may be detached, replaced or deleted (the
 * cache's documents are read-only anyway). cJSON_Delete of its root frees
 * the block: the root carries cJSON_IsReference, so cJSON does not descend.
 * cJSON_Duplicate of it is an ordinary tree. */
#ifndef GS_API_JSON_PACK_H
#define GS_API_JSON_PACK_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Marks the root of a packed tree (with cJSON_IsReference); cJSON's own
 * type tests look at the low byte only. */
#define GS_JSON_PACKED (1 << 12)

/* A packed copy of j and everything under it (not its siblings). Names
 * and values kept once for the process (api/json_keys.h) are pointed at,
 * everything else is copied. NULL on ENOMEM, and when j is neither an
 * object nor an array or has a member name of its own (then it is left to
 * the caller as it is). */
cJSON *gs_json_pack(const cJSON *j);

/* A copy of j: packed, or an ordinary one when j cannot be packed. NULL on
 * ENOMEM. */
cJSON *gs_json_copy(const cJSON *j);

/* 1 when j is the root of a packed tree. */
int gs_json_is_packed(const cJSON *j);

/* The bytes of the block behind packed root j (as requested of malloc). */
size_t gs_json_packed_size(const cJSON *j);

/* j packed in place of itself (j deleted), or j when it cannot be (see
 * gs_json_pack) or is packed already. A listing ({"value": [...]}) has each
 * of its items packed instead, one at a time: a tenant's listing is never
 * held twice. */
cJSON *gs_json_pack_doc(cJSON *j);

#endif

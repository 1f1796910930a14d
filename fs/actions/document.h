/* Saving an edited document (schema.json, secrets.json): local checks
 * first, then the lost-update guard, then one PUT (DESIGN.md section 4). */
#ifndef GS_DOCUMENT_H
#define GS_DOCUMENT_H

#include <stddef.h>

#include "fs/model/fs.h"


/* Checks a whole new document without any request: it parses, is an
 * object, and has the members its kind needs; secrets must not hold
 * Graph's mask. Returns 0 or -EINVAL with a malloc'd reason in *why. */
int gs_document_check(enum gs_kind kind, const char *data, size_t len, char **why);

/* Commits a whole new document of this kind for the ids of node `at` (the
 * document's own node, or the directory it is in): check, version guard
 * (-ESTALE), no request when it equals the server's content, PUT, backup of
 * the replaced content, cache invalidation. Failures are recorded in the
 * directory's last_error. 0 or negative errno. */
int gs_document_commit(struct gs_fs *fs, const struct gs_node *at, enum gs_kind kind,
                       const char *data, size_t len);

#endif

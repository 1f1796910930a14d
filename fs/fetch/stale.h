/* Telling that a copy past its time-to-live is being served (issue 13,
 * "no silent staleness"): the directory's last_error says which copy, since
 * when and why, and the file's user.graphsyncfs.stale attribute says the
 * same in one line. */
#ifndef GS_STALE_H
#define GS_STALE_H

#include <stddef.h>

#include "fs/model/fs.h"

/* One line: "fetched <UTC>, past its time-to-live since <UTC>: <why>".
 * malloc'd; NULL on ENOMEM. */
char *gs_stale_describe(struct gs_fs *fs, const struct gs_doc *doc, enum gs_ttl_class cls,
                        const struct gs_error *why);

/* Records in owner's last_error (errors.h owner string) that doc, a copy
 * past its time-to-live, is served because of why (from gs_fs_get). */
void gs_stale_record(struct gs_fs *fs, const char *owner, const struct gs_doc *doc,
                     enum gs_ttl_class cls, const struct gs_error *why);

#endif

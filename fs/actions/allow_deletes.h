/* jobs/<id>/allow_deletes (man page, "Safe deletes"): the portal's "Allow
 * deletes". Reading shows whether the job is held in a TooManyDeletes
 * quarantine, how many exports the held cycle kept back, where the staged
 * deletions are listed (logs/staged-deletes.jsonl), and the last result.
 * Writing "yes" (or touching it) sends restart with resetScope ForceDeletes,
 * only when the job is in that quarantine: otherwise EBUSY, and last_error
 * says why. */
#ifndef GS_ALLOW_DELETES_H
#define GS_ALLOW_DELETES_H

#include <stddef.h>

#include "fs/model/fs.h"

int gs_allow_deletes_read(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out,
                          struct timespec *mtime);
int gs_allow_deletes_run(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len);

#endif

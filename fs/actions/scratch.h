/* Scratch files: any name an editor or a tool creates beside a document in a
 * service principal or job directory (swap, backup and temporary files).
 * They live in memory only, are never sent to Graph, and disappear at
 * unmount (DESIGN.md section 4). Thread-safe. */
#ifndef GS_SCRATCH_H
#define GS_SCRATCH_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "fs/model/blob.h"

struct gs_scratch_store;

int gs_scratch_new(struct gs_scratch_store **out, size_t max_bytes);
void gs_scratch_free(struct gs_scratch_store *s);

/* owner: the directory's owner string (see errors.h); name: the file name. */
int gs_scratch_create(struct gs_scratch_store *s, const char *owner, const char *name,
                      mode_t mode, uid_t uid, gid_t gid, const char *data, size_t len);
int gs_scratch_exists(struct gs_scratch_store *s, const char *owner, const char *name);
/* A stat of the file (st_mode, st_size, times, uid, gid). */
int gs_scratch_stat(struct gs_scratch_store *s, const char *owner, const char *name, struct stat *st);
/* A snapshot of the content. */
int gs_scratch_read(struct gs_scratch_store *s, const char *owner, const char *name, struct gs_blob **out);
int gs_scratch_write(struct gs_scratch_store *s, const char *owner, const char *name,
                     const char *data, size_t len, off_t off);
int gs_scratch_truncate(struct gs_scratch_store *s, const char *owner, const char *name, off_t size);
/* Any of the changes setattr can ask for; NULL / -1 for "unchanged". */
int gs_scratch_setattr(struct gs_scratch_store *s, const char *owner, const char *name,
                       const mode_t *mode, const uid_t *uid, const gid_t *gid,
                       const struct timespec *atime, const struct timespec *mtime);
int gs_scratch_unlink(struct gs_scratch_store *s, const char *owner, const char *name);
/* Renames within one owner; replaces an existing target. */
int gs_scratch_rename(struct gs_scratch_store *s, const char *owner, const char *from, const char *to);
/* malloc'd array of malloc'd names of an owner's scratch files. */
int gs_scratch_list(struct gs_scratch_store *s, const char *owner, char ***names, size_t *n);

#endif

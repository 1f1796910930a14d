/* The bytes of every file: Graph documents rendered as DESIGN.md section 3
 * says, generated text, and last_error. */
#ifndef GS_CONTENT_H
#define GS_CONTENT_H

#include <time.h>

#include "fs/model/fs.h"

/* Makes a file node's content current (fetching through the cache when its
 * time-to-live has passed) and returns a new reference to it and its mtime.
 * The node must be pinned; fs->lock is not held. 0 or negative errno. */
int gs_content_get(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime);

/* The size and mtime stat(2) reports: gs_content_get's bytes' (a Graph
 * document a node has not rendered yet is measured, not rendered), except
 * for kinds whose content costs a rate-limited request (GS_KF_COSTLY_ATTR:
 * the provisioning logs), which report what is known without one
 * (logs.h gs_logs_known), so that a walk's stats send nothing. */
int gs_content_stat(struct gs_fs *fs, struct gs_node *n, size_t *size, struct timespec *mtime);

/* 1 when the attributes of entry e cost no request now (its document is
 * fresh in the cache, or it needs none). A listing with attributes
 * (readdirplus) gives only those: find, which never stats files, then
 * sends nothing for the documents of a walk, and tools that stat (ls -l,
 * du) ask with a lookup, which the walk's read-ahead batches (walk.h). */
int gs_content_attr_free(struct gs_fs *fs, const struct gs_dirent *e);

/* A directory's mtime: when its listing last changed, without any request. */
void gs_content_dir_mtime(struct gs_fs *fs, struct gs_node *n, struct timespec *out);

/* The root README. */
const char *gs_readme_text(void);

#endif

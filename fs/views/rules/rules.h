/* The rules tree's views (issue 16): what its directories list and look
 * up, and the bytes of its files (pending copy first), including the
 * expression test files attributes/<a>/test/<objectId or UPN>. */
#ifndef GS_VIEWS_RULES_H
#define GS_VIEWS_RULES_H

#include <stddef.h>
#include <time.h>

#include "fs/model/fs.h"

/* gs_tree_list / gs_tree_lookup for GS_KF_RULES_DIR directories. */
int gs_rules_list(struct gs_fs *fs, struct gs_node *dir, struct gs_dirent **out, size_t *n);
int gs_rules_lookup(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out);

/* gs_content_get for GS_SRC_RULES files. */
int gs_rules_content(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime);

/* The expression test file (test.c). */
int gs_rules_test_content(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime);

#endif

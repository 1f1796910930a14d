/* The shape of the tree (DESIGN.md section 2): which entries a directory has,
 * which Graph document each node comes from. */
#ifndef GS_TREE_H
#define GS_TREE_H

#include <stddef.h>

#include "fs/model/fs.h"

/* All entries of a directory node (not "." and ".."). The node must be
 * pinned by the caller; fs->lock not held. *out is an array of *n entries
 * (free each with gs_dirent_clear, then the array). 0 or negative errno.
 * Called at a directory's first readdir, never at its open (kernel/ops_dir.c):
 * fts (find, du, rm -r) opens the parent again after each subdirectory it
 * leaves and reads nothing from it, and a listing of servicePrincipals/ at
 * each open cost O(N) per visit, O(N^2) a walk. */
int gs_tree_list(struct gs_fs *fs, struct gs_node *dir, struct gs_dirent **out, size_t *n);

/* One entry by name. Fixed directories answer unknown names with -ENOENT
 * without any request. */
int gs_tree_lookup(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out);
/* gs_tree_lookup's answer when it needs nothing but what is cached and
 * does nothing else (no fetch, read-ahead, index build or record): a name
 * of a fixed directory (or -ENOENT), a job the cached listing of jobs/ has,
 * a name in the fresh listing of servicePrincipals/ (by-name/, by-appId/)
 * whose index is built, -ENOENT for a name backups/ cannot have; else
 * -EWOULDBLOCK (gs_tree_lookup answers it).
 * Rules directories: -EWOULDBLOCK. */
int gs_tree_lookup_cached(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out);

/* Stores the listing's item for this service principal under its own key
 * (when the listing is fresh and the item is not), so servicePrincipal.json
 * needs no request of its own. Done per read, not for the whole listing at
 * once: 10,000 copies of every item would double the memory a tenant takes. */
void gs_tree_fill_sp(struct gs_fs *fs, const char *sp);

/* A document an editor renamed away (its backup-by-rename) is hidden until it
 * is created again, for at most GS_HIDE_SECONDS. */
#define GS_HIDE_SECONDS 60
int gs_tree_is_hidden(struct gs_fs *fs, const struct gs_node *dir, const char *name);
void gs_tree_hide(struct gs_fs *fs, const struct gs_node *dir, const char *name, int hide);


#endif

/* Which opens may use the kernel's page cache, and what size the kernel is
 * told while they do.
 *
 * A read-only document is served from the page cache when that is safe: the
 * first open after its content changed adopts the new bytes (the kernel's
 * cached pages and attributes of the inode are dropped before the open
 * returns), later opens of the same bytes keep the pages, so a warm
 * open-read-close costs no READ at all. An open that finds different bytes
 * while older readers still hold the page cache reads its own snapshot with
 * direct I/O instead. While any page-cache handle is open, the kernel is told
 * the size of the bytes those handles read, so a size from a newer version can
 * never cut or pad what they get (the one shared i_size is theirs until the
 * last closes; a direct reader opened meanwhile still reads its own whole
 * snapshot). All functions take fs->lock themselves unless noted. */
#ifndef GS_PAGECACHE_H
#define GS_PAGECACHE_H

#include <stddef.h>

struct gs_fs;
struct gs_node;
struct gs_blob;

enum gs_pc_open {
    GS_PC_DIRECT = 0, /* reads bypass the page cache (direct_io) */
    GS_PC_KEEP,       /* the page cache holds these bytes: keep it */
    GS_PC_ADOPT,      /* these bytes replace the page cache: invalidate first */
};

/* Whether opens of this node with these flags may use the page cache. */
int gs_pagecache_eligible(const struct gs_node *n, int writing);
/* Decides an eligible open reading snapshot b; counts it when not direct. */
enum gs_pc_open gs_pagecache_open(struct gs_fs *fs, struct gs_node *n, struct gs_blob *b);
/* gs_pagecache_open with fs->lock held. */
enum gs_pc_open gs_pagecache_open_locked(struct gs_node *n, struct gs_blob *b);
/* After a GS_PC_ADOPT open: the kernel's pages and attributes of the inode
 * were dropped (ok), or could not be (the handle then reads directly and is
 * no longer counted). Opens of the same bytes adopt too until then. */
void gs_pagecache_adopted(struct gs_fs *fs, struct gs_node *n, int ok);
/* Undoes gs_pagecache_open at release. Returns 1 when the kernel's attributes
 * should be refreshed (the last cached reader closed on older bytes). */
int gs_pagecache_release(struct gs_fs *fs, struct gs_node *n, enum gs_pc_open mode);
/* The same with fs->lock held by the caller. */
int gs_pagecache_release_locked(struct gs_node *n, enum gs_pc_open mode);
/* The size to tell the kernel for node n whose current content has length
 * len. Caller holds fs->lock. */
size_t gs_pagecache_size_locked(struct gs_node *n, size_t len);

#endif

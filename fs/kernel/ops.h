/* The FUSE low-level operations of graphsyncfs. */
#ifndef GS_OPS_H
#define GS_OPS_H

#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops gs_ops;

/* lookup and getattr answered on the calling (libfuse's) thread
 * when what they need is cached and fresh: no wait on Graph at all
 * (common/interrupt.h gs_interrupt_set_nowait), and no hand-over to the
 * request pool, which cost a find or a du more than the answers did. Only
 * kinds whose answer can come from cached documents alone are tried: lookup
 * in a rules tree (one cached schema), getattr of directories,
 * links and files rendered from one document. 1 when answered; 0 when the
 * call needs a fetch, or failed (then the pool does it again and tells the
 * error), and nothing was answered. */
int gs_ops_lookup_now(fuse_req_t req, fuse_ino_t parent, const char *name);
int gs_ops_getattr_now(fuse_req_t req, fuse_ino_t ino);

/* open, read and release answered on the calling (libfuse's) thread: a
 * read-only open of a document cached fresh (its page cache kept when the
 * bytes are the same), reads of a handle whose bytes are in memory, the
 * release of a read-only handle. 1 when answered; 0 when the call belongs
 * to the request pool (nothing was answered). */
int gs_ops_open_now(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
int gs_ops_read_now(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
int gs_ops_release_now(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
/* A reader's flush (each close(2) of a file opened to read, as cat does):
 * it commits nothing, and handing it to the pool cost a wake-up and a
 * context switch per file of a warm read (ops_write.c). */
int gs_ops_flush_now(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

#endif

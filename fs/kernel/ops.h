/* The FUSE low-level operations of graphsyncfs. */
#ifndef GS_OPS_H
#define GS_OPS_H

#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops gs_ops;

/* readdir (plus: readdirplus) of a directory handle whose entries are made
 * already (at opendir, or by an earlier readdir): answered on the calling
 * (libfuse's) thread, since it asks Graph for nothing; a walk's commonest
 * request then costs no hand-over to the request pool. 1 when answered, 0
 * when the call may fetch and belongs to the pool (interruptible.h). */
int gs_ops_readdir_now(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, int plus);

#endif

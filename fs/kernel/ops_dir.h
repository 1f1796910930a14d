/* The directory operations (ops_dir.c): listings continued by generation
 * (dirlist.h), no handle of ours. */
#ifndef GS_OPS_DIR_H
#define GS_OPS_DIR_H

#include <fuse_lowlevel.h>

#include "fs/model/fs.h"

/* At FUSE init: whether the kernel opens directories itself. */
void gs_ops_dir_init(struct gs_fs *fs, struct fuse_conn_info *conn);

void gs_ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gs_ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void gs_ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi);
void gs_ops_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* readdir (plus: readdirplus) that continues a listing made already (by
 * the readdir before it: ops_dir.c), or lists a rules tree's directory from
 * its cached schema: answered on the calling (libfuse's) thread, since it
 * asks Graph for nothing; a walk's commonest request then costs no
 * hand-over to the request pool. 1 when answered, 0 when the call may
 * fetch, or failed, and belongs to the pool (interruptible.h). */
int gs_ops_readdir_now(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, int plus);

#endif

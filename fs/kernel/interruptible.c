/* The handlers that may wait on Graph, answered by the request pool with
 * FUSE INTERRUPT armed (interruptible.h). */
#include "fs/kernel/interruptible.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kernel/ops.h"
#include "fs/kernel/ops_dir.h"
#include "fs/kernel/request_pool.h"

static const struct fuse_lowlevel_ops *inner; /* set once, before the session starts */
static struct fuse_lowlevel_ops wrapped;

enum op { OP_LOOKUP, OP_GETATTR, OP_READLINK, OP_READDIR, OP_READDIRPLUS,
          OP_OPEN, OP_READ, OP_GETXATTR, OP_LISTXATTR,
          /* calls that may change Graph (plain jobs) */
          OP_CREATE, OP_WRITE, OP_SETATTR, OP_FLUSH, OP_FSYNC, OP_RELEASE, OP_UNLINK,
          OP_RENAME, OP_RMDIR, OP_MKDIR, OP_MKNOD };

/* On a pool thread: the handler with the arguments the job keeps. */
static void run_job(struct gs_rq_job *j)
{
    fuse_req_t req = j->req;
    struct fuse_file_info *fi = j->has_fi ? &j->fi : NULL;
    switch ((enum op)j->op) {
    case OP_LOOKUP: inner->lookup(req, j->ino, j->name); break;
    case OP_GETATTR: inner->getattr(req, j->ino, fi); break;
    case OP_READLINK: inner->readlink(req, j->ino); break;
    case OP_READDIR: inner->readdir(req, j->ino, j->size, j->off, fi); break;
    case OP_READDIRPLUS: inner->readdirplus(req, j->ino, j->size, j->off, fi); break;
    case OP_OPEN: inner->open(req, j->ino, fi); break;
    case OP_READ: inner->read(req, j->ino, j->size, j->off, fi); break;
    case OP_GETXATTR: inner->getxattr(req, j->ino, j->name, j->size); break;
    case OP_LISTXATTR: inner->listxattr(req, j->ino, j->size); break;
    case OP_CREATE: inner->create(req, j->ino, j->name, j->mode, fi); break;
    case OP_WRITE: inner->write(req, j->ino, j->buf, j->size, j->off, fi); break;
    case OP_SETATTR: inner->setattr(req, j->ino, &j->attr, j->to_set, fi); break;
    case OP_FLUSH: inner->flush(req, j->ino, fi); break;
    case OP_FSYNC: inner->fsync(req, j->ino, (int)j->size, fi); break;
    case OP_RELEASE: inner->release(req, j->ino, fi); break;
    case OP_UNLINK: inner->unlink(req, j->ino, j->name); break;
    case OP_RENAME: inner->rename(req, j->ino, j->name, j->ino2, j->name2, j->flags); break;
    case OP_RMDIR: inner->rmdir(req, j->ino, j->name); break;
    case OP_MKDIR: inner->mkdir(req, j->ino, j->name, j->mode); break;
    case OP_MKNOD: inner->mknod(req, j->ino, j->name, j->mode, j->rdev); break;
    }
}

/* A copy of s (NULL: none) in *dst; 0 or -1. */
static int keep(char **dst, const char *s, size_t n)
{
    if (!s)
        return 0;
    *dst = malloc(n + 1);
    if (!*dst)
        return -1;
    memcpy(*dst, s, n);
    (*dst)[n] = '\0';
    return 0;
}

/* A copy of s into the job j (keep); without memory, j is dropped, the call
 * answered ENOMEM, and -1 returned. */
static int keep_in_job(struct gs_rq_job *j, fuse_req_t req, char **dst, const char *s, size_t n)
{
    if (keep(dst, s, n) == 0)
        return 0;
    gs_rq_job_drop(j);
    fuse_reply_err(req, ENOMEM);
    return -1;
}

/* On libfuse's thread: a job with the arguments copied (libfuse reuses its
 * buffer once the handler returns); NULL, answered ENOMEM, without memory. */
static struct gs_rq_job *job(fuse_req_t req, enum op op, fuse_ino_t ino, const char *name,
                             const struct fuse_file_info *fi)
{
    struct gs_rq_job *j = gs_rq_job_new(req);
    if (!j) {
        fuse_reply_err(req, ENOMEM);
        return NULL;
    }
    if (keep_in_job(j, req, &j->name, name, name ? strlen(name) : 0) < 0)
        return NULL;
    j->op = (int)op;
    j->ino = ino;
    j->plain = op >= OP_CREATE;
    if (fi) {
        j->fi = *fi;
        j->has_fi = 1;
    }
    j->run = run_job;
    return j;
}

static void submit(fuse_req_t req, enum op op, fuse_ino_t ino, const char *name, size_t size,
                   off_t off, const struct fuse_file_info *fi)
{
    struct gs_rq_job *j = job(req, op, ino, name, fi);
    if (!j)
        return;
    j->size = size;
    j->off = off;
    gs_rq_submit(j);
}

static void w_lookup(fuse_req_t req, fuse_ino_t p, const char *n)
{
    if (!gs_ops_lookup_now(req, p, n))
        submit(req, OP_LOOKUP, p, n, 0, 0, NULL);
}

static void w_getattr(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    if (!gs_ops_getattr_now(req, i))
        submit(req, OP_GETATTR, i, NULL, 0, 0, fi);
}

static void w_readlink(fuse_req_t req, fuse_ino_t i)
{
    submit(req, OP_READLINK, i, NULL, 0, 0, NULL);
}

static void w_readdir(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
    if (!gs_ops_readdir_now(req, i, s, o, fi, 0))
        submit(req, OP_READDIR, i, NULL, s, o, fi);
}

static void w_readdirplus(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
    if (!gs_ops_readdir_now(req, i, s, o, fi, 1))
        submit(req, OP_READDIRPLUS, i, NULL, s, o, fi);
}

static void w_open(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    if (!gs_ops_open_now(req, i, fi))
        submit(req, OP_OPEN, i, NULL, 0, 0, fi);
}

static void w_read(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
    if (!gs_ops_read_now(req, i, s, o, fi))
        submit(req, OP_READ, i, NULL, s, o, fi);
}

static void w_getxattr(fuse_req_t req, fuse_ino_t i, const char *n, size_t s)
{
    submit(req, OP_GETXATTR, i, n, s, 0, NULL);
}

static void w_listxattr(fuse_req_t req, fuse_ino_t i, size_t s)
{
    submit(req, OP_LISTXATTR, i, NULL, s, 0, NULL);
}

static void w_flush(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    if (!gs_ops_flush_now(req, i, fi))
        submit(req, OP_FLUSH, i, NULL, 0, 0, fi);
}

static void w_fsync(fuse_req_t req, fuse_ino_t i, int datasync, struct fuse_file_info *fi)
{
    submit(req, OP_FSYNC, i, NULL, (size_t)datasync, 0, fi);
}

static void w_release(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    if (!gs_ops_release_now(req, i, fi))
        submit(req, OP_RELEASE, i, NULL, 0, 0, fi);
}

static void w_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
    submit(req, OP_UNLINK, p, n, 0, 0, NULL);
}

static void w_rmdir(fuse_req_t req, fuse_ino_t p, const char *n)
{
    submit(req, OP_RMDIR, p, n, 0, 0, NULL);
}

static void w_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t mode, struct fuse_file_info *fi)
{
    struct gs_rq_job *j = job(req, OP_CREATE, p, n, fi);
    if (j) {
        j->mode = mode;
        gs_rq_submit(j);
    }
}

static void w_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t mode)
{
    struct gs_rq_job *j = job(req, OP_MKDIR, p, n, NULL);
    if (j) {
        j->mode = mode;
        gs_rq_submit(j);
    }
}

static void w_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t mode, dev_t rdev)
{
    struct gs_rq_job *j = job(req, OP_MKNOD, p, n, NULL);
    if (j) {
        j->mode = mode;
        j->rdev = rdev;
        gs_rq_submit(j);
    }
}

static void w_write(fuse_req_t req, fuse_ino_t i, const char *buf, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    struct gs_rq_job *j = job(req, OP_WRITE, i, NULL, fi);
    if (!j)
        return;
    if (keep_in_job(j, req, &j->buf, buf, size) < 0)
        return;
    j->size = size;
    j->off = off;
    gs_rq_submit(j);
}

static void w_setattr(fuse_req_t req, fuse_ino_t i, struct stat *attr, int to_set,
                      struct fuse_file_info *fi)
{
    struct gs_rq_job *j = job(req, OP_SETATTR, i, NULL, fi);
    if (j) {
        j->attr = *attr;
        j->to_set = to_set;
        gs_rq_submit(j);
    }
}

static void w_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
                     unsigned int flags)
{
    struct gs_rq_job *j = job(req, OP_RENAME, p, n, NULL);
    if (!j)
        return;
    if (keep_in_job(j, req, &j->name2, nn, strlen(nn)) < 0)
        return;
    j->ino2 = np;
    j->flags = flags;
    gs_rq_submit(j);
}

const struct fuse_lowlevel_ops *gs_interruptible_ops(const struct fuse_lowlevel_ops *ops)
{
    inner = ops;
    wrapped = *ops;
#define USE(op) \
    if (ops->op) \
        wrapped.op = w_##op
    USE(lookup);
    USE(getattr);
    USE(readlink);
    USE(readdir);
    USE(readdirplus);
    USE(open);
    USE(read);
    USE(getxattr);
    USE(listxattr);
    USE(create);
    USE(write);
    USE(setattr);
    USE(flush);
    USE(fsync);
    USE(release);
    USE(unlink);
    USE(rename);
    USE(rmdir);
    USE(mkdir);
    USE(mknod);
#undef USE
    return &wrapped;
}

/* The handlers that may wait on Graph, answered by the request pool with
 * FUSE INTERRUPT armed (interruptible.h). */
#include "fs/kernel/interruptible.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/kernel/request_pool.h"

static const struct fuse_lowlevel_ops *inner; /* set once, before the session starts */
static struct fuse_lowlevel_ops wrapped;

enum op { OP_LOOKUP, OP_GETATTR, OP_READLINK, OP_OPENDIR, OP_READDIR, OP_READDIRPLUS,
          OP_OPEN, OP_READ, OP_GETXATTR, OP_LISTXATTR };

/* On a pool thread: the handler with the arguments the job keeps. */
static void run_job(struct gs_rq_job *j)
{
    fuse_req_t req = j->req;
    struct fuse_file_info *fi = j->has_fi ? &j->fi : NULL;
    switch ((enum op)j->op) {
    case OP_LOOKUP: inner->lookup(req, j->ino, j->name); break;
    case OP_GETATTR: inner->getattr(req, j->ino, fi); break;
    case OP_READLINK: inner->readlink(req, j->ino); break;
    case OP_OPENDIR: inner->opendir(req, j->ino, fi); break;
    case OP_READDIR: inner->readdir(req, j->ino, j->size, j->off, fi); break;
    case OP_READDIRPLUS: inner->readdirplus(req, j->ino, j->size, j->off, fi); break;
    case OP_OPEN: inner->open(req, j->ino, fi); break;
    case OP_READ: inner->read(req, j->ino, j->size, j->off, fi); break;
    case OP_GETXATTR: inner->getxattr(req, j->ino, j->name, j->size); break;
    case OP_LISTXATTR: inner->listxattr(req, j->ino, j->size); break;
    }
}

/* On libfuse's thread: the arguments copied (libfuse reuses its buffer once
 * the handler returns), then to the pool. */
static void submit(fuse_req_t req, enum op op, fuse_ino_t ino, const char *name, size_t size,
                   off_t off, const struct fuse_file_info *fi)
{
    struct gs_rq_job *j = gs_rq_job_new(req);
    if (!j || (name && !(j->name = strdup(name)))) {
        if (j)
            gs_rq_job_drop(j);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    j->op = (int)op;
    j->ino = ino;
    j->size = size;
    j->off = off;
    if (fi) {
        j->fi = *fi;
        j->has_fi = 1;
    }
    j->run = run_job;
    gs_rq_submit(j);
}

static void w_lookup(fuse_req_t req, fuse_ino_t p, const char *n)
{
    submit(req, OP_LOOKUP, p, n, 0, 0, NULL);
}

static void w_getattr(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    submit(req, OP_GETATTR, i, NULL, 0, 0, fi);
}

static void w_readlink(fuse_req_t req, fuse_ino_t i)
{
    submit(req, OP_READLINK, i, NULL, 0, 0, NULL);
}

static void w_opendir(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    submit(req, OP_OPENDIR, i, NULL, 0, 0, fi);
}

static void w_readdir(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
    submit(req, OP_READDIR, i, NULL, s, o, fi);
}

static void w_readdirplus(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
    submit(req, OP_READDIRPLUS, i, NULL, s, o, fi);
}

static void w_open(fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi)
{
    submit(req, OP_OPEN, i, NULL, 0, 0, fi);
}

static void w_read(fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi)
{
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
    USE(opendir);
    USE(readdir);
    USE(readdirplus);
    USE(open);
    USE(read);
    USE(getxattr);
    USE(listxattr);
#undef USE
    return &wrapped;
}

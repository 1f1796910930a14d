/* FUSE INTERRUPT for the handlers that wait on Graph (interruptible.h). */
#include "fs/kernel/interruptible.h"

#include <stddef.h>

#include "common/interrupt.h"

static const struct fuse_lowlevel_ops *inner; /* set once, before the session starts */
static struct fuse_lowlevel_ops wrapped;
static __thread int interrupted;              /* the serving thread's request */

/* Runs on the thread that read the INTERRUPT, while the request is pending. */
static void on_interrupt(fuse_req_t req, void *data)
{
    (void)req;
    __atomic_store_n((int *)data, 1, __ATOMIC_RELEASE);
}

static void arm(fuse_req_t req)
{
    __atomic_store_n(&interrupted, 0, __ATOMIC_RELEASE);
    gs_interrupt_arm(&interrupted);
    fuse_req_interrupt_func(req, on_interrupt, &interrupted);
}

/* The request has been answered by now: its interruption means nothing. */
static void disarm(void)
{
    gs_interrupt_arm(NULL);
}

#define WRAP(op, params, args) \
    static void w_##op params \
    { \
        arm(req); \
        inner->op args; \
        disarm(); \
    }

WRAP(lookup, (fuse_req_t req, fuse_ino_t p, const char *n), (req, p, n))
WRAP(getattr, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
WRAP(readlink, (fuse_req_t req, fuse_ino_t i), (req, i))
WRAP(opendir, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
WRAP(readdir, (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi), (req, i, s, o, fi))
WRAP(readdirplus, (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi),
     (req, i, s, o, fi))
WRAP(open, (fuse_req_t req, fuse_ino_t i, struct fuse_file_info *fi), (req, i, fi))
WRAP(read, (fuse_req_t req, fuse_ino_t i, size_t s, off_t o, struct fuse_file_info *fi), (req, i, s, o, fi))
WRAP(getxattr, (fuse_req_t req, fuse_ino_t i, const char *n, size_t s), (req, i, n, s))
WRAP(listxattr, (fuse_req_t req, fuse_ino_t i, size_t s), (req, i, s))

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

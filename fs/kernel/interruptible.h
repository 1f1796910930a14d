/* FUSE INTERRUPT and time bounds (issue 13, findings 4 and 6): a caller
 * that gets a signal while its system call waits on Graph (Ctrl-C on a cat)
 * makes that wait end with EINTR within a poll interval
 * (common/interrupt.h), instead of the kernel holding the caller,
 * unkillable, until Graph answers; and however many callers there are,
 * each is answered within its time bound (fs/kernel/request_pool.h). */
#ifndef GS_INTERRUPTIBLE_H
#define GS_INTERRUPTIBLE_H

#include <fuse_lowlevel.h>

/* ops with every handler that may wait on Graph handed to the request pool:
 * the handler runs on a pool thread, with the request's interruption and
 * deadline armed (gs_rq_start starts the pool; before it, on the calling
 * thread). The calls that may change Graph (create, write, setattr, flush,
 * fsync, release, unlink, rename, rmdir, mkdir, mknod) go to the pool too,
 * so that they never hold libfuse's threads, but run as before: no
 * deadline, and an INTERRUPT does not cut a save or an action.
 * Calls answered from what is cached are answered at once on libfuse's
 * thread, with every wait on Graph refused (common/interrupt.h
 * gs_interrupt_set_nowait): readdir(plus) that continues a listing, or
 * lists a rules tree's directory, lookup and getattr when what they need
 * is cached fresh, opendir and releasedir (no handle: ops_dir.c), a
 * read-only open of a document cached fresh, the reads and the release of a
 * read-only handle (ops.h gs_ops_readdir_now, gs_ops_lookup_now,
 * gs_ops_open_now ...); the others, and these when they would fetch, go to
 * the pool. */
const struct fuse_lowlevel_ops *gs_interruptible_ops(const struct fuse_lowlevel_ops *ops);

#endif

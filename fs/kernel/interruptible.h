/* FUSE INTERRUPT (issue 13, finding 4): a caller that gets a signal while
 * its system call waits on Graph (Ctrl-C on a cat) makes that wait end with
 * EINTR within a poll interval (common/interrupt.h), instead of the kernel
 * holding the caller, unkillable, until Graph answers. */
#ifndef GS_INTERRUPTIBLE_H
#define GS_INTERRUPTIBLE_H

#include <fuse_lowlevel.h>

/* ops with every handler that may wait on Graph wrapped: the request's
 * interruption is armed for the serving thread while the handler runs. */
const struct fuse_lowlevel_ops *gs_interruptible_ops(const struct fuse_lowlevel_ops *ops);

#endif

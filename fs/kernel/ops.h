/* The FUSE low-level operations of graphsyncfs. */
#ifndef GS_OPS_H
#define GS_OPS_H

#include <fuse_lowlevel.h>

extern const struct fuse_lowlevel_ops gs_ops;

#endif

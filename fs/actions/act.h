/* What writing or touching a control-like file does: the kinds with a room
 * of their own (settings, allow_deletes) or the generic control files
 * (control.h). The kernel layer calls only this. */
#ifndef GS_ACT_H
#define GS_ACT_H

#include <stddef.h>

#include "fs/model/fs.h"

int gs_act(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len);

#endif

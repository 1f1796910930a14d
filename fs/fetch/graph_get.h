/* Reading Graph documents for the filesystem (views and actions use this,
 * never gs_cache_get directly). */
#ifndef GS_GRAPH_GET_H
#define GS_GRAPH_GET_H

#include "fs/model/fs.h"

/* Graph just failed at the transport level (no HTTP answer): for a few
 * seconds, tenant-wide work uses what is cached instead of waiting on it
 * again for every service principal. */
void gs_fs_mark_graph_down(struct gs_fs *fs);
int gs_fs_graph_down(struct gs_fs *fs);
/* Monotonic seconds. */
double gs_fs_mono(void);

/* gs_cache_get for the filesystem: while Graph is down (a transport failure
 * since the last success), a read that may be served stale and has a copy
 * is served from it at once instead of waiting on Graph again, so that one
 * system call does not chain several request budgets. Transport failures
 * mark Graph down; successes mark it up.
 * Returns 0 with err->err set when the doc is a copy past its time-to-live,
 * served because the refresh brought no usable answer (Graph unreachable,
 * 429, 5xx, a redirect, a body that is not JSON): err says why
 * (gs_fs_stale_record tells the directory's last_error). */
int gs_fs_get(struct gs_fs *fs, const char *key, enum gs_ttl_class cls, unsigned flags,
              struct gs_doc **out, struct gs_error *err);

#endif

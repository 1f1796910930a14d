/* The request a mount makes before it detaches: Graph answers, or the mount
 * fails with one line in plain words. */
#ifndef GS_FS_PROBE_H
#define GS_FS_PROBE_H

#include <stddef.h>

#include "api/graph_client.h"

/* GETs one service principal within connect_timeout + timeout seconds (a
 * Graph that accepts the connection but never answers fails the mount then,
 * not after every retry). Returns 0, or a negative errno after printing
 * "graphsyncfs: ..." on stderr. */
int gs_probe_graph(const struct gs_client_config *cc);

/* The one-line reason for a failed probe, without the "graphsyncfs: " prefix.
 * Transport failures (no HTTP answer) in plain words; Graph's own answer
 * with its status, code and message. */
void gs_probe_describe(const struct gs_client_config *cc, int r, const struct gs_error *err,
                       char *out, size_t cap);

#endif

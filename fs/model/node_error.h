/* Recording a failed request against the directory that owns a node: its
 * `last_error` (model/errors.h) and a warning in the log. A 404 also makes
 * the listings that named the node ask Graph again. */
#ifndef GS_NODE_ERROR_H
#define GS_NODE_ERROR_H

#include "fs/model/fs.h"

void gs_node_record_error(struct gs_fs *fs, const struct gs_node *n, const struct gs_error *err);

#endif

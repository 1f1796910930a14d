/* Assembling the filesystem: the model (model/fs.h) and every part the
 * layers above it keep in it (last errors, scratch files, the listing
 * index, the tenant views, read-ahead workers, the invalidation thread).
 * The only file that knows every room; main.c calls it. */
#ifndef GS_FILESYSTEM_H
#define GS_FILESYSTEM_H

#include "fs/model/fs.h"
#include "fs/views/logs/logs.h"

/* Builds fs (already allocated, its session in fs->se set by the caller
 * after this returns) and starts its threads. 0 or negative errno; on
 * failure nothing is left to free. */
int gs_filesystem_start(struct gs_fs *fs, const struct gs_fs_config *cfg,
                        struct gs_client *client, struct gs_cache *cache,
                        int batch_workers, const struct gs_logs_config *logs);
/* Stops the threads and frees everything gs_filesystem_start built. */
void gs_filesystem_stop(struct gs_fs *fs);

#endif

#include "fs/model/rules/pending.h"
#include "fs/filesystem.h"

#include <errno.h>

#include "fs/actions/scratch.h"
#include "fs/fetch/readahead.h"
#include "fs/kernel/dirlist.h"
#include "fs/kernel/inval.h"
#include "fs/kernel/ops_internal.h"
#include "fs/kernel/trim.h"
#include "fs/model/errors.h"
#include "fs/views/keeper.h"
#include "fs/views/sp_index.h"
#include "fs/views/monitor/monitor.h"
#include "fs/views/tenant.h"
#include "fs/views/walk.h"
#include "fs/actions/walk_scan.h"

/* Scratch files may hold this much in all (memory only, lost at unmount). */
#define SCRATCH_MAX_BYTES (64u << 20)

static void free_parts(struct gs_fs *fs)
{
    gs_logs_free(fs->logs);
    fs->logs = NULL;
    gs_walk_free(fs->walk);
    fs->walk = NULL;
    gs_walk_scan_free(fs->walk_scan);
    fs->walk_scan = NULL;
    gs_tenant_views_free(fs->views);
    fs->views = NULL;
    gs_monitor_free(fs->monitor);
    fs->monitor = NULL;
    gs_rules_pending_free(fs->rules);
    fs->rules = NULL;
    gs_sp_index_free(fs->sp_index);
    fs->sp_index = NULL;
    gs_scratch_free(fs->scratch);
    fs->scratch = NULL;
    gs_errors_free(fs->errors);
    fs->errors = NULL;
    gs_dirlists_free(fs->dirlists);
    fs->dirlists = NULL;
}

int gs_filesystem_start(struct gs_fs *fs, const struct gs_fs_config *cfg,
                        struct gs_client *client, struct gs_cache *cache,
                        int batch_workers, const struct gs_logs_config *logs)
{
    struct fuse_session *se = fs->se;
    int r = gs_fs_init(fs, cfg, client, cache);
    if (r != 0)
        return r;
    fs->se = se;
    if (gs_errors_new(&fs->errors) != 0 || gs_scratch_new(&fs->scratch, SCRATCH_MAX_BYTES) != 0 ||
        gs_sp_index_new(&fs->sp_index) != 0 || gs_tenant_views_new(&fs->views) != 0 ||
        gs_monitor_new(&fs->monitor) != 0 ||
        gs_rules_pending_new(&fs->rules) != 0 || gs_logs_new(logs, &fs->logs) != 0 ||
        gs_walk_new(&fs->walk) != 0 || gs_walk_scan_new(&fs->walk_scan) != 0 ||
        gs_dirlists_new(&fs->dirlists) != 0) {
        r = -ENOMEM;
        goto fail;
    }
    r = gs_readahead_start(fs, batch_workers, &fs->readahead);
    if (r != 0)
        goto fail;
    struct gs_inval *iv = NULL;
    r = gs_keeper_start(fs, &fs->keeper);
    if (r == 0)
        r = gs_trim_start(fs, &fs->trim);
    if (r == 0)
        r = gs_inval_start(fs, &iv);
    if (r != 0) {
        gs_trim_stop(fs->trim);
        fs->trim = NULL;
        gs_keeper_stop(fs->keeper);
        fs->keeper = NULL;
        gs_readahead_stop(fs->readahead);
        fs->readahead = NULL;
        goto fail;
    }
    __atomic_store_n(&fs->inval, iv, __ATOMIC_RELEASE);
    return 0;
fail:
    free_parts(fs);
    gs_fs_destroy(fs);
    return r;
}

void gs_filesystem_stop(struct gs_fs *fs)
{
    struct gs_inval *iv = __atomic_exchange_n(&fs->inval, NULL, __ATOMIC_ACQ_REL);
    gs_inval_stop(iv);
    gs_trim_stop(fs->trim);
    fs->trim = NULL;
    gs_keeper_stop(fs->keeper);
    fs->keeper = NULL;
    gs_readahead_stop(fs->readahead);
    fs->readahead = NULL;
    gs_ops_free_open_handles(fs);
    free_parts(fs);
    gs_fs_destroy(fs);
}

#include "fs/actions/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "fs/actions/audit.h"
#include "fs/actions/job_backup.h"
#include "fs/model/node_error.h"

/* The job is gone: its documents, and the listing that named it. */
static void forget_job(struct gs_fs *fs, const struct gs_node *jobs, const char *path)
{
    gs_cache_remove(fs->cache, path);
    char *prefix = NULL;
    if (asprintf(&prefix, "%s/", path) >= 0)
        gs_cache_invalidate_prefix(fs->cache, prefix);
    free(prefix);
    char *listing = gs_kind_key(GS_K_JOBS, jobs->sp, NULL, NULL);
    if (listing)
        gs_cache_invalidate(fs->cache, listing);
    free(listing);
}

int gs_job_delete(struct gs_fs *fs, const struct gs_node *jobs, const char *job)
{
    char *path = gs_path("/servicePrincipals/%s/synchronization/jobs/%s", jobs->sp, job);
    if (!path)
        return -ENOMEM;
    gs_audit_set_subject(fs, jobs, job);
    struct gs_request rq = {.method = "DELETE", .path = path};
    struct gs_error err = {0};
    char *saved = NULL; /* the schema and the job, kept in the sp's backups/: no backup, no deletion */
    int r = gs_job_backup(fs, jobs->sp, job, 1, &saved, &err);
    free(saved);
    if (r == 0)
        r = gs_client_request(fs->client, &rq, NULL, &err);
    if (r < 0) {
        gs_node_record_error(fs, jobs, &err);
    } else {
        gs_info("deleted job %s", job);
        forget_job(fs, jobs, path);
    }
    gs_error_clear(&err);
    free(path);
    return r;
}

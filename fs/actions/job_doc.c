/* The job document for the files made from it (job_doc.h). */
#include "fs/actions/job_doc.h"

#include <errno.h>
#include <stdlib.h>

#include "fs/actions/walk_scan.h"
#include "fs/fetch/graph_get.h"
#include "fs/model/node_error.h"

int gs_job_doc_get(struct gs_fs *fs, const struct gs_node *n, int fresh, struct gs_doc **out)
{
    *out = NULL;
    char *key = gs_kind_key(GS_K_JOB_JSON, n->sp, n->job, NULL);
    if (key && fresh)
        gs_cache_invalidate(fs->cache, key);
    struct gs_error err = {0};
    int r = -ENOMEM;
    if (key && !fresh && gs_walk_scan_get(fs, key, out) == 0) /* a walk's: as its scan brought it */
        r = 0;
    else if (key)
        r = gs_fs_get(fs, key, GS_TTL_STATUS, gs_kind_get_flags(GS_K_JOB_JSON), out, &err);
    free(key);
    if (r < 0)
        gs_node_record_error(fs, n, &err);
    gs_error_clear(&err);
    return r;
}

/* What one tenant-wide scan of every job found out about itself: how many
 * service principals it read and which ones' jobs it could not read. The
 * monitoring views (views/monitor/) never call a partial scan healthy. */
#ifndef GS_SCAN_RESULT_H
#define GS_SCAN_RESULT_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "api/graph_error.h"

typedef int (*gs_scan_job_fn)(void *ctx, const cJSON *sp, const cJSON *job);

struct gs_scan_result {
    gs_scan_job_fn fn;      /* input: called for every job read */
    void *ctx;
    size_t sps;             /* service principals whose jobs were asked for */
    size_t unreadable;      /* of which the jobs could not be read */
    char first_error[200];  /* the first of those: "<spId>: HTTP 500 generalException" */
};

/* Records the outcome of reading one service principal's job listing:
 * r is its result, err its failure (a 404 is a principal without
 * synchronization, not a hole in the scan). */
void gs_scan_note(struct gs_scan_result *res, const char *sp, int r, const struct gs_error *err);

#endif

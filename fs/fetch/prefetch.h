/* Fetching a job's documents together: the first look at one of
 * schema.json, functions.json or filterOperators.json (an `ls -l` of the job
 * directory) fetches every one of them that is not cached in one $batch,
 * instead of one GET each. Concurrent callers for the same job wait for
 * that batch instead of sending their own. */
#ifndef GS_PREFETCH_H
#define GS_PREFETCH_H

#include "fs/model/fs.h"

/* Fills the cache for n's job; failures are left for the single GET that
 * follows to report. */
void gs_prefetch_job_docs(struct gs_fs *fs, const struct gs_node *n);

#endif

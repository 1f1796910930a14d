/* The job document (job.json's Graph object) read for the files made from
 * it: allow_deletes and the monitor's health. */
#ifndef GS_ACTIONS_JOB_DOC_H
#define GS_ACTIONS_JOB_DOC_H

#include "fs/model/fs.h"

/* The job document of job node n: the calling process's walk's copy, as its
 * scan brought it (walk_scan.h), else gs_fs_get's under the status
 * time-to-live; with fresh, the cached copy is invalidated and fetched again
 * (an action decides on it). A failure is recorded as n's last error.
 * 0 with *out (a reference), or -errno. */
int gs_job_doc_get(struct gs_fs *fs, const struct gs_node *n, int fresh, struct gs_doc **out);

#endif

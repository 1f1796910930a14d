/* The backup promise for the two most destructive actions (issue 13,
 * finding 10): before resetSchema deletes a job's schema, and before rmdir
 * deletes a job, the schema as Graph has it now (and, for rmdir, the job
 * object) is saved in the service principal's backups/ directory
 * (<backup_dir>/<spId>/, backup.h), which outlives the job. */
#ifndef GS_JOB_BACKUP_H
#define GS_JOB_BACKUP_H

#include "fs/model/fs.h"

/* Saves schema-<jobId>-<time>.json (without its version, so that copying
 * it over a schema.json restores it) and, with with_job, job-<jobId>-<time>.json.
 * *where gets "servicePrincipals/<spId>/backups/<name>[, <name>]" (malloc'd;
 * NULL with backup_dir=none, when nothing is saved). A schema Graph does not
 * have (404) needs no backup. Any other failure: negative errno, err says
 * why, and the caller must not destroy anything. */
int gs_job_backup(struct gs_fs *fs, const char *sp, const char *job, int with_job, char **where,
                  struct gs_error *err);

#endif

/* Deleting a job (rmdir jobs/<jobId>, DESIGN.md section 5): its state is
 * gone; what it provisioned stays. */
#ifndef GS_JOB_H
#define GS_JOB_H

#include "fs/model/fs.h"

/* Saves the schema and the job object in the service principal's backups/
 * first (job_backup.h: no backup, no deletion), DELETEs job `job` of the
 * service principal of `jobs` (its jobs/ directory), then forgets the job's
 * cached documents and the listing that named it. A failure is recorded in the service principal's last_error.
 * 0 or negative errno. */
int gs_job_delete(struct gs_fs *fs, const struct gs_node *jobs, const char *job);

#endif

/* Backups of replaced documents, kept on disk under backup_dir so that a
 * refused or regretted save can be undone (Graph keeps no history):
 * <backup_dir>/<spId>/<jobId>/schema-<UTC time>.json, mode 0600. They are
 * listed read-only in the job's backups/ directory. A schema is kept without
 * its "version", so that `cp backups/<file> schema.json` restores it. */
#ifndef GS_BACKUP_H
#define GS_BACKUP_H

#include <stddef.h>

#include "fs/model/blob.h"

/* job NULL: the service principal's own backups (<backup_dir>/<spId>/),
 * listed in its backups/ directory, which outlive the deletion of a job.
 * Writes a backup; *name_out (may be NULL) gets its malloc'd file name. */
int gs_backup_save(const char *backup_dir, const char *sp, const char *job, const char *what,
                   const char *data, size_t len, char **name_out);
/* Names of the backups of a job, oldest first (malloc'd array of malloc'd). */
int gs_backup_list(const char *backup_dir, const char *sp, const char *job, char ***names, size_t *n);
/* Records in the job's index.tsv (time, file, uid, pid of the saver) that
 * backup name was just saved, then removes the oldest backups beyond keep
 * (keep 0: none removed) and their index lines. Refused saves
 * (GS_REFUSED_PREFIX) are neither counted nor removed there. */
#define GS_BACKUP_INDEX "index.tsv"
#define GS_BACKUP_INDEX_HEADER "time\tfile\tuid\tpid\n"
int gs_backup_note(const char *backup_dir, const char *sp, const char *job, const char *name,
                   unsigned uid, int pid, int keep);
/* 1 when the job has an index.tsv. */
int gs_backup_has_index(const char *backup_dir, const char *sp, const char *job);
/* Removes the oldest backups whose names start with prefix beyond the newest
 * `keep` (the names sort by time). Failures are ignored: pruning is tidying. */
void gs_backup_prune(const char *backup_dir, const char *sp, const char *job, const char *prefix,
                     size_t keep);
/* Refused schema saves kept per job (backups/refused-<time>.json): the newest
 * GS_REFUSED_KEEP, whatever backup_keep says, so that refusals never push
 * out the backups of replaced schemas. */
#define GS_REFUSED_PREFIX "refused-"
#define GS_REFUSED_KEEP 10
int gs_backup_read(const char *backup_dir, const char *sp, const char *job, const char *name,
                   struct gs_blob **out, struct timespec *mtime);

#endif

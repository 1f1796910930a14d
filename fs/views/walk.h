/* Read-ahead for walks of the tree (find, du, grep -r, cp -r, tar, rsync):
 * visiting a service principal's directory queues, in batches, what the walk
 * will read there and in the next ones in listing order (secrets.json, the
 * templates listing and then each template's schema, the jobs listing and
 * then each job's schema, functions and filterOperators), a few at a first
 * visit and further ahead while the visits follow the listing. A job's
 * schema.json read alone brings the schemas of the other jobs of the tenant
 * (jobs/) in the same batches, those the reads go towards. A walk that
 * stats no file (find) gets no secrets.json. A document a batch is bringing is waited for,
 * never fetched alone beside it: stat(2) of a file in a walk costs no request
 * of its own. */
#ifndef GS_WALK_H
#define GS_WALK_H

#include "fs/model/fs.h"

/* Where the walks of a filesystem are (fs->walk; thread-safe, see walk.c). */
struct gs_walk;
int gs_walk_new(struct gs_walk **out);
void gs_walk_free(struct gs_walk *w);

/* A walk visits servicePrincipals/<sp>/ (its listing was read). */
void gs_walk_sp(struct gs_fs *fs, const char *sp);

/* functions.json or filterOperators.json of a job is read or stat'ed (ls -l,
 * du): the missing ones of its schema, functions and filterOperators, in one
 * batch. A listing alone (find) fetches none of them. */
void gs_walk_job_dir(struct gs_fs *fs, const char *sp, const char *job);

/* A job directory was listed: a stat or read of its documents soon after
 * brings all three of them (gs_walk_job_dir). */
void gs_walk_job_listed(struct gs_fs *fs, const char *sp, const char *job);

/* Node n's document is needed and not fresh: siblings are queued with it
 * (kinds with GS_KF_SIBLINGS), and a batch bringing it is waited for. */
void gs_walk_need(struct gs_fs *fs, const struct gs_node *n);

#endif

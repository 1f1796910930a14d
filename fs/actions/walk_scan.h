/* One walk, one scan (issue 14, man page "Walks"): a process that lists
 * jobs/ (grep -R, find, du) or servicePrincipals/ begins a walk. What was
 * fetched from the moment its walk began (the tenant scan behind jobs/, the
 * read-ahead behind servicePrincipals/) serves that process, however long
 * its walk lasts: a job's status.json, job.json, schedule.json and
 * settings.json, a service principal's job listing, and a tenant scan it
 * runs again (jobs/ at the end of a find) are not fetched again when their
 * time-to-live passes meanwhile. Any other process keeps the
 * times-to-live: a copy past its time-to-live is never shown to it as
 * fresh. A walk ends when its process has asked nothing through it for
 * dir_timeout seconds, or another process's walk takes its place (a few
 * walks at a time). The job listings behind the links of jobs/, and the
 * jobs, are held for the walk that listed it: the cache's memory bound
 * cannot drop what the walk reads next; so are the job listings the
 * read-ahead brings for a walk that listed servicePrincipals/, each until
 * the walk reads it (gs_walk_scan_read). The caller is the process (the
 * thread id FUSE gives) of the request this thread serves (audit.h). */
#ifndef GS_WALK_SCAN_H
#define GS_WALK_SCAN_H

#include "fs/model/fs.h"

struct gs_walk_scan;
int gs_walk_scan_new(struct gs_walk_scan **out);
void gs_walk_scan_free(struct gs_walk_scan *s);

/* The calling process lists `what` (GS_WALK_LISTS_*) from a snapshot that
 * begins at cache time since (gs_cache_now, or when the view it lists was
 * scanned): it walks from since on, unless its walk is already going and
 * has not listed `what` yet (find lists servicePrincipals/, then jobs/: one
 * walk). Listing the same again from a newer snapshot moves the walk on to
 * it (a script that lists and reads in a loop reads copies at most its
 * loop's period past their time-to-live); from the same snapshot (grep -R
 * opens jobs/ twice) it changes nothing. */
enum { GS_WALK_LISTS_JOBS = 1, GS_WALK_LISTS_SPS = 2 };
void gs_walk_scan_begin(struct gs_fs *fs, unsigned what, double since);

/* Ends the walks whose process read nothing through them for dir_timeout
 * seconds, and lets what they held go (the memory keeper's round). */
void gs_walk_scan_end_idle(struct gs_fs *fs);

/* 1 and the earliest *since (cache time) of the walks going on, 0 when
 * none is: what was stored since then may still serve one of them, and the
 * memory keeper keeps it (keeper.c). */
int gs_walk_scan_oldest(struct gs_fs *fs, double *since);

/* 1 and *since (cache time) when the calling process is walking. */
int gs_walk_scan_since(struct gs_fs *fs, double *since);

/* Keeps a reference to doc for the calling process's walk (none: nothing). */
void gs_walk_scan_hold(struct gs_fs *fs, struct gs_doc *doc);

/* The cached doc at key as the calling process's walk has it: stored since
 * the walk began and not invalidated, however old. 0 with *out (a
 * reference), or -ENOENT (no walk, or no such copy: fetch as usual). */
int gs_walk_scan_get(struct gs_fs *fs, const char *key, struct gs_doc **out);

/* The calling process's walk read the job listing at key: the read-ahead's
 * hold on it for the walk (readahead.h gs_readahead_hold_begin, taken when
 * the walk lists servicePrincipals/) is let go. */
void gs_walk_scan_read(struct gs_fs *fs, const char *key);

#endif

/* Tenant-scale read-ahead (DESIGN.md section 7): listing servicePrincipals/
 * queues the job listing of every service principal in it; worker threads
 * fetch them 20 per $batch and fill the cache (each listing and each job in
 * it). The batches in flight adapt (AIMD): the window grows while Graph
 * answers and halves when it throttles, up to the workers (max_conns); items
 * Graph throttled are batched again after their Retry-After, and no batch
 * starts before it. A read that needs a listing puts it at the
 * front of the queue (gs_readahead_fetch_now) and waits for that batch, or
 * for the one already fetching it; a key is never fetched twice at once.
 * A batch goes with 20 items, or with fewer only when a reader waits for
 * one of them or no batch is in flight (an answer queues more: the schemas
 * of the templates and jobs it listed). */
#ifndef GS_READAHEAD_H
#define GS_READAHEAD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fs/model/kinds.h"

struct gs_fs;
struct gs_readahead;

/* workers: most batches in flight (0: read-ahead off). */
int gs_readahead_start(struct gs_fs *fs, int workers, struct gs_readahead **out);
void gs_readahead_stop(struct gs_readahead *ra);

/* Queues the job listings of these service principals: with refresh, those
 * not fresh; without (a listing of servicePrincipals/), those not fetched
 * within listing_recent (a status is refreshed when it is read, not every
 * time someone lists the directory). */
void gs_readahead_queue_sps(struct gs_readahead *ra, const char *const *sp_ids, size_t n, int refresh);

/* Fetches every listed service principal's job listing that is not fresh,
 * ahead of the queue, and returns when each has been tried. Without workers
 * it fetches them itself, 20 per $batch. */
void gs_readahead_fetch_now(struct gs_fs *fs, struct gs_readahead *ra, const char *const *sp_ids, size_t n);

/* 1 when the job listing at key needs no request now: fresh, or empty
 * (a service principal with no job) and stored within dir_timeout. */
int gs_readahead_jobs_usable(struct gs_fs *fs, const char *key);

/* Queues documents or listings (keys[i] of kinds[i]) behind the queue, all
 * at once (workers take them 20 per batch): a walk will visit them next. A templates listing brings its templates' schemas
 * after it, a jobs listing its jobs' schemas, and with stats (a walk that
 * stats files: du) their functions and filterOperators too. */
void gs_readahead_queue(struct gs_readahead *ra, const enum gs_kind *kinds, char *const *keys, size_t n,
                        int stats);

/* Between gather(ra, 1) and gather(ra, 0) the queue goes only in full
 * batches (or for a reader waiting): what a caller queues in several calls
 * (a walk's next service principals, the documents of their jobs) goes
 * together, not its first part alone to an idle worker. */
void gs_readahead_gather(struct gs_readahead *ra, int begin);

/* Queues the schema of every job in the cached jobs listing at jobs_key that
 * is not fresh, and with stats its functions and filterOperators. */
void gs_readahead_queue_job_docs(struct gs_readahead *ra, const char *jobs_key, int stats);

/* Fetches these keys (of kinds[i]) now, in batches ahead of the queue (by
 * itself without read-ahead threads), and returns when each was tried. */
void gs_readahead_fetch_keys(struct gs_fs *fs, const enum gs_kind *kinds, char *const *keys, size_t n);

/* Waits for a key queued or in flight (moved to the front of the queue),
 * so that a reader does not fetch alone what a batch is bringing. */
void gs_readahead_await(struct gs_readahead *ra, const char *key);

/* A tenant scan (status.tsv, jobs/): scan_add queues, at the front, every
 * given service principal's job listing that is not usable (as each page of
 * the service principal listing arrives, and for the whole listing); scan_take
 * returns each as its batch arrives (the scan holds it, so the cache bound
 * cannot evict it before it is read), GS_RA_NO_JOBS (*out NULL) for one that
 * arrived empty (nothing is held for it: scan_empty_changed gives the latest
 * changed_at among those), or -ENOENT when the read-ahead could not bring it
 * (the caller then fetches it itself). Without read-ahead
 * threads scan_new returns NULL and scan_add fetches the listings itself. */
struct gs_ra_scan;
struct gs_doc;
/* since: cache time the scan's snapshot began (gs_cache_now, or earlier for
 * a walk's: actions/walk_scan.h); a listing stored since is not fetched again. */
struct gs_ra_scan *gs_readahead_scan_new(struct gs_fs *fs, double since);
void gs_readahead_scan_add(struct gs_fs *fs, struct gs_ra_scan *s, const char *const *sp_ids, size_t n);
/* The scan's service principal listing is complete (scan_end says so too):
 * until then the queue goes only in full batches, as more keys are coming
 * (unless a reader waits for one). */
void gs_readahead_scan_listed(struct gs_fs *fs, struct gs_ra_scan *s);
#define GS_RA_NO_JOBS 1
int gs_readahead_scan_take(struct gs_fs *fs, struct gs_ra_scan *s, const char *key, struct gs_doc **out);
/* Raises *latest to the latest changed_at of the listings taken as GS_RA_NO_JOBS. */
void gs_readahead_scan_empty_changed(struct gs_fs *fs, struct gs_ra_scan *s, struct timespec *latest);
void gs_readahead_scan_end(struct gs_fs *fs, struct gs_ra_scan *s);

/* A hold for a walk (owner: its process, walk_scan.h): every job listing a
 * batch brings while the hold is on is kept (a reference) until hold_drop of
 * its key (the walk read it) or hold_end, so that the cache's bound cannot
 * evict, before the walk reaches it, what the walk's read-ahead brought (it
 * was then fetched again, 20 per miss). hold_begin on an owner held already
 * keeps its hold. Job listings are small (most are empty); documents and
 * templates are not held. */
void gs_readahead_hold_begin(struct gs_readahead *ra, long owner);
void gs_readahead_hold_drop(struct gs_readahead *ra, long owner, const char *key);
void gs_readahead_hold_end(struct gs_readahead *ra, long owner);

/* Stores one job listing answer: the listing and each job in it (expired
 * when changed after mark, from gs_cache_mark). */
void gs_readahead_store_jobs(struct gs_fs *fs, const char *jobs_key, const char *body, size_t len,
                             const char *request_id, uint64_t mark);

#endif

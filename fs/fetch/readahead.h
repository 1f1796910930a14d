/* Tenant-scale read-ahead (DESIGN.md section 7): listing servicePrincipals/
 * queues the job listing of every service principal in it; worker threads
 * fetch them 20 per $batch, a few batches in flight, and fill the cache (each
 * listing and each job in it). A read that needs a listing puts it at the
 * front of the queue (gs_readahead_fetch_now) and waits for that batch, or
 * for the one already fetching it; a key is never fetched twice at once. */
#ifndef GS_READAHEAD_H
#define GS_READAHEAD_H

#include <stddef.h>
#include <stdint.h>

struct gs_fs;
struct gs_readahead;

/* workers: batches in flight (0: read-ahead off). */
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

/* Stores one job listing answer: the listing and each job in it (expired
 * when changed after mark, from gs_cache_mark). */
void gs_readahead_store_jobs(struct gs_fs *fs, const char *jobs_key, const char *body, size_t len,
                             const char *request_id, uint64_t mark);

#endif

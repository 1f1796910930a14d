/* The tenant's log window, for walks (issue 14, one walk, one scan): a
 * grep -R or cp -r through jobs/ reads the log files of every job, four
 * queries per job at 5 requests per 10 s. Once a second job's logs are
 * read within WALK_SECONDS of the first, the window is fetched once with
 * one paged query over every job (activityDateTime gt the window start,
 * $top 1000) and each job's files are served from it, split by jobId and by
 * the file's own filter. A file of one job read alone keeps its own query.
 * The window is kept log_poll seconds: no file served from it is older
 * than a polled file. Thread-safe (its own lock, never held across I/O;
 * taken with no other lock of the logs held). */
#ifndef GS_LOG_WINDOW_H
#define GS_LOG_WINDOW_H

#include <cjson/cJSON.h>

#include "api/rate_bucket.h"
#include "fs/model/fs.h"

/* A second distinct job's logs read within this many seconds: a walk. */
#define GS_LOG_WALK_SECONDS 60.0

struct gs_log_window;
int gs_log_window_new(double window, double keep, double wait, struct gs_log_window **out);
void gs_log_window_free(struct gs_log_window *w);

/* The file's filter: the job's events, with that status or action (NULL: any). */
struct gs_log_pick {
    const char *job, *status, *action;
};

/* The events of one job's file from the tenant's window, when a walk is
 * seen or the window is fresh: 1 with *events (oldest first, caller
 * deletes) and *newest (malloc'd: the window's newest event time, from
 * which the file is polled later; NULL when the window is empty); 0 when
 * this read uses its own query (no walk, or the window query failed or was
 * cut: then no file is served from it); -EAGAIN with err when this read's
 * window query found no request slot in the read's time (Graph throttling
 * or the shared bucket): the read's own query would wait as long again. */
int gs_log_window_pick(struct gs_fs *fs, struct gs_log_window *w, struct gs_rate_bucket *bucket,
                       const struct gs_log_pick *pick, cJSON **events, char **newest, struct gs_error *err);

/* Drops a window older than keep seconds (memory), when nobody waits. */
void gs_log_window_sweep(struct gs_log_window *w);

#endif

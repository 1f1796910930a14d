/* Provisioning logs as files (issue 15): servicePrincipals/<sp>/jobs/<job>/logs/
 * and logs/ at the root. Each file is one query sent to Graph (api/logs.h),
 * first over the log window, then, while it is read, polled every log_poll
 * seconds for events after the newest one seen and appended: the bytes a
 * reader has seen never change, and the file only grows (tail -f). */
#ifndef GS_FS_LOGS_H
#define GS_FS_LOGS_H

#include <stddef.h>
#include <time.h>

#include "api/graph_client.h"
#include "fs/model/fs.h"

struct gs_logs_config {
    double window;       /* log_window: seconds of history a file starts with (24 h) */
    double poll;         /* log_poll: seconds between two polls of a file being read (30) */
    int rate_limit;      /* log_rate=N/S: N requests ... */
    double rate_window;  /* ... per S seconds, for every log read together (5/10) */
    double wait;         /* how long a read may wait for a request slot (timeout=) */
};

/* Defaults, then the option values given (NULL: not given). 0, or -EINVAL
 * with the reason in why. */
int gs_logs_config_parse(const char *window, const char *poll, const char *rate, double wait,
                         struct gs_logs_config *out, char *why, size_t why_len);

struct gs_logs;
int gs_logs_new(const struct gs_logs_config *cfg, struct gs_logs **out);
void gs_logs_free(struct gs_logs *l);

/* Kinds of this room. */
int gs_logs_is_file(enum gs_kind k);
/* by-id/ and by-user/: nothing listed, any well-formed name looked up. */
int gs_logs_lookup_only(enum gs_kind k);
/* A name in by-id/ (<objectId>.jsonl or .txt) or by-user/ (<id or UPN>.jsonl):
 * 0 with *out filled, or -ENOENT; no request. */
int gs_logs_lookup(struct gs_node *dir, const char *name, struct gs_dirent *out);

/* A log file's bytes: fetched at the first read, polled while read (a poll
 * that fails keeps the bytes and records last_error; a first fetch that fails
 * is the read's error: EACCES without AuditLog.Read.All, EAGAIN when no
 * request slot came free in time). fs->lock not held. */
int gs_logs_content(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime);

/* What stat(2) of a log file reports. A file never read (or forgotten) is
 * empty and costs no request: a walk (du, find -ls, ls -l, rsync, tar)
 * stats every log file, and each query would take a slot of the
 * rate-limited log endpoint. A file read before is what gs_logs_content
 * gives (polled when due), so tail -f, which polls with fstat, follows it.
 * Reads use direct I/O and go to the end whatever the size said, as with
 * the files of /proc. */
int gs_logs_known(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime);

/* Events of node n's job after the time `since` (ISO 8601), by outcome:
 * the first call fetches them, later ones poll as log files do. */
struct gs_log_counts {
    unsigned created, updated, failed, skipped, other;
};
int gs_logs_counts_since(struct gs_fs *fs, struct gs_node *n, const char *since, struct gs_log_counts *out);

/* bulkUpload's result, followed by when the last upload was accepted and
 * the job's events since then by outcome (replaces *out). */
int gs_logs_add_upload_summary(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out);

#endif

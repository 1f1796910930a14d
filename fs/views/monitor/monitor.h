/* Monitoring files at the mount's root (man page, "Monitoring"):
 * metrics.prom (Prometheus text exposition), check (one Nagios plugin line)
 * and check.state (its number), all from one scan of every job, made as
 * status.tsv's (views/tenant.c) and kept as long as a built status.tsv is;
 * and jobs/<id>/health, the same verdict for one job. */
#ifndef GS_MONITOR_H
#define GS_MONITOR_H

#include <stddef.h>

#include "fs/model/fs.h"
#include "fs/views/monitor/verdict.h"

/* One job as the scan saw it. */
struct gs_mon_job {
    char *sp, *app, *name, *job, *tpl; /* spId, appDisplayName, displayName, jobId, templateId */
    struct gs_job_facts facts;
};

/* A scan: its jobs, how whole it was, when it was made. */
struct gs_mon_scan {
    struct gs_mon_job *jobs;
    size_t n;
    int err;                /* the scan failed as a whole (negative errno), 0 otherwise */
    size_t sps, unreadable; /* service principals asked for, whose jobs could not be read */
    char first_error[200];
    int graph_down;         /* Graph did not answer: job states are the cache's */
    double at;              /* wall-clock seconds when it was made */
};

struct gs_monitor;
int gs_monitor_new(struct gs_monitor **out);
void gs_monitor_free(struct gs_monitor *m);

/* The bytes of metrics.prom, check or check.state (by kind). */
int gs_monitor_file(struct gs_fs *fs, enum gs_kind kind, struct gs_blob **out, struct timespec *mtime);
/* The bytes of jobs/<id>/health for job node n. */
int gs_monitor_health(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out,
                      struct timespec *mtime);

/* Renderers (metrics.c, check.c): malloc'd text, NULL on ENOMEM. */
char *gs_metrics_render(const struct gs_mon_scan *s, const struct gs_thresholds *t, double now);
enum gs_state gs_check_render(const struct gs_mon_scan *s, const struct gs_thresholds *t, double now,
                              char **line);

#endif

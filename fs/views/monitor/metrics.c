/* metrics.prom: the Prometheus text exposition format, version 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/): every
 * family once, HELP and TYPE before its samples, label values escaped.
 * Label names are Graph's fields in snake_case (sp_id = spId, app_display_name
 * = appDisplayName, job_id = jobId, template_id = templateId), as promtool's
 * lint asks of label names. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "fs/views/monitor/monitor.h"

/* A label value: backslash, double quote and line feed escaped. */
static void label_value(struct gs_buf *b, const char *s)
{
    gs_buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '\\')
            gs_buf_puts(b, "\\\\");
        else if (*s == '"')
            gs_buf_puts(b, "\\\"");
        else if (*s == '\n')
            gs_buf_puts(b, "\\n");
        else
            gs_buf_putc(b, *s);
    }
    gs_buf_putc(b, '"');
}

static void family(struct gs_buf *b, const char *name, const char *help)
{
    gs_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void job_labels(struct gs_buf *b, const struct gs_mon_job *j)
{
    gs_buf_puts(b, "{sp_id=");
    label_value(b, j->sp);
    gs_buf_puts(b, ",app_display_name=");
    label_value(b, j->app[0] ? j->app : j->name);
    gs_buf_puts(b, ",job_id=");
    label_value(b, j->job);
    gs_buf_puts(b, ",template_id=");
    label_value(b, j->tpl);
}

static void sample(struct gs_buf *b, const char *name, const struct gs_mon_job *j, double v)
{
    gs_buf_puts(b, name);
    job_labels(b, j);
    gs_buf_printf(b, "} %.15g\n", v);
}

enum which { ACTIVE, QUARANTINED, ESCROWED, SINCE, STEADY, PROGRESS, HEALTH, NFAM };

static const struct {
    const char *name, *help;
} fams[NFAM] = {
    [ACTIVE] = {"graphsyncfs_job_active", "1 when the job's schedule is Active."},
    [QUARANTINED] = {"graphsyncfs_job_quarantined", "1 when the job is in quarantine (label reason)."},
    [ESCROWED] = {"graphsyncfs_job_escrowed", "Entries in escrow after the job's last run."},
    [SINCE] = {"graphsyncfs_job_seconds_since_last_success",
               "Seconds since the job's last successful run ended (absent: never)."},
    [STEADY] = {"graphsyncfs_job_steady_state", "1 when the job has reached steady state."},
    [PROGRESS] = {"graphsyncfs_job_progress_ratio",
                  "Completed share of the cycle in progress (absent: none in progress)."},
    [HEALTH] = {"graphsyncfs_job_health_state",
                "The job's check state: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."},
};

static void job_family(struct gs_buf *b, enum which w, const struct gs_mon_scan *s,
                       const struct gs_thresholds *t, double now)
{
    family(b, fams[w].name, fams[w].help);
    for (size_t i = 0; i < s->n; i++) {
        const struct gs_mon_job *j = &s->jobs[i];
        const struct gs_job_facts *f = &j->facts;
        struct gs_verdict v;
        switch (w) {
        case ACTIVE: sample(b, fams[w].name, j, f->active); break;
        case QUARANTINED:
            gs_buf_puts(b, fams[w].name);
            job_labels(b, j);
            gs_buf_puts(b, ",reason=");
            label_value(b, f->reason);
            gs_buf_printf(b, "} %d\n", f->quarantined);
            break;
        case ESCROWED: sample(b, fams[w].name, j, f->escrowed); break;
        case SINCE:
            if (f->last_success >= 0)
                sample(b, fams[w].name, j, gs_since_success(f, now));
            break;
        case STEADY: sample(b, fams[w].name, j, f->steady); break;
        case PROGRESS:
            if (f->progress >= 0)
                sample(b, fams[w].name, j, f->progress);
            break;
        case HEALTH:
            gs_job_verdict(f, t, now, &v);
            sample(b, fams[w].name, j, v.state);
            break;
        default: break;
        }
    }
}

char *gs_metrics_render(const struct gs_mon_scan *s, const struct gs_thresholds *t, double now)
{
    struct gs_buf b = {0};
    for (int w = 0; w < NFAM; w++)
        job_family(&b, (enum which)w, s, t, now);
    family(&b, "graphsyncfs_scan_success", "1 when the last jobs scan could be made at all.");
    gs_buf_printf(&b, "graphsyncfs_scan_success %d\n", s->err == 0);
    family(&b, "graphsyncfs_scan_complete",
           "1 when the last jobs scan read the jobs of every service principal.");
    gs_buf_printf(&b, "graphsyncfs_scan_complete %d\n", s->err == 0 && s->unreadable == 0);
    family(&b, "graphsyncfs_graph_reachable",
           "0 when Graph did not answer the last scan (job states are the cache's).");
    gs_buf_printf(&b, "graphsyncfs_graph_reachable %d\n", !s->graph_down);
    family(&b, "graphsyncfs_scan_errors",
           "Service principals whose jobs the last scan could not read.");
    gs_buf_printf(&b, "graphsyncfs_scan_errors %zu\n", s->unreadable);
    family(&b, "graphsyncfs_scan_service_principals", "Service principals the last scan asked for.");
    gs_buf_printf(&b, "graphsyncfs_scan_service_principals %zu\n", s->sps);
    family(&b, "graphsyncfs_scan_jobs", "Jobs the last scan found.");
    gs_buf_printf(&b, "graphsyncfs_scan_jobs %zu\n", s->n);
    family(&b, "graphsyncfs_scan_age_seconds", "Seconds since the last jobs scan was made.");
    gs_buf_printf(&b, "graphsyncfs_scan_age_seconds %.3f\n", now > s->at ? now - s->at : 0.0);
    return gs_buf_take(&b, NULL);
}

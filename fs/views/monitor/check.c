/* check: one line of the Nagios plugin API (STATE - summary | perfdata,
 * https://nagios-plugins.org/doc/guidelines.html#AEN200). The tenant's state
 * is its worst job's, with an incomplete scan, or one Graph did not answer
 * (job states from the cache), counted as UNKNOWN:
 * CRITICAL > UNKNOWN > WARNING > OK, so a partial scan is never OK. */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/errno_name.h"
#include "fs/views/monitor/monitor.h"

#define SHOWN_MAX 3  /* jobs named in the summary */

struct tally {
    size_t by_state[4], quarantined, stale;
    double escrowed;
};

static void count(const struct gs_mon_scan *s, const struct gs_thresholds *t, double now, struct tally *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < s->n; i++) {
        const struct gs_job_facts *f = &s->jobs[i].facts;
        struct gs_verdict v;
        gs_job_verdict(f, t, now, &v);
        c->by_state[v.state]++;
        c->quarantined += f->quarantined;
        c->escrowed += f->escrowed;
        double since = gs_since_success(f, now);
        if (f->active && since >= 0 && t->warn_stale > 0 && since >= t->warn_stale)
            c->stale++;
    }
}

/* Graph's names could hold a line break or a '|' (the perfdata mark). */
static void put_clean(struct gs_buf *b, const char *s)
{
    for (; *s; s++)
        gs_buf_putc(b, (*s == '\n' || *s == '\r' || *s == '|') ? ' ' : *s);
}

/* The jobs in state st, "name:jobId why; ..." (at most SHOWN_MAX). */
static void name_jobs(struct gs_buf *b, const struct gs_mon_scan *s, const struct gs_thresholds *t,
                      double now, enum gs_state st, size_t *shown)
{
    for (size_t i = 0; i < s->n && *shown < SHOWN_MAX; i++) {
        struct gs_verdict v;
        gs_job_verdict(&s->jobs[i].facts, t, now, &v);
        if (v.state != st)
            continue;
        gs_buf_puts(b, *shown ? "; " : ": ");
        put_clean(b, s->jobs[i].name);
        gs_buf_putc(b, ':');
        put_clean(b, s->jobs[i].job);
        gs_buf_putc(b, ' ');
        put_clean(b, v.why);
        ++*shown;
    }
}

static enum gs_state overall(const struct gs_mon_scan *s, const struct tally *c)
{
    if (c->by_state[GS_CRITICAL])
        return GS_CRITICAL;
    if (s->err || s->unreadable || s->graph_down)
        return GS_UNKNOWN;
    return c->by_state[GS_WARNING] ? GS_WARNING : GS_OK;
}

static void perfdata(struct gs_buf *b, const struct gs_mon_scan *s, const struct tally *c)
{
    /* label=value;warn;crit;min (Nagios perfdata) */
    gs_buf_printf(b, " | jobs=%zu;;;0 critical=%zu;;1;0 warning=%zu;1;;0 quarantined=%zu;;1;0 "
                  "stale=%zu;1;;0 escrowed=%.0f;;;0 unreadable=%zu;;1;0\n",
                  s->n, c->by_state[GS_CRITICAL], c->by_state[GS_WARNING], c->quarantined,
                  c->stale, c->escrowed, s->unreadable);
}

enum gs_state gs_check_render(const struct gs_mon_scan *s, const struct gs_thresholds *t, double now,
                              char **line)
{
    struct tally c;
    count(s, t, now, &c);
    enum gs_state st = s->err ? GS_UNKNOWN : overall(s, &c);
    struct gs_buf b = {0};
    gs_buf_printf(&b, "%s - ", gs_state_names[st]);
    if (s->err) {
        gs_buf_printf(&b, "the jobs scan failed (%s)", gs_errno_name(s->err));
    } else {
        gs_buf_printf(&b, "%zu jobs: %zu critical, %zu warning", s->n, c.by_state[GS_CRITICAL],
                      c.by_state[GS_WARNING]);
        if (s->unreadable) {
            gs_buf_printf(&b, "; jobs of %zu of %zu service principals could not be read (",
                          s->unreadable, s->sps);
            put_clean(&b, s->first_error);
            gs_buf_putc(&b, ')');
        }
        if (s->graph_down)
            gs_buf_puts(&b, "; Graph unreachable: job states are the cache's");
        size_t shown = 0;
        name_jobs(&b, s, t, now, GS_CRITICAL, &shown);
        name_jobs(&b, s, t, now, GS_WARNING, &shown);
    }
    perfdata(&b, s, &c);
    *line = gs_buf_take(&b, NULL);
    return st;
}

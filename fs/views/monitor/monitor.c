#include "fs/views/monitor/monitor.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/actions/job_doc.h"
#include "fs/fetch/graph_get.h"
#include "fs/views/tenant.h"

struct gs_monitor {
    pthread_mutex_t build;  /* one scan at a time; guards every field below. Held across the
                             * scan's Graph requests: taken with no other lock held */
    struct gs_mon_scan scan;
    int valid;
    double built_mono;      /* monotonic seconds of the scan */
    uint64_t mark;          /* fs->content_changes then */
};

static void scan_clear(struct gs_mon_scan *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct gs_mon_job *j = &s->jobs[i];
        free(j->sp);
        free(j->app);
        free(j->name);
        free(j->job);
        free(j->tpl);
    }
    free(s->jobs);
    memset(s, 0, sizeof(*s));
}

int gs_monitor_new(struct gs_monitor **out)
{
    struct gs_monitor *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    pthread_mutex_init(&m->build, NULL);
    *out = m;
    return 0;
}

void gs_monitor_free(struct gs_monitor *m)
{
    if (!m)
        return;
    scan_clear(&m->scan);
    pthread_mutex_destroy(&m->build);
    free(m);
}

static char *dup_str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

static int add_job(void *ctx, const cJSON *sp, const cJSON *job)
{
    struct gs_mon_scan *s = ctx;
    if (s->n % 64 == 0) {
        struct gs_mon_job *v = realloc(s->jobs, (s->n + 64) * sizeof(*v));
        if (!v)
            return -ENOMEM;
        s->jobs = v;
    }
    struct gs_mon_job *j = &s->jobs[s->n];
    memset(j, 0, sizeof(*j));
    s->n++;
    j->sp = dup_str(sp, "id");
    j->app = dup_str(sp, "appDisplayName");
    j->name = dup_str(sp, "displayName");
    j->job = dup_str(job, "id");
    j->tpl = dup_str(job, "templateId");
    if (!j->sp || !j->app || !j->name || !j->job || !j->tpl)
        return -ENOMEM;
    gs_job_facts(job, &j->facts);
    return 0;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* With m->build held: scans again unless the last scan is still good (the
 * rule of status.tsv: status_timeout, and no cached content changed). */
static void rescan(struct gs_fs *fs, struct gs_monitor *m)
{
    if (m->valid && gs_fs_mono() - m->built_mono < fs->cfg.view_ttl &&
        __atomic_load_n(&fs->content_changes, __ATOMIC_RELAXED) == m->mark)
        return;
    scan_clear(&m->scan);
    uint64_t mark = __atomic_load_n(&fs->content_changes, __ATOMIC_RELAXED);
    struct gs_scan_result res = {.fn = add_job, .ctx = &m->scan};
    int down = gs_fs_graph_down(fs);
    int r = gs_tenant_scan(fs, &res);
    m->scan.graph_down = down || gs_fs_graph_down(fs);
    m->scan.at = wall_now();
    m->scan.sps = res.sps;
    m->scan.unreadable = res.unreadable;
    memcpy(m->scan.first_error, res.first_error, sizeof(res.first_error));
    if (r < 0) {
        /* a failed scan shows as UNKNOWN; it is not kept */
        scan_clear(&m->scan);
        m->scan.err = r;
        m->scan.graph_down = 1;
        m->scan.at = wall_now();
        m->valid = 0;
        return;
    }
    m->valid = 1;
    m->built_mono = gs_fs_mono();
    m->mark = mark;
}

int gs_monitor_file(struct gs_fs *fs, enum gs_kind kind, struct gs_blob **out, struct timespec *mtime)
{
    struct gs_monitor *m = fs->monitor;
    pthread_mutex_lock(&m->build);
    rescan(fs, m);
    double now = wall_now();
    char *text = NULL;
    if (kind == GS_K_METRICS) {
        text = gs_metrics_render(&m->scan, &fs->cfg.thresholds, now);
    } else {
        char *line = NULL;
        enum gs_state st = gs_check_render(&m->scan, &fs->cfg.thresholds, now, &line);
        if (kind == GS_K_CHECK_STATE) {
            if (asprintf(&text, "%d\n", (int)st) < 0)
                text = NULL;
            free(line);
        } else {
            text = line;
        }
    }
    mtime->tv_sec = (time_t)m->scan.at;
    mtime->tv_nsec = 0;
    pthread_mutex_unlock(&m->build);
    if (!text)
        return -ENOMEM;
    *out = gs_blob_new(text, strlen(text));
    free(text);
    return *out ? 0 : -ENOMEM;
}

int gs_monitor_health(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out,
                      struct timespec *mtime)
{
    struct gs_doc *doc = NULL;
    int r = gs_job_doc_get(fs, n, 0, &doc);
    if (r < 0)
        return r;
    struct gs_job_facts f;
    struct gs_verdict v;
    gs_job_facts(doc->json, &f);
    gs_job_verdict(&f, &fs->cfg.thresholds, wall_now(), &v);
    *mtime = doc->changed_at;
    gs_doc_unref(doc);
    char *text = NULL;
    if (asprintf(&text, "%s - %s\n", gs_state_names[v.state], v.why) < 0)
        return -ENOMEM;
    *out = gs_blob_new(text, strlen(text));
    free(text);
    return *out ? 0 : -ENOMEM;
}

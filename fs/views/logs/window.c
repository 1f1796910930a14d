/* The tenant's log window served to the files of a walk (see window.h). */
#include "fs/views/logs/window.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/logs.h"
#include "common/clock.h"

/* Graph's largest $top for /auditLogs/provisioning. */
#define WINDOW_TOP 1000

struct gs_log_window {
    double window, keep, wait;  /* log_window, log_poll, timeout= */
    pthread_mutex_t lock;       /* every field below */
    pthread_cond_t done;        /* a window fetch ended */
    int fetching;
    cJSON *events;              /* the window, oldest first, or NULL */
    double fetched_at;          /* monotonic time of the last fetch (or failure) */
    char *last_job;             /* the job whose logs were read first ... */
    double last_job_at;         /* ... at this monotonic time */
};

int gs_log_window_new(double window, double keep, double wait, struct gs_log_window **out)
{
    struct gs_log_window *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->window = window, w->keep = keep, w->wait = wait;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->done, NULL);
    *out = w;
    return 0;
}

void gs_log_window_free(struct gs_log_window *w)
{
    if (!w)
        return;
    cJSON_Delete(w->events);
    free(w->last_job);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

static int fresh_locked(const struct gs_log_window *w, double now)
{
    return w->fetched_at > 0 && now - w->fetched_at < w->keep;
}

/* Whether this read is part of a walk: another job's logs were read first
 * within GS_LOG_WALK_SECONDS (lock held). Records this job otherwise. */
static int walk_seen_locked(struct gs_log_window *w, const char *job, double now)
{
    if (w->last_job && strcmp(w->last_job, job) != 0 && now - w->last_job_at < GS_LOG_WALK_SECONDS)
        return 1;
    if (!w->last_job || strcmp(w->last_job, job) != 0) {
        char *j = strdup(job);
        if (!j)
            return 0;
        free(w->last_job);
        w->last_job = j;
    }
    w->last_job_at = now;
    return 0;
}

static void window_start(double seconds, char *out, size_t len)
{
    time_t t = time(NULL) - (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* One fetch of the whole window (lock held on entry and exit, dropped while
 * Graph answers; w->fetching set by the caller). A failure leaves no window:
 * the files use their own queries until keep seconds have passed. */
static int fetch_locked(struct gs_fs *fs, struct gs_log_window *w, struct gs_rate_bucket *bucket,
                        struct gs_error *err)
{
    char after[40];
    window_start(w->window, after, sizeof(after));
    double deadline = gs_now() + w->wait;
    pthread_mutex_unlock(&w->lock);
    struct gs_log_query q = {.after = after, .top = WINDOW_TOP};
    cJSON *events = NULL;
    int r = gs_logs_fetch(fs->client, bucket, &q, deadline, &events, err);
    pthread_mutex_lock(&w->lock);
    cJSON_Delete(w->events);
    w->events = r == 0 ? events : NULL;
    w->fetched_at = gs_now();
    w->fetching = 0;
    pthread_cond_broadcast(&w->done);
    return r;
}

static int matches(const cJSON *e, const struct gs_log_pick *p)
{
    const cJSON *job = cJSON_GetObjectItemCaseSensitive(e, "jobId");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(e, "provisioningStatusInfo");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(info, "status");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(e, "provisioningAction");
    if (!cJSON_IsString(job) || strcmp(job->valuestring, p->job) != 0)
        return 0;
    if (p->status && !(cJSON_IsString(st) && strcmp(st->valuestring, p->status) == 0))
        return 0;
    return !p->action || (cJSON_IsString(act) && strcmp(act->valuestring, p->action) == 0);
}

/* The picked events and the window's newest time (lock held). */
static int pick_locked(const struct gs_log_window *w, const struct gs_log_pick *p, cJSON **events, char **newest)
{
    cJSON *out = cJSON_CreateArray(), *e;
    const cJSON *last = cJSON_GetArrayItem(w->events, cJSON_GetArraySize(w->events) - 1);
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(last, "activityDateTime");
    char *n = cJSON_IsString(when) ? strdup(when->valuestring) : NULL;
    int oom = !out || (cJSON_IsString(when) && !n);
    cJSON_ArrayForEach(e, w->events) {
        if (oom || !matches(e, p))
            continue;
        cJSON *copy = cJSON_Duplicate(e, 1);
        if (!copy || !cJSON_AddItemToArray(out, copy)) {
            cJSON_Delete(copy);
            oom = 1;
        }
    }
    if (oom) {
        cJSON_Delete(out);
        free(n);
        return 0; /* the file's own query */
    }
    *events = out;
    *newest = n;
    return 1;
}

int gs_log_window_pick(struct gs_fs *fs, struct gs_log_window *w, struct gs_rate_bucket *bucket,
                       const struct gs_log_pick *pick, cJSON **events, char **newest, struct gs_error *err)
{
    if (!w || !pick->job)
        return 0;
    pthread_mutex_lock(&w->lock);
    double now = gs_now();
    int walk = walk_seen_locked(w, pick->job, now);
    while (w->fetching)
        pthread_cond_wait(&w->done, &w->lock);
    int failed = 0;
    if (walk && !fresh_locked(w, gs_now())) {
        w->fetching = 1;
        failed = fetch_locked(fs, w, bucket, err);
    }
    if (failed == -EAGAIN) { /* no slot in the read's time: its own query would not find one either */
        pthread_mutex_unlock(&w->lock);
        return failed;
    }
    gs_error_clear(err);
    int r = w->events && fresh_locked(w, gs_now()) ? pick_locked(w, pick, events, newest) : 0;
    pthread_mutex_unlock(&w->lock);
    return r;
}

void gs_log_window_sweep(struct gs_log_window *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    if (!w->fetching && w->events && !fresh_locked(w, gs_now())) {
        cJSON_Delete(w->events);
        w->events = NULL;
    }
    pthread_mutex_unlock(&w->lock);
}

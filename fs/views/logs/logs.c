/* What each log file has read so far, and how it grows. A file's state is
 * shared by every node that shows the same query (recent.jsonl and
 * recent.tsv are one query); it is created at the first read and forgotten
 * after IDLE_SECONDS without a read. */
#include "fs/views/logs/logs.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/logs.h"
#include "api/rate_bucket.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/map.h"
#include "fs/views/logs/render.h"
#include "fs/views/logs/window.h"
#include "fs/model/node_error.h"

enum form { FORM_JSONL, FORM_TSV, FORM_TXT };

struct log_state {
    /* the query (owned strings) */
    char *job, *sp, *object, *name, *status, *action;
    int with_owner;             /* the TSV names the service principal and job */
    char *since;                /* events after this time instead of the window (bulkUpload) */
    /* guarded by gs_logs.lock */
    int loaded;                 /* the window was fetched once */
    int fetching;               /* a request is in flight for this state */
    char *last_seen;            /* activityDateTime of the newest event */
    double polled_at;           /* monotonic time of the last fetch */
    struct gs_buf jsonl, tsv;   /* every line so far */
    cJSON *last;                /* the newest event, for by-id/<id>.txt */
    struct gs_log_counts counts;/* events so far by outcome */
    struct gs_blob *blob[3];    /* the buffers as blobs, per form, built on demand */
    struct timespec mtime;      /* when the last event was appended */
    unsigned users;             /* callers between current() and release_locked() */
    double used_at;             /* monotonic time of the last read */
};

/* A state nobody read for this long is forgotten: its next read starts
 * again from the log window. */
#define IDLE_SECONDS 1800.0

struct gs_logs {
    struct gs_logs_config cfg;
    struct gs_rate_bucket bucket;  /* every log request of the mount */
    pthread_mutex_t lock;          /* states and every state's guarded fields */
    pthread_cond_t fetched;        /* a state's fetch ended */
    struct gs_map states;          /* query key -> struct log_state */
    struct gs_log_window *window;  /* the tenant's window, for walks (own lock) */
    double swept_at;               /* monotonic time idle states were last looked for */
};

int gs_logs_new(const struct gs_logs_config *cfg, struct gs_logs **out)
{
    struct gs_logs *l = calloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->cfg = *cfg;
    int r = gs_rate_bucket_init(&l->bucket, cfg->rate_limit, cfg->rate_window);
    if (r == 0 && gs_map_init(&l->states) != 0) {
        gs_rate_bucket_destroy(&l->bucket);
        r = -ENOMEM;
    } else if (r == 0 && (r = gs_log_window_new(cfg->window, cfg->poll, cfg->wait, &l->window)) != 0) {
        gs_map_destroy(&l->states);
        gs_rate_bucket_destroy(&l->bucket);
    }
    if (r != 0) {
        free(l);
        return r;
    }
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->fetched, NULL);
    *out = l;
    return 0;
}

static void state_free(struct log_state *s)
{
    if (!s)
        return;
    free(s->job), free(s->sp), free(s->object), free(s->name), free(s->status), free(s->action);
    free(s->since);
    free(s->last_seen);
    gs_buf_free(&s->jsonl);
    gs_buf_free(&s->tsv);
    cJSON_Delete(s->last);
    for (int i = 0; i < 3; i++)
        gs_blob_unref(s->blob[i]);
    free(s);
}

static void free_state_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx, (void)key, (void)klen;
    state_free(value);
}

void gs_logs_free(struct gs_logs *l)
{
    if (!l)
        return;
    gs_map_each(&l->states, free_state_cb, NULL);
    gs_map_destroy(&l->states);
    gs_log_window_free(l->window);
    gs_rate_bucket_destroy(&l->bucket);
    pthread_cond_destroy(&l->fetched);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* The object id or UPN a by-id/ or by-user/ name stands for (malloc'd). */
static char *stem(const char *name)
{
    const char *dot = strrchr(name, '.');
    return strndup(name, dot ? (size_t)(dot - name) : strlen(name));
}

static char *dup_or_null(const char *s, int *oom)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *oom = 1;
    return d;
}

/* A new state for node n's query (events after `since` when not NULL), and its key. */
static struct log_state *state_for(const struct gs_node *n, const char *since, char **key)
{
    struct log_state *s = calloc(1, sizeof(*s));
    int named = gs_node_kind(n) == GS_K_LOG_OBJECT || gs_node_kind(n) == GS_K_LOG_USER;
    char *id = named ? stem(gs_node_name(n)) : NULL;
    int oom = !s || (named && !id), tenant = gs_node_kind(n) == GS_K_LOG_FAILURES_TSV || gs_node_kind(n) == GS_K_LOG_USER;
    const char *what = "recent";
    if (!oom) {
        s->job = tenant ? NULL : dup_or_null(n->job, &oom);
        s->sp = tenant ? NULL : dup_or_null(n->sp, &oom);
        s->with_owner = tenant;
        if (gs_node_kind(n) == GS_K_LOG_FAILURES || gs_node_kind(n) == GS_K_LOG_FAILURES_TSV)
            s->status = dup_or_null(what = "failure", &oom);
        else if (gs_node_kind(n) == GS_K_LOG_SKIPPED)
            s->status = dup_or_null(what = "skipped", &oom);
        else if (gs_node_kind(n) == GS_K_LOG_STAGED)
            s->action = dup_or_null(what = "stagedDelete", &oom);
        if (id && gs_node_kind(n) == GS_K_LOG_USER && strchr(id, '@'))
            s->name = dup_or_null(id, &oom);
        else if (id)
            s->object = dup_or_null(id, &oom);
        if (id)
            what = gs_node_kind(n) == GS_K_LOG_USER ? "user" : "object";
        if (since) {
            s->since = dup_or_null(since, &oom);
            what = "since";
        }
    }
    *key = NULL;
    if (!oom && asprintf(key, "%s|%s|%s|%s", what, s->sp ? s->sp : "", s->job ? s->job : "",
                         since ? since : id ? id : "") < 0)
        *key = NULL;
    free(id);
    if (oom || !*key) {
        if (s)
            state_free(s);
        free(*key);
        *key = NULL;
        return NULL;
    }
    return s;
}

struct idle {
    char **keys;
    size_t n, cap;
    double now;
};

static void find_idle(void *ctx, const void *key, size_t klen, void *value)
{
    struct idle *idle = ctx;
    const struct log_state *s = value;
    if (s->users || s->fetching || idle->now - s->used_at < IDLE_SECONDS)
        return;
    if (idle->n == idle->cap) {
        size_t cap = idle->cap ? idle->cap * 2 : 16;
        char **k = realloc(idle->keys, cap * sizeof(*k));
        if (!k)
            return; /* kept until the next sweep */
        idle->keys = k;
        idle->cap = cap;
    }
    if ((idle->keys[idle->n] = strndup(key, klen)))
        idle->n++;
}

/* Forgets the states nobody read for IDLE_SECONDS, once a minute (lock held). */
static void sweep_locked(struct gs_logs *l)
{
    struct idle idle = {.now = gs_now()};
    if (idle.now - l->swept_at < 60)
        return;
    l->swept_at = idle.now;
    gs_map_each(&l->states, find_idle, &idle);
    for (size_t i = 0; i < idle.n; i++) {
        state_free(gs_map_dels(&l->states, idle.keys[i]));
        free(idle.keys[i]);
    }
    free(idle.keys);
}

/* The state of node n's query, made at its first use (lock held). */
static struct log_state *state_get_locked(struct gs_logs *l, const struct gs_node *n, const char *since)
{
    char *key = NULL;
    struct log_state *fresh = state_for(n, since, &key);
    if (!fresh)
        return NULL;
    struct log_state *s = gs_map_gets(&l->states, key);
    if (s) {
        state_free(fresh);
    } else if (gs_map_puts(&l->states, key, fresh, NULL) == 0) {
        s = fresh;
        gs_buf_puts(&s->tsv, s->with_owner ? GS_LOG_TENANT_TSV_HEADER : GS_LOG_TSV_HEADER);
    } else {
        state_free(fresh);
    }
    free(key);
    return s;
}

static void window_start(double seconds, char *out, size_t len)
{
    time_t t = time(NULL) - (time_t)seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void count(struct gs_log_counts *c, const cJSON *e)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(e, "provisioningStatusInfo");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(info, "status");
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(e, "provisioningAction");
    const char *status = cJSON_IsString(st) ? st->valuestring : "";
    const char *action = cJSON_IsString(act) ? act->valuestring : "";
    if (strcmp(status, "failure") == 0)
        c->failed++;
    else if (strcmp(status, "skipped") == 0)
        c->skipped++;
    else if (strcmp(status, "success") == 0 && strcmp(action, "create") == 0)
        c->created++;
    else if (strcmp(status, "success") == 0 && strcmp(action, "update") == 0)
        c->updated++;
    else
        c->other++;
}

/* Appends fetched events, oldest first (lock held). */
static int apply_locked(struct log_state *s, cJSON *events)
{
    cJSON *e;
    int added = 0;
    cJSON_ArrayForEach(e, events) {
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(e, "activityDateTime");
        if (!cJSON_IsString(when))
            continue;
        if (!s->since) { /* a count since an upload keeps no lines */
            gs_log_jsonl(&s->jsonl, e);
            gs_log_tsv(&s->tsv, e, s->with_owner);
            cJSON_Delete(s->last);
            s->last = cJSON_Duplicate(e, 1);
        }
        char *seen = strdup(when->valuestring);
        if (!seen)
            return -ENOMEM;
        free(s->last_seen);
        s->last_seen = seen;
        count(&s->counts, e);
        added++;
    }
    if (s->jsonl.oom || s->tsv.oom)
        return -ENOMEM;
    if (added) {
        clock_gettime(CLOCK_REALTIME, &s->mtime);
        for (int i = 0; i < 3; i++) {
            gs_blob_unref(s->blob[i]);
            s->blob[i] = NULL;
        }
    }
    return 0;
}

/* One fetch of state s, lock not held while Graph answers (fetching set). */
static int fetch(struct gs_fs *fs, struct gs_logs *l, struct log_state *s, struct gs_error *err)
{
    char after[40];
    pthread_mutex_lock(&l->lock);
    if (s->last_seen)
        snprintf(after, sizeof(after), "%s", s->last_seen);
    else if (s->since)
        snprintf(after, sizeof(after), "%s", s->since);
    else
        window_start(l->cfg.window, after, sizeof(after));
    pthread_mutex_unlock(&l->lock);
    struct gs_log_query q = {.job_id = s->job, .sp_id = s->job ? NULL : s->sp, .object_id = s->object,
                             .display_name = s->name, .status = s->status, .action = s->action,
                             .after = after, .top = 500};
    cJSON *events = NULL;
    int r = gs_logs_fetch(fs->client, &l->bucket, &q, gs_now() + l->cfg.wait, &events, err);
    pthread_mutex_lock(&l->lock);
    if (r == 0)
        r = apply_locked(s, events);
    if (r == 0)
        s->loaded = 1;
    if (r == 0 || s->loaded)
        s->polled_at = gs_now(); /* a failed poll waits a period too: no hammering */
    pthread_mutex_unlock(&l->lock);
    cJSON_Delete(events);
    return r;
}

/* A first load of a job's file from the tenant's window when a walk reads
 * the logs of many jobs (window.h): 1 served, 0 not (the file's own query
 * follows), or -errno. Lock not held; s->fetching is this caller's. */
static int from_window(struct gs_fs *fs, struct gs_logs *l, struct log_state *s, struct gs_error *err)
{
    if (!s->job || s->since || s->object || s->name)
        return 0;
    struct gs_log_pick pick = {.job = s->job, .status = s->status, .action = s->action};
    cJSON *events = NULL;
    char *newest = NULL;
    int served = gs_log_window_pick(fs, l->window, &l->bucket, &pick, &events, &newest, err);
    if (served != 1)
        return served;
    pthread_mutex_lock(&l->lock);
    int r = apply_locked(s, events);
    if (r == 0 && newest) { /* polled later from the window's end, not the job's */
        free(s->last_seen);
        s->last_seen = newest;
        newest = NULL;
    }
    if (r == 0) {
        s->loaded = 1;
        s->polled_at = gs_now();
    }
    pthread_mutex_unlock(&l->lock);
    free(newest);
    cJSON_Delete(events);
    return r == 0 ? 1 : r;
}

static enum form form_of(const struct gs_node *n)
{
    if (gs_node_kind(n) == GS_K_LOG_RECENT_TSV || gs_node_kind(n) == GS_K_LOG_FAILURES_TSV)
        return FORM_TSV;
    size_t len = strlen(gs_node_name(n));
    if (gs_node_kind(n) == GS_K_LOG_OBJECT && len > 4 && strcmp(gs_node_name(n) + len - 4, ".txt") == 0)
        return FORM_TXT;
    return FORM_JSONL;
}

/* The blob of one form (lock held). */
static struct gs_blob *blob_locked(struct log_state *s, enum form f)
{
    if (s->blob[f])
        return gs_blob_ref(s->blob[f]);
    struct gs_buf txt = {0};
    const struct gs_buf *src = f == FORM_TSV ? &s->tsv : f == FORM_JSONL ? &s->jsonl : &txt;
    if (f == FORM_TXT) {
        if (s->last)
            gs_log_details(&txt, s->last);
        else
            gs_buf_puts(&txt, "no provisioning event for this object in the log window\n");
        if (txt.oom) {
            gs_buf_free(&txt);
            return NULL;
        }
    }
    s->blob[f] = gs_blob_new(src->data ? src->data : "", src->len);
    gs_buf_free(&txt);
    return gs_blob_ref(s->blob[f]);
}

/* Waits for a fetch in flight; says whether this caller must fetch (lock held). */
static int must_fetch_locked(struct gs_logs *l, struct log_state *s)
{
    while (s->fetching)
        pthread_cond_wait(&l->fetched, &l->lock);
    if (s->loaded && gs_now() - s->polled_at < l->cfg.poll)
        return 0;
    s->fetching = 1;
    return 1;
}

/* The state of node n's query, fetched or polled when due (lock not held).
 * 0 with *out held for the caller (s->users; it drops it under the lock
 * when done), or the first fetch's error. */
static int current(struct gs_fs *fs, struct gs_node *n, const char *since, struct log_state **out)
{
    struct gs_logs *l = fs->logs;
    if (!l)
        return -ENOENT;
    gs_log_window_sweep(l->window);
    pthread_mutex_lock(&l->lock);
    sweep_locked(l);
    struct log_state *s = state_get_locked(l, n, since);
    if (s) {
        s->users++;
        s->used_at = gs_now();
    }
    int go = s ? must_fetch_locked(l, s) : 0, first = go && !s->loaded;
    pthread_mutex_unlock(&l->lock);
    if (!s)
        return -ENOMEM;
    int r = 0;
    if (go) {
        struct gs_error err = {0};
        r = first ? from_window(fs, l, s, &err) : 0;
        r = r == 0 ? fetch(fs, l, s, &err) : r < 0 ? r : 0;
        if (r < 0)
            gs_node_record_error(fs, n, &err);
        gs_error_clear(&err);
        pthread_mutex_lock(&l->lock);
        s->fetching = 0;
        pthread_cond_broadcast(&l->fetched);
        pthread_mutex_unlock(&l->lock);
    }
    pthread_mutex_lock(&l->lock);
    int loaded = s->loaded;
    if (!loaded)
        s->users--;
    pthread_mutex_unlock(&l->lock);
    *out = loaded ? s : NULL;
    return loaded ? 0 : r < 0 ? r : -EIO;
}

int gs_logs_content(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    struct log_state *s = NULL;
    int r = current(fs, n, NULL, &s);
    if (r < 0)
        return r;
    pthread_mutex_lock(&fs->logs->lock);
    *out = blob_locked(s, form_of(n));
    *mtime = s->mtime.tv_sec ? s->mtime : fs->started;
    s->users--;
    pthread_mutex_unlock(&fs->logs->lock);
    return *out ? 0 : -ENOMEM;
}

int gs_logs_known(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    struct gs_logs *l = fs->logs;
    char *key = NULL;
    struct log_state *probe = l ? state_for(n, NULL, &key) : NULL;
    int read_before = 0;
    state_free(probe);
    if (l && key) {
        pthread_mutex_lock(&l->lock);
        struct log_state *s = gs_map_gets(&l->states, key);
        read_before = s && s->loaded;
        pthread_mutex_unlock(&l->lock);
    }
    free(key);
    if (read_before) /* followed (tail -f polls with stat): polled when due, as a read */
        return gs_logs_content(fs, n, out, mtime);
    *mtime = fs->started;
    *out = gs_blob_new("", 0); /* never read (or forgotten): nothing known, nothing sent */
    return *out ? 0 : -ENOMEM;
}

int gs_logs_counts_since(struct gs_fs *fs, struct gs_node *n, const char *since, struct gs_log_counts *out)
{
    struct log_state *s = NULL;
    int r = current(fs, n, since, &s);
    if (r < 0)
        return r;
    pthread_mutex_lock(&fs->logs->lock);
    *out = s->counts;
    s->users--;
    pthread_mutex_unlock(&fs->logs->lock);
    return 0;
}

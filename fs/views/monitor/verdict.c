#include "fs/views/monitor/verdict.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const char *const gs_state_names[4] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *text(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double gs_iso_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6 || tm.tm_year < 1971)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

void gs_format_age(double s, char *buf, size_t size)
{
    if (s < 120)
        snprintf(buf, size, "%.0fs", s);
    else if (s < 7200)
        snprintf(buf, size, "%.0fm", s / 60);
    else if (s < 3 * 86400)
        snprintf(buf, size, "%.0fh", s / 3600);
    else
        snprintf(buf, size, "%.0fd", s / 86400);
}

static double progress_of(const cJSON *status)
{
    const cJSON *p = cJSON_GetArrayItem(get(status, "progress"), 0);
    const cJSON *done = get(p, "completedUnits"), *total = get(p, "totalUnits");
    if (!cJSON_IsNumber(done) || !cJSON_IsNumber(total) || total->valuedouble <= 0)
        return -1;
    double r = done->valuedouble / total->valuedouble;
    return r > 1 ? 1 : r;
}

void gs_job_facts(const cJSON *job, struct gs_job_facts *f)
{
    memset(f, 0, sizeof(*f));
    const cJSON *status = get(job, "status");
    const char *sched = text(get(job, "schedule"), "state");
    const char *code = text(status, "code");
    const cJSON *q = get(status, "quarantine");
    f->active = sched && strcmp(sched, "Active") == 0;
    f->quarantined = (code && strcmp(code, "Quarantine") == 0) || cJSON_IsObject(q);
    if (f->quarantined)
        snprintf(f->reason, sizeof(f->reason), "%s", text(q, "reason") ? text(q, "reason") : "Unknown");
    const cJSON *esc = get(get(status, "lastExecution"), "countEscrowed");
    f->escrowed = cJSON_IsNumber(esc) ? esc->valuedouble : 0;
    f->last_success = gs_iso_time(text(get(status, "lastSuccessfulExecution"), "timeEnded"));
    f->steady = gs_iso_time(text(status, "steadyStateLastAchievedTime")) > 0;
    f->progress = progress_of(status);
    const char *last = text(get(status, "lastExecution"), "state");
    f->last_failed = last && strcmp(last, "Failed") == 0;
}

static void set(struct gs_verdict *v, enum gs_state s, const char *a, const char *b)
{
    v->state = s;
    snprintf(v->why, sizeof(v->why), "%s%s", a, b ? b : "");
}

double gs_since_success(const struct gs_job_facts *f, double now)
{
    if (f->last_success < 0)
        return -1;
    return now > f->last_success ? now - f->last_success : 0;
}

void gs_job_verdict(const struct gs_job_facts *f, const struct gs_thresholds *t, double now,
                    struct gs_verdict *v)
{
    char age[32] = "";
    double since = gs_since_success(f, now);
    int stale_known = f->active && since >= 0;
    if (stale_known)
        gs_format_age(since, age, sizeof(age));
    char n[32];
    snprintf(n, sizeof(n), "%.0f escrowed", f->escrowed);
    char q[96];
    snprintf(q, sizeof(q), "(%s)", f->reason);
    if (f->quarantined)
        set(v, GS_CRITICAL, "quarantined ", q);
    else if (stale_known && t->crit_stale > 0 && since >= t->crit_stale)
        set(v, GS_CRITICAL, "no successful run for ", age);
    else if (t->crit_escrow > 0 && f->escrowed >= t->crit_escrow)
        set(v, GS_CRITICAL, n, NULL);
    else if (stale_known && t->warn_stale > 0 && since >= t->warn_stale)
        set(v, GS_WARNING, "no successful run for ", age);
    else if (t->warn_escrow > 0 && f->escrowed >= t->warn_escrow)
        set(v, GS_WARNING, n, NULL);
    else if (f->active && f->last_failed)
        set(v, GS_WARNING, "last run failed", NULL);
    else if (!f->active)
        set(v, GS_OK, "not active", NULL);
    else if (stale_known)
        set(v, GS_OK, "last success ", strcat(age, " ago"));
    else
        set(v, GS_OK, "no successful run yet", NULL);
}

/* One job's health, from its synchronizationJob document alone: the facts
 * metrics.prom exports and the Nagios state check and health show. */
#ifndef GS_VERDICT_H
#define GS_VERDICT_H

#include <cjson/cJSON.h>

#include "fs/model/thresholds.h"

enum gs_state { GS_OK = 0, GS_WARNING = 1, GS_CRITICAL = 2, GS_UNKNOWN = 3 };

struct gs_job_facts {
    int active;               /* schedule.state is Active */
    int quarantined;          /* status.code Quarantine or a quarantine object */
    char reason[64];          /* quarantine reason ("" when none) */
    double escrowed;          /* lastExecution.countEscrowed */
    double last_success;      /* when lastSuccessfulExecution ended (epoch s); -1: never */
    int steady;               /* steady state reached at least once */
    double progress;          /* completed/total units of a cycle in progress; -1: none */
    int last_failed;          /* lastExecution.state is Failed */
};

struct gs_verdict {
    enum gs_state state;
    char why[160];            /* "quarantined (TooManyDeletes)", "3 escrowed", "ok" */
};

extern const char *const gs_state_names[4]; /* "OK", "WARNING", "CRITICAL", "UNKNOWN" */

void gs_job_facts(const cJSON *job, struct gs_job_facts *f);
/* Seconds since the last successful run at now (wall clock); -1: never. */
double gs_since_success(const struct gs_job_facts *f, double now);
void gs_job_verdict(const struct gs_job_facts *f, const struct gs_thresholds *t, double now,
                    struct gs_verdict *v);

/* "2026-11-02T10:00:00.123Z" -> seconds since the epoch; -1 if not a time
 * or Graph's "never" (0001-01-01). */
double gs_iso_time(const char *s);

/* "95s", "12m", "5h", "3d". */
void gs_format_age(double seconds, char *buf, size_t size);

#endif

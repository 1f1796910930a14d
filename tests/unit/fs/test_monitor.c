/* The monitoring verdicts and renderers (fs/views/monitor/): thresholds,
 * the order of states, the Nagios line of a partial scan, label escaping. */
#include <errno.h>

#include "tests/unit/check.h"
#include "fs/model/thresholds.h"
#include "fs/views/monitor/monitor.h"

#define NOW 1800000000.0 /* 2027-01-15T08:00:00Z */

static cJSON *job(const char *sched, const char *code, const char *reason, double escrowed,
                  const char *last_success)
{
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"id\":\"j\",\"schedule\":{\"state\":\"%s\"},\"status\":{\"code\":\"%s\",%s%s%s"
             "\"lastExecution\":{\"countEscrowed\":%g,\"state\":\"Succeeded\"},"
             "\"lastSuccessfulExecution\":{\"timeEnded\":\"%s\"},"
             "\"steadyStateLastAchievedTime\":\"0001-01-01T00:00:00Z\",\"progress\":[]}}",
             sched, code, reason ? "\"quarantine\":{\"reason\":\"" : "", reason ? reason : "",
             reason ? "\"}," : "", escrowed, last_success);
    return cJSON_Parse(text);
}

static enum gs_state verdict_of(cJSON *j, const struct gs_thresholds *t, char *why, size_t size)
{
    struct gs_job_facts f;
    struct gs_verdict v;
    gs_job_facts(j, &f);
    gs_job_verdict(&f, t, NOW, &v);
    snprintf(why, size, "%s", v.why);
    cJSON_Delete(j);
    return v.state;
}

static void test_parsing(void)
{
    double d = -1;
    CHECK(gs_parse_duration("90m", &d) == 0 && d == 5400);
    CHECK(gs_parse_duration("2d", &d) == 0 && d == 172800);
    CHECK(gs_parse_duration("3600", &d) == 0 && d == 3600);
    CHECK(gs_parse_duration("off", &d) == 0 && d == 0);
    CHECK(gs_parse_duration("6x", &d) != 0);
    CHECK(gs_parse_duration("-1h", &d) != 0);
    CHECK(gs_parse_duration("", &d) != 0);
    CHECK(gs_parse_count("12", &d) == 0 && d == 12);
    CHECK(gs_parse_count("1.5", &d) != 0);
    CHECK(gs_iso_time("2027-01-15T08:00:00.1234567Z") == NOW);
    CHECK(gs_iso_time("0001-01-01T00:00:00Z") == -1);
    CHECK(gs_iso_time("garbage") == -1);
}

static void test_verdicts(void)
{
    struct gs_thresholds t = GS_THRESHOLDS_DEFAULT;
    char why[160];
    CHECK_INT(verdict_of(job("Active", "Active", NULL, 0, "2027-01-15T07:50:00Z"), &t, why, sizeof(why)), GS_OK);
    CHECK_STR(why, "last success 10m ago");
    CHECK_INT(verdict_of(job("Active", "Quarantine", "TooManyDeletes", 0, "2027-01-15T07:50:00Z"), &t, why,
                         sizeof(why)), GS_CRITICAL);
    CHECK_STR(why, "quarantined (TooManyDeletes)");
    CHECK_INT(verdict_of(job("Active", "Active", NULL, 3, "2027-01-15T07:50:00Z"), &t, why, sizeof(why)), GS_WARNING);
    CHECK_STR(why, "3 escrowed");
    CHECK_INT(verdict_of(job("Active", "Active", NULL, 100, "2027-01-15T07:50:00Z"), &t, why, sizeof(why)),
              GS_CRITICAL);
    /* 7 h: past warn_stale (6 h), short of crit_stale (24 h) */
    CHECK_INT(verdict_of(job("Active", "Active", NULL, 0, "2027-01-15T01:00:00Z"), &t, why, sizeof(why)), GS_WARNING);
    CHECK_STR(why, "no successful run for 7h");
    CHECK_INT(verdict_of(job("Active", "Active", NULL, 0, "2027-01-13T08:00:00Z"), &t, why, sizeof(why)),
              GS_CRITICAL);
    CHECK_STR(why, "no successful run for 48h");
    /* a paused job is not stale */
    CHECK_INT(verdict_of(job("Paused", "Paused", NULL, 0, "2027-01-01T00:00:00Z"), &t, why, sizeof(why)), GS_OK);
    CHECK_STR(why, "not active");
    /* thresholds off */
    struct gs_thresholds off = {0};
    CHECK_INT(verdict_of(job("Active", "Active", NULL, 500, "2026-01-01T00:00:00Z"), &off, why, sizeof(why)), GS_OK);
}

static struct gs_mon_job mon_job(const char *app, cJSON *j)
{
    struct gs_mon_job m = {.sp = "sp1", .app = (char *)app, .name = (char *)app, .job = "job1", .tpl = "scim"};
    gs_job_facts(j, &m.facts);
    cJSON_Delete(j);
    return m;
}

static void test_check_line(void)
{
    struct gs_thresholds t = GS_THRESHOLDS_DEFAULT;
    struct gs_mon_job jobs[2] = {
        mon_job("A|pp\nx", job("Active", "Active", NULL, 0, "2027-01-15T07:50:00Z")),
        mon_job("B", job("Active", "Active", NULL, 2, "2027-01-15T07:50:00Z")),
    };
    struct gs_mon_scan s = {.jobs = jobs, .n = 2, .sps = 3, .at = NOW};
    char *line = NULL;
    CHECK_INT(gs_check_render(&s, &t, NOW, &line), GS_WARNING);
    CHECK_STR(line, "WARNING - 2 jobs: 0 critical, 1 warning: B:job1 2 escrowed | jobs=2;;;0 critical=0;;1;0 "
                    "warning=1;1;;0 quarantined=0;;1;0 stale=0;1;;0 escrowed=2;;;0 unreadable=0;;1;0\n");
    free(line);
    /* a partial scan is UNKNOWN, never better */
    jobs[1] = mon_job("B", job("Active", "Active", NULL, 0, "2027-01-15T07:50:00Z"));
    s.unreadable = 1;
    snprintf(s.first_error, sizeof(s.first_error), "sp9: HTTP 500 generalException");
    CHECK_INT(gs_check_render(&s, &t, NOW, &line), GS_UNKNOWN);
    CHECK(strstr(line, "UNKNOWN - 2 jobs: 0 critical, 0 warning; jobs of 1 of 3 service principals could not "
                       "be read (sp9: HTTP 500 generalException) | ") == line);
    free(line);
    /* ... but a known CRITICAL stays CRITICAL, and names are kept on one line */
    jobs[0] = mon_job("A|pp\nx", job("Active", "Quarantine", "Unknown", 0, "2027-01-15T07:50:00Z"));
    CHECK_INT(gs_check_render(&s, &t, NOW, &line), GS_CRITICAL);
    CHECK(strstr(line, ": A pp x:job1 quarantined (Unknown) | ") != NULL);
    CHECK(strchr(line, '\n') == line + strlen(line) - 1);
    free(line);
    /* job states from the cache while Graph is down: UNKNOWN too */
    jobs[0] = mon_job("A", job("Active", "Active", NULL, 0, "2027-01-15T07:50:00Z"));
    s.unreadable = 0;
    s.graph_down = 1;
    CHECK_INT(gs_check_render(&s, &t, NOW, &line), GS_UNKNOWN);
    CHECK(strstr(line, "; Graph unreachable: job states are the cache's | ") != NULL);
    free(line);
    /* a failed scan */
    struct gs_mon_scan failed = {.err = -ETIMEDOUT, .at = NOW};
    CHECK_INT(gs_check_render(&failed, &t, NOW, &line), GS_UNKNOWN);
    CHECK(strncmp(line, "UNKNOWN - the jobs scan failed (ETIMEDOUT) | ", 45) == 0);
    free(line);
}

static void test_metrics(void)
{
    struct gs_thresholds t = GS_THRESHOLDS_DEFAULT;
    struct gs_mon_job jobs[1] = {mon_job("Say \"hi\"\\\n", job("Active", "Active", NULL, 0, "2027-01-15T07:50:00Z"))};
    struct gs_mon_scan s = {.jobs = jobs, .n = 1, .sps = 1, .at = NOW - 2};
    char *text = gs_metrics_render(&s, &t, NOW);
    CHECK(text && strstr(text, "graphsyncfs_job_escrowed{sp_id=\"sp1\",app_display_name=\"Say \\\"hi\\\"\\\\\\n\","
                               "job_id=\"job1\",template_id=\"scim\"} 0\n"));
    CHECK(text && strstr(text, "graphsyncfs_job_seconds_since_last_success{sp_id=\"sp1\"") &&
          strstr(text, "} 600\n"));
    CHECK(text && strstr(text, "\ngraphsyncfs_scan_age_seconds 2.000\n"));
    CHECK(text && !strstr(text, "graphsyncfs_job_progress_ratio{"));
    free(text);
}

int main(void)
{
    test_parsing();
    test_verdicts();
    test_check_line();
    test_metrics();
    return check_report("test_monitor");
}

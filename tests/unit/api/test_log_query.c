/* gs_log_query_path: the filter sent to Graph for each log file, quoting
 * and percent-encoding; gs_logs_strip_annotations. */
#include <stdlib.h>

#include "api/logs.h"
#include "tests/unit/check.h"

static void expect(const struct gs_log_query *q, const char *want)
{
    char *p = gs_log_query_path(q);
    CHECK_STR(p, want);
    free(p);
}

int main(void)
{
    struct gs_log_query q = {0};
    expect(&q, "/auditLogs/provisioning?$orderby=activityDateTime%20asc");

    q.job_id = "scim.0a1b.9f";
    q.after = "2026-12-04T10:00:00Z";
    expect(&q, "/auditLogs/provisioning?$filter=jobId%20eq%20%27scim.0a1b.9f%27%20and%20activityDateTime"
               "%20gt%202026-12-04T10%3A00%3A00Z&$orderby=activityDateTime%20asc");

    struct gs_log_query f = {.job_id = "j", .status = "failure", .top = 100};
    expect(&f, "/auditLogs/provisioning?$filter=jobId%20eq%20%27j%27%20and%20provisioningStatusInfo%2Fstatus"
               "%20eq%20%27failure%27&$orderby=activityDateTime%20asc&$top=100");

    struct gs_log_query a = {.job_id = "j", .action = "stagedDelete"};
    expect(&a, "/auditLogs/provisioning?$filter=jobId%20eq%20%27j%27%20and%20provisioningAction%20eq%20"
               "%27stagedDelete%27&$orderby=activityDateTime%20asc");

    /* an identity on either side; a quote in a value is doubled, & and # encoded */
    struct gs_log_query o = {.object_id = "o'b&#"};
    expect(&o, "/auditLogs/provisioning?$filter=%28sourceIdentity%2Fid%20eq%20%27o%27%27b%26%23%27%20or%20"
               "targetIdentity%2Fid%20eq%20%27o%27%27b%26%23%27%29&$orderby=activityDateTime%20asc");

    struct gs_log_query s = {.sp_id = "sp", .status = "failure", .object_id = "x"};
    expect(&s, "/auditLogs/provisioning?$filter=servicePrincipal%2Fid%20eq%20%27sp%27%20and%20"
               "provisioningStatusInfo%2Fstatus%20eq%20%27failure%27%20and%20%28sourceIdentity%2Fid%20eq%20"
               "%27x%27%20or%20targetIdentity%2Fid%20eq%20%27x%27%29&$orderby=activityDateTime%20asc");

    struct gs_log_query u = {.display_name = "ann@contoso.com"};
    expect(&u, "/auditLogs/provisioning?$filter=%28sourceIdentity%2FdisplayName%20eq%20%27ann%40contoso.com%27"
               "%20or%20targetIdentity%2FdisplayName%20eq%20%27ann%40contoso.com%27%29"
               "&$orderby=activityDateTime%20asc");

    cJSON *e = cJSON_Parse("{\"@odata.type\":\"#x\",\"id\":\"1\",\"steps\":[{\"@odata.type\":\"s\",\"name\":"
                           "\"n\"}],\"sourceIdentity\":{\"@odata.id\":\"y\",\"id\":\"2\"},\"@odata.etag\":1}");
    gs_logs_strip_annotations(e);
    char *text = cJSON_PrintUnformatted(e);
    CHECK_STR(text, "{\"id\":\"1\",\"steps\":[{\"name\":\"n\"}],\"sourceIdentity\":{\"id\":\"2\"}}");
    free(text);
    cJSON_Delete(e);
    return check_report("test_log_query");
}

/* Provisioning-log queries (GET /auditLogs/provisioning): the filter is
 * built from what the caller asks and sent to Graph, pages are followed
 * through @odata.nextLink, and every request takes a slot of one shared
 * rate bucket first (Graph allows 5 report requests per 10 s per
 * application and tenant). */
#ifndef GS_LOGS_H
#define GS_LOGS_H

#include <cjson/cJSON.h>

#include "api/graph_client.h"
#include "api/rate_bucket.h"

#define GS_LOGS_PERMISSION "AuditLog.Read.All"

struct gs_log_query {
    const char *job_id;     /* jobId eq, or NULL */
    const char *sp_id;      /* servicePrincipal/id eq, or NULL */
    const char *object_id;  /* sourceIdentity/id eq X or targetIdentity/id eq X, or NULL */
    const char *display_name; /* the same on displayName (a userPrincipalName), or NULL */
    const char *status;     /* provisioningStatusInfo/status eq (success, failure, skipped, warning) */
    const char *action;     /* provisioningAction eq (create, update, delete, stagedDelete, ...) */
    const char *after;      /* activityDateTime gt this DateTimeOffset (ISO 8601), or NULL */
    int top;                /* $top per page, 0: Graph's default */
};

/* "/auditLogs/provisioning?$filter=...&$orderby=activityDateTime%20asc[&$top=N]"
 * with string values quoted as OData literals ('' for ') and everything
 * percent-encoded. malloc'd; NULL on ENOMEM. */
char *gs_log_query_path(const struct gs_log_query *q);

/* Every event of the query, oldest first, as a cJSON array (caller deletes),
 * @odata annotations removed. Each page waits for a slot of `bucket` until
 * the monotonic time `deadline`. Failures: -EAGAIN (no slot in time, or
 * Graph still throttling: the reason is in err), -EACCES (403: err's message
 * names AuditLog.Read.All and the licence), other errors as gs_client_request. */
int gs_logs_fetch(struct gs_client *c, struct gs_rate_bucket *bucket, const struct gs_log_query *q,
                  double deadline, cJSON **events, struct gs_error *err);

/* Removes every "@odata.*" member, recursively. */
void gs_logs_strip_annotations(cJSON *item);

#endif

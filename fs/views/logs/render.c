#include "fs/views/logs/render.h"

#include <stdlib.h>
#include <string.h>

const char GS_LOG_TSV_HEADER[] =
    "time\taction\tstatus\tsource id\tsource name\ttarget id\ttarget name\terror code\treason\n";
const char GS_LOG_TENANT_TSV_HEADER[] =
    "time\tservice principal id\tservice principal\tjob\taction\tstatus\tsource id\tsource name\t"
    "target id\ttarget name\terror code\treason\n";

/* The string at a path of members ("a", "b", NULL), or "". */
static const char *str_at(const cJSON *j, const char *a, const char *b, const char *c)
{
    const char *path[] = {a, b, c};
    for (int i = 0; i < 3 && path[i] && j; i++) {
        if (cJSON_IsArray(j)) /* servicePrincipal is documented as a collection */
            j = cJSON_GetArrayItem(j, 0);
        j = cJSON_GetObjectItemCaseSensitive(j, path[i]);
    }
    return cJSON_IsString(j) ? j->valuestring : "";
}

void gs_log_jsonl(struct gs_buf *b, const cJSON *event)
{
    char *text = cJSON_PrintUnformatted(event);
    if (!text) {
        b->oom = 1;
        return;
    }
    gs_buf_puts(b, text);
    gs_buf_putc(b, '\n');
    free(text);
}

static void cell(struct gs_buf *b, const char *s, int last)
{
    for (; *s; s++)
        gs_buf_putc(b, *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s);
    gs_buf_putc(b, last ? '\n' : '\t');
}

void gs_log_tsv(struct gs_buf *b, const cJSON *e, int with_owner)
{
    cell(b, str_at(e, "activityDateTime", NULL, NULL), 0);
    if (with_owner) {
        cell(b, str_at(e, "servicePrincipal", "id", NULL), 0);
        cell(b, str_at(e, "servicePrincipal", "displayName", NULL), 0);
        cell(b, str_at(e, "jobId", NULL, NULL), 0);
    }
    cell(b, str_at(e, "provisioningAction", NULL, NULL), 0);
    cell(b, str_at(e, "provisioningStatusInfo", "status", NULL), 0);
    cell(b, str_at(e, "sourceIdentity", "id", NULL), 0);
    cell(b, str_at(e, "sourceIdentity", "displayName", NULL), 0);
    cell(b, str_at(e, "targetIdentity", "id", NULL), 0);
    cell(b, str_at(e, "targetIdentity", "displayName", NULL), 0);
    cell(b, str_at(e, "provisioningStatusInfo", "errorInformation", "errorCode"), 0);
    cell(b, str_at(e, "provisioningStatusInfo", "errorInformation", "reason"), 1);
}

static void line(struct gs_buf *b, const char *label, const char *value)
{
    if (value && value[0])
        gs_buf_printf(b, "%-19s %s\n", label, value);
}

static void identity(struct gs_buf *b, const char *label, const cJSON *e, const char *member,
                     const char *system)
{
    const char *name = str_at(e, member, "displayName", NULL), *id = str_at(e, member, "id", NULL);
    gs_buf_printf(b, "%-19s %s%s(%s%s%s) in %s\n", label, name, name[0] ? " " : "", id[0] ? id : "no id",
                  str_at(e, member, "identityType", NULL)[0] ? ", " : "",
                  str_at(e, member, "identityType", NULL), str_at(e, system, "displayName", NULL));
}

/* One line per step; the event's error follows the step that failed or skipped. */
static void steps(struct gs_buf *b, const cJSON *e)
{
    const char *code = str_at(e, "provisioningStatusInfo", "errorInformation", "errorCode");
    const char *reason = str_at(e, "provisioningStatusInfo", "errorInformation", "reason");
    const char *todo = str_at(e, "provisioningStatusInfo", "errorInformation", "recommendedAction");
    int told = 0;
    const cJSON *s;
    gs_buf_puts(b, "steps:\n");
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(e, "provisioningSteps")) {
        const char *status = str_at(s, "status", NULL, NULL);
        gs_buf_printf(b, "  %-10s %-8s %s: %s", str_at(s, "provisioningStepType", NULL, NULL), status,
                      str_at(s, "name", NULL, NULL), str_at(s, "description", NULL, NULL));
        if (!told && code[0] && (strcmp(status, "failure") == 0 || strcmp(status, "skipped") == 0)) {
            gs_buf_printf(b, " [error code %s; reason: %s%s%s]", code, reason,
                          todo[0] ? "; recommended action: " : "", todo);
            told = 1;
        }
        gs_buf_putc(b, '\n');
    }
}

void gs_log_details(struct gs_buf *b, const cJSON *e)
{
    line(b, "time:", str_at(e, "activityDateTime", NULL, NULL));
    gs_buf_printf(b, "%-19s %s (%s)\n", "service principal:", str_at(e, "servicePrincipal", "displayName", NULL),
                  str_at(e, "servicePrincipal", "id", NULL));
    line(b, "job:", str_at(e, "jobId", NULL, NULL));
    line(b, "cycle:", str_at(e, "cycleId", NULL, NULL));
    line(b, "change:", str_at(e, "changeId", NULL, NULL));
    line(b, "action:", str_at(e, "provisioningAction", NULL, NULL));
    line(b, "status:", str_at(e, "provisioningStatusInfo", "status", NULL));
    identity(b, "source:", e, "sourceIdentity", "sourceSystem");
    identity(b, "target:", e, "targetIdentity", "targetSystem");
    line(b, "initiated by:", str_at(e, "initiatedBy", "displayName", NULL));
    line(b, "error code:", str_at(e, "provisioningStatusInfo", "errorInformation", "errorCode"));
    line(b, "error category:", str_at(e, "provisioningStatusInfo", "errorInformation", "errorCategory"));
    line(b, "reason:", str_at(e, "provisioningStatusInfo", "errorInformation", "reason"));
    line(b, "recommended action:", str_at(e, "provisioningStatusInfo", "errorInformation", "recommendedAction"));
    steps(b, e);
    const cJSON *m, *mods = cJSON_GetObjectItemCaseSensitive(e, "modifiedProperties");
    if (cJSON_GetArraySize(mods) > 0)
        gs_buf_puts(b, "modified properties:\n");
    cJSON_ArrayForEach(m, mods) {
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(m, "oldValue");
        gs_buf_printf(b, "  %s: %s%s%s -> %s\n", str_at(m, "displayName", NULL, NULL),
                      cJSON_IsString(old) ? "\"" : "", cJSON_IsString(old) ? old->valuestring : "(none)",
                      cJSON_IsString(old) ? "\"" : "", str_at(m, "newValue", NULL, NULL));
    }
}

/* Text forms of provisioningObjectSummary events: JSON Lines, TSV lines and
 * the readable details of one event (by-id/<objectId>.txt). */
#ifndef GS_FS_LOGS_RENDER_H
#define GS_FS_LOGS_RENDER_H

#include <cjson/cJSON.h>

#include "common/buf.h"

/* Header lines of recent.tsv and of the tenant's failures.tsv. */
extern const char GS_LOG_TSV_HEADER[];
extern const char GS_LOG_TENANT_TSV_HEADER[];

/* Compact JSON and a newline. */
void gs_log_jsonl(struct gs_buf *b, const cJSON *event);
/* time, action, status, source id, source name, target id, target name, error
 * code, reason; with_owner: service principal id and name and job id first
 * after the time. Tabs and newlines inside values become spaces. */
void gs_log_tsv(struct gs_buf *b, const cJSON *event, int with_owner);
/* The event as readable text: who, what, when, then one line per
 * provisioning step and the error's reason and recommended action. */
void gs_log_details(struct gs_buf *b, const cJSON *event);

#endif

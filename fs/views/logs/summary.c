/* bulkUpload's result followed by what the provisioning log says since
 * Graph accepted the last upload (issue 15, point 4). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/buf.h"
#include "fs/actions/control.h"
#include "fs/views/logs/logs.h"

int gs_logs_add_upload_summary(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out)
{
    struct timespec when;
    if (!gs_control_accepted_at(fs, n, &when))
        return 0; /* no upload accepted yet: the result as it is */
    char since[96], secs[32];
    struct tm tm;
    gmtime_r(&when.tv_sec, &tm);
    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(since, sizeof(since), "%s.%07ldZ", secs, (long)(when.tv_nsec / 100) % 10000000); /* Graph's precision */
    struct gs_log_counts c = {0};
    int r = gs_logs_counts_since(fs, n, since, &c);
    struct gs_buf b = {0};
    gs_buf_append(&b, (*out)->data, (*out)->len);
    gs_buf_printf(&b, "last upload accepted: %s\n", since);
    if (r == 0)
        gs_buf_printf(&b, "events since then: created %u, updated %u, failed %u, skipped %u%s\n"
                      "details: logs/recent.jsonl, logs/failures.jsonl\n",
                      c.created, c.updated, c.failed, c.skipped, c.other ? " (and others)" : "");
    else
        gs_buf_printf(&b, "events since then: unknown (%s; see last_error)\n", strerror(-r));
    size_t len = 0;
    char *text = gs_buf_take(&b, &len);
    struct gs_blob *nb = text ? gs_blob_new(text, len) : NULL;
    free(text);
    if (!nb)
        return -ENOMEM;
    gs_blob_unref(*out);
    *out = nb;
    return 0;
}

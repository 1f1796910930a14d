/* Telling that a stale copy is served (stale.h). */
#include "fs/fetch/stale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/model/errors.h"

static void utc(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, size, "?");
}

char *gs_stale_describe(struct gs_fs *fs, const struct gs_doc *doc, enum gs_ttl_class cls,
                        const struct gs_error *why)
{
    char fetched[32], since[32], status[48] = "";
    utc(doc->fetched_at.tv_sec, fetched, sizeof(fetched));
    utc(doc->fetched_at.tv_sec + (time_t)gs_cache_ttl(fs->cache, cls), since, sizeof(since));
    if (why->http_status)
        snprintf(status, sizeof(status), "HTTP %ld ", why->http_status);
    char *s = NULL;
    if (asprintf(&s, "fetched %s, past its time-to-live since %s: the refresh failed: %s%s%s%s",
                 fetched, since, status, why->code ? why->code : "",
                 why->code && why->message ? ": " : "", why->message ? why->message : "") < 0)
        return NULL;
    return s;
}

void gs_stale_record(struct gs_fs *fs, const char *owner, const struct gs_doc *doc,
                     enum gs_ttl_class cls, const struct gs_error *why)
{
    char *line = gs_stale_describe(fs, doc, cls, why);
    if (!line)
        return;
    struct gs_error e = {0};
    gs_error_copy(&e, why);
    free(e.code);
    free(e.message);
    e.code = strdup("StaleCopyServed");
    e.message = NULL;
    if (asprintf(&e.message, "serving the cached copy (request-id %s) %s",
                 doc->request_id[0] ? doc->request_id : "-", line) < 0)
        e.message = NULL;
    gs_errors_record(fs->errors, owner, &e);
    gs_debug("%s: %s", e.url ? e.url : doc->key, e.message ? e.message : line);
    gs_error_clear(&e);
    free(line);
}

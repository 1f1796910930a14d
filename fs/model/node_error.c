/* Recording a failed request against the directory that owns a node. */
#include "fs/model/node_error.h"

#include <errno.h>
#include <stdlib.h>

#include "common/interrupt.h"
#include "common/log.h"
#include "fs/model/errors.h"
#include "fs/model/kinds.h"

/* Something that was listed is gone: the listings that named it are out of
 * date, so the next look at them asks Graph again. */
static void forget_gone(struct gs_fs *fs, const struct gs_node *n)
{
    char *key = NULL;
    if (n->job)
        key = gs_kind_key(GS_K_JOBS, n->sp, NULL, NULL);
    else if (n->tpl)
        key = gs_kind_key(GS_K_TEMPLATES, n->sp, NULL, NULL);
    else if (n->sp)
        key = gs_kind_key(GS_K_SPS, NULL, NULL, NULL);
    if (key)
        gs_cache_invalidate(fs->cache, key);
    free(key);
    if (n->sp && !n->job && !n->tpl) {
        key = gs_kind_key(GS_K_SP_JSON, n->sp, NULL, NULL);
        if (key)
            gs_cache_remove(fs->cache, key);
        free(key);
    }
}

void gs_node_record_error(struct gs_fs *fs, const struct gs_node *n, const struct gs_error *err)
{
    if (gs_interrupt_nowait())
        return; /* a try from the cache alone: the request pool does the call again */
    if (err->err == -ENOENT)
        forget_gone(fs, n);
    gs_errors_record(fs->errors, n->owner, err);
    gs_warn("%s %s: %s%s%s (HTTP %ld, request-id %s)", err->method[0] ? err->method : "GET",
            err->url ? err->url : "?", err->code ? err->code : "",
            err->code && err->message ? ": " : "", err->message ? err->message : "",
            err->http_status, err->request_id ? err->request_id : "-");
}

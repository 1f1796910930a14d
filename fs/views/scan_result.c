#include "fs/views/scan_result.h"

#include <errno.h>
#include <stdio.h>

#include "common/errno_name.h"

void gs_scan_note(struct gs_scan_result *res, const char *sp, int r, const struct gs_error *err)
{
    res->sps++;
    if (r == 0 || r == -ENOENT || (err && err->http_status == 404))
        return;
    if (res->unreadable++ > 0)
        return;
    if (err && err->http_status)
        snprintf(res->first_error, sizeof(res->first_error), "%s: HTTP %ld %s", sp, err->http_status,
                 err->code ? err->code : "");
    else
        snprintf(res->first_error, sizeof(res->first_error), "%s: %s", sp, gs_errno_name(r));
}

/* The last failure of each directory, behind its `last_error` file
 * (DESIGN.md section 6). Owners are strings: "" for the root,
 * "sp/<spId>", "job/<spId>/<jobId>". Thread-safe. */
#ifndef GS_ERRORS_H
#define GS_ERRORS_H

#include <stddef.h>
#include <time.h>

#include "api/graph_error.h"

struct gs_errors;

int gs_errors_new(struct gs_errors **out);
void gs_errors_free(struct gs_errors *es);

void gs_errors_record(struct gs_errors *es, const char *owner, const struct gs_error *e);
/* malloc'd text of the owner's last failure ("" when none); *when gets its
 * time (0 when none). NULL on ENOMEM. */
char *gs_errors_text(struct gs_errors *es, const char *owner, size_t *len, time_t *when);

/* malloc'd owner string for a node's ids. */
char *gs_errors_owner(const char *sp, const char *job);

#endif

/* The message of an error answer that is not Graph's JSON: an HTML page or
 * nothing at all, as gateways and proxies send on 502/503/504 (issue 18). */
#ifndef GS_FOREIGN_BODY_H
#define GS_FOREIGN_BODY_H

#include <stddef.h>

/* A one-line message for last_error: the page's <title> (else its text
 * without tags) or the start of a plain text body, saying that it did not
 * come from Graph; for an empty body, that the answer had none. malloc'd;
 * NULL on ENOMEM. */
char *gs_foreign_body_message(const char *body, size_t len);

#endif

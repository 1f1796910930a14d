/* Graph failures: the errno mapping of DESIGN.md section 6 and the record
 * behind every `last_error` file. */
#ifndef GS_GRAPH_ERROR_H
#define GS_GRAPH_ERROR_H

#include <stddef.h>
#include <time.h>

struct gs_error {
    time_t when;             /* wall clock time of the failure */
    char method[8];          /* "GET", "POST", ... */
    char *url;               /* full URL (never contains a token) */
    long http_status;        /* 0 when no HTTP answer arrived */
    char *code;              /* Graph error.code, or a transport word such as "Timeout" */
    char *message;           /* unwrapped human message (nested sync-service JSON decoded) */
    char *request_id;        /* Graph request-id header, or NULL */
    char *client_request_id; /* the client-request-id we sent / Graph echoed */
    int err;                 /* the negative errno this failure maps to */
    int outcome_unknown;     /* 1 when a POST may or may not have been processed */
    const char *needs;       /* static: the permissions the call needs, set when Graph
                              * refused it for want of one (403, or 401 other than
                              * InvalidAuthenticationToken); NULL otherwise */
};

/* Negative errno for an HTTP status (>= 400): 400 -EINVAL, 401 -EKEYREJECTED, 403 -EPERM,
 * 404 -ENOENT, 405/501 -EOPNOTSUPP, 409 -EBUSY, 412 -ESTALE, 413 -EFBIG,
 * 429 -EAGAIN, 504 -ETIMEDOUT, other 5xx -EIO, other 4xx -EIO. */
int gs_errno_for_status(long status);
/* The same for a whole answer: a 401 that is not about the token (a missing
 * permission, gs_is_permission_refusal) is -EPERM like a 403. */
int gs_errno_for_answer(long status, const char *body, size_t len);

/* Extracts error.code and error.message from a Graph error body. When the
 * message is itself JSON from the sync service ({"Message":...}) or
 * innerError holds a more specific message, the inner text is unwrapped.
 * *code and *message are malloc'd (NULL when absent). Returns 0, or -EINVAL
 * if the body is not a Graph error body (outputs then NULL). */
int gs_error_parse_body(const char *body, size_t len, char **code, char **message);

/* Fills e from an HTTP answer (status >= 400). Copies strings. A body that
 * is not Graph's JSON (an HTML page, plain text, nothing) gets a message
 * saying so (api/foreign_body.h); a refusal for a missing permission gets
 * `needs` (api/permissions.h) and, when Graph gave no message, one that says
 * what the empty 401 means. */
void gs_error_set_http(struct gs_error *e, const char *method, const char *url,
                       long status, const char *body, size_t len,
                       const char *request_id, const char *client_request_id);

/* Fills e for a failure with no HTTP answer (timeout, refused, local check). */
void gs_error_set_local(struct gs_error *e, const char *method, const char *url,
                        int neg_errno, const char *code, const char *message);

/* Deep copy (dst is cleared first). */
void gs_error_copy(struct gs_error *dst, const struct gs_error *src);
void gs_error_clear(struct gs_error *e);

/* Multi-line text for `cat last_error`: time (ISO 8601 UTC), method, URL,
 * HTTP status, errno name, Graph code, message, needs (only when set),
 * request-id, client-request-id, one "key: value" per line, final newline. malloc'd; NULL on ENOMEM. */
char *gs_error_format(const struct gs_error *e);

#endif

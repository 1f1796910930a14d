/* Graph failures: status -> errno, error bodies -> code and message, and the
 * text of `last_error`. */
#include "api/graph_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/foreign_body.h"
#include "api/permissions.h"
#include "common/buf.h"
#include "common/errno_name.h"

/* Levels of JSON-in-a-string unwrapped (the sync service nests one level). */
#define UNWRAP_MAX 4

int gs_errno_for_status(long status)
{
    switch (status) {
    case 400: return -EINVAL;
    /* the words an administrator reads: the service rejected the token, or
     * does not permit the operation (gs_error_set_http makes a 401 that is a
     * missing permission EPERM too); "Permission denied" (EACCES) stays for
     * the mount's own modes, where root would never see it */
    case 401: return -EKEYREJECTED;
    case 403: return -EPERM;
    case 404: return -ENOENT;
    case 405:
    case 501: return -EOPNOTSUPP;
    case 409: return -EBUSY;
    case 412: return -ESTALE;
    case 413: return -EFBIG;
    case 429: return -EAGAIN;
    case 504: return -ETIMEDOUT;
    default: break;
    }
    if (status >= 200 && status < 300)
        return 0;
    return -EIO;
}

int gs_errno_for_answer(long status, const char *body, size_t len)
{
    int r = gs_errno_for_status(status);
    if (status != 401)
        return r;
    char *code = NULL, *message = NULL;
    gs_error_parse_body(body, len, &code, &message);
    if (gs_is_permission_refusal(status, code))
        r = -EPERM;
    free(code);
    free(message);
    return r;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static const char *string_member(const cJSON *obj, const char *key)
{
    /* cJSON_GetObjectItem matches keys case-insensitively: "innerError"
     * and "innererror", "Message" and "message" are all found. */
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* The sync service passes its own errors through as JSON text inside
 * error.message: {"Message":"..."} or a Graph-shaped {"error":{"message":..}}.
 * Returns a malloc'd copy of the innermost human text. */
static char *unwrap_message(const char *msg)
{
    char *cur = strdup(msg);
    for (int depth = 0; cur && depth < UNWRAP_MAX; depth++) {
        const char *p = cur + strspn(cur, " \t\r\n");
        if (*p != '{')
            break;
        cJSON *j = cJSON_Parse(p);
        const char *inner = NULL;
        if (cJSON_IsObject(j)) {
            const cJSON *e = cJSON_GetObjectItem(j, "error");
            inner = string_member(j, "Message");
            if (!inner && cJSON_IsObject(e))
                inner = string_member(e, "message");
            if (!inner)
                inner = string_member(j, "error_description");
        }
        char *next = inner ? strdup(inner) : NULL;
        cJSON_Delete(j);
        if (!next)
            break;
        free(cur);
        cur = next;
    }
    return cur;
}

struct parsed_error {
    const char *code;
    const char *message;
    const char *request_id;
    const char *client_request_id;
};

/* Reads the members of an OData error (or an OAuth one: "error" as a string
 * with "error_description"). The strings point into root. */
static int parse_error_json(const cJSON *root, struct parsed_error *pe)
{
    memset(pe, 0, sizeof(*pe));
    const cJSON *e = cJSON_IsObject(root) ? cJSON_GetObjectItem(root, "error") : NULL;
    if (cJSON_IsString(e)) {
        pe->code = e->valuestring[0] ? e->valuestring : NULL;
        pe->message = string_member(root, "error_description");
        return pe->code ? 0 : -EINVAL;
    }
    if (!cJSON_IsObject(e))
        return -EINVAL;
    pe->code = string_member(e, "code");
    pe->message = string_member(e, "message");
    /* innerError may nest; the deepest message is the most specific one and
     * stands in when the outer message is missing */
    const char *inner_message = NULL;
    const cJSON *in = e;
    for (int depth = 0; depth < 8; depth++) {
        const cJSON *next = cJSON_GetObjectItem(in, "innerError");
        if (!cJSON_IsObject(next))
            break;
        in = next;
        if (string_member(in, "message"))
            inner_message = string_member(in, "message");
        if (!pe->code)
            pe->code = string_member(in, "code");
        if (!pe->request_id)
            pe->request_id = string_member(in, "request-id");
        if (!pe->client_request_id)
            pe->client_request_id = string_member(in, "client-request-id");
    }
    if (!pe->message)
        pe->message = inner_message;
    if (!pe->code && !pe->message)
        return -EINVAL;
    return 0;
}

int gs_error_parse_body(const char *body, size_t len, char **code, char **message)
{
    *code = NULL;
    *message = NULL;
    if (!body || !len)
        return -EINVAL;
    cJSON *root = cJSON_ParseWithLength(body, len);
    struct parsed_error pe;
    int r = parse_error_json(root, &pe);
    if (r == 0) {
        *code = dup_or_null(pe.code);
        *message = pe.message ? unwrap_message(pe.message) : NULL;
        if ((pe.code && !*code) || (pe.message && !*message)) {
            free(*code);
            free(*message);
            *code = NULL;
            *message = NULL;
            r = -ENOMEM;
        }
    }
    cJSON_Delete(root);
    return r;
}

static void set_method(struct gs_error *e, const char *method)
{
    snprintf(e->method, sizeof(e->method), "%s", method ? method : "");
}

void gs_error_set_http(struct gs_error *e, const char *method, const char *url,
                       long status, const char *body, size_t len,
                       const char *request_id, const char *client_request_id)
{
    gs_error_clear(e);
    e->when = time(NULL);
    set_method(e, method);
    e->url = dup_or_null(url);
    e->http_status = status;
    e->err = gs_errno_for_status(status);
    if (e->err == 0)
        e->err = -EIO;

    cJSON *root = body && len ? cJSON_ParseWithLength(body, len) : NULL;
    struct parsed_error pe;
    if (parse_error_json(root, &pe) == 0) {
        e->code = dup_or_null(pe.code);
        e->message = pe.message ? unwrap_message(pe.message) : NULL;
    } else {
        memset(&pe, 0, sizeof(pe));
        e->message = gs_foreign_body_message(body, len);
    }
    if (gs_is_permission_refusal(status, e->code)) {
        /* "Operation not permitted": Graph does not permit it to this app */
        e->err = -EPERM;
        e->needs = gs_permissions_needed(method, url);
        if (status == 401 && (!e->message || !*e->message)) {
            free(e->message);
            e->message = strdup("Graph refused the call without a reason; this 401 is not an expired "
                                "token: on the synchronization endpoints it is how a missing "
                                "permission shows (see needs)");
        }
    }
    e->request_id = dup_or_null(request_id && *request_id ? request_id : pe.request_id);
    e->client_request_id = dup_or_null(client_request_id && *client_request_id
                                           ? client_request_id : pe.client_request_id);
    cJSON_Delete(root);
}

void gs_error_set_local(struct gs_error *e, const char *method, const char *url,
                        int neg_errno, const char *code, const char *message)
{
    gs_error_clear(e);
    e->when = time(NULL);
    set_method(e, method);
    e->url = dup_or_null(url);
    e->err = neg_errno > 0 ? -neg_errno : neg_errno;
    e->code = dup_or_null(code);
    e->message = dup_or_null(message);
}

void gs_error_copy(struct gs_error *dst, const struct gs_error *src)
{
    if (dst == src)
        return;
    gs_error_clear(dst);
    dst->when = src->when;
    memcpy(dst->method, src->method, sizeof(dst->method));
    dst->method[sizeof(dst->method) - 1] = '\0';
    dst->url = dup_or_null(src->url);
    dst->http_status = src->http_status;
    dst->code = dup_or_null(src->code);
    dst->message = dup_or_null(src->message);
    dst->request_id = dup_or_null(src->request_id);
    dst->client_request_id = dup_or_null(src->client_request_id);
    dst->err = src->err;
    dst->outcome_unknown = src->outcome_unknown;
    dst->needs = src->needs;
}

void gs_error_clear(struct gs_error *e)
{
    free(e->url);
    free(e->code);
    free(e->message);
    free(e->request_id);
    free(e->client_request_id);
    memset(e, 0, sizeof(*e));
}

static const char *reason_phrase(long status)
{
    static const struct {
        long status;
        const char *text;
    } table[] = {
        {400, "Bad Request"},           {401, "Unauthorized"},
        {403, "Forbidden"},             {404, "Not Found"},
        {405, "Method Not Allowed"},    {406, "Not Acceptable"},
        {409, "Conflict"},              {410, "Gone"},
        {411, "Length Required"},       {412, "Precondition Failed"},
        {413, "Payload Too Large"},     {415, "Unsupported Media Type"},
        {422, "Unprocessable Entity"},  {423, "Locked"},
        {424, "Failed Dependency"},     {429, "Too Many Requests"},
        {500, "Internal Server Error"}, {501, "Not Implemented"},
        {502, "Bad Gateway"},           {503, "Service Unavailable"},
        {504, "Gateway Timeout"},       {507, "Insufficient Storage"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].status == status)
            return table[i].text;
    return NULL;
}

/* "key: value\n" with the value on one line (control characters become spaces). */
static void put_line(struct gs_buf *b, const char *key, const char *value)
{
    gs_buf_puts(b, key);
    gs_buf_puts(b, ": ");
    if (!value || !*value)
        value = "-";
    for (const char *p = value; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        gs_buf_putc(b, (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch);
    }
    gs_buf_putc(b, '\n');
}

char *gs_error_format(const struct gs_error *e)
{
    struct gs_buf b = {0};
    char tmp[128];

    if (e->when) {
        struct tm tm;
        time_t t = e->when;
        if (gmtime_r(&t, &tm) && strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%SZ", &tm))
            put_line(&b, "time", tmp);
        else
            put_line(&b, "time", NULL);
    } else {
        put_line(&b, "time", NULL);
    }
    put_line(&b, "method", e->method);
    put_line(&b, "url", e->url);
    if (e->http_status) {
        const char *reason = reason_phrase(e->http_status);
        snprintf(tmp, sizeof(tmp), "%ld%s%s", e->http_status, reason ? " " : "", reason ? reason : "");
        put_line(&b, "status", tmp);
    } else {
        put_line(&b, "status", "none (no HTTP answer)");
    }
    const char *desc = e->err ? strerrordesc_np(e->err < 0 ? -e->err : e->err) : NULL;
    snprintf(tmp, sizeof(tmp), "%s%s%s%s", gs_errno_name(e->err), desc ? " (" : "",
             desc ? desc : "", desc ? ")" : "");
    put_line(&b, "errno", tmp);
    put_line(&b, "code", e->code);
    put_line(&b, "message", e->message);
    if (e->needs)
        put_line(&b, "needs", e->needs);
    put_line(&b, "request-id", e->request_id);
    put_line(&b, "client-request-id", e->client_request_id);
    if (e->outcome_unknown)
        put_line(&b, "outcome", "unknown: the request was sent but no complete answer came back; "
                                "Graph may or may not have carried it out, so it was not resent");
    return gs_buf_take(&b, NULL);
}

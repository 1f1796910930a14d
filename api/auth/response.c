/* Token answers: the OAuth token endpoint (graph-sync-api.md 8.1), the
 * managed-identity endpoints (expires_in / expires_on as strings) and
 * `az account get-access-token` (accessToken, expires_on or expiresOn). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/auth/internal.h"

/* A number, or a string holding only a decimal number (managed identity). */
static int number_of(const cJSON *item, double *out)
{
    if (cJSON_IsNumber(item)) {
        *out = item->valuedouble;
        return 0;
    }
    if (!cJSON_IsString(item) || !item->valuestring[0])
        return -EINVAL;
    char *end = NULL;
    errno = 0;
    double v = strtod(item->valuestring, &end);
    if (errno || *end)
        return -EINVAL;
    *out = v;
    return 0;
}

/* "2024-05-01 11:00:00.000000" in local time, as older az versions print. */
static int local_time_of(const cJSON *item, double *out)
{
    if (!cJSON_IsString(item))
        return -EINVAL;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(item->valuestring, "%Y-%m-%d %H:%M:%S", &tm);
    if (!rest)
        rest = strptime(item->valuestring, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return -EINVAL;
    tm.tm_isdst = -1;
    time_t t = mktime(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *out = (double)t;
    return 0;
}

static const char *string_of(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static void first_line(char *dst, size_t dstlen, const char *s)
{
    size_t n = strcspn(s, "\r\n");
    char tmp[256];
    if (n >= sizeof(tmp))
        n = sizeof(tmp) - 1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    gs_auth_printable(dst, dstlen, tmp);
}

int gs_oauth_errno(const char *error)
{
    static const char *const refused[] = {
        "invalid_client", "unauthorized_client", "invalid_grant", "access_denied",
        "authorization_declined", "expired_token", "bad_verification_code",
        "interaction_required", "consent_required", "login_required",
    };
    static const char *const invalid[] = {
        "invalid_request", "invalid_scope", "unsupported_grant_type", "invalid_resource",
        "unsupported_response_type",
    };
    if (!error || !*error)
        return -EIO;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (strcmp(error, refused[i]) == 0)
            return -EACCES;
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        if (strcmp(error, invalid[i]) == 0)
            return -EINVAL;
    if (strcmp(error, "temporarily_unavailable") == 0 || strcmp(error, "slow_down") == 0 ||
        strcmp(error, "authorization_pending") == 0)
        return -EAGAIN;
    return -EIO;
}

/* Error bodies: OAuth {"error":"x","error_description":"..."}, App Service
 * {"statusCode":400,"message":"..."}, or {"error":{"code","message"}}. */
static int parse_error(const cJSON *j, struct gs_token_response *out)
{
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
    const char *desc = string_of(j, "error_description");
    if (cJSON_IsObject(err)) {
        const char *code = string_of(err, "code");
        gs_auth_printable(out->error, sizeof(out->error), code ? code : "error");
        desc = string_of(err, "message");
    } else if (cJSON_IsString(err)) {
        gs_auth_printable(out->error, sizeof(out->error), err->valuestring);
    } else {
        desc = string_of(j, "message");
        if (!desc)
            desc = string_of(j, "Message");
        if (!desc)
            return 0;
    }
    first_line(out->description, sizeof(out->description), desc ? desc : "");
    return out->error[0] ? gs_oauth_errno(out->error) : -EACCES;
}

static double expiry_of(const cJSON *j, const char *token, double now)
{
    double v;
    /* expires_in counts in whole seconds from when the server issued the
     * token (whose exp is truncated to a second): one second less */
    if (number_of(cJSON_GetObjectItemCaseSensitive(j, "expires_in"), &v) == 0 && v > 1)
        return now + v - 1;
    if (number_of(cJSON_GetObjectItemCaseSensitive(j, "expires_on"), &v) == 0 && v > 0)
        return v;
    if (local_time_of(cJSON_GetObjectItemCaseSensitive(j, "expiresOn"), &v) == 0)
        return v;
    if (gs_jwt_times(token, &v, NULL) == 0)
        return v;
    return 0;
}

int gs_token_response_parse(const char *body, size_t len, double now,
                            struct gs_token_response *out)
{
    memset(out, 0, sizeof(*out));
    cJSON *j = cJSON_ParseWithLength(body, len);
    int r = 0;
    if (!cJSON_IsObject(j)) {
        r = -EPROTO;
        gs_auth_printable(out->description, sizeof(out->description), "the answer is not JSON");
        goto done;
    }
    r = parse_error(j, out);
    if (r < 0)
        goto done;
    const char *access = string_of(j, "access_token");
    if (!access)
        access = string_of(j, "accessToken");
    if (!access) {
        r = -EPROTO;
        gs_auth_printable(out->description, sizeof(out->description),
                          "the answer holds no access_token");
        goto done;
    }
    const char *type = string_of(j, "token_type");
    if (!type)
        type = string_of(j, "tokenType");
    if (type && strcasecmp(type, "Bearer") != 0) {
        r = -EPROTO;
        gs_auth_printable(out->description, sizeof(out->description),
                          "the token_type is not Bearer");
        goto done;
    }
    if (gs_token_check(access) != 0) {
        r = -EPROTO;
        gs_auth_printable(out->description, sizeof(out->description),
                          "the access_token is empty or holds spaces or control characters");
        goto done;
    }
    out->expires = expiry_of(j, access, now);
    out->access_token = strdup(access);
    const char *refresh = string_of(j, "refresh_token");
    if (refresh && *refresh)
        out->refresh_token = strdup(refresh);
    if (!out->access_token || (refresh && *refresh && !out->refresh_token)) {
        gs_token_response_clear(out);
        r = -ENOMEM;
    }
done:
    if (j) {
        /* the parsed tree holds copies of the tokens: zero them */
        char *token_copies[] = {(char *)string_of(j, "access_token"),
                                (char *)string_of(j, "accessToken"),
                                (char *)string_of(j, "refresh_token"),
                                (char *)string_of(j, "id_token")};
        for (size_t i = 0; i < sizeof(token_copies) / sizeof(token_copies[0]); i++)
            if (token_copies[i])
                explicit_bzero(token_copies[i], strlen(token_copies[i]));
        cJSON_Delete(j);
    }
    return r;
}

void gs_token_response_clear(struct gs_token_response *r)
{
    gs_auth_free_secret(r->access_token);
    gs_auth_free_secret(r->refresh_token);
    r->access_token = r->refresh_token = NULL;
}

void gs_token_response_take(struct gs_token_response *r, double now, struct gs_token *t)
{
    gs_token_clear(t);
    t->value = r->access_token;
    t->obtained = now;
    /* an expiry already past can only be clock skew: rather than refresh at
     * every call, keep the token until Graph refuses it (forced refresh) */
    t->expires = r->expires > now ? r->expires : 0;
    r->access_token = NULL;
}

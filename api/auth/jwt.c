/* JSON Web Tokens without signatures: the header and claims of a client
 * assertion (graph-sync-api.md 8.1), and the expiry of a token we are given. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "api/auth/internal.h"

char *gs_jwt_header(const char *alg, const char *x5t, const char *x5t_s256)
{
    cJSON *h = cJSON_CreateObject();
    char *out = NULL;
    if (!h)
        return NULL;
    if (!cJSON_AddStringToObject(h, "alg", alg) || !cJSON_AddStringToObject(h, "typ", "JWT"))
        goto done;
    if (x5t && !cJSON_AddStringToObject(h, "x5t", x5t))
        goto done;
    if (x5t_s256 && !cJSON_AddStringToObject(h, "x5t#S256", x5t_s256))
        goto done;
    out = cJSON_PrintUnformatted(h);
done:
    cJSON_Delete(h);
    return out;
}

char *gs_jwt_claims(const char *aud, const char *client_id, const char *jti, long now,
                    long lifetime)
{
    cJSON *c = cJSON_CreateObject();
    char *out = NULL;
    if (!c)
        return NULL;
    if (!cJSON_AddStringToObject(c, "aud", aud) || !cJSON_AddStringToObject(c, "iss", client_id) ||
        !cJSON_AddStringToObject(c, "sub", client_id) || !cJSON_AddStringToObject(c, "jti", jti) ||
        !cJSON_AddNumberToObject(c, "nbf", (double)now) ||
        !cJSON_AddNumberToObject(c, "iat", (double)now) ||
        !cJSON_AddNumberToObject(c, "exp", (double)(now + lifetime)))
        goto done;
    out = cJSON_PrintUnformatted(c);
done:
    cJSON_Delete(c);
    return out;
}

char *gs_jwt_signing_input(const char *header_json, const char *claims_json)
{
    char *h = gs_b64url_encode(header_json, strlen(header_json));
    char *c = gs_b64url_encode(claims_json, strlen(claims_json));
    char *out = NULL;
    if (h && c && asprintf(&out, "%s.%s", h, c) < 0)
        out = NULL;
    free(h);
    free(c);
    return out;
}

int gs_jwt_times(const char *token, double *out_exp, double *out_iat)
{
    const char *dot1 = strchr(token, '.');
    const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || dot2 == dot1 + 1)
        return -EINVAL;
    unsigned char *json = NULL;
    size_t len = 0;
    int r = gs_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &json, &len);
    if (r < 0)
        return r;
    cJSON *claims = cJSON_ParseWithLength((const char *)json, len);
    free(json);
    if (!claims)
        return -EINVAL;
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(claims, "exp");
    const cJSON *iat = cJSON_GetObjectItemCaseSensitive(claims, "iat");
    r = -EINVAL;
    if (cJSON_IsNumber(exp) && exp->valuedouble > 0) {
        *out_exp = exp->valuedouble;
        if (out_iat)
            *out_iat = cJSON_IsNumber(iat) ? iat->valuedouble : 0;
        r = 0;
    }
    cJSON_Delete(claims);
    return r;
}

int gs_auth_guid(char out[37])
{
    unsigned char b[16];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return errno ? -errno : -EIO;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
    return 0;
}

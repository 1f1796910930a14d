/* The device method's optional token cache: one 0600 JSON file holding the
 * refresh token of one authority, tenant and client, so that the next mount
 * signs in without a terminal. Refused like every credential file when
 * group or others may read it. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/auth/internal.h"

static int same(const cJSON *obj, const char *name, const char *want)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) && strcmp(it->valuestring, want) == 0;
}

int gs_devcache_load(const char *path, const char *authority, const char *tenant,
                     const char *client_id, char **refresh_out, char *why, size_t whylen)
{
    *refresh_out = NULL;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT)
        return 0; /* created at the first sign-in */
    char *data = NULL;
    size_t len = 0;
    int r = gs_auth_read_secret_file(path, GS_AUTH_MAX_FILE, 1, &data, &len, why, whylen);
    if (r == -ENODATA)
        return 0; /* an empty file prepared by the user */
    if (r < 0)
        return r;
    cJSON *j = cJSON_ParseWithLength(data, len);
    explicit_bzero(data, len);
    free(data);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        gs_auth_whyf(why, whylen, "%s is not a graphsyncfs token cache (not a JSON object)", path);
        return -EINVAL;
    }
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(j, "refresh_token");
    if (same(j, "authority", authority) && same(j, "tenant", tenant) &&
        same(j, "client_id", client_id) && cJSON_IsString(rt) && rt->valuestring[0]) {
        *refresh_out = strdup(rt->valuestring);
        if (!*refresh_out)
            r = -ENOMEM;
    }
    if (cJSON_IsString(rt))
        explicit_bzero(rt->valuestring, strlen(rt->valuestring));
    cJSON_Delete(j);
    return r;
}

int gs_devcache_save(const char *path, const char *authority, const char *tenant,
                     const char *client_id, const char *refresh, char *why, size_t whylen)
{
    cJSON *j = cJSON_CreateObject();
    char *text = NULL;
    if (j && cJSON_AddStringToObject(j, "authority", authority) &&
        cJSON_AddStringToObject(j, "tenant", tenant) &&
        cJSON_AddStringToObject(j, "client_id", client_id) &&
        cJSON_AddStringToObject(j, "refresh_token", refresh))
        text = cJSON_Print(j);
    if (j) {
        const cJSON *rt = cJSON_GetObjectItemCaseSensitive(j, "refresh_token");
        if (cJSON_IsString(rt))
            explicit_bzero(rt->valuestring, strlen(rt->valuestring));
        cJSON_Delete(j);
    }
    if (!text) {
        gs_auth_whyf(why, whylen, "out of memory writing %s", path);
        return -ENOMEM;
    }
    int r = gs_auth_write_secret_file(path, text, strlen(text), why, whylen);
    gs_auth_free_secret(text);
    return r;
}

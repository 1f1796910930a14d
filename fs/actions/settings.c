#include "fs/actions/settings.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "fs/fetch/graph_get.h"
#include "fs/model/node_error.h"

#define SYNC "/servicePrincipals/%s/synchronization"
#define NOTIFY "SyncNotificationSettings"

enum { S_EMAIL, S_ON_FAILURE, S_THRESHOLD, S_SYNC_ALL, S_SKIP };

const char *const gs_setting_names[GS_SETTINGS_N] = {
    [S_EMAIL] = "notify_email", [S_ON_FAILURE] = "notify_on_failure",
    [S_THRESHOLD] = "delete_threshold", [S_SYNC_ALL] = "sync_all",
    [S_SKIP] = "skip_out_of_scope_deletions",
};

static int which(const struct gs_node *n)
{
    for (int i = 0; i < GS_SETTINGS_N; i++)
        if (strcmp(gs_node_name(n), gs_setting_names[i]) == 0)
            return i;
    return -1;
}

/* The value of key in a secrets listing {"value":[{key,value}...]}, or NULL. */
static const char *pair_value(const cJSON *secrets, const char *key)
{
    const cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(secrets, "value")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(kv, "value");
        if (cJSON_IsString(k) && strcasecmp(k->valuestring, key) == 0)
            return cJSON_IsString(v) ? v->valuestring : "";
    }
    return NULL;
}

/* A member of SyncNotificationSettings as text: booleans "true"/"false",
 * numbers in decimal, strings as they are; "" when absent. */
static void notify_member(const cJSON *ns, const char *name, char *buf, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(ns, name);
    if (cJSON_IsBool(v))
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNumber(v))
        snprintf(buf, size, "%.0f", v->valuedouble);
    else if (cJSON_IsString(v))
        snprintf(buf, size, "%s", v->valuestring);
    else
        buf[0] = '\0';
}

static int truthy(const char *s)
{
    return strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0;
}

/* The setting's value as the file shows it (malloc'd). */
static char *decode(int s, const cJSON *secrets)
{
    char a[256] = "", b[64] = "";
    cJSON *ns = NULL;
    const char *raw = pair_value(secrets, NOTIFY);
    if (raw)
        ns = cJSON_Parse(raw);
    char *out = NULL;
    switch (s) {
    case S_EMAIL:
        notify_member(ns, "Recipients", a, sizeof(a));
        out = strdup(a);
        break;
    case S_ON_FAILURE:
        notify_member(ns, "Enabled", a, sizeof(a));
        out = strdup(truthy(a) ? "on" : "off");
        break;
    case S_THRESHOLD:
        notify_member(ns, "DeleteThresholdEnabled", a, sizeof(a));
        notify_member(ns, "DeleteThresholdValue", b, sizeof(b));
        out = strdup(truthy(a) && b[0] ? b : "off");
        break;
    case S_SYNC_ALL:
        raw = pair_value(secrets, "SyncAll");
        out = strdup(raw && truthy(raw) ? "all" : "assigned");
        break;
    default:
        raw = pair_value(secrets, "SkipOutOfScopeDeletions");
        out = strdup(raw && truthy(raw) ? "true" : "false");
        break;
    }
    cJSON_Delete(ns);
    return out;
}

int gs_setting_read(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    int s = which(n);
    if (s < 0)
        return -ENOENT;
    char *key = gs_kind_key(GS_K_SECRETS, n->sp, NULL, NULL);
    struct gs_doc *doc = NULL;
    struct gs_error err = {0};
    int r = key ? gs_fs_get(fs, key, GS_TTL_DOC, gs_kind_get_flags(GS_K_SECRETS), &doc, &err) : -ENOMEM;
    free(key);
    if (r < 0) {
        gs_node_record_error(fs, n, &err);
        gs_error_clear(&err);
        return r;
    }
    char *v = decode(s, doc->json);
    *mtime = doc->changed_at;
    gs_doc_unref(doc);
    char *text = NULL;
    if (!v || asprintf(&text, "%s\n", v) < 0)
        text = NULL;
    free(v);
    *out = text ? gs_blob_new(text, strlen(text)) : NULL;
    free(text);
    return *out ? 0 : -ENOMEM;
}

static void record_local(struct gs_fs *fs, const struct gs_node *n, const char *method, int err,
                         const char *code, const char *why)
{
    struct gs_error e = {0};
    char *path = gs_path(SYNC "/secrets", n->sp);
    char *url = path ? gs_client_url(fs->client, path) : NULL;
    gs_error_set_local(&e, method, url ? url : "secrets", err, code, why);
    gs_node_record_error(fs, n, &e);
    gs_error_clear(&e);
    free(url);
    free(path);
}

/* The input without surrounding white space; NULL when it holds a line
 * break inside or a control character. malloc'd. */
static char *one_line(const char *in, size_t len)
{
    while (len && isspace((unsigned char)in[len - 1]))
        len--;
    while (len && isspace((unsigned char)*in))
        in++, len--;
    for (size_t i = 0; i < len; i++)
        if (iscntrl((unsigned char)in[i]))
            return NULL;
    return strndup(in, len);
}

static int valid_emails(const char *v)
{
    /* "" (none) or addresses separated by ',' or ';': local@domain each */
    const char *p = v;
    while (*p) {
        size_t n = strcspn(p, ",;");
        const char *at = memchr(p, '@', n);
        while (n && p[n - 1] == ' ')
            n--;
        while (n && *p == ' ')
            p++, n--;
        if (!n || !at || at == p || at >= p + n - 1 || memchr(p, ' ', n))
            return 0;
        p += strcspn(p, ",;");
        if (*p)
            p++;
    }
    return 1;
}

/* Checks v for setting s; *why says what is expected. */
static int check_value(int s, const char *v, const char **why)
{
    switch (s) {
    case S_EMAIL:
        *why = "notify_email: e-mail addresses separated by ',' or ';' (or nothing)";
        return valid_emails(v) ? 0 : -EINVAL;
    case S_ON_FAILURE:
        *why = "notify_on_failure: on or off";
        return strcmp(v, "on") == 0 || strcmp(v, "off") == 0 ? 0 : -EINVAL;
    case S_THRESHOLD: {
        *why = "delete_threshold: a whole number of deletions from 1 to 1000000, or off";
        if (strcmp(v, "off") == 0)
            return 0;
        char *end;
        long x = strtol(v, &end, 10);
        return *v && !*end && isdigit((unsigned char)*v) && x >= 1 && x <= 1000000 ? 0 : -EINVAL;
    }
    case S_SYNC_ALL:
        *why = "sync_all: all or assigned";
        return strcmp(v, "all") == 0 || strcmp(v, "assigned") == 0 ? 0 : -EINVAL;
    default:
        *why = "skip_out_of_scope_deletions: true or false";
        return strcmp(v, "true") == 0 || strcmp(v, "false") == 0 ? 0 : -EINVAL;
    }
}

/* Graph shows a secret value as a run of asterisks. */
static int is_masked(const char *v)
{
    size_t n = strlen(v);
    if (n < 3)
        return 0;
    return strspn(v, "*") == n;
}

/* The keys whose values Graph answered masked, "A, B" (malloc'd), or NULL. */
static char *masked_keys(const cJSON *secrets)
{
    char *list = NULL;
    const cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(secrets, "value")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(kv, "value");
        if (!cJSON_IsString(k) || !cJSON_IsString(v) || !is_masked(v->valuestring))
            continue;
        char *more = NULL;
        if (asprintf(&more, "%s%s%s", list ? list : "", list ? ", " : "", k->valuestring) < 0)
            more = NULL;
        free(list);
        list = more;
        if (!list)
            return NULL;
    }
    return list;
}

/* The new text of SyncNotificationSettings with setting s changed to v
 * (the other members kept as they are). malloc'd. */
static char *new_notify(int s, const char *v, const cJSON *secrets)
{
    const char *raw = pair_value(secrets, NOTIFY);
    cJSON *ns = raw ? cJSON_Parse(raw) : NULL;
    if (!cJSON_IsObject(ns)) {
        cJSON_Delete(ns);
        ns = cJSON_CreateObject();
    }
    if (!ns)
        return NULL;
    if (s == S_EMAIL) {
        cJSON_DeleteItemFromObjectCaseSensitive(ns, "Recipients");
        cJSON_AddStringToObject(ns, "Recipients", v);
    } else if (s == S_ON_FAILURE) {
        cJSON_DeleteItemFromObjectCaseSensitive(ns, "Enabled");
        cJSON_AddBoolToObject(ns, "Enabled", strcmp(v, "on") == 0);
    } else {
        int off = strcmp(v, "off") == 0;
        cJSON_DeleteItemFromObjectCaseSensitive(ns, "DeleteThresholdEnabled");
        cJSON_AddBoolToObject(ns, "DeleteThresholdEnabled", !off);
        if (!off) {
            /* in the type the set already uses for it (a number when absent) */
            const cJSON *was = cJSON_GetObjectItemCaseSensitive(ns, "DeleteThresholdValue");
            int as_text = cJSON_IsString(was);
            cJSON_DeleteItemFromObjectCaseSensitive(ns, "DeleteThresholdValue");
            if (as_text)
                cJSON_AddStringToObject(ns, "DeleteThresholdValue", v);
            else
                cJSON_AddNumberToObject(ns, "DeleteThresholdValue", (double)strtol(v, NULL, 10));
        }
    }
    char *text = cJSON_PrintUnformatted(ns);
    cJSON_Delete(ns);
    return text;
}

/* The key setting s lives in and its new value (malloc'd). */
static int new_pair(int s, const char *v, const cJSON *secrets, const char **key, char **value)
{
    if (s == S_SYNC_ALL) {
        *key = "SyncAll";
        *value = strdup(strcmp(v, "all") == 0 ? "true" : "false");
    } else if (s == S_SKIP) {
        *key = "SkipOutOfScopeDeletions";
        *value = strdup(strcmp(v, "true") == 0 ? "True" : "False");
    } else {
        *key = NOTIFY;
        *value = new_notify(s, v, secrets);
    }
    return *value ? 0 : -ENOMEM;
}

/* The PUT body: every pair as Graph answered it, key set to value. */
static char *put_body(const cJSON *secrets, const char *key, const char *value)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *arr = body ? cJSON_AddArrayToObject(body, "value") : NULL;
    int found = 0;
    const cJSON *kv;
    cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(secrets, "value")) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(kv, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(kv, "value");
        if (!arr || !cJSON_IsString(k))
            continue;
        cJSON *item = cJSON_CreateObject();
        int mine = strcasecmp(k->valuestring, key) == 0;
        found |= mine;
        cJSON_AddStringToObject(item, "key", k->valuestring);
        if (mine)
            cJSON_AddStringToObject(item, "value", value);
        else if (cJSON_IsString(v))
            cJSON_AddStringToObject(item, "value", v->valuestring);
        else
            cJSON_AddNullToObject(item, "value");
        cJSON_AddItemToArray(arr, item);
    }
    if (arr && !found) {
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "key", key);
        cJSON_AddStringToObject(item, "value", value);
        cJSON_AddItemToArray(arr, item);
    }
    char *text = arr ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    return text;
}

/* The secrets as Graph holds them now (not the cache: the PUT must carry
 * every other key as it is). */
static int fetch_secrets(struct gs_fs *fs, const struct gs_node *n, cJSON **out)
{
    char *path = gs_path(SYNC "/secrets", n->sp);
    struct gs_request req = {.method = "GET", .path = path};
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int r = path ? gs_client_request(fs->client, &req, &resp, &err) : -ENOMEM;
    if (r == 0) {
        *out = cJSON_ParseWithLength(resp.body, resp.body_len);
        if (!cJSON_IsObject(*out)) {
            cJSON_Delete(*out);
            *out = NULL;
            r = -EIO;
            record_local(fs, n, "GET", r, "InvalidResponse", "GET secrets: the answer is not a JSON object");
        }
    } else if (path) {
        gs_node_record_error(fs, n, &err);
    }
    gs_response_clear(&resp);
    gs_error_clear(&err);
    free(path);
    return r;
}

static int refuse_masked(struct gs_fs *fs, const struct gs_node *n, const char *masked, const char *key,
                         const char *value)
{
    cJSON *pair = cJSON_CreateObject();
    if (pair) {
        cJSON_AddStringToObject(pair, "key", key);
        cJSON_AddStringToObject(pair, "value", value);
    }
    char *shown = pair ? cJSON_PrintUnformatted(pair) : NULL;
    cJSON_Delete(pair);
    char *why = NULL;
    if (asprintf(&why, "%s not sent: PUT secrets replaces the whole set, and Graph answers %s "
                 "masked, so sending the set back would overwrite the real value with the mask. "
                 "To change this setting, write secrets.json with the real value of %s and this "
                 "entry: %s", gs_node_name(n), masked, masked, shown ? shown : key) < 0)
        why = NULL;
    free(shown);
    record_local(fs, n, "PUT", -EPERM, "CredentialsMasked", why ? why : "credentials masked");
    free(why);
    return -EPERM;
}

static int put_secrets(struct gs_fs *fs, const struct gs_node *n, const char *body)
{
    char *path = gs_path(SYNC "/secrets", n->sp);
    struct gs_request req = {.method = "PUT", .path = path, .body = body, .body_len = strlen(body)};
    struct gs_error err = {0};
    int r = path ? gs_client_request(fs->client, &req, NULL, &err) : -ENOMEM;
    if (r < 0 && path)
        gs_node_record_error(fs, n, &err);
    else if (r == 0)
        gs_info("settings/%s of %s changed", gs_node_name(n), n->sp);
    gs_error_clear(&err);
    free(path);
    char *key = gs_kind_key(GS_K_SECRETS, n->sp, NULL, NULL);
    if (key)
        gs_cache_invalidate(fs->cache, key); /* changed, or unknown after a failure */
    free(key);
    return r;
}

int gs_setting_write(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len)
{
    int s = which(n);
    const char *why = "one line";
    char *v = one_line(in, len);
    int r = s < 0 ? -EPERM : !v ? -EINVAL : check_value(s, v, &why);
    if (len == 0 && r != -EPERM) {
        /* a touch is not a value: it would clear notify_email */
        r = -EINVAL;
        why = "write the value and a line feed (echo VALUE > file); a touch changes nothing";
    }
    if (r == -EINVAL)
        record_local(fs, n, "PUT", r, "InvalidInput", why);
    cJSON *secrets = NULL;
    if (r == 0)
        r = fetch_secrets(fs, n, &secrets);
    const char *key = NULL;
    char *value = NULL, *masked = NULL, *body = NULL;
    if (r == 0)
        r = new_pair(s, v, secrets, &key, &value);
    if (r == 0 && (masked = masked_keys(secrets)))
        r = refuse_masked(fs, n, masked, key, value);
    if (r == 0)
        r = (body = put_body(secrets, key, value)) ? put_secrets(fs, n, body) : -ENOMEM;
    free(body);
    free(masked);
    free(value);
    cJSON_Delete(secrets);
    free(v);
    return r;
}

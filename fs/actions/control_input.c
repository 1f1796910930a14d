#include "fs/actions/control_input.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *restart_words[] = {"None", "ConnectorDataStore", "Escrows", "Watermark",
                                      "QuarantineState", "Full", "ForceDeletes"};

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int gs_json_complete(const char *buf, size_t len)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!j)
        return 0;
    cJSON_Delete(j);
    for (const char *p = end; p < buf + len; p++)
        if (!isspace((unsigned char)*p))
            return 0;
    return 1;
}

int gs_input_complete(const char *buf, size_t len)
{
    if (len && buf[len - 1] == '\n') {
        /* A JSON body spread over lines is complete only when it parses.
         * Every body a control file takes is an object: a line that starts
         * with '[' is text, such as the expression "[givenName]". */
        const char *s = buf;
        size_t l = len;
        trim(&s, &l);
        if (l && *s == '{')
            return gs_json_complete(buf, len);
        return 1;
    }
    return gs_json_complete(buf, len);
}

int gs_input_whole(const char *buf, size_t len)
{
    const char *s = buf;
    size_t l = len;
    trim(&s, &l);
    return !(l && *s == '{') || gs_json_complete(buf, len);
}

static int fail(const char **why, const char *reason);

int gs_word_input(const char *word, const char *in, size_t len, const char **why)
{
    trim(&in, &len);
    if (len == 0 || (len == strlen(word) && strncasecmp(in, word, len) == 0))
        return 0;
    return fail(why, strcmp(word, "start") == 0 ? "start takes no input (touch it, or write a newline or \"start\")"
                                                : "pause takes no input (touch it, or write a newline or \"pause\")");
}

static char *print(cJSON *j)
{
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return s;
}

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -EINVAL;
}

static cJSON *parse_object(const char *in, size_t len)
{
    cJSON *j = cJSON_ParseWithLength(in, len);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* Canonical "A, B" form of scope words; -EINVAL on an unknown word. */
static int normalize_scope(const char *s, size_t len, char **out, const char **why)
{
    char *res = calloc(1, len * 2 + 64);
    if (!res)
        return -ENOMEM;
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ',' || isspace((unsigned char)s[i])))
            i++;
        size_t start = i;
        while (i < len && s[i] != ',' && !isspace((unsigned char)s[i]))
            i++;
        if (i == start)
            break;
        const char *word = NULL;
        for (size_t w = 0; w < sizeof(restart_words) / sizeof(*restart_words); w++)
            if (strlen(restart_words[w]) == i - start && strncasecmp(restart_words[w], s + start, i - start) == 0)
                word = restart_words[w];
        if (!word) {
            free(res);
            return fail(why, "unknown restart scope word (use None, ConnectorDataStore, Escrows, "
                             "Watermark, QuarantineState, Full, ForceDeletes)");
        }
        if (strstr(res, word) == NULL) {
            if (*res)
                strcat(res, ", ");
            strcat(res, word);
        }
    }
    *out = res;
    return 0;
}

int gs_restart_body(const char *in, size_t len, char **body, const char **why)
{
    trim(&in, &len);
    *body = NULL;
    cJSON *criteria;
    if (len && in[0] == '{') {
        cJSON *j = parse_object(in, len);
        if (!j)
            return fail(why, "restart: not a JSON object");
        cJSON *c = cJSON_DetachItemFromObjectCaseSensitive(j, "criteria");
        if (!c && cJSON_GetObjectItemCaseSensitive(j, "resetScope")) {
            c = j;
            j = NULL;
        }
        cJSON_Delete(j);
        if (!cJSON_IsObject(c)) {
            cJSON_Delete(c);
            return fail(why, "restart: the JSON body needs \"criteria\" or \"resetScope\"");
        }
        cJSON *scope = cJSON_GetObjectItemCaseSensitive(c, "resetScope");
        if (scope && !cJSON_IsNull(scope)) {
            char *norm = NULL;
            int r = cJSON_IsString(scope) ? normalize_scope(scope->valuestring, strlen(scope->valuestring), &norm, why)
                                          : fail(why, "restart: resetScope must be a string");
            if (r < 0) {
                cJSON_Delete(c);
                return r;
            }
            cJSON_ReplaceItemInObjectCaseSensitive(c, "resetScope", cJSON_CreateString(norm));
            free(norm);
        }
        criteria = c;
    } else {
        criteria = cJSON_CreateObject();
        if (!criteria)
            return -ENOMEM;
        if (len) {
            char *norm = NULL;
            int r = normalize_scope(in, len, &norm, why);
            if (r < 0) {
                cJSON_Delete(criteria);
                return r;
            }
            cJSON_AddStringToObject(criteria, "resetScope", norm);
            free(norm);
        }
    }
    cJSON *root = cJSON_CreateObject();
    if (!root) {
        cJSON_Delete(criteria);
        return -ENOMEM;
    }
    cJSON_AddItemToObject(root, "criteria", criteria);
    *body = print(root);
    return *body ? 0 : -ENOMEM;
}

int gs_pod_is_text(const char *in, size_t len)
{
    trim(&in, &len);
    return !(len && in[0] == '{');
}

int gs_pod_text_subject(const char *in, size_t len, char *id, size_t id_len, char *type, size_t type_len)
{
    trim(&in, &len);
    size_t i = 0, k = 0;
    while (i < len && !isspace((unsigned char)in[i]) && k < id_len - 1)
        id[k++] = in[i++];
    id[k] = '\0';
    while (i < len && isspace((unsigned char)in[i]))
        i++;
    k = 0;
    while (i < len && !isspace((unsigned char)in[i]) && k < type_len - 1)
        type[k++] = in[i++];
    type[k] = '\0';
    while (i < len && isspace((unsigned char)in[i]))
        i++;
    if (i < len || !id[0])
        return -EINVAL;
    if (!type[0])
        snprintf(type, type_len, "User");
    return 0;
}

/* Whether a rule maps objects of this type (an enabled object mapping from it). */
static int rule_maps(const cJSON *rule, const char *type)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(rule, "objectMappings")) {
        const cJSON *src = cJSON_GetObjectItemCaseSensitive(m, "sourceObjectName");
        const cJSON *on = cJSON_GetObjectItemCaseSensitive(m, "enabled");
        if (cJSON_IsString(src) && strcasecmp(src->valuestring, type) == 0 && !cJSON_IsFalse(on))
            return 1;
    }
    return 0;
}

char *gs_pod_rule_for(const cJSON *schema, const char *type)
{
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(schema, "synchronizationRules");
    const cJSON *pick = cJSON_GetArrayItem(rules, 0), *r;
    cJSON_ArrayForEach(r, rules) {
        if (rule_maps(r, type)) {
            pick = r;
            break;
        }
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(pick, "id");
    return cJSON_IsString(id) ? strdup(id->valuestring) : NULL;
}

static int valid_pod_param(const cJSON *p)
{
    const cJSON *rule = cJSON_GetObjectItemCaseSensitive(p, "ruleId");
    const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(p, "subjects");
    if (!cJSON_IsString(rule) || !cJSON_IsArray(subjects) || cJSON_GetArraySize(subjects) == 0)
        return 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, subjects) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "objectId")))
            return 0;
    }
    return 1;
}

int gs_pod_body(const char *in, size_t len, const char *rule_id, char **body, const char **why)
{
    trim(&in, &len);
    *body = NULL;
    if (len == 0)
        return fail(why, "provisionOnDemand: write \"<objectId> [<objectTypeName>]\" or a JSON body");
    if (in[0] == '{') {
        cJSON *j = parse_object(in, len);
        if (!j)
            return fail(why, "provisionOnDemand: not a JSON object");
        cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "parameters");
        if (!params) {
            /* one parameter object: wrap it */
            cJSON *root = cJSON_CreateObject();
            cJSON *arr = cJSON_AddArrayToObject(root, "parameters");
            if (!root || !arr) {
                cJSON_Delete(root);
                cJSON_Delete(j);
                return -ENOMEM;
            }
            cJSON_AddItemToArray(arr, j);
            j = root;
            params = arr;
        }
        int ok = cJSON_IsArray(params) && cJSON_GetArraySize(params) > 0;
        const cJSON *p;
        cJSON_ArrayForEach(p, params) ok = ok && valid_pod_param(p);
        if (!ok) {
            cJSON_Delete(j);
            return fail(why, "provisionOnDemand: each parameter needs \"ruleId\" and \"subjects\" "
                             "with an \"objectId\"");
        }
        *body = print(j);
        return *body ? 0 : -ENOMEM;
    }
    /* "<objectId> [<objectTypeName>]" */
    char id[256] = "", type[128] = "";
    if (gs_pod_text_subject(in, len, id, sizeof(id), type, sizeof(type)) != 0)
        return fail(why, "provisionOnDemand: write \"<objectId> [<objectTypeName>]\"");
    if (!rule_id)
        return fail(why, "provisionOnDemand: the job's schema has no rule to use");
    cJSON *root = cJSON_CreateObject();
    cJSON *params = cJSON_AddArrayToObject(root, "parameters");
    cJSON *p = cJSON_CreateObject();
    cJSON_AddItemToArray(params, p);
    cJSON_AddStringToObject(p, "ruleId", rule_id);
    cJSON *subjects = cJSON_AddArrayToObject(p, "subjects");
    cJSON *s = cJSON_CreateObject();
    cJSON_AddItemToArray(subjects, s);
    cJSON_AddStringToObject(s, "objectId", id);
    cJSON_AddStringToObject(s, "objectTypeName", type);
    *body = print(root);
    return *body ? 0 : -ENOMEM;
}

int gs_validate_body(const char *in, size_t len, char **body, const char **why)
{
    trim(&in, &len);
    *body = NULL;
    if (len == 0) {
        *body = strdup("{\"useSavedCredentials\":true}");
        return *body ? 0 : -ENOMEM;
    }
    cJSON *j = parse_object(in, len);
    if (!j)
        return fail(why, "validateCredentials: write nothing (saved credentials) or a JSON object");
    const cJSON *creds = cJSON_GetObjectItemCaseSensitive(j, "credentials");
    if (creds && !cJSON_IsArray(creds)) {
        cJSON_Delete(j);
        return fail(why, "validateCredentials: \"credentials\" must be an array of {key, value}");
    }
    *body = print(j);
    return *body ? 0 : -ENOMEM;
}

/* Input that is either text (the value of `member`) or a JSON object that
 * has `member` as a string: the body is that object. */
static int text_or_object(const char *in, size_t len, const char *member, const char *bad_json,
                          char **body, const char **why)
{
    cJSON *j;
    if (in[0] == '{') {
        j = parse_object(in, len);
        if (!j || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, member))) {
            cJSON_Delete(j);
            return fail(why, bad_json);
        }
    } else {
        j = cJSON_CreateObject();
        char *text = strndup(in, len);
        if (!j || !text || !cJSON_AddStringToObject(j, member, text)) {
            cJSON_Delete(j);
            free(text);
            return -ENOMEM;
        }
        free(text);
    }
    *body = print(j);
    return *body ? 0 : -ENOMEM;
}

int gs_parse_expression_body(const char *in, size_t len, char **body, const char **why)
{
    trim(&in, &len);
    *body = NULL;
    if (len == 0)
        return fail(why, "parseExpression: write an expression");
    return text_or_object(in, len, "expression",
                          "parseExpression: the JSON body needs an \"expression\" string", body, why);
}

int gs_bulk_body(const char *in, size_t len, char **body, const char **why)
{
    trim(&in, &len);
    *body = NULL;
    cJSON *j = parse_object(in, len);
    if (!j)
        return fail(why, "bulkUpload: not a JSON object (a SCIM BulkRequest)");
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(j, "Operations");
    int n = cJSON_IsArray(ops) ? cJSON_GetArraySize(ops) : -1;
    if (n <= 0 || n > GS_BULK_MAX_OPERATIONS) {
        cJSON_Delete(j);
        return fail(why, n > GS_BULK_MAX_OPERATIONS ? "bulkUpload: at most 50 Operations per request"
                                                    : "bulkUpload: \"Operations\" must be a non-empty array");
    }
    *body = print(j);
    return *body ? 0 : -ENOMEM;
}

int gs_new_job_body(const char *in, size_t len, char **body, const char **why)
{
    trim(&in, &len);
    *body = NULL;
    if (len == 0)
        return fail(why, "new: write a templateId or a job JSON object");
    if (in[0] != '{')
        for (size_t i = 0; i < len; i++)
            if (isspace((unsigned char)in[i]) || in[i] == '/' || in[i] == '"')
                return fail(why, "new: a templateId is one word");
    return text_or_object(in, len, "templateId", "new: the job JSON needs a \"templateId\" string",
                          body, why);
}

static cJSON *decode_string(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        cJSON *p = cJSON_Parse(v->valuestring);
        if (p)
            return p;
    }
    return cJSON_Duplicate(v, 1);
}

cJSON *gs_pod_decode(const cJSON *answer)
{
    cJSON *out = cJSON_CreateObject();
    if (!out)
        return NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, answer) {
        if (!item->string)
            continue;
        cJSON *v = (strcmp(item->string, "key") == 0 || strcmp(item->string, "value") == 0)
                       ? decode_string(item)
                       : cJSON_Duplicate(item, 1);
        if (!v) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToObject(out, item->string, v);
    }
    return out;
}

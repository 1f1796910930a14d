/* attributes/<a>/test/<objectId or userPrincipalName>: the mapping's
 * expression (pending or committed) evaluated by Graph's parseExpression
 * against the user's current values, read with GET /users/{key}. */
#include "fs/views/rules/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/actions/rules/rules.h"
#include "fs/model/names.h"
#include "fs/model/rules/nav.h"
#include "fs/model/rules/text.h"
#include "fs/model/node_error.h"
#include "fs/fetch/graph_get.h"

/* A computed result is shown again for this long (lookup, stat and open
 * each render the file: one evaluation serves them). */
#define TEST_REUSE_SECONDS 2
/* The first line of a report: the expression evaluated. */
#define EXPRESSION_LINE "expression: %s\n"

/* Source attribute names of Microsoft Entra ID users and the Graph user
 * property each is read from ("" for none, value below). Names not listed
 * are read from the property of the same name. */
static const struct {
    const char *attr, *property;
} renamed[] = {
    {"objectId", "id"},
    {"telephoneNumber", "businessPhones"},
    {"mobile", "mobilePhone"},
    {"facsimileTelephoneNumber", "faxNumber"},
    {"physicalDeliveryOfficeName", "officeLocation"},
    {"IsSoftDeleted", ""},     /* a user GET finds is not deleted: "False" */
    {"appRoleAssignments", ""},
};

static const char *property_of(const char *attr)
{
    if (strncmp(attr, "extensionAttribute", 18) == 0)
        return "onPremisesExtensionAttributes";
    for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
        if (strcmp(renamed[i].attr, attr) == 0)
            return renamed[i].property;
    return attr;
}

/* The value of a source attribute in the user (NULL: none). New item. */
static cJSON *value_of(const cJSON *user, const char *attr)
{
    if (strcmp(attr, "IsSoftDeleted") == 0)
        return cJSON_CreateString("False");
    const char *prop = property_of(attr);
    if (!*prop)
        return NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(user, prop);
    if (strcmp(prop, "onPremisesExtensionAttributes") == 0)
        v = cJSON_GetObjectItemCaseSensitive(v, attr);
    if (strcmp(prop, "businessPhones") == 0)
        v = cJSON_GetArrayItem(v, 0);
    if (cJSON_IsString(v) || cJSON_IsArray(v))
        return cJSON_Duplicate(v, 1);
    if (cJSON_IsBool(v))
        return cJSON_CreateString(cJSON_IsTrue(v) ? "True" : "False");
    if (cJSON_IsNumber(v)) {
        char num[32];
        snprintf(num, sizeof(num), "%.17g", v->valuedouble);
        return cJSON_CreateString(num);
    }
    return NULL;
}

/* $select for the attributes an expression reads. */
static char *select_of(const cJSON *attrs)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    fputs("id,userPrincipalName", f);
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs) {
        const char *p = property_of(a->valuestring);
        if (*p && strcmp(p, "id") && strcmp(p, "userPrincipalName"))
            fprintf(f, ",%s", p);
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

struct source_ctx {
    const struct gs_node *n;
    cJSON *source;           /* a copy, or NULL */
    char *object;            /* the mapping's sourceObjectName */
};

static int source_cb(const cJSON *schema, const cJSON *fresh, const struct timespec *when, void *ctx)
{
    (void)fresh;
    (void)when;
    struct source_ctx *sc = ctx;
    struct gs_rules_path p;
    cJSON *om = NULL, *attr = NULL;
    int r = gs_rules_path_decode(sc->n->target, &p);
    if (r == 0)
        r = gs_rules_resolve(schema, &p, NULL, &om, &attr);
    gs_rules_path_clear(&p);
    if (r < 0)
        return r;
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(attr, "source");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(om, "sourceObjectName");
    sc->source = cJSON_IsObject(src) ? cJSON_Duplicate(src, 1) : NULL;
    sc->object = strdup(cJSON_IsString(obj) ? obj->valuestring : "");
    return (cJSON_IsObject(src) && !sc->source) || !sc->object ? -ENOMEM : 0;
}

/* GET /users/{key}: the user, or -ENOENT (recorded) when Graph has none. */
static int get_user(struct gs_fs *fs, const struct gs_node *n, const cJSON *attrs, cJSON **user)
{
    char *sel = select_of(attrs);
    char *path = sel ? gs_path("/users/%s?$select=%s", gs_node_name(n), sel) : NULL;
    struct gs_request req = {.method = "GET", .path = path};
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int r = path ? gs_client_request(fs->client, &req, &resp, &err) : -ENOMEM;
    if (r < 0 && path)
        gs_node_record_error(fs, n, &err);
    if (r == 0 && !(*user = cJSON_ParseWithLength(resp.body, resp.body_len)))
        r = -EIO;
    gs_response_clear(&resp);
    gs_error_clear(&err);
    free(path);
    free(sel);
    return r;
}

/* testInputObject of parseExpression from the user's values. */
static cJSON *test_input(const cJSON *user, const cJSON *attrs)
{
    cJSON *in = cJSON_CreateObject(), *props = cJSON_CreateArray();
    if (!in || !props || !cJSON_AddNullToObject(in, "definition") || !cJSON_AddItemToObject(in, "properties", props)) {
        cJSON_Delete(in);
        cJSON_Delete(props);
        return NULL;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs) {
        cJSON *v = value_of(user, a->valuestring), *kv = v ? cJSON_CreateObject() : NULL;
        if (!v)
            continue; /* no value: the attribute is null */
        int ok = kv && cJSON_AddStringToObject(kv, "key", a->valuestring) &&
                 (!cJSON_IsArray(v) || cJSON_AddStringToObject(kv, "value@odata.type", "#Collection(String)"));
        if (ok && cJSON_AddItemToObject(kv, "value", v))
            v = NULL;
        else
            ok = 0;
        if (!ok || !cJSON_AddItemToArray(props, kv)) {
            cJSON_Delete(v);
            cJSON_Delete(kv);
            cJSON_Delete(in);
            return NULL;
        }
    }
    return in;
}

static void put_value(FILE *f, const char *label, const cJSON *v)
{
    const cJSON *it;
    if (cJSON_IsArray(v)) {
        if (cJSON_GetArraySize(v) == 0)
            fprintf(f, "%s: (no value)\n", label);
        cJSON_ArrayForEach(it, v)
            fprintf(f, "%s: %s\n", label, cJSON_IsString(it) ? it->valuestring : "?");
    } else {
        fprintf(f, "%s: %s\n", label, cJSON_IsString(v) ? v->valuestring : "(no value)");
    }
}

/* The file's text for an answer of parseExpression. */
static void put_report(FILE *f, const cJSON *user, const cJSON *attrs, const cJSON *in, const cJSON *answer)
{
    const cJSON *upn = cJSON_GetObjectItemCaseSensitive(user, "userPrincipalName");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(user, "id");
    fprintf(f, "object: %s (%s)\n", cJSON_IsString(upn) ? upn->valuestring : "?",
            cJSON_IsString(id) ? id->valuestring : "?");
    const cJSON *a;
    cJSON_ArrayForEach(a, attrs) {
        const cJSON *kv, *v = NULL;
        cJSON_ArrayForEach(kv, cJSON_GetObjectItemCaseSensitive(in, "properties"))
            if (strcmp(cJSON_GetObjectItemCaseSensitive(kv, "key")->valuestring, a->valuestring) == 0)
                v = cJSON_GetObjectItemCaseSensitive(kv, "value");
        char label[300];
        snprintf(label, sizeof(label), "input [%s]", a->valuestring);
        put_value(f, label, v);
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "evaluationSucceeded"))) {
        put_value(f, "result", cJSON_GetObjectItemCaseSensitive(answer, "evaluationResult"));
        return;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(answer, "error"), "message");
    fprintf(f, "error: %s\n", cJSON_IsString(m) ? m->valuestring : "Graph could not evaluate the expression");
}

/* Evaluates source (written as text) for the user n names; the report goes to f. */
static int evaluate(struct gs_fs *fs, const struct gs_node *n, const cJSON *source, const char *text, FILE *f)
{
    cJSON *attrs = cJSON_CreateArray(), *user = NULL, *answer = NULL, *in = NULL, *body = NULL;
    int r = attrs ? gs_rules_source_attributes(source, attrs) : -ENOMEM;
    if (r == 0)
        r = get_user(fs, n, attrs, &user);
    if (r == 0) {
        in = test_input(user, attrs);
        body = cJSON_CreateObject();
        if (in && body && cJSON_AddStringToObject(body, "expression", text) &&
            cJSON_AddNullToObject(body, "targetAttributeDefinition") &&
            cJSON_AddItemToObject(body, "testInputObject", in))
            in = NULL; /* body owns it */
        else
            r = -ENOMEM;
        cJSON_Delete(in);
    }
    if (r == 0)
        r = gs_rules_parse_expression(fs, n, body, &answer);
    if (r == 0) {
        fprintf(f, EXPRESSION_LINE, text);
        put_report(f, user, attrs, cJSON_GetObjectItemCaseSensitive(body, "testInputObject"), answer);
    }
    cJSON_Delete(answer);
    cJSON_Delete(body);
    cJSON_Delete(user);
    cJSON_Delete(attrs);
    return r;
}

/* The result computed last for n, when it is recent and was computed for
 * the expression the mapping has now (its report starts with head). */
static int fresh_result(struct gs_fs *fs, struct gs_node *n, const char *head, struct gs_blob **out,
                        struct timespec *mtime)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    size_t hl = strlen(head);
    pthread_mutex_lock(&fs->lock);
    int fresh = n->content && now.tv_sec - n->mtime.tv_sec < TEST_REUSE_SECONDS && n->content->len >= hl &&
                memcmp(n->content->data, head, hl) == 0;
    if (fresh) {
        *out = gs_blob_ref(n->content);
        *mtime = n->mtime;
    }
    pthread_mutex_unlock(&fs->lock);
    return fresh;
}

/* The report for the mapping's source: evaluated by Graph for a user (or
 * the recent result for the same expression), or why there is nothing to
 * evaluate. *reuse is set when *out is that recent result. */
static int report(struct gs_fs *fs, struct gs_node *n, const struct source_ctx *sc, char **text, size_t *len,
                  struct gs_blob **reuse, struct timespec *mtime)
{
    char *built = sc->source ? gs_rules_source_build(sc->source) : NULL, *head = NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(sc->source, "expression");
    const char *expr = cJSON_IsString(e) && *e->valuestring ? e->valuestring : built;
    if (sc->source && (!built || asprintf(&head, EXPRESSION_LINE, expr) < 0)) {
        free(built);
        return -ENOMEM;
    }
    int r = 0;
    if (head && strcasecmp(sc->object, "User") == 0 && fresh_result(fs, n, head, reuse, mtime)) {
        free(head);
        free(built);
        return 0;
    }
    FILE *f = open_memstream(text, len);
    if (!f)
        r = -ENOMEM;
    else if (!sc->source)
        fputs("expression: (none: the mapping flows its default value only)\n", f);
    else if (strcasecmp(sc->object, "User") != 0)
        fprintf(f, "error: expression tests read users; this mapping reads \"%s\" objects\n", sc->object);
    else
        r = evaluate(fs, n, sc->source, expr, f);
    if (f && fclose(f) != 0 && r == 0)
        r = -ENOMEM;
    free(head);
    free(built);
    return r;
}

int gs_rules_test_content(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    struct source_ctx sc = {n, NULL, NULL};
    int r = gs_rules_with_schema(fs, n, 1, source_cb, &sc);
    char *text = NULL;
    size_t len = 0;
    struct gs_blob *b = NULL;
    if (r == 0)
        r = report(fs, n, &sc, &text, &len, &b, mtime);
    cJSON_Delete(sc.source);
    free(sc.object);
    if (r < 0 || b) {
        free(text);
        *out = b;
        return r;
    }
    b = gs_blob_new(text, len);
    free(text);
    if (!b)
        return -ENOMEM;
    clock_gettime(CLOCK_REALTIME, mtime);
    pthread_mutex_lock(&fs->lock);
    gs_blob_unref(n->content);
    n->content = gs_blob_ref(b);
    n->mtime = *mtime;
    pthread_mutex_unlock(&fs->lock);
    *out = b;
    return 0;
}

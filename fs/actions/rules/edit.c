/* Staged edits of the rules tree: writes, mkdir, rmdir, sed -i (rules.h). */
#include "fs/actions/rules/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/actions/scratch.h"
#include "fs/model/errors.h"
#include "fs/model/names.h"
#include "fs/model/rules/nav.h"
#include "fs/model/rules/text.h"
#include "fs/model/rules/diff.h"
#include "fs/model/node_error.h"
#include "fs/fetch/graph_get.h"

#define SYNC "/servicePrincipals/%s/synchronization"

int gs_rules_complete(const char *data, size_t len)
{
    return len > 0 && data[len - 1] == '\n';
}

/* One edit: what to change, and the reason when refused. */
struct edit {
    const struct gs_node *n;       /* the file (or the directory for mkdir/rmdir) */
    struct gs_rules_path path;
    const char *field;             /* file name */
    const char *text;              /* what was written */
    size_t len;
    cJSON *value;                  /* a new source or scope, taken by the edit */
    const char *name;              /* mkdir/rmdir: the attribute's file name */
    char *why;
    int (*apply)(struct edit *e, cJSON *schema, cJSON *fresh);
};

static int edit_cb(struct gs_rules_copy *c, void *ctx)
{
    struct edit *e = ctx;
    return e->apply(e, c->doc, c->fresh);
}

/* Runs e->apply on the job's pending copy (made from Graph's schema first). */
static int stage(struct gs_fs *fs, struct edit *e)
{
    struct gs_doc *doc = NULL;
    int r = gs_rules_graph_schema(fs, e->n, &doc);
    if (r < 0)
        return r;
    r = gs_rules_pending_edit(fs->rules, gs_node_key(e->n), doc->json, edit_cb, e);
    gs_doc_unref(doc);
    if (r == -EINVAL)
        gs_rules_refuse(fs, e->n, "PUT", r, "InvalidRules", e->why ? e->why : "refused");
    return r;
}

/* The field of a fresh attribute counts as written now. */
static int mark_written(cJSON *fresh, const char *path, const char *field)
{
    cJSON *written = cJSON_GetObjectItemCaseSensitive(fresh, path);
    if (!written || !gs_rules_field_hidden(fresh, path, field))
        return 0;
    cJSON *s = cJSON_CreateString(field);
    if (!s || !cJSON_AddItemToArray(written, s)) {
        cJSON_Delete(s);
        return -ENOMEM;
    }
    return 0;
}

static int apply_field(struct edit *e, cJSON *schema, cJSON *fresh)
{
    cJSON *om = NULL, *attr = NULL;
    if (gs_rules_resolve(schema, &e->path, NULL, &om, &attr) < 0)
        return -ENOENT;
    cJSON *target = e->path.depth == 3 ? attr : om;
    int r;
    if (e->value) {
        const char *member = e->path.depth == 3 ? "source" : "scope";
        /* in place: the member keeps its position */
        r = cJSON_GetObjectItemCaseSensitive(target, member)
                ? (cJSON_ReplaceItemInObjectCaseSensitive(target, member, e->value) ? 0 : -ENOMEM)
                : (cJSON_AddItemToObject(target, member, e->value) ? 0 : -ENOMEM);
        if (r == 0)
            e->value = NULL;
    } else {
        r = gs_rules_field_set(target, e->field, e->text, e->len, &e->why);
    }
    if (r == 0 && e->path.depth == 3)
        r = mark_written(fresh, e->n->target, e->field);
    return r;
}

/* What the file shows now equals what was written (one final newline aside). */
static int unchanged(struct gs_fs *fs, const struct gs_node *n, const char *data, size_t len)
{
    char *text = NULL;
    size_t bl = 0, dl = len;
    struct timespec t;
    if (gs_rules_file_shown(fs, n, &text, &bl, &t) < 0)
        return 0;
    if (bl && text[bl - 1] == '\n')
        bl--;
    if (dl && data[dl - 1] == '\n')
        dl--;
    int same = bl == dl && memcmp(text, data, dl) == 0;
    free(text);
    return same;
}

/* ------------------------------------------------------------ checks */

struct names_ctx {
    const struct gs_rules_path *path;
    int source;
    cJSON *names;            /* a copy: the schema is not held after the callback */
};

static int names_cb(const cJSON *schema, const cJSON *fresh, const struct timespec *when, void *ctx)
{
    (void)fresh;
    (void)when;
    struct names_ctx *nc = ctx;
    cJSON *rule = NULL, *om = NULL;
    struct gs_rules_names names;
    if (gs_rules_resolve(schema, nc->path, &rule, &om, NULL) < 0)
        return -ENOENT;
    int r = gs_rules_object_attributes(schema, rule, om, nc->source, &names);
    if (r < 0)
        return r;
    nc->names = cJSON_CreateStringArray(names.v, (int)names.n);
    free((void *)names.v);
    return nc->names ? 0 : -ENOMEM;
}

/* The attribute names of the source (or target) object of n's object mapping. */
static int object_names(struct gs_fs *fs, const struct gs_node *n, const struct gs_rules_path *p, int source,
                        cJSON **out)
{
    struct names_ctx nc = {p, source, NULL};
    int r = gs_rules_with_schema(fs, n, 1, names_cb, &nc);
    *out = nc.names;
    return r;
}

/* names as a gs_rules_names view (pointers into the cJSON array). */
static int names_view(const cJSON *arr, struct gs_rules_names *out)
{
    int n = cJSON_GetArraySize(arr);
    const char **v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
        if (cJSON_IsString(it))
            v[k++] = it->valuestring;
    out->v = v;
    out->n = k;
    return 0;
}

static char *joined(const cJSON *arr)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        return NULL;
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, arr)
        if (cJSON_IsString(it))
            fprintf(f, "%s%s", i++ ? ", " : "", it->valuestring);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* Every attribute the parsed expression reads is one the source object has. */
static int check_expression_names(struct gs_fs *fs, struct edit *e, const cJSON *tree)
{
    cJSON *known = NULL, *used = cJSON_CreateArray();
    int r = used ? object_names(fs, e->n, &e->path, 1, &known) : -ENOMEM;
    if (r == 0)
        r = gs_rules_source_attributes(tree, used);
    const cJSON *it, *check = r == 0 && cJSON_GetArraySize(known) > 0 ? used : NULL;
    cJSON_ArrayForEach(it, check) {
        const cJSON *k;
        int found = 0;
        cJSON_ArrayForEach(k, known)
            found |= cJSON_IsString(k) && strcmp(k->valuestring, it->valuestring) == 0;
        if (!found) {
            char *list = joined(known);
            if (asprintf(&e->why, "expression: unknown attribute [%s]; the source object has: %s",
                         it->valuestring, list ? list : "") < 0)
                e->why = NULL;
            free(list);
            r = -EINVAL;
            break;
        }
    }
    cJSON_Delete(known);
    cJSON_Delete(used);
    return r;
}

/* POST parseExpression (for the expression test too): Graph's answer as JSON. */
int gs_rules_parse_expression(struct gs_fs *fs, const struct gs_node *n, const cJSON *body, cJSON **out)
{
    char *path = n->job ? gs_path(SYNC "/jobs/%s/schema/parseExpression", n->sp, n->job)
                        : gs_path(SYNC "/templates/%s/schema/parseExpression", n->sp, n->tpl);
    char *text = cJSON_PrintUnformatted(body);
    struct gs_request req = {.method = "POST", .path = path, .body = text, .body_len = text ? strlen(text) : 0,
                             .post_is_safe = 1};
    struct gs_response resp = {0};
    struct gs_error err = {0};
    int r = path && text ? gs_client_request(fs->client, &req, &resp, &err) : -ENOMEM;
    if (r < 0 && path && text)
        gs_node_record_error(fs, n, &err);
    if (r == 0) {
        *out = cJSON_ParseWithLength(resp.body, resp.body_len);
        if (!*out) {
            gs_rules_refuse(fs, n, "POST", -EIO, "MalformedResponse", "parseExpression: Graph's answer is not JSON");
            r = -EIO;
        }
    }
    gs_response_clear(&resp);
    gs_error_clear(&err);
    free(text);
    free(path);
    return r;
}

static const char *error_message(const cJSON *answer)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(answer, "error"), "message");
    return cJSON_IsString(m) ? m->valuestring : "Graph could not parse the expression";
}

/* The source tree Graph's parseExpression makes of text (its parsedExpression). */
static int parsed_source(struct gs_fs *fs, struct edit *e, const char *text, cJSON **tree)
{
    cJSON *body = cJSON_CreateObject(), *answer = NULL;
    int r = body && cJSON_AddStringToObject(body, "expression", text) ? 0 : -ENOMEM;
    if (r == 0)
        r = gs_rules_parse_expression(fs, e->n, body, &answer);
    cJSON_Delete(body);
    if (r < 0)
        return r;
    cJSON *parsed = cJSON_GetObjectItemCaseSensitive(answer, "parsedExpression");
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "parsingSucceeded")) || !cJSON_IsObject(parsed)) {
        if (asprintf(&e->why, "expression: %s", error_message(answer)) < 0)
            e->why = NULL;
        r = -EINVAL;
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(parsed, "@odata.type");
        *tree = cJSON_DetachItemViaPointer(answer, parsed);
    }
    cJSON_Delete(answer);
    return r;
}

static int write_expression(struct gs_fs *fs, struct edit *e)
{
    char *text = gs_rules_chomp(e->text, e->len);
    int r = text ? 0 : -ENOMEM;
    if (r == 0 && (strchr(text, '\n') || memchr(e->text, '\0', e->len))) {
        e->why = strdup("expression: one line only");
        r = -EINVAL;
    }
    cJSON *tree = NULL;
    if (r == 0 && *text)
        r = parsed_source(fs, e, text, &tree);
    if (r == 0 && tree)
        r = check_expression_names(fs, e, tree);
    if (r == 0) {
        e->value = tree ? tree : cJSON_CreateNull(); /* empty: the constant default only */
        tree = NULL;
        r = e->value ? stage(fs, e) : -ENOMEM;
    }
    cJSON_Delete(tree);
    free(text);
    return r;
}

/* The operator names filterOperators lists for the job (cached like the file). */
static int operator_names(struct gs_fs *fs, const struct gs_node *n, cJSON **out)
{
    char *key = gs_kind_key(GS_K_JOB_FILTEROPS, n->sp, n->job, NULL);
    struct gs_doc *doc = NULL;
    struct gs_error err = {0};
    int r = key ? gs_fs_get(fs, key, GS_TTL_DOC, gs_kind_get_flags(GS_K_JOB_FILTEROPS), &doc, &err) : -ENOMEM;
    if (r < 0 && key)
        gs_node_record_error(fs, n, &err);
    gs_error_clear(&err);
    free(key);
    if (r < 0)
        return r;
    cJSON *names = cJSON_CreateArray();
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc->json, "value")) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
        cJSON *s = cJSON_IsString(name) && names ? cJSON_CreateString(name->valuestring) : NULL;
        if (s && !cJSON_AddItemToArray(names, s))
            cJSON_Delete(s);
    }
    gs_doc_unref(doc);
    *out = names;
    return names ? 0 : -ENOMEM;
}

static int write_scope(struct gs_fs *fs, struct edit *e)
{
    cJSON *ops = NULL, *attrs = NULL;
    struct gs_rules_names opv = {0}, attrv = {0};
    int r = operator_names(fs, e->n, &ops);
    if (r == 0)
        r = object_names(fs, e->n, &e->path, 1, &attrs);
    if (r == 0)
        r = names_view(ops, &opv);
    if (r == 0)
        r = names_view(attrs, &attrv);
    if (r == 0)
        r = gs_rules_scope_parse(e->text, e->len, &opv, &attrv, &e->value, &e->why);
    if (r == 0)
        r = stage(fs, e);
    else if (r == -EINVAL)
        gs_rules_refuse(fs, e->n, "PUT", r, "InvalidScope", e->why ? e->why : "invalid scope");
    free((void *)opv.v);
    free((void *)attrv.v);
    cJSON_Delete(ops);
    cJSON_Delete(attrs);
    return r;
}

int gs_rules_write(struct gs_fs *fs, const struct gs_node *n, const char *data, size_t len)
{
    if (!n->job || !gs_kind_has(gs_node_kind(n), GS_KF_STAGED))
        return -EACCES;
    if (unchanged(fs, n, data, len))
        return 0; /* what the file shows, written back: no pending copy, no diff */
    struct edit e = {.n = n, .field = gs_node_name(n), .text = data, .len = len, .apply = apply_field};
    int r = gs_rules_path_decode(n->target, &e.path);
    if (r == 0 && strcmp(gs_node_name(n), "expression") == 0) {
        r = write_expression(fs, &e);
        if (r == -EINVAL && e.why)
            gs_rules_refuse(fs, n, "POST", r, "InvalidExpression", e.why);
    } else if (r == 0 && strcmp(gs_node_name(n), "scope") == 0) {
        r = write_scope(fs, &e);
    } else if (r == 0) {
        r = stage(fs, &e);
    }
    gs_rules_path_clear(&e.path);
    cJSON_Delete(e.value);
    free(e.why);
    return r;
}

/* ------------------------------------------------------------ mkdir, rmdir */

static cJSON *find_attr_by_file_name(const cJSON *om, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(om, "attributeMappings")) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "targetAttributeName");
        char *safe = cJSON_IsString(t) ? gs_name_safe(t->valuestring, GS_NAME_MAX) : NULL;
        int same = safe && strcmp(safe, name) == 0;
        free(safe);
        if (same)
            return it;
    }
    return NULL;
}

/* A new attribute mapping with Graph's defaults and no source. */
static cJSON *new_mapping(const char *target)
{
    cJSON *m = cJSON_CreateObject();
    int ok = m && cJSON_AddStringToObject(m, "targetAttributeName", target) &&
             cJSON_AddNumberToObject(m, "matchingPriority", 0) && cJSON_AddNullToObject(m, "defaultValue") &&
             cJSON_AddFalseToObject(m, "exportMissingReferences") &&
             cJSON_AddStringToObject(m, "flowBehavior", "FlowWhenChanged") &&
             cJSON_AddStringToObject(m, "flowType", "Always") && cJSON_AddNullToObject(m, "source");
    if (!ok) {
        cJSON_Delete(m);
        return NULL;
    }
    return m;
}

static int apply_mkdir(struct edit *e, cJSON *schema, cJSON *fresh)
{
    cJSON *rule = NULL, *om = NULL;
    if (gs_rules_resolve(schema, &e->path, &rule, &om, NULL) < 0)
        return -ENOENT;
    if (find_attr_by_file_name(om, e->name))
        return -EEXIST;
    struct gs_rules_names targets;
    int r = gs_rules_object_attributes(schema, rule, om, 0, &targets);
    const char *real = NULL;
    for (size_t i = 0; r == 0 && i < targets.n && !real; i++) {
        char *safe = gs_name_safe(targets.v[i], GS_NAME_MAX);
        if (safe && strcmp(safe, e->name) == 0)
            real = targets.v[i];
        free(safe);
    }
    if (r == 0 && !real) {
        cJSON *names = cJSON_CreateStringArray(targets.v, (int)targets.n);
        char *list = names ? joined(names) : NULL;
        if (asprintf(&e->why, "mkdir %s: the target object has no such attribute; it has: %s", e->name,
                     list ? list : "") < 0)
            e->why = NULL;
        free(list);
        cJSON_Delete(names);
        r = -EINVAL;
    }
    cJSON *m = r == 0 ? new_mapping(real) : NULL;
    char *path = m ? gs_rules_path_encode(3, e->path.rule, e->path.om, real) : NULL;
    cJSON *written = path ? cJSON_CreateArray() : NULL;
    free((void *)targets.v);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(om, "attributeMappings");
    if (r == 0 && (!written || !cJSON_IsArray(list) || !cJSON_AddItemToObject(fresh, path, written) ||
                   !cJSON_AddItemToArray(list, m))) {
        r = -ENOMEM; /* the work copy is dropped whole: nothing half-added stays */
    }
    free(path);
    return r;
}

static int apply_rmdir(struct edit *e, cJSON *schema, cJSON *fresh)
{
    cJSON *om = NULL;
    if (gs_rules_resolve(schema, &e->path, NULL, &om, NULL) < 0)
        return -ENOENT;
    cJSON *m = find_attr_by_file_name(om, e->name);
    if (!m)
        return -ENOENT;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(m, "targetAttributeName");
    char *path = gs_rules_path_encode(3, e->path.rule, e->path.om, t->valuestring);
    if (!path)
        return -ENOMEM;
    cJSON_DeleteItemFromObjectCaseSensitive(fresh, path);
    free(path);
    cJSON_Delete(cJSON_DetachItemViaPointer(cJSON_GetObjectItemCaseSensitive(om, "attributeMappings"), m));
    return 0;
}

static int dir_edit(struct gs_fs *fs, struct gs_node *dir, const char *name,
                    int (*apply)(struct edit *, cJSON *, cJSON *))
{
    if (!dir->job)
        return -EROFS;
    if (gs_node_kind(dir) != GS_K_ATTRS)
        return -EPERM;
    struct edit e = {.n = dir, .name = name, .apply = apply};
    int r = gs_rules_path_decode(dir->target, &e.path);
    if (r == 0)
        r = stage(fs, &e);
    gs_rules_path_clear(&e.path);
    free(e.why);
    return r;
}

int gs_rules_mkdir(struct gs_fs *fs, struct gs_node *dir, const char *name)
{
    return dir_edit(fs, dir, name, apply_mkdir);
}

int gs_rules_rmdir(struct gs_fs *fs, struct gs_node *dir, const char *name)
{
    return dir_edit(fs, dir, name, apply_rmdir);
}

/* ------------------------------------------------------------ create, rename */

static int is_attribute_field(const char *name)
{
    for (int i = 0; gs_rules_attribute_fields[i]; i++)
        if (strcmp(gs_rules_attribute_fields[i], name) == 0)
            return 1;
    return 0;
}

static int is_object_field(const char *name)
{
    return strcmp(name, "scope") == 0 || strcmp(name, "enabled") == 0 || strcmp(name, "flowTypes") == 0;
}

static int apply_reveal(struct edit *e, cJSON *schema, cJSON *fresh)
{
    if (gs_rules_resolve(schema, &e->path, NULL, NULL, NULL) < 0)
        return -ENOENT;
    return mark_written(fresh, e->n->target, e->field);
}

int gs_rules_create(struct gs_fs *fs, struct gs_node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
    if (!dir->job)
        return -EROFS;
    if (gs_node_kind(dir) == GS_K_ATTR && is_attribute_field(name)) {
        /* cp into an attribute made by mkdir: the field appears, written next */
        struct edit e = {.n = dir, .field = name, .apply = apply_reveal};
        int r = gs_rules_path_decode(dir->target, &e.path);
        if (r == 0)
            r = gs_rules_pending_edit(fs->rules, gs_node_key(dir), NULL, edit_cb, &e);
        gs_rules_path_clear(&e.path);
        return r == -ENOENT ? 0 : r; /* no pending copy: the field is there already */
    }
    if (gs_node_kind(dir) != GS_K_ATTR && gs_node_kind(dir) != GS_K_OBJMAP)
        return -EACCES;
    /* an editor's temporary file (sed -i): kept with the job's scratch files */
    return gs_scratch_create(fs->scratch, dir->owner, name, mode & 07777, uid, gid, NULL, 0);
}

int gs_rules_rename(struct gs_fs *fs, struct gs_node *dir, const char *from, const char *to)
{
    if (!dir->job)
        return -EROFS;
    if (gs_node_kind(dir) != GS_K_ATTR && gs_node_kind(dir) != GS_K_OBJMAP)
        return -EPERM;
    const char *owner = dir->owner;
    struct gs_blob *b = NULL;
    int r = gs_scratch_exists(fs->scratch, owner, from) ? gs_scratch_read(fs->scratch, owner, from, &b) : -EPERM;
    int field = gs_node_kind(dir) == GS_K_ATTR ? is_attribute_field(to) : is_object_field(to);
    if (r == 0 && !field)
        r = -EPERM;
    if (r == 0) {
        /* rename(temporary, field): the temporary file's bytes are written
         * to the field, as its node would be: the directory's ids and target,
         * the field's name (no live node is copied: its locked fields belong
         * to the node table) */
        struct gs_node_id fid = {.kind = gs_node_kind(dir) == GS_K_ATTR ? GS_K_ATTR_FILE : GS_K_OM_FILE,
                                 .name = (char *)to, .key = (char *)gs_node_key(dir)};
        struct gs_node file = {.ino = dir->ino, .sp = dir->sp, .job = dir->job, .tpl = dir->tpl,
                               .owner = dir->owner, .target = dir->target, .id_ = &fid,
                               .parent = dir};
        r = gs_rules_write(fs, &file, b->data, b->len);
    }
    if (r == 0)
        gs_scratch_unlink(fs->scratch, owner, from);
    gs_blob_unref(b);
    return r;
}

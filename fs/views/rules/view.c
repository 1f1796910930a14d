/* The rules tree's listings, lookups and file contents (rules.h). */
#include "fs/views/rules/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/actions/rules/rules.h"
#include "fs/actions/scratch.h"
#include "fs/model/errors.h"
#include "fs/model/names.h"
#include "fs/model/rules/diff.h"
#include "fs/model/rules/nav.h"

/* ------------------------------------------------------------ listings */

struct list {
    struct gs_node *dir;
    struct gs_rules_path path;
    struct gs_dirent *v;
    size_t n, cap;
    int err;
    const char *only;        /* lookup: the one name wanted */
};

static void add(struct list *l, const char *graph_name, enum gs_kind kind, char *target)
{
    char *name = graph_name ? gs_name_safe(graph_name, GS_NAME_MAX) : strdup(gs_kind_info(kind)->name);
    int skip = l->err || !name || (l->only && strcmp(name, l->only) != 0);
    for (size_t i = 0; !skip && i < l->n; i++)
        skip = strcmp(l->v[i].name, name) == 0; /* two Graph names, one file name: the first */
    if (!name)
        l->err = -ENOMEM;
    if (!skip && l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct gs_dirent *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            l->err = -ENOMEM;
        else {
            l->v = v;
            l->cap = cap;
        }
    }
    if (skip || l->err) {
        free(name);
        free(target);
        return;
    }
    struct gs_dirent *e = &l->v[l->n++];
    memset(e, 0, sizeof(*e));
    e->name = name;
    e->kind = kind;
    e->sp = l->dir->sp;
    e->job = l->dir->job;
    e->tpl = l->dir->tpl;
    e->target = target;
}

static char *dir_target(struct list *l)
{
    char *t = l->dir->target ? strdup(l->dir->target) : NULL;
    if (l->dir->target && !t)
        l->err = -ENOMEM;
    return t;
}

static void list_attr_dir(struct list *l, const cJSON *fresh)
{
    for (int i = 0; gs_rules_attribute_fields[i]; i++)
        if (!gs_rules_field_hidden(fresh, l->dir->target, gs_rules_attribute_fields[i]))
            add(l, gs_rules_attribute_fields[i], GS_K_ATTR_FILE, dir_target(l));
    if (l->only && strcmp(l->only, gs_kind_info(GS_K_ATTR_TEST)->name) == 0)
        add(l, NULL, GS_K_ATTR_TEST, dir_target(l)); /* looked up, never listed */
}

static int list_cb(const cJSON *schema, const cJSON *fresh, const struct timespec *when, void *ctx)
{
    (void)when;
    struct list *l = ctx;
    const struct gs_rules_path *p = &l->path;
    cJSON *rule = NULL, *om = NULL, *it;
    if (gs_rules_resolve(schema, p, &rule, &om, NULL) < 0)
        return -ENOENT;
    switch (gs_node_kind(l->dir)) {
    case GS_K_RULES:
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(schema, "synchronizationRules")) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
            if (cJSON_IsString(id))
                add(l, id->valuestring, GS_K_RULE, gs_rules_path_encode(1, id->valuestring, NULL, NULL));
        }
        return 0;
    case GS_K_RULE:
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(rule, "objectMappings")) {
            const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
            if (cJSON_IsString(name))
                add(l, name->valuestring, GS_K_OBJMAP, gs_rules_path_encode(2, p->rule, name->valuestring, NULL));
        }
        return 0;
    case GS_K_OBJMAP:
        add(l, "enabled", GS_K_OM_FILE, dir_target(l));
        add(l, "flowTypes", GS_K_OM_FILE, dir_target(l));
        add(l, "scope", GS_K_OM_FILE, dir_target(l));
        add(l, NULL, GS_K_ATTRS, dir_target(l));
        return 0;
    case GS_K_ATTRS:
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(om, "attributeMappings")) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "targetAttributeName");
            if (cJSON_IsString(t))
                add(l, t->valuestring, GS_K_ATTR, gs_rules_path_encode(3, p->rule, p->om, t->valuestring));
        }
        return 0;
    case GS_K_ATTR:
        list_attr_dir(l, fresh);
        return 0;
    default:
        return 0; /* test/: nothing to list */
    }
}

static void list_free(struct list *l)
{
    gs_dirents_free(l->v, l->n);
    gs_rules_path_clear(&l->path);
}

static int collect(struct gs_fs *fs, struct gs_node *dir, const char *only, struct list *l)
{
    memset(l, 0, sizeof(*l));
    l->dir = dir;
    l->only = only;
    int r = gs_rules_path_decode(dir->target, &l->path);
    if (r == 0)
        r = gs_rules_with_schema(fs, dir, 1, list_cb, l);
    if (r == 0)
        r = l->err;
    if (r < 0)
        list_free(l);
    return r;
}

int gs_rules_list(struct gs_fs *fs, struct gs_node *dir, struct gs_dirent **out, size_t *n)
{
    struct list l;
    int r = collect(fs, dir, NULL, &l);
    if (r < 0)
        return r;
    gs_rules_path_clear(&l.path);
    *out = l.v;
    *n = l.n;
    return 0;
}

static int scratch_here(struct gs_fs *fs, const struct gs_node *dir, const char *name)
{
    if (!dir->job || (gs_node_kind(dir) != GS_K_ATTR && gs_node_kind(dir) != GS_K_OBJMAP))
        return 0;
    return gs_scratch_exists(fs->scratch, dir->owner, name);
}

int gs_rules_lookup(struct gs_fs *fs, struct gs_node *dir, const char *name, struct gs_dirent *out)
{
    memset(out, 0, sizeof(*out));
    if (!gs_name_is_safe(name))
        return -ENOENT;
    if (gs_node_kind(dir) == GS_K_ATTR_TEST) {
        /* any object: the content decides (an unknown object is ENOENT) */
        out->name = strdup(name);
        out->target = dir->target ? strdup(dir->target) : NULL;
        out->kind = GS_K_ATTR_TEST_RESULT;
        out->sp = dir->sp;
        out->job = dir->job;
        out->tpl = dir->tpl;
        if (!out->name || (dir->target && !out->target)) {
            gs_dirent_clear(out);
            return -ENOMEM;
        }
        return 0;
    }
    struct list l;
    int r = collect(fs, dir, name, &l);
    if (r < 0)
        return r;
    if (l.n == 1) {
        *out = l.v[0];
        l.n = 0;
    } else if (scratch_here(fs, dir, name)) {
        /* with the directory's target already: a rename over a field
         * (move_rules_node) changes its name and kind, never its target */
        out->name = strdup(name);
        out->target = dir->target ? strdup(dir->target) : NULL;
        out->kind = GS_K_SCRATCH;
        out->sp = dir->sp;
        out->job = dir->job;
        r = out->name && (!dir->target || out->target) ? 0 : -ENOMEM;
    } else {
        r = -ENOENT;
    }
    list_free(&l);
    return r;
}

/* ------------------------------------------------------------ contents */

struct diff_ctx {
    const cJSON *graph;
    char *text;
    size_t len;
};

static const char *version_of(const cJSON *schema)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(schema, "version");
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The diff, after a note when Graph's schema changed since the copy was
 * made (its lines then also undo that change; patch(1) skips the note). */
static int diff_cb(const struct gs_rules_copy *c, void *ctx)
{
    struct diff_ctx *dc = ctx;
    char *d = gs_rules_diff(dc->graph, c->doc, &dc->len);
    const char *mine = version_of(c->doc), *now = version_of(dc->graph);
    if (!d || strcmp(mine, now) == 0 || dc->len == 0) {
        dc->text = d;
        return d ? 0 : -ENOMEM;
    }
    int n = asprintf(&dc->text, "# Graph's schema changed since the first edit (version %s, now %s): the lines "
                                "below also undo that change; touch discard and edit again to keep it\n%s",
                     mine, now, d);
    free(d);
    if (n < 0) {
        dc->text = NULL;
        return -ENOMEM;
    }
    dc->len = (size_t)n;
    return 0;
}

static int pending_diff(struct gs_fs *fs, struct gs_node *n, char **text, size_t *len, struct timespec *when)
{
    struct gs_doc *doc = NULL;
    int r = gs_rules_graph_schema(fs, n, &doc);
    if (r < 0)
        return r;
    struct diff_ctx dc = {doc->json, NULL, 0};
    int found = 0;
    r = gs_rules_pending_read(fs->rules, gs_node_key(n), diff_cb, &dc, &found);
    *when = doc->changed_at;
    gs_doc_unref(doc);
    if (r == 0 && !found)
        dc.text = strdup("");
    *text = dc.text;
    *len = dc.len;
    return r < 0 ? r : dc.text ? 0 : -ENOMEM;
}

int gs_rules_content(struct gs_fs *fs, struct gs_node *n, struct gs_blob **out, struct timespec *mtime)
{
    if (gs_node_kind(n) == GS_K_ATTR_TEST_RESULT)
        return gs_rules_test_content(fs, n, out, mtime);
    char *text = NULL;
    size_t len = 0;
    int r = gs_node_kind(n) == GS_K_PENDING_DIFF ? pending_diff(fs, n, &text, &len, mtime)
                                         : gs_rules_file_shown(fs, n, &text, &len, mtime);
    if (r == 0) {
        *out = gs_blob_new(text, len);
        r = *out ? 0 : -ENOMEM;
    }
    free(text);
    return r;
}

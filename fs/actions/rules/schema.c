/* Schema access shared by the rules tree's actions and views (rules.h). */
#include "fs/actions/rules/rules.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/graph_error.h"
#include "fs/fetch/graph_get.h"
#include "fs/fetch/readahead.h"
#include "fs/model/node_error.h"
#include "fs/model/rules/diff.h"
#include "fs/model/rules/nav.h"

int gs_rules_read_only(const struct gs_node *n)
{
    return gs_kind_has(gs_node_kind(n), GS_KF_RULES) && !n->job;
}

int gs_rules_graph_schema(struct gs_fs *fs, const struct gs_node *n, struct gs_doc **out)
{
    struct gs_error err = {0};
    enum gs_kind sk = n->job ? GS_K_JOB_SCHEMA : GS_K_TEMPLATE_SCHEMA;
    /* a schema a batch is bringing (a walk's read-ahead of the templates it
     * listed) is waited for, not fetched alone: find's rules/ trees cost a
     * single GET each when the walk outran the queue */
    if (gs_node_key(n) && fs->readahead && !gs_cache_is_fresh(fs->cache, gs_node_key(n)))
        gs_readahead_await(fs->readahead, gs_node_key(n));
    int r = gs_node_key(n) ? gs_fs_get(fs, gs_node_key(n), GS_TTL_DOC, gs_kind_get_flags(sk), out, &err) : -ENOMEM;
    if (r < 0 && gs_node_key(n))
        gs_node_record_error(fs, n, &err);
    gs_error_clear(&err);
    return r;
}

struct pending_call {
    gs_rules_schema_fn fn;
    void *ctx;
};

static int pending_cb(const struct gs_rules_copy *c, void *ctx)
{
    struct pending_call *pc = ctx;
    return pc->fn(c->doc, c->fresh, &c->changed, pc->ctx);
}

int gs_rules_with_schema(struct gs_fs *fs, const struct gs_node *n, int pending, gs_rules_schema_fn fn, void *ctx)
{
    if (pending && n->job && gs_node_key(n)) {
        int found = 0;
        struct pending_call pc = {fn, ctx};
        int r = gs_rules_pending_read(fs->rules, gs_node_key(n), pending_cb, &pc, &found);
        if (found)
            return r;
    }
    struct gs_doc *doc = NULL;
    int r = gs_rules_graph_schema(fs, n, &doc);
    if (r < 0)
        return r;
    r = fn(doc->json, NULL, &doc->changed_at, ctx);
    gs_doc_unref(doc);
    return r;
}

void gs_rules_refuse(struct gs_fs *fs, const struct gs_node *n, const char *method, int err, const char *code,
                     const char *why)
{
    struct gs_error e = {0};
    char *url = gs_node_key(n) ? gs_client_url(fs->client, gs_node_key(n)) : NULL;
    gs_error_set_local(&e, method, url ? url : "", err, code, why);
    gs_node_record_error(fs, n, &e);
    gs_error_clear(&e);
    free(url);
}

int gs_rules_field_hidden(const cJSON *fresh, const char *path, const char *field)
{
    const cJSON *written = fresh ? cJSON_GetObjectItemCaseSensitive(fresh, path) : NULL;
    if (!written)
        return 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, written)
        if (cJSON_IsString(it) && strcmp(it->valuestring, field) == 0)
            return 0;
    return 1;
}

struct file_ctx {
    const struct gs_node *n;
    char *text;
    size_t len;
    struct timespec when;
};

static int file_cb(const cJSON *schema, const cJSON *fresh, const struct timespec *when, void *ctx)
{
    (void)fresh;
    struct file_ctx *fc = ctx;
    struct gs_rules_path p;
    int r = gs_rules_path_decode(fc->n->target, &p);
    cJSON *om = NULL, *attr = NULL;
    if (r == 0)
        r = gs_rules_resolve(schema, &p, NULL, &om, &attr);
    if (r == 0) {
        errno = ENOMEM;
        fc->text = gs_rules_file_text(om, attr, gs_node_name(fc->n), &fc->len);
        r = fc->text ? 0 : -errno;
        fc->when = *when;
    }
    gs_rules_path_clear(&p);
    return r;
}

int gs_rules_file_shown(struct gs_fs *fs, const struct gs_node *n, char **text, size_t *len, struct timespec *when)
{
    struct file_ctx fc = {n, NULL, 0, {0, 0}};
    int r = gs_rules_with_schema(fs, n, 1, file_cb, &fc);
    if (r < 0) {
        free(fc.text);
        return r;
    }
    *text = fc.text;
    *len = fc.len;
    *when = fc.when;
    return 0;
}

/* commit and discard of a job's pending copy (rules.h). The PUT is the one
 * schema.json makes (gs_document_commit): the same checks, lost-update guard,
 * no-op detection, backup and cache refresh. */
#include "fs/actions/rules/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/actions/document.h"
#include "fs/model/rules/diff.h"
#include "fs/model/node_error.h"
#include "fs/fetch/graph_get.h"

struct snapshot {
    cJSON *doc;
    uint64_t gen;
};

static int snapshot_cb(const struct gs_rules_copy *c, void *ctx)
{
    struct snapshot *s = ctx;
    s->doc = cJSON_Duplicate(c->doc, 1);
    s->gen = c->gen;
    return s->doc ? 0 : -ENOMEM;
}

/* Files the pending copy changes: the "+++ " lines of its diff. */
static int changed_files(struct gs_fs *fs, const struct gs_node *n, const cJSON *pending)
{
    struct gs_doc *doc = NULL;
    if (gs_rules_graph_schema(fs, n, &doc) < 0)
        return -1;
    size_t len = 0;
    char *d = gs_rules_diff(doc->json, pending, &len);
    gs_doc_unref(doc);
    if (!d)
        return -1;
    /* a file header is a "--- " line followed by a "+++ " line */
    int count = 0;
    for (const char *p = d; (p = strstr(p, "--- ")) != NULL; p++) {
        const char *nl = (p == d || p[-1] == '\n') ? strchr(p, '\n') : NULL;
        if (nl && strncmp(nl + 1, "+++ ", 4) == 0)
            count++;
    }
    free(d);
    return count;
}

static int commit(struct gs_fs *fs, const struct gs_node *n, char **result)
{
    struct snapshot s = {NULL, 0};
    int found = 0;
    int r = gs_rules_pending_read(fs->rules, gs_node_key(n), snapshot_cb, &s, &found);
    if (r < 0)
        return r;
    if (!found) {
        *result = strdup("nothing to commit\n");
        return *result ? 0 : -ENOMEM;
    }
    int files = changed_files(fs, n, s.doc);
    if (files == 0) {
        /* edits that were undone: no save, no full cycle */
        cJSON_Delete(s.doc);
        gs_rules_pending_drop(fs->rules, gs_node_key(n), s.gen);
        *result = strdup("nothing to commit: the pending copy shows what Graph has\n");
        return *result ? 0 : -ENOMEM;
    }
    char *body = cJSON_PrintUnformatted(s.doc);
    cJSON_Delete(s.doc);
    if (!body)
        return -ENOMEM;
    /* the job's schema.json, through the one save path */
    r = gs_document_commit(fs, n, GS_K_JOB_SCHEMA, body, strlen(body));
    free(body);
    if (r == 0) {
        gs_rules_pending_drop(fs->rules, gs_node_key(n), s.gen);
            gs_info("rules of job %s committed (%d files changed)", n->job, files);
        int n_ok = files > 0 ? asprintf(result, "committed: %d changed file%s in one schema PUT\n", files,
                                        files == 1 ? "" : "s")
                             : asprintf(result, "committed in one schema PUT\n");
        if (n_ok < 0)
            *result = NULL;
    } else if (asprintf(result, "commit failed: %s; the edits stay pending (see last_error)\n", strerror(-r)) < 0) {
        *result = NULL;
    }
    return r;
}

int gs_rules_control(struct gs_fs *fs, const struct gs_node *n, char **result)
{
    *result = NULL;
    if (!n->job || !gs_node_key(n))
        return -EPERM;
    if (gs_node_kind(n) == GS_K_CTL_COMMIT)
        return commit(fs, n, result);
    int dropped = gs_rules_pending_drop(fs->rules, gs_node_key(n), 0);
    *result = strdup(dropped ? "discarded\n" : "nothing to discard\n");
    return *result ? 0 : -ENOMEM;
}

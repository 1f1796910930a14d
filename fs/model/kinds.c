#include "fs/model/kinds.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/graph_client.h"

#define SYNC "/servicePrincipals/%s/synchronization"
#define SP_LIST "/servicePrincipals?$select=" GS_SP_SELECT "&$top=999"

/* Every fact about a kind, in one place: adding a kind is adding a line here
 * (and its entries in views/tree.c). Columns: name, type, permissions, how
 * its bytes are made, time-to-live class, member rendered, GS_KF_* flags,
 * Graph path, the ids that path takes, how that path is read. */

static const struct gs_kind_info infos[GS_K_COUNT] = {
    [GS_K_ROOT] = {NULL, S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_README] = {"README", S_IFREG, 0444, GS_SRC_STATIC, GS_TTL_DOC, NULL,
        GS_KF_PAGECACHE, NULL, GS_IDS_NONE, 0},
    [GS_K_SPS] = {"servicePrincipals", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL,
        0, SP_LIST, GS_IDS_NONE, GS_GET_COLLECTION},
    [GS_K_SP] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DIR, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_SP_JSON] = {"servicePrincipal.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DIR, NULL,
        GS_KF_PAGECACHE, "/servicePrincipals/%s?$select=" GS_SP_SELECT, GS_IDS_SP, 0},
    [GS_K_SECRETS] = {"secrets.json", S_IFREG, 0600, GS_SRC_GRAPH, GS_TTL_DOC, NULL,
        GS_KF_EDITABLE, SYNC "/secrets", GS_IDS_SP, 0},
    [GS_K_LAST_ERROR] = {"last_error", S_IFREG, 0444, GS_SRC_LAST_ERROR, GS_TTL_STATUS, NULL,
        GS_KF_PAGECACHE, NULL, GS_IDS_NONE, 0},
    [GS_K_TEMPLATES] = {"templates", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL,
        0, SYNC "/templates", GS_IDS_SP, GS_GET_COLLECTION | GS_GET_FILL_ITEMS},
    [GS_K_TEMPLATE] = {NULL, S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_TEMPLATE_JSON] = {"template.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, NULL,
        GS_KF_PAGECACHE, SYNC "/templates/%s", GS_IDS_SP_TPL, 0},
    [GS_K_TEMPLATE_SCHEMA] = {"schema.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, NULL,
        GS_KF_PAGECACHE, SYNC "/templates/%s/schema", GS_IDS_SP_TPL, 0},
    [GS_K_JOBS] = {"jobs", S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        0, SYNC "/jobs", GS_IDS_SP, GS_GET_COLLECTION | GS_GET_FILL_ITEMS},
    [GS_K_JOB] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_JOB_JSON] = {"job.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, NULL,
        GS_KF_PAGECACHE | GS_KF_SIBLINGS, SYNC "/jobs/%s", GS_IDS_SP_JOB, 0},
    [GS_K_JOB_STATUS] = {"status.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, "status",
        GS_KF_PAGECACHE | GS_KF_SIBLINGS, SYNC "/jobs/%s", GS_IDS_SP_JOB, 0},
    [GS_K_JOB_SCHEDULE] = {"schedule.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, "schedule",
        GS_KF_PAGECACHE | GS_KF_SIBLINGS, SYNC "/jobs/%s", GS_IDS_SP_JOB, 0},
    [GS_K_JOB_SETTINGS] = {"settings.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, "synchronizationJobSettings",
        GS_KF_PAGECACHE | GS_KF_SIBLINGS, SYNC "/jobs/%s", GS_IDS_SP_JOB, 0},
    [GS_K_JOB_SCHEMA] = {"schema.json", S_IFREG, 0644, GS_SRC_GRAPH, GS_TTL_DOC, NULL,
        GS_KF_EDITABLE | GS_KF_SIBLINGS, SYNC "/jobs/%s/schema", GS_IDS_SP_JOB, 0},
    [GS_K_JOB_FUNCTIONS] = {"functions.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, "value",
        GS_KF_PAGECACHE | GS_KF_SIBLINGS, SYNC "/jobs/%s/schema/functions", GS_IDS_SP_JOB, 0},
    [GS_K_JOB_FILTEROPS] = {"filterOperators.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, "value",
        GS_KF_PAGECACHE | GS_KF_SIBLINGS, SYNC "/jobs/%s/schema/filterOperators", GS_IDS_SP_JOB, 0},
    [GS_K_BYNAME] = {"by-name", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL,
        0, SP_LIST, GS_IDS_NONE, GS_GET_COLLECTION},
    [GS_K_BYAPPID] = {"by-appId", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL,
        0, SP_LIST, GS_IDS_NONE, GS_GET_COLLECTION},
    [GS_K_LINK] = {NULL, S_IFLNK, 0777, GS_SRC_NONE, GS_TTL_DIR, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_SCRATCH] = {NULL, S_IFREG, 0644, GS_SRC_SCRATCH, GS_TTL_DOC, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_START] = {"start", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_PAUSE] = {"pause", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_RESTART] = {"restart", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_RESET_SCHEMA] = {"resetSchema", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_POD] = {"provisionOnDemand", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_VALIDATE] = {"validateCredentials", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_PARSE_EXPR] = {"parseExpression", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_BULK] = {"bulkUpload", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL | GS_KF_LOG_SUMMARY, NULL, GS_IDS_NONE, 0},
    [GS_K_JOBS_NEW] = {"new", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_DIRECTORIES] = {"directories", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL,
        0, SYNC "/jobs/%s/schema", GS_IDS_SP_JOB, 0},
    [GS_K_DIRECTORY] = {NULL, S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_CTL_DISCOVER] = {"discover", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_BACKUPS] = {"backups", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_BACKUP] = {NULL, S_IFREG, 0444, GS_SRC_BACKUP, GS_TTL_DOC, NULL,
        GS_KF_PAGECACHE, NULL, GS_IDS_NONE, 0},
    [GS_K_TENANT_JOBS] = {"jobs", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_STATUS_TSV] = {"status.tsv", S_IFREG, 0444, GS_SRC_TENANT, GS_TTL_STATUS, NULL,
        GS_KF_PAGECACHE, NULL, GS_IDS_NONE, 0},
    [GS_K_METRICS] = {"metrics.prom", S_IFREG, 0444, GS_SRC_MONITOR, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_CHECK] = {"check", S_IFREG, 0444, GS_SRC_MONITOR, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_CHECK_STATE] = {"check.state", S_IFREG, 0444, GS_SRC_MONITOR, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_JOB_HEALTH] = {"health", S_IFREG, 0444, GS_SRC_MONITOR, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_SETTINGS] = {"settings", S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DOC, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_SETTING] = {NULL, S_IFREG, 0644, GS_SRC_SETTING, GS_TTL_DOC, NULL,
        GS_KF_CONTROL, SYNC "/secrets", GS_IDS_SP, 0},
    [GS_K_CTL_ALLOW_DELETES] = {"allow_deletes", S_IFREG, 0600, GS_SRC_ALLOW_DELETES, GS_TTL_STATUS, NULL,
        GS_KF_CONTROL, NULL, GS_IDS_NONE, 0},
    [GS_K_BACKUP_INDEX] = {"index.tsv", S_IFREG, 0444, GS_SRC_BACKUP, GS_TTL_DOC, NULL,
        0, NULL, GS_IDS_NONE, 0},
    /* the rules tree: every node's key is its schema's, so a refreshed schema
     * drops the kernel's view of them all */
    [GS_K_RULES] = {"rules", S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_RULES_DIR, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_RULE] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_RULES_DIR, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_OBJMAP] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_RULES_DIR, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_OM_FILE] = {NULL, S_IFREG, 0644, GS_SRC_RULES, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_EDITABLE | GS_KF_STAGED, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_ATTRS] = {"attributes", S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_RULES_DIR, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_ATTR] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_RULES_DIR, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_ATTR_FILE] = {NULL, S_IFREG, 0644, GS_SRC_RULES, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_EDITABLE | GS_KF_STAGED, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_ATTR_TEST] = {"test", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL,
        GS_KF_RULES | GS_KF_RULES_DIR, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_ATTR_TEST_RESULT] = {NULL, S_IFREG, 0444, GS_SRC_RULES, GS_TTL_DOC, NULL,
        GS_KF_RULES, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_PENDING_DIFF] = {"pending.diff", S_IFREG, 0444, GS_SRC_RULES, GS_TTL_DOC, NULL,
        GS_KF_RULES, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_CTL_COMMIT] = {"commit", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_RULES | GS_KF_CONTROL, NULL, GS_IDS_SCHEMA_OWNER, 0},
    [GS_K_CTL_DISCARD] = {"discard", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL,
        GS_KF_RULES | GS_KF_CONTROL, NULL, GS_IDS_SCHEMA_OWNER, 0},
    /* provisioning logs (fs/views/logs): their own queries, not the cache's */
    [GS_K_LOGS] = {"logs", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_RECENT] = {"recent.jsonl", S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_FAILURES] = {"failures.jsonl", S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_SKIPPED] = {"skipped.jsonl", S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_STAGED] = {"staged-deletes.jsonl", S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_RECENT_TSV] = {"recent.tsv", S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_BYID] = {"by-id", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        GS_KF_LOOKUP_ONLY, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_OBJECT] = {NULL, S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_TENANT_LOGS] = {"logs", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        0, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_FAILURES_TSV] = {"failures.tsv", S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_BYUSER] = {"by-user", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_STATUS, NULL,
        GS_KF_LOOKUP_ONLY, NULL, GS_IDS_NONE, 0},
    [GS_K_LOG_USER] = {NULL, S_IFREG, 0444, GS_SRC_LOGS, GS_TTL_STATUS, NULL,
        GS_KF_GROWS | GS_KF_COSTLY_ATTR, NULL, GS_IDS_NONE, 0},
};

const struct gs_kind_info *gs_kind_info(enum gs_kind k)
{
    return &infos[k];
}

/* The editable documents and the directory each lives in. A directory that
 * holds one is an edit directory: editors' scratch files may live there. */
static const struct {
    enum gs_kind dir, doc;
} documents[] = {
    {GS_K_SP, GS_K_SECRETS},
    {GS_K_JOB, GS_K_JOB_SCHEMA},
};

enum gs_kind gs_kind_document_named(enum gs_kind dir, const char *name)
{
    for (size_t i = 0; i < sizeof(documents) / sizeof(documents[0]); i++)
        if (documents[i].dir == dir && (!name || strcmp(name, infos[documents[i].doc].name) == 0))
            return documents[i].doc;
    return GS_K_COUNT;
}

int gs_kind_is_edit_dir(enum gs_kind dir)
{
    return gs_kind_document_named(dir, NULL) != GS_K_COUNT;
}

static int serve_stale = 1;

void gs_kind_set_serve_stale(int on)
{
    serve_stale = on;
}

char *gs_kind_key(enum gs_kind kind, const char *sp, const char *job, const char *tpl)
{
    const struct gs_kind_info *ki = gs_kind_info(kind);
    if (ki->ids == GS_IDS_SCHEMA_OWNER)
        return job ? gs_path(SYNC "/jobs/%s/schema", sp, job) : gs_path(SYNC "/templates/%s/schema", sp, tpl);
    if (!ki->path)
        return NULL;
    switch (ki->ids) {
    case GS_IDS_SP:
        return gs_path(ki->path, sp);
    case GS_IDS_SP_JOB:
        return gs_path(ki->path, sp, job);
    case GS_IDS_SP_TPL:
        return gs_path(ki->path, sp, tpl);
    case GS_IDS_NONE:
    default:
        return gs_path(ki->path);
    }
}

unsigned gs_kind_get_flags(enum gs_kind kind)
{
    return gs_kind_info(kind)->get_flags | (serve_stale ? GS_GET_STALE_OK : 0);
}

#include "fs/model/kinds.h"

#include <sys/stat.h>

static const struct gs_kind_info infos[GS_K_COUNT] = {
    [GS_K_ROOT] = {NULL, S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL},
    [GS_K_README] = {"README", S_IFREG, 0444, GS_SRC_STATIC, GS_TTL_DOC, NULL},
    [GS_K_SPS] = {"servicePrincipals", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL},
    [GS_K_SP] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_DIR, NULL},
    [GS_K_SP_JSON] = {"servicePrincipal.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DIR, NULL},
    [GS_K_SECRETS] = {"secrets.json", S_IFREG, 0600, GS_SRC_GRAPH, GS_TTL_DOC, NULL},
    [GS_K_LAST_ERROR] = {"last_error", S_IFREG, 0444, GS_SRC_LAST_ERROR, GS_TTL_STATUS, NULL},
    [GS_K_TEMPLATES] = {"templates", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL},
    [GS_K_TEMPLATE] = {NULL, S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL},
    [GS_K_TEMPLATE_JSON] = {"template.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, NULL},
    [GS_K_TEMPLATE_SCHEMA] = {"schema.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, NULL},
    [GS_K_JOBS] = {"jobs", S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_STATUS, NULL},
    [GS_K_JOB] = {NULL, S_IFDIR, 0755, GS_SRC_NONE, GS_TTL_STATUS, NULL},
    [GS_K_JOB_JSON] = {"job.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, NULL},
    [GS_K_JOB_STATUS] = {"status.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, "status"},
    [GS_K_JOB_SCHEDULE] = {"schedule.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, "schedule"},
    [GS_K_JOB_SETTINGS] = {"settings.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_STATUS, "synchronizationJobSettings"},
    [GS_K_JOB_SCHEMA] = {"schema.json", S_IFREG, 0644, GS_SRC_GRAPH, GS_TTL_DOC, NULL},
    [GS_K_JOB_FUNCTIONS] = {"functions.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, "value"},
    [GS_K_JOB_FILTEROPS] = {"filterOperators.json", S_IFREG, 0444, GS_SRC_GRAPH, GS_TTL_DOC, "value"},
    [GS_K_BYNAME] = {"by-name", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL},
    [GS_K_BYAPPID] = {"by-appId", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DIR, NULL},
    [GS_K_LINK] = {NULL, S_IFLNK, 0777, GS_SRC_NONE, GS_TTL_DIR, NULL},
    [GS_K_SCRATCH] = {NULL, S_IFREG, 0644, GS_SRC_SCRATCH, GS_TTL_DOC, NULL},
    [GS_K_CTL_START] = {"start", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_PAUSE] = {"pause", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_RESTART] = {"restart", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_RESET_SCHEMA] = {"resetSchema", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_POD] = {"provisionOnDemand", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_VALIDATE] = {"validateCredentials", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_PARSE_EXPR] = {"parseExpression", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_CTL_BULK] = {"bulkUpload", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_JOBS_NEW] = {"new", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_DIRECTORIES] = {"directories", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL},
    [GS_K_DIRECTORY] = {NULL, S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL},
    [GS_K_CTL_DISCOVER] = {"discover", S_IFREG, 0600, GS_SRC_RESULT, GS_TTL_STATUS, NULL},
    [GS_K_BACKUPS] = {"backups", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_DOC, NULL},
    [GS_K_BACKUP] = {NULL, S_IFREG, 0444, GS_SRC_BACKUP, GS_TTL_DOC, NULL},
    [GS_K_TENANT_JOBS] = {"jobs", S_IFDIR, 0555, GS_SRC_NONE, GS_TTL_STATUS, NULL},
    [GS_K_STATUS_TSV] = {"status.tsv", S_IFREG, 0444, GS_SRC_TENANT, GS_TTL_STATUS, NULL},
};

const struct gs_kind_info *gs_kind_info(enum gs_kind k)
{
    return &infos[k];
}

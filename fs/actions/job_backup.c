/* Backups before resetSchema and rmdir of a job (job_backup.h). */
#include "fs/actions/job_backup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/actions/backup.h"
#include "fs/model/json_render.h"

/* GETs path and saves its JSON (without "version") as <what>-<jobId>.
 * *name NULL when Graph has nothing there (404). */
static int save_one(struct gs_fs *fs, const char *path, const char *sp, const char *job,
                    const char *what, char **name, struct gs_error *err)
{
    *name = NULL;
    struct gs_request req = {.method = "GET", .path = path};
    struct gs_response resp = {0};
    int r = gs_client_request(fs->client, &req, &resp, err);
    if (r == -ENOENT && resp.status == 404) {
        gs_response_clear(&resp);
        gs_error_clear(err);
        return 0;
    }
    cJSON *j = r == 0 ? cJSON_ParseWithLength(resp.body, resp.body_len) : NULL;
    gs_response_clear(&resp);
    if (r < 0)
        return r;
    if (!j) {
        char *url = gs_client_url(fs->client, path);
        gs_error_set_local(err, "GET", url ? url : path, -EIO, "InvalidJson",
                           "the backup before the deletion failed: the answer is not JSON");
        free(url);
        return -EIO;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(j, "version");
    cJSON_DeleteItemFromObjectCaseSensitive(j, "@odata.context");
    size_t len = 0;
    char *text = gs_json_render(j, &len);
    cJSON_Delete(j);
    char *tag = NULL;
    if (!text || asprintf(&tag, "%s-%s", what, job) < 0) {
        free(text);
        return -ENOMEM;
    }
    r = gs_backup_save(fs->cfg.backup_dir, sp, NULL, tag, text, len, name);
    if (r < 0)
        gs_error_set_local(err, "GET", path, r, "BackupFailed",
                           "the backup before the deletion could not be written to backup_dir");
    free(tag);
    free(text);
    return r;
}

int gs_job_backup(struct gs_fs *fs, const char *sp, const char *job, int with_job, char **where,
                  struct gs_error *err)
{
    *where = NULL;
    if (!fs->cfg.backup_dir)
        return 0; /* backup_dir=none: the user chose no backups */
    char *schema_path = gs_path("/servicePrincipals/%s/synchronization/jobs/%s/schema", sp, job);
    char *job_path = gs_path("/servicePrincipals/%s/synchronization/jobs/%s", sp, job);
    char *schema = NULL, *jobdoc = NULL;
    int r = schema_path && job_path ? 0 : -ENOMEM;
    if (r == 0)
        r = save_one(fs, schema_path, sp, job, "schema", &schema, err);
    if (r == 0 && with_job)
        r = save_one(fs, job_path, sp, job, "job", &jobdoc, err);
    if (r == 0 && (schema || jobdoc) &&
        asprintf(where, "servicePrincipals/%s/backups/%s%s%s", sp, schema ? schema : jobdoc,
                 schema && jobdoc ? ", " : "", schema && jobdoc ? jobdoc : "") < 0) {
        *where = NULL;
        r = -ENOMEM;
    }
    if (r == 0 && *where)
        gs_info("job %s: saved before its deletion in %s", job, *where);
    free(schema);
    free(jobdoc);
    free(schema_path);
    free(job_path);
    return r;
}

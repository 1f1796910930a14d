/* The text of <mountpoint>/README: every kind of entry of the tree, with one
 * example each. The entry names are the man page's (THE TREE, one .TP or .TQ
 * heading per entry, control files listed together there);
 * tests/integration/test_readme_guide.py fails when the two differ. */
#include "fs/views/content.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct guide_entry {
    int depth;           /* 1: inside the job directory above it */
    const char *entry;   /* as the man page's heading names it */
    const char *what;
    const char *example; /* a command run in the mount's root */
};

static const struct guide_entry guide[] = {
    {0, "README", "this guide", "cat README"},
    {0, "status.tsv", "one tab-separated line per job (statusCode Unknown where jobs could not be read)",
     "awk -F'\\t' '$7 == \"Quarantine\"' status.tsv"},
    {0, "jobs/<displayName>~<jobId>", "-> every job in the tenant", "ls jobs/"},
    {0, "metrics.prom", "Prometheus metrics of every job (textfile collector)",
     "grep -v '^#' metrics.prom | head"},
    {0, "check", "one Nagios line for the tenant (check_graphsyncfs prints it)", "cat check"},
    {0, "check.state", "its state, 0-3", "check_graphsyncfs /mnt/graph; echo $?"},
    {0, "logs/failures.tsv", "the tenant's failed provisioning events, every job",
     "cut -f1,3,11,12 logs/failures.tsv"},
    {0, "logs/by-user/<objectId>.jsonl", "not listed: one user's events in every job",
     "jq -c .provisioningStatusInfo logs/by-user/USER_OBJECT_ID.jsonl"},
    {0, "logs/by-user/<userPrincipalName>.jsonl", "not listed: the same by name",
     "jq -c .action logs/by-user/ann@contoso.com.jsonl"},
    {0, "logs/last_error", "the last failed request for logs/ at the root", "cat logs/last_error"},
    {0, "by-name/<displayName>", "-> ../servicePrincipals/<id> (<displayName>~<id> if shared)",
     "ls by-name/"},
    {0, "by-appId/<appId>", "-> ../servicePrincipals/<id>", "ls -l by-appId/"},
    {0, "servicePrincipals/<id>/", "one directory per service principal (object id)",
     "ls servicePrincipals/"},
    {0, "servicePrincipals/<id>/servicePrincipal.json", "the service principal",
     "jq -r .displayName \"$S\"servicePrincipal.json"},
    {0, "servicePrincipals/<id>/secrets.json", "its synchronization secrets (masked by Graph)",
     "jq . \"$S\"secrets.json"},
    {0, "servicePrincipals/<id>/last_error", "the last failed request made for it",
     "cat \"$S\"last_error"},
    {0, "servicePrincipals/<id>/settings/", "notify_email, delete_threshold ... from the secrets "
     "(writable when no credential is masked)", "echo 50 > \"$S\"settings/delete_threshold"},
    {0, "servicePrincipals/<id>/templates/<templateId>/template.json", "a synchronization template",
     "jq -r .factoryTag \"$S\"templates/*/template.json"},
    {0, "servicePrincipals/<id>/templates/<templateId>/schema.json", "its default schema",
     "jq -r '.directories[].name' \"$S\"templates/*/schema.json"},
    {0, "servicePrincipals/<id>/templates/<templateId>/rules/", "the template's rules as files (read-only)",
     "ls \"$S\"templates/*/rules/"},
    {0, "servicePrincipals/<id>/backups/", "what rmdir of a job and resetSchema threw away",
     "ls \"$S\"backups/"},
    {0, "servicePrincipals/<id>/jobs/new", "write a templateId to create a job; read: the new job",
     "echo TEMPLATE_ID > \"$S\"jobs/new; cat \"$S\"jobs/new"},
    {0, "rmdir servicePrincipals/<id>/jobs/<jobId>", "deletes the job", "rmdir \"$S\"jobs/JOB_ID"},
    {0, "servicePrincipals/<id>/jobs/<jobId>/", "one directory per provisioning job ($J):", "ls \"$J\""},
    {1, "job.json", "the whole job", "jq -r .templateId \"$J\"job.json"},
    {1, "status.json", "code, quarantine, last executions, progress", "jq -r .code \"$J\"status.json"},
    {1, "schedule.json", "the job's schedule", "jq -r .interval \"$J\"schedule.json"},
    {1, "settings.json", "the job's settings", "jq . \"$J\"settings.json"},
    {1, "schema.json", "the schema: save it with any editor (checked, one PUT, backed up)",
     "vim \"$J\"schema.json"},
    {1, "functions.json", "the mapping functions the schema may use",
     "jq -r '.[].name' \"$J\"functions.json"},
    {1, "filterOperators.json", "the scoping-filter operators", "jq -r '.[].name' \"$J\"filterOperators.json"},
    {1, "last_error", "the last failed request made for the job", "cat \"$J\"last_error"},
    {1, "start", "resume the job", "touch \"$J\"start"},
    {1, "pause", "pause the job", "touch \"$J\"pause"},
    {1, "restart", "restart it, with a reset scope", "echo Full > \"$J\"restart"},
    {1, "resetSchema", "back to the template's schema", "touch \"$J\"resetSchema"},
    {1, "provisionOnDemand", "provision one object now; read: the decoded result",
     "echo USER_OBJECT_ID > \"$J\"provisionOnDemand; cat \"$J\"provisionOnDemand"},
    {1, "validateCredentials", "test the saved credentials; read: ok or the error",
     "touch \"$J\"validateCredentials; cat \"$J\"validateCredentials"},
    {1, "parseExpression", "parse and evaluate a mapping expression",
     "echo 'Join(\" \", [givenName], [surname])' > \"$J\"parseExpression; cat \"$J\"parseExpression"},
    {1, "bulkUpload", "send a SCIM BulkRequest (at most 50 operations)",
     "cp bulk.scim.json \"$J\"bulkUpload"},
    {1, "health", "OK|WARNING|CRITICAL - why, for this job", "cat \"$J\"health"},
    {1, "allow_deletes", "release a TooManyDeletes hold", "echo yes > \"$J\"allow_deletes"},
    {1, "directories/<name>/discover", "refresh a directory definition (<name>~<id> if shared)",
     "touch \"$J\"directories/*/discover"},
    {1, "backups/<file>", "schemas this mount replaced, newest last", "ls \"$J\"backups/"},
    {1, "backups/index.tsv", "who (uid, pid) saved each backup", "cat \"$J\"backups/index.tsv"},
    {1, "rules/<ruleId>/<objectMappingName>/", "the schema's rules as files; edits are staged",
     "grep -r extensionAttribute11 \"$J\"rules/"},
    {1, "pending.diff", "the staged edits of rules/, as a diff", "cat \"$J\"pending.diff"},
    {1, "commit", "send the staged edits: one PUT", "touch \"$J\"commit"},
    {1, "discard", "drop the staged edits", "touch \"$J\"discard"},
    {1, "logs/recent.jsonl", "the job's provisioning log in the log window (AuditLog.Read.All)",
     "tail -f \"$J\"logs/recent.jsonl | jq -c .provisioningStatusInfo"},
    {1, "logs/failures.jsonl", "only the failed events", "jq -c .provisioningStatusInfo \"$J\"logs/failures.jsonl"},
    {1, "logs/skipped.jsonl", "only the skipped events", "wc -l \"$J\"logs/skipped.jsonl"},
    {1, "logs/staged-deletes.jsonl", "deletions held by the deletion threshold",
     "jq -c .targetIdentity \"$J\"logs/staged-deletes.jsonl"},
    {1, "logs/recent.tsv", "recent.jsonl as tab-separated lines", "column -t -s \"$(printf '\\t')\" \"$J\"logs/recent.tsv"},
    {1, "logs/by-id/<objectId>.jsonl", "not listed: one object's events", "jq . \"$J\"logs/by-id/OBJECT_ID.jsonl"},
    {1, "logs/by-id/<objectId>.txt", "not listed: its last event as readable text",
     "cat \"$J\"logs/by-id/OBJECT_ID.txt"},
};

static char *render(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs("graphsyncfs: Microsoft Graph identity synchronization (provisioning) as files\n"
          "\n"
          "Every entry, with an example to run in the mount's root after\n"
          "  J=$(ls -d servicePrincipals/*/jobs/*/ | head -n 1)   # a job\n"
          "  S=${J%jobs/*}                                        # its service principal\n"
          "\n", f);
    for (size_t i = 0; i < sizeof(guide) / sizeof(guide[0]); i++) {
        const struct guide_entry *g = &guide[i];
        const char *indent = g->depth ? "    " : "";
        fprintf(f, "%s%s\n%s    %s\n%s      $ %s\n", indent, g->entry, indent, g->what, indent,
                g->example);
    }
    fputs("\n"
          "Every change sent to Graph is logged (audit: uid, pid, path, URL, outcome).\n"
          "Every .json file is Graph's object pretty-printed, without @odata annotations.\n"
          "Status files are refreshed after status_timeout seconds, listings after\n"
          "dir_timeout, other documents after doc_timeout; status.tsv asks again about\n"
          "service principals with no job after dir_timeout. find, du, grep -r and\n"
          "cp -r are read ahead in batches of 20. One walk, one scan: the process\n"
          "that lists jobs/ or servicePrincipals/ reads job statuses and job listings\n"
          "as its scan brought them for as long as its walk lasts (it ends after\n"
          "dir_timeout without a read); other processes keep the times-to-live.\n"
          "Errors map to errno values;\n"
          "`cat last_error` in the directory tells the whole story; when Graph refused\n"
          "for want of a permission, its `needs:` line says which permission. A copy\n"
          "past its time-to-live is served only when Graph gives nothing usable;\n"
          "last_error and the user.graphsyncfs.stale attribute then say which and why.\n"
          "Memory: cache_size (default 64M) bounds the cache; the daemon stays under\n"
          "cache_size + 32 MiB, plus the job listings a scan (status.tsv, jobs/) or a\n"
          "walk of servicePrincipals/ still has to read, plus ~0.7 KiB per name the\n"
          "kernel holds; past max_names (default 100000) the kernel is asked to forget\n"
          "the subtrees used longest ago (df -i shows the names held), and memory goes\n"
          "back once what was fetched has expired.\n"
          "Logs need AuditLog.Read.All; log reads share 5 requests per 10 s (log_rate).\n"
          "\n"
          "See graphsyncfs(1).\n", f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char *rendered; /* written once under `once`, read-only after */

static void render_once(void)
{
    rendered = render();
}

const char *gs_readme_text(void)
{
    pthread_once(&once, render_once);
    return rendered ? rendered : "graphsyncfs: see graphsyncfs(1).\n";
}

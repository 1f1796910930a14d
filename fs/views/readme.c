/* The text of <mountpoint>/README: a short guide to the tree. */
#include "fs/views/content.h"

const char *gs_readme_text(void)
{
    return
        "graphsyncfs: Microsoft Graph identity synchronization (provisioning) as files\n"
        "\n"
        "servicePrincipals/<id>/            one directory per service principal (object id)\n"
        "  servicePrincipal.json            the service principal\n"
        "  secrets.json                     its synchronization secrets (masked by Graph)\n"
        "  last_error                       the last failed request made for this directory\n"
        "  templates/<templateId>/          template.json, schema.json (the default schema),\n"
        "                                   rules/ (read-only)\n"
        "  jobs/<jobId>/                    one directory per provisioning job:\n"
        "    job.json status.json schedule.json settings.json\n"
        "    schema.json functions.json filterOperators.json last_error\n"
        "    rules/<ruleId>/<objectMapping>/  enabled flowTypes scope, and\n"
        "      attributes/<target>/          expression flowType matchingPriority\n"
        "                                    defaultValue flowBehavior, test/<user>\n"
        "    pending.diff commit discard     edits of rules/ are staged: see the diff,\n"
        "                                    touch commit (one PUT) or touch discard\n"
        "by-name/<displayName>  -> ../servicePrincipals/<id>\n"
        "by-appId/<appId>       -> ../servicePrincipals/<id>\n"
        "\n"
        "Every .json file is Graph's object pretty-printed, without @odata annotations.\n"
        "Status files are refreshed after status_timeout seconds, listings after\n"
        "dir_timeout, other documents after doc_timeout. Errors map to errno values;\n"
        "`cat last_error` in the directory tells the whole story; when Graph refused\n"
        "for want of a permission, its `needs:` line says which permission.\n"
        "\n"
        "Examples:\n"
        "  ls by-name/\n"
        "  jq -r .code servicePrincipals/*/jobs/*/status.json\n"
        "  grep -l Quarantine servicePrincipals/*/jobs/*/status.json\n"
        "  grep -r extensionAttribute11 jobs/*/rules/\n"
        "\n"
        "See graphsyncfs(1).\n";
}

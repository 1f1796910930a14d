/* Every kind of node in the tree (DESIGN.md section 2) and its fixed facts. */
#ifndef GS_KINDS_H
#define GS_KINDS_H

#include <sys/types.h>

#include "cache/cache.h"

enum gs_kind {
    GS_K_ROOT = 0,
    GS_K_README,
    GS_K_SPS,             /* servicePrincipals/ */
    GS_K_SP,              /* servicePrincipals/<spId>/ */
    GS_K_SP_JSON,         /* servicePrincipal.json */
    GS_K_SECRETS,         /* secrets.json */
    GS_K_LAST_ERROR,      /* last_error (service principal or job directory) */
    GS_K_TEMPLATES,       /* templates/ */
    GS_K_TEMPLATE,        /* templates/<templateId>/ */
    GS_K_TEMPLATE_JSON,   /* template.json */
    GS_K_TEMPLATE_SCHEMA, /* templates/<id>/schema.json */
    GS_K_JOBS,            /* jobs/ */
    GS_K_JOB,             /* jobs/<jobId>/ */
    GS_K_JOB_JSON,        /* job.json */
    GS_K_JOB_STATUS,      /* status.json */
    GS_K_JOB_SCHEDULE,    /* schedule.json */
    GS_K_JOB_SETTINGS,    /* settings.json */
    GS_K_JOB_SCHEMA,      /* jobs/<id>/schema.json */
    GS_K_JOB_FUNCTIONS,   /* functions.json */
    GS_K_JOB_FILTEROPS,   /* filterOperators.json */
    GS_K_BYNAME,          /* by-name/ */
    GS_K_BYAPPID,         /* by-appId/ */
    GS_K_LINK,            /* a symlink in by-name/ or by-appId/ */
    GS_K_SCRATCH,         /* an editor's or tool's file, memory only */
    GS_K_CTL_START,       /* jobs/<id>/start */
    GS_K_CTL_PAUSE,       /* pause */
    GS_K_CTL_RESTART,     /* restart */
    GS_K_CTL_RESET_SCHEMA,/* resetSchema */
    GS_K_CTL_POD,         /* provisionOnDemand */
    GS_K_CTL_VALIDATE,    /* validateCredentials */
    GS_K_CTL_PARSE_EXPR,  /* parseExpression */
    GS_K_CTL_BULK,        /* bulkUpload */
    GS_K_JOBS_NEW,        /* jobs/new */
    GS_K_DIRECTORIES,     /* jobs/<id>/directories/ */
    GS_K_DIRECTORY,       /* directories/<directoryId>/ (its id is kept in the node's tpl) */
    GS_K_CTL_DISCOVER,    /* directories/<directoryId>/discover */
    GS_K_BACKUPS,         /* jobs/<id>/backups/ */
    GS_K_BACKUP,          /* backups/<file> */
    GS_K_TENANT_JOBS,     /* jobs/ at the root: every job in the tenant */
    GS_K_STATUS_TSV,      /* status.tsv */
    GS_K_COUNT
};

/* How a file's bytes are produced. */
enum gs_source {
    GS_SRC_NONE = 0,      /* directories and links */
    GS_SRC_STATIC,        /* generated text (README) */
    GS_SRC_GRAPH,         /* a Graph document, rendered */
    GS_SRC_LAST_ERROR,    /* the directory's last failure */
    GS_SRC_RESULT,        /* a control file: the last result of its action */
    GS_SRC_SCRATCH,       /* a scratch file's own bytes */
    GS_SRC_BACKUP,        /* a backup on disk */
    GS_SRC_TENANT,        /* status.tsv */
};

struct gs_kind_info {
    const char *name;        /* fixed file name, NULL for entries named by Graph ids */
    mode_t type;             /* S_IFDIR, S_IFREG or S_IFLNK */
    mode_t perm;             /* permission bits before umask */
    enum gs_source source;
    enum gs_ttl_class ttl;   /* for GS_SRC_GRAPH and listings */
    const char *member;      /* render only this member of the document (NULL: whole) */
};

const struct gs_kind_info *gs_kind_info(enum gs_kind k);

#endif

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
    GS_K_METRICS,         /* metrics.prom (views/monitor/) */
    GS_K_CHECK,           /* check */
    GS_K_CHECK_STATE,     /* check.state */
    GS_K_JOB_HEALTH,      /* jobs/<id>/health */
    GS_K_SETTINGS,        /* servicePrincipals/<sp>/settings/ (actions/settings.c) */
    GS_K_SETTING,         /* settings/<name> */
    GS_K_CTL_ALLOW_DELETES, /* jobs/<id>/allow_deletes (actions/allow_deletes.c) */
    GS_K_BACKUP_INDEX,    /* backups/index.tsv */
    /* the rules tree (fs/{model,actions,views}/rules/): a node's target holds its path inside the
     * schema (model/rules/nav.h); a template's rules are read-only */
    GS_K_RULES,           /* jobs/<id>/rules/, templates/<id>/rules/ */
    GS_K_RULE,            /* rules/<ruleId>/ */
    GS_K_OBJMAP,          /* rules/<ruleId>/<objectMappingName>/ */
    GS_K_OM_FILE,         /* enabled, flowTypes, scope */
    GS_K_ATTRS,           /* <objectMapping>/attributes/ */
    GS_K_ATTR,            /* attributes/<targetAttributeName>/ */
    GS_K_ATTR_FILE,       /* expression, flowType, matchingPriority, defaultValue, flowBehavior */
    GS_K_ATTR_TEST,       /* attributes/<a>/test/ (lookup only) */
    GS_K_ATTR_TEST_RESULT,/* test/<objectId or userPrincipalName> */
    GS_K_PENDING_DIFF,    /* jobs/<id>/pending.diff */
    GS_K_CTL_COMMIT,      /* jobs/<id>/commit */
    GS_K_CTL_DISCARD,     /* jobs/<id>/discard */
    GS_K_LOGS,            /* jobs/<id>/logs/ (fs/views/logs) */
    GS_K_LOG_RECENT,      /* logs/recent.jsonl */
    GS_K_LOG_FAILURES,    /* logs/failures.jsonl */
    GS_K_LOG_SKIPPED,     /* logs/skipped.jsonl */
    GS_K_LOG_STAGED,      /* logs/staged-deletes.jsonl */
    GS_K_LOG_RECENT_TSV,  /* logs/recent.tsv */
    GS_K_LOG_BYID,        /* logs/by-id/ (lookup only) */
    GS_K_LOG_OBJECT,      /* by-id/<objectId>.jsonl or .txt */
    GS_K_TENANT_LOGS,     /* logs/ at the root */
    GS_K_LOG_FAILURES_TSV,/* logs/failures.tsv at the root */
    GS_K_LOG_BYUSER,      /* logs/by-user/ at the root (lookup only) */
    GS_K_LOG_USER,        /* by-user/<objectId or UPN>.jsonl */
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
    GS_SRC_MONITOR,       /* metrics.prom, check, check.state, health */
    GS_SRC_SETTING,       /* one setting decoded from the secrets */
    GS_SRC_ALLOW_DELETES, /* what allow_deletes would release, or its last result */
    GS_SRC_RULES,         /* a file of the rules tree (views/rules/) */
    GS_SRC_LOGS,          /* a provisioning-log file (fs/views/logs) */
};

/* What a kind is for, beyond how its bytes are made (flags of gs_kind_info). */
enum {
    GS_KF_EDITABLE = 1u << 0,   /* a document saved back to Graph (actions/document.h) */
    GS_KF_CONTROL = 1u << 1,    /* a control file: writing runs an action (actions/control.h) */
    GS_KF_PAGECACHE = 1u << 2,  /* read-only bytes the kernel's page cache may keep
                                 * while they stay the same (kernel/pagecache.h) */
    GS_KF_SIBLINGS = 1u << 3,   /* a job's document read in batches with the same
                                 * document of the other jobs jobs/ lists, when it
                                 * is read (views/walk.h) */
    GS_KF_RULES = 1u << 4,      /* part of a rules tree: shows its job's (pending) or
                                 * template's schema; read-only without a job */
    GS_KF_RULES_DIR = 1u << 5,  /* a directory of a rules tree (views/rules/) */
    GS_KF_STAGED = 1u << 6,     /* a save stages an edit in the job's pending copy
                                 * (actions/rules/), sent by commit */
    GS_KF_GROWS = 1u << 7,      /* append-only: bytes once shown never change, so every
                                 * read sees the newest ones (views/logs, tail -f) */
    GS_KF_COSTLY_ATTR = 1u << 8,/* its content costs a rate-limited request: stat(2)
                                 * reports what is known without one (views/content.h
                                 * gs_content_stat), and a listing (readdirplus)
                                 * leaves its attributes to a lookup */
    GS_KF_LOOKUP_ONLY = 1u << 9,/* a directory that lists nothing; names are looked up */
    GS_KF_LOG_SUMMARY = 1u << 10,/* its result is followed by the log's events since the
                                 * action was accepted (views/logs/summary.c) */
};

/* Which Graph ids a kind's path takes, in this order. */
enum gs_path_ids { GS_IDS_NONE = 0, GS_IDS_SP, GS_IDS_SP_JOB, GS_IDS_SP_TPL,
                   GS_IDS_SCHEMA_OWNER /* the job's schema, or the template's without a job */ };

struct gs_kind_info {
    const char *name;        /* fixed file name, NULL for entries named by Graph ids */
    mode_t type;             /* S_IFDIR, S_IFREG or S_IFLNK */
    mode_t perm;             /* permission bits before umask */
    enum gs_source source;
    enum gs_ttl_class ttl;   /* for GS_SRC_GRAPH and listings */
    const char *member;      /* render only this member of the document (NULL: whole) */
    unsigned flags;          /* GS_KF_* */
    const char *path;        /* Graph path of its document or listing (a gs_path
                              * format: every %s an id), NULL when it has none */
    enum gs_path_ids ids;    /* the ids that path takes */
    unsigned get_flags;      /* GS_GET_* for reading that path (collections) */
};

const struct gs_kind_info *gs_kind_info(enum gs_kind k);

static inline int gs_kind_has(enum gs_kind k, unsigned flag)
{
    return (gs_kind_info(k)->flags & flag) != 0;
}

/* The editable document (GS_KF_EDITABLE) called `name` in a directory of kind
 * `dir`, or GS_K_COUNT when that name is none there; with name NULL, the
 * directory's document, if it has one. */
enum gs_kind gs_kind_document_named(enum gs_kind dir, const char *name);

/* A directory that holds a document: editors' scratch files may live there. */
int gs_kind_is_edit_dir(enum gs_kind dir);

/* The $select of the service principal listing (also servicePrincipal.json). */
#define GS_SP_SELECT "id,appId,displayName,appDisplayName,servicePrincipalType,accountEnabled,appOwnerOrganizationId,tags"

/* Cache key (Graph path) of the document behind a kind: a file's content
 * or a directory's listing, from the kind table. NULL for kinds with no
 * Graph document, and on ENOMEM. malloc'd. */
char *gs_kind_key(enum gs_kind kind, const char *sp, const char *job, const char *tpl);

/* Whether reads may be served from expired entries while Graph is
 * unreachable (set once at start from the options, before any thread). */
void gs_kind_set_serve_stale(int on);

/* Flags for gs_cache_get of this kind's key. */
unsigned gs_kind_get_flags(enum gs_kind kind);

#endif

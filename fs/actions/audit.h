/* The local audit trail (man page, "Audit trail"): every request that may
 * change Graph is logged (common/log.h gs_log_audit) with who asked for it
 * on this machine: the uid and pid of the process whose system call led to
 * it (fuse_req_ctx), the file it acted on, the Graph URL, the outcome and
 * Graph's request-id. Never a body, so never a secret. */
#ifndef GS_AUDIT_H
#define GS_AUDIT_H

#include <sys/types.h>

#include "fs/model/fs.h"

/* The caller of the FUSE request this thread is serving (kernel/ops sets it
 * on every request; it also forgets the subject of the previous one). */
void gs_audit_set_caller(uid_t uid, pid_t pid);
void gs_audit_caller(uid_t *uid, pid_t *pid);

/* The file the requests this thread sends next act on: node n, plus
 * "/<child>" when child is not NULL (rmdir jobs/<id>). */
void gs_audit_set_subject(struct gs_fs *fs, const struct gs_node *n, const char *child);
/* The same for the file `name` beside node n, in n's directory (the rules
 * tree's commit saves its job's schema.json). */
void gs_audit_set_sibling(struct gs_fs *fs, const struct gs_node *n, const char *name);

/* The client's audit hook (api/graph_client.h gs_audit_fn); ctx unused. */
void gs_audit_graph(void *ctx, const char *method, const char *url, long status,
                    const char *request_id, int result);

#endif

#include "fs/actions/audit.h"

#include <stdio.h>
#include <string.h>

#include "common/errno_name.h"
#include "common/log.h"

#define SUBJECT_MAX 1024

/* Each FUSE worker serves one request at a time: what it serves now. */
static __thread struct {
    uid_t uid;
    pid_t pid;
    int known;
    char subject[SUBJECT_MAX];
} cur;

void gs_audit_set_caller(uid_t uid, pid_t pid)
{
    cur.uid = uid;
    cur.pid = pid;
    cur.known = 1;
    cur.subject[0] = '\0';
}

void gs_audit_caller(uid_t *uid, pid_t *pid)
{
    *uid = cur.known ? cur.uid : (uid_t)-1;
    *pid = cur.known ? cur.pid : 0;
}

/* Prepends "/<name>" of n and its parents to the end of buf[0..*at]. With fs->lock held. */
static void prepend_names(const struct gs_node *n, char *buf, size_t *at)
{
    for (; n && n->parent; n = n->parent) {
        size_t len = strlen(gs_node_name(n));
        if (len + 1 > *at)
            return;
        *at -= len;
        memcpy(buf + *at, gs_node_name(n), len);
        buf[--*at] = '/';
    }
}

static void set_subject(struct gs_fs *fs, const struct gs_node *n, const char *child, int beside)
{
    char buf[SUBJECT_MAX];
    size_t at = sizeof(buf) - 1;
    buf[at] = '\0';
    if (child) {
        size_t len = strlen(child);
        if (len + 1 < at) {
            at -= len;
            memcpy(buf + at, child, len);
            buf[--at] = '/';
        }
    }
    pthread_mutex_lock(&fs->lock);
    prepend_names(beside ? n->parent : n, buf, &at);
    pthread_mutex_unlock(&fs->lock);
    snprintf(cur.subject, sizeof(cur.subject), "%s", buf[at] ? buf + at : "/");
}

void gs_audit_set_subject(struct gs_fs *fs, const struct gs_node *n, const char *child)
{
    set_subject(fs, n, child, 0);
}

void gs_audit_set_sibling(struct gs_fs *fs, const struct gs_node *n, const char *name)
{
    set_subject(fs, n, name, 1);
}

void gs_audit_graph(void *ctx, const char *method, const char *url, long status,
                    const char *request_id, int result)
{
    (void)ctx;
    char who[64];
    if (cur.known)
        snprintf(who, sizeof(who), "uid=%u pid=%d", (unsigned)cur.uid, (int)cur.pid);
    else
        snprintf(who, sizeof(who), "uid=- pid=-");
    gs_log_audit("%s path=%s %s %s -> HTTP %ld %s request-id=%s", who, cur.subject[0] ? cur.subject : "-",
                 method, url, status,
                 result == 0 ? "ok" : gs_errno_name(result), request_id && request_id[0] ? request_id : "-");
}

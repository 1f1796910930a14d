/* The rules tree's actions (issue 16, DESIGN.md section 2): edits of
 * jobs/<job>/rules/ staged in the job's pending copy (model/rules/pending.h)
 * after their checks, and the commit and discard of that copy. Also the
 * schema access the views of the tree share. */
#ifndef GS_ACTIONS_RULES_H
#define GS_ACTIONS_RULES_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "fs/model/fs.h"
#include "fs/model/rules/pending.h"

/* Nodes of a template's rules: no write of any kind. */
int gs_rules_read_only(const struct gs_node *n);

/* What a callback sees of a schema: the pending copy (with its fresh set)
 * or Graph's (fresh NULL). */
typedef int (*gs_rules_schema_fn)(const cJSON *schema, const cJSON *fresh, const struct timespec *when,
                                  void *ctx);

/* Runs fn on the schema node n shows: the job's pending copy when there is
 * one and pending is set, else Graph's schema (through the cache). */
int gs_rules_with_schema(struct gs_fs *fs, const struct gs_node *n, int pending, gs_rules_schema_fn fn, void *ctx);
/* Graph's schema behind n (a new reference). */
int gs_rules_graph_schema(struct gs_fs *fs, const struct gs_node *n, struct gs_doc **out);
/* The bytes rules file n shows (pending copy first); malloc'd. */
int gs_rules_file_shown(struct gs_fs *fs, const struct gs_node *n, char **text, size_t *len, struct timespec *when);
/* Records a refusal or a local failure in the job's last_error. */
void gs_rules_refuse(struct gs_fs *fs, const struct gs_node *n, const char *method, int err, const char *code,
                     const char *why);
/* A field of an attribute made by mkdir that was not written yet: hidden. */
int gs_rules_field_hidden(const cJSON *fresh, const char *path, const char *field);

/* POST parseExpression for n's job or template: Graph's answer. */
int gs_rules_parse_expression(struct gs_fs *fs, const struct gs_node *n, const cJSON *body, cJSON **out);

/* The content a handle holds is ready to stage: it ends with a newline. */
int gs_rules_complete(const char *data, size_t len);
/* Stages what a user wrote to a rules file, after the checks
 * (parseExpression, filterOperators, the directory's attribute names).
 * Writing the bytes the file shows changes nothing. -EINVAL with the
 * reason in the job's last_error. */
int gs_rules_write(struct gs_fs *fs, const struct gs_node *n, const char *data, size_t len);

/* mkdir/rmdir attributes/<name>; create of a file in a rules directory (a
 * field of an attribute made by mkdir, or an editor's temporary file);
 * rename of such a temporary file over a field (sed -i). */
int gs_rules_mkdir(struct gs_fs *fs, struct gs_node *dir, const char *name);
int gs_rules_rmdir(struct gs_fs *fs, struct gs_node *dir, const char *name);
int gs_rules_create(struct gs_fs *fs, struct gs_node *dir, const char *name, mode_t mode, uid_t uid, gid_t gid);
int gs_rules_rename(struct gs_fs *fs, struct gs_node *dir, const char *from, const char *to);

/* commit and discard: *result (malloc'd) is what the control file shows. */
int gs_rules_control(struct gs_fs *fs, const struct gs_node *n, char **result);

#endif

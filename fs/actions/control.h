/* Control files: a write or a touch issues the action (DESIGN.md section 5),
 * and readable ones show the last result. */
#ifndef GS_CONTROL_H
#define GS_CONTROL_H

#include <stddef.h>
#include <time.h>

#include "fs/model/fs.h"


/* Runs the action of control file n with the user's input. Input is checked
 * first (-EINVAL, no request); Graph's answer becomes the result. Failures
 * are recorded in the directory's last_error. 0 or negative errno. */
int gs_control_run(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len);

/* Keeps text as control file n's last result. */
void gs_control_set_result(struct gs_fs *fs, const struct gs_node *n, const char *text, size_t len);

/* The last result of a readable control file ("" before any). */
int gs_control_result(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out, struct timespec *mtime);

/* 1 and when the request of the last action of control file n was sent,
 * when Graph accepted it; else 0 (none yet, or it failed). */
int gs_control_accepted_at(struct gs_fs *fs, const struct gs_node *n, struct timespec *when);

#endif

/* Past max_names, asks the kernel to forget the subtrees used longest ago
 * (model/subtrees.h), from a thread of its own: the kernel takes the parent
 * directory's lock for each, which a listing of it may hold for as long as
 * Graph takes to answer. */
#ifndef GS_TRIM_H
#define GS_TRIM_H

#include <sys/types.h>

struct gs_fs;
struct gs_trim;

/* Starts the thread; with max_names 0, *out is NULL and nothing runs. */
int gs_trim_start(struct gs_fs *fs, struct gs_trim **out);
void gs_trim_stop(struct gs_trim *t);

/* 1 when thread tid is the trimmer's own lookup of a name the kernel kept:
 * the node table answers it (ops.c), never Graph (a listing past its
 * time-to-live was fetched again for it at the end of a du). */
int gs_trim_is_relook(pid_t tid);

#endif

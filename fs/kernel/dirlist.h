/* The listings that a directory's readdirs continue (issue 14: a walk of
 * the whole mount). The kernel opens directories without asking the daemon
 * (FUSE_CAP_NO_OPENDIR_SUPPORT: an OPENDIR and a RELEASEDIR round trip less
 * for every directory a find or du reads), so there is no directory handle
 * to keep a listing in. A readdir at offset 0 makes the listing and adds it
 * here; the offsets it gives the kernel carry the listing's generation, so
 * the readdirs that follow take the same listing (entries neither skipped
 * nor repeated while Graph changes the directory); the readdir that reaches
 * its end lets it go.
 *
 * A ring of GS_DIRLIST_SLOTS: a listing a reader left half read is dropped
 * when the ring comes round to its slot, and a reader coming back after
 * that lists again (gs_dirlist_find: -ENOENT) and goes on at its offset.
 * The table's own mutex is a leaf lock (no other lock is taken while it is
 * held); listings are read without it, each held by a reference. */
#ifndef GS_DIRLIST_H
#define GS_DIRLIST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fs/model/fs.h"

#define GS_DIRLIST_SLOTS 256

struct gs_dirlists;
struct gs_dirlist {
    struct gs_dirent *entries; /* immutable once added */
    size_t n;
    uint64_t ino;
    uint32_t gen;              /* never 0 */
    unsigned refs;             /* the table's mutex */
};

int gs_dirlists_new(struct gs_dirlists **out);
void gs_dirlists_free(struct gs_dirlists *t);

/* A listing of directory ino made of entries[0..n) (taken over, freed with
 * the listing, also on failure), added with a reference for the caller;
 * -ENOMEM. */
int gs_dirlist_add(struct gs_dirlists *t, uint64_t ino, struct gs_dirent *entries, size_t n,
                   struct gs_dirlist **out);

/* The listing of directory ino of generation gen, with a reference; NULL
 * when it is gone (read to its end, or its slot taken). */
struct gs_dirlist *gs_dirlist_find(struct gs_dirlists *t, uint64_t ino, uint32_t gen);

/* l read to its end: out of the table (the caller's reference stays). */
void gs_dirlist_done(struct gs_dirlists *t, struct gs_dirlist *l);

void gs_dirlist_unref(struct gs_dirlists *t, struct gs_dirlist *l);

/* The kernel lets one readdir of a directory run at a time: while one
 * waits for Graph, the readdirs of other callers of the same directory
 * wait in the kernel, and reach the daemon only when it is answered. Had
 * they then asked Graph again, each would have waited a time bound of its
 * own after the one it waited behind (two bounds, or more). So a listing
 * that ran out of its time bound is remembered for GS_DIRLIST_ECHO_S
 * seconds, and a readdir at offset 0 of the same directory in that time
 * gets the same -ETIMEDOUT at once (issue 13, finding 6: every call
 * answered within its bound); one that comes later asks Graph again. */
#define GS_DIRLIST_ECHO_S 0.5
void gs_dirlist_timed_out(struct gs_dirlists *t, uint64_t ino, double now);
/* 1 when a listing of ino ran out of its time bound within GS_DIRLIST_ECHO_S
 * of now (common/clock.h gs_now times). */
int gs_dirlist_just_timed_out(struct gs_dirlists *t, uint64_t ino, double now);

/* The offset the kernel is given for the position after entry i of l
 * (i counts "." and ".." as 0 and 1), and back. */
off_t gs_dirlist_off(const struct gs_dirlist *l, size_t i);
void gs_dirlist_pos(off_t off, uint32_t *gen, size_t *next);

#endif

/* The names the kernel holds, by subtree: which second-level directories
 * (servicePrincipals/<name>, jobs/<name>, by-name/<name>, ...) hold how many
 * names, and how long ago a name in each was last made or looked up.
 *
 * A walk of the whole tree (find, du, grep -r) makes the kernel hold every
 * name it read, and each keeps a node here (about 0.7 KiB) until the kernel
 * forgets it, which it does only under memory pressure: 1.0 GiB for a find
 * of a 10,000-service-principal tenant. Past max_names, the kernel is asked
 * to forget the subtrees used longest ago (kernel/trim.c), so a walk holds
 * about max_names names however large the tenant.
 *
 * Everything here is guarded by fs->lock, and called with it held. */
#ifndef GS_SUBTREES_H
#define GS_SUBTREES_H

#include <stddef.h>
#include <stdint.h>

struct gs_fs;
struct gs_node;

/* One second-level directory (a "top"): owned by its node (n->sub). */
struct gs_subtree {
    struct gs_node *top;
    struct gs_subtree *newer, *older; /* fs->subtrees: most recently used first */
    size_t names;                     /* names made in the subtree since it was last
                                       * picked, itself included: an estimate of those
                                       * held (a free does not walk up to count itself
                                       * out: a batch of forgets frees thousands, their
                                       * chains cold in the CPU's caches) */
    double used;                      /* monotonic seconds of the last use */
    unsigned held;                    /* == gs_subtrees.pass: holds an open handle */
};

/* The LRU of subtrees (struct gs_fs.subtrees). */
struct gs_subtrees {
    struct gs_subtree *newest, *oldest;
    unsigned pass;        /* the trimmer's pass (gs_subtree_hold) */
    int posted;           /* the trimmer was woken and has not taken its pass yet */
};

/* n was made (made=1) or found again (made=0) by a lookup or a listing: its
 * subtree is used now, and holds one more name when made. Returns 1 when the
 * names held passed max_names (the caller wakes the trimmer). ENOMEM only
 * leaves the subtree untracked. */
int gs_subtree_touch(struct gs_fs *fs, struct gs_node *n, int made);
/* Monotonic seconds, coarse (a tick): the clock of `used`. */
double gs_subtree_now(void);
/* n is being freed: when n is a top, its subtree's record goes. */
void gs_subtree_forget(struct gs_fs *fs, struct gs_node *n);

/* A subtree the kernel is asked to forget: its top's parent and name, and
 * its path in the mount ("<top-level name>/<name>"; name points into it). */
struct gs_subtree_victim {
    uint64_t parent_ino;
    char *path;
    const char *name;
};

/* Never picked: the subtrees most recently used. */
#define GS_SUBTREES_KEPT 16

/* The subtrees used longest ago, none used in the last idle_s seconds nor
 * among the GS_SUBTREES_KEPT most recent, nor holding a node of an open handle, until they hold at least `excess` names
 * (or none is left). Each is marked used now, so the next pass passes it
 * over while the kernel forgets it. Returns how many (*out: malloc'd; free
 * with gs_subtree_victims_free), or -ENOMEM. */
int gs_subtree_pick(struct gs_fs *fs, size_t excess, double now, double idle_s,
                    struct gs_subtree_victim **out);
/* 1 when the kernel still holds the top a pass asked it to forget: something
 * used it (a working directory), and the kernel keeps it with its name
 * unhashed until its path is looked up again. */
int gs_subtree_kept(struct gs_fs *fs, const struct gs_subtree_victim *v);
/* For the pass about to pick: n's subtree holds an open handle. */
void gs_subtree_hold(struct gs_fs *fs, struct gs_node *n);
void gs_subtree_victims_free(struct gs_subtree_victim *v, int n);

#endif

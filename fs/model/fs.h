/* The filesystem's shared state and its node table. A node is one name in
 * the tree: (parent, name) with a stable inode number for as long as the
 * kernel remembers it. */
#ifndef GS_FS_H
#define GS_FS_H

#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <time.h>

#include "api/graph_client.h"
#include "cache/cache.h"
#include "fs/model/blob.h"
#include "fs/model/kinds.h"
#include "fs/model/subtrees.h"
#include "fs/model/thresholds.h"
#include "common/map.h"

struct gs_inval;
struct gs_keeper;
struct gs_errors;
struct gs_scratch_store;
struct gs_readahead;
struct gs_sp_index;
struct gs_tenant_views;
struct gs_monitor;
struct gs_fh;
struct gs_rules_pending;
struct gs_logs;
struct gs_walk;
struct gs_walk_scan;
struct gs_trim;

struct gs_fs_config {
    double entry_timeout;   /* kernel dentry cache, seconds */
    double attr_timeout;    /* kernel attribute cache, seconds */
    int read_only;
    uid_t uid;
    gid_t gid;
    mode_t umask;
    const char *backup_dir; /* where replaced documents are kept; NULL: no backups */
    int serve_stale;        /* serve cached content while Graph is unreachable */
    double view_ttl;        /* status_timeout: how long a built status.tsv or jobs/ is used */
    double listing_recent;  /* dir_timeout: reading servicePrincipals/ again does not
                             * re-fetch job listings fetched less than this ago */
    struct gs_thresholds thresholds; /* warn_escrow= ... (views/monitor/) */
    int backup_keep;        /* backups kept per job; older ones are removed */
    int strict;             /* a tenant-wide view that cannot be built whole fails with
                             * EIO instead of showing what could not be read */
    size_t cache_bytes;     /* the cache's memory bound (cache_size): how far a walk reads ahead */
    const char *mountpoint; /* absolute (libfuse resolved it), or NULL */
    size_t max_names;       /* names held past which the kernel is asked to forget the
                             * subtrees used longest ago (model/subtrees.h); 0: never */
};

/* An open file (directories have no handle of ours: kernel/ops_dir.c),
 * listed so that handles the kernel never
 * released (an unmount with files open) are freed at the end. */
struct gs_open {
    struct gs_open *prev, *next;
    int linked;
};

/* The last result of an action, readable from its control file. */
struct gs_result {
    struct gs_blob *blob;
    struct timespec when;
    int ok;                 /* the action succeeded (Graph accepted it) */
    struct timespec sent;   /* when its request was sent (ok results) */
};

/* What a rename changes about a node, as one record that never changes once
 * published: gs_node_move publishes a new record and keeps the old ones until
 * the node is freed, so a record read from a node the reader holds pinned
 * stays valid, without any lock, for as long as the pin. */
struct gs_node_id {
    enum gs_kind kind;
    char *name;
    char *key;                 /* cache key its content or entries come from, or NULL */
    struct gs_node_id *older;  /* the records this one replaced */
};

struct gs_node {
    /* Immutable from creation to free: */
    uint64_t ino;
    char *sp;               /* Graph ids this node belongs to (NULL when n/a) */
    char *job;
    char *tpl;
    char *owner;            /* the directory owner of these ids (model/errors.h):
                             * "", "sp/<spId>" or "job/<spId>/<jobId>" */
    char *target;           /* symlink target */
    /* Atomic pointer, read with gs_node_id() (or gs_node_kind/name/key): no
     * lock. Written by gs_node_move with fs->lock held. */
    struct gs_node_id *id_;
    /* fs->lock: */
    uint64_t nlookup;       /* lookups the kernel holds */
    unsigned pins;          /* open handles, children and callers in flight */
    struct gs_node *parent; /* NULL once detached (its name went to another node) */
    struct gs_node *key_next, *key_prev; /* other nodes with the same key (a rules
                                          * tree's hundreds share their schema's) */
    /* fs->lock: rendered content (files) */
    struct gs_blob *content;
    uint64_t content_gen;
    double fresh_until;     /* content renders the cache's doc of generation fresh_gen,
                             * fresh until then (gs_cache_now seconds) while the cache's
                             * epoch stays fresh_epoch: an open takes content without
                             * asking the cache (views/content.c kept_fresh) */
    uint64_t fresh_gen, fresh_epoch;
    size_t size_len;        /* without content: the length its rendering of the */
    uint64_t size_gen;      /* document of this generation would have (0: none) */
    struct timespec mtime;
    int64_t reported_size;  /* last size told to the kernel, -1 if none */
    struct gs_blob *pc_blob; /* bytes the kernel's page cache may hold (pagecache.h) */
    unsigned pc_open;       /* handles reading pc_blob through the page cache */
    unsigned pc_adopting;   /* of which still dropping the kernel's older view */
    int pc_tainted;         /* a direct handle may have filled the page cache */
    struct gs_fh *ctl_fh;   /* a control file's latest handle open for writing */
    char *stale;            /* the content last served is a copy past its time-to-live:
                             * which one and why (fetch/stale.h), or NULL */
    struct gs_subtree *sub; /* fs->lock: a second-level directory's count of the names
                             * held below it (model/subtrees.h), or NULL */
};

/* The filesystem. Locking contract (lock order: HACKING.md "Locks"):
 * - fs->lock and extra_lock are leaf locks: held for memory work only,
 *   never across network I/O, and no other lock is taken while one is held.
 * - Set before the session starts and then only read, without a lock: cfg,
 *   client, cache, se, inval, errors, scratch, readahead, sp_index, views, monitor,
 *   rules, logs, walk, keeper, dirlists, trim, kernel_opens_dirs (at FUSE init, before
 *   any other request), started, root (the pointer). The parts lock themselves (their headers). */
struct gs_fs {
    struct gs_fs_config cfg;
    struct gs_client *client;
    struct gs_cache *cache;
    struct fuse_session *se;
    struct gs_inval *inval;
    struct gs_errors *errors;
    struct gs_scratch_store *scratch;
    struct gs_readahead *readahead; /* NULL when batch=off */
    struct gs_sp_index *sp_index;   /* names of the service-principal listing */
    struct gs_tenant_views *views;  /* status.tsv and jobs/ as last built */
    struct gs_monitor *monitor;     /* the monitoring files' last scan (views/monitor/) */
    struct gs_rules_pending *rules; /* staged edits of the rules trees (model/rules/pending.h) */
    struct gs_logs *logs;           /* provisioning-log files (fs/logs); NULL: none */
    struct gs_walk *walk;           /* where the walks of the tree are (views/walk.h) */
    struct gs_walk_scan *walk_scan; /* what each walk's scan fetched (actions/walk_scan.h) */
    struct gs_keeper *keeper;       /* gives back what expired (views/keeper.h) */
    struct gs_dirlists *dirlists;   /* listings readdirs continue (kernel/dirlist.h) */
    struct gs_trim *trim;           /* past max_names, the kernel forgets (kernel/trim.h) */
    int kernel_opens_dirs;          /* FUSE_CAP_NO_OPENDIR_SUPPORT (kernel/ops_dir.c) */
    struct timespec started;
    uint64_t content_changes;       /* atomic: cached content changed (views compare it) */
    double graph_down_until;  /* monotonic seconds; atomic: a transport failure of the
                               * read-ahead makes tenant-wide views use the cache only */

    /* extra_lock guards three things, each small and each kept apart from
     * the node table: */
    pthread_mutex_t extra_lock;
    struct gs_map results;  /* (1) "<owner>/<tpl>/<file>" -> struct gs_result: the last
                             * result of each control file's action (actions/control.c);
                             * (2) "saved-versions\n<key>" -> the versions this mount's
                             * own schema saves replaced (actions/document.c) */
    struct gs_map hidden;   /* (3) "<owner>/<file>" -> expiry: documents an editor renamed
                             * away or removed (views/tree.c) */

    /* fs->lock guards the node table, the fields of every node marked
     * "fs->lock" (struct gs_node), the list of open handles and the handles'
     * borrowers counts (kernel/ops_internal.h). */
    pthread_mutex_t lock;
    struct gs_map by_ino;   /* ino -> node */
    struct gs_map by_name;  /* "<parent ino>/<name>" -> node */
    struct gs_map by_key;   /* cache key -> first node with that key */
    uint64_t next_ino;
    struct gs_node *root;
    struct gs_open *open_handles;
    struct gs_open *spare_handles; /* fs->lock: freed file handles kept for the next
                                    * opens (kernel/ops.c fh_new), chained by next */
    unsigned nspare;
    pthread_cond_t fh_returned;   /* waited on with fs->lock: a borrowed handle was given back */
    struct gs_subtrees subtrees;  /* fs->lock: the names held by subtree (model/subtrees.h) */
    sem_t names_over;             /* posted (with fs->lock held: a semaphore is no lock) when
                                   * the names held pass cfg.max_names: kernel/trim.c waits */
};

/* The node's current name, kind and key: one record, valid while n is pinned. */
static inline const struct gs_node_id *gs_node_id(const struct gs_node *n)
{
    return __atomic_load_n(&n->id_, __ATOMIC_ACQUIRE);
}

static inline enum gs_kind gs_node_kind(const struct gs_node *n)
{
    return gs_node_id(n)->kind;
}

static inline const char *gs_node_name(const struct gs_node *n)
{
    return gs_node_id(n)->name;
}

static inline const char *gs_node_key(const struct gs_node *n)
{
    return gs_node_id(n)->key;
}

int gs_fs_init(struct gs_fs *fs, const struct gs_fs_config *cfg,
               struct gs_client *client, struct gs_cache *cache);
void gs_fs_destroy(struct gs_fs *fs);

/* What a directory entry is, before it becomes a node. */
struct gs_dirent {
    char *name;
    enum gs_kind kind;
    const char *sp, *job, *tpl; /* borrowed */
    char *target;               /* owned (links) */
};

/* Longest "<parent ino>/<name>" key of the node table. */
#define GS_NAME_KEY_MAX 300

/* With fs->lock held. */
struct gs_node *gs_node_by_ino(struct gs_fs *fs, uint64_t ino);
/* Finds or creates the child node for an entry (fs->lock held). NULL on ENOMEM. */
struct gs_node *gs_node_child(struct gs_fs *fs, struct gs_node *parent, const struct gs_dirent *e);
void gs_node_pin(struct gs_node *n);
/* The node the kernel knows under (parent, name), or NULL (fs->lock held). */
struct gs_node *gs_node_find(struct gs_fs *fs, struct gs_node *parent, const char *name);
/* Gives n a new name and kind in the same directory, as rename(2) moves an
 * inode; a node already at that name is detached (fs->lock held). */
int gs_node_move(struct gs_fs *fs, struct gs_node *n, const char *name, enum gs_kind kind);
/* Drops a pin; frees the node when nothing holds it (fs->lock held). */
void gs_node_unpin(struct gs_fs *fs, struct gs_node *n);
/* Forgets what the kernel's page cache holds for n (content replaced by a
 * rename, node freed), unless readers still hold those bytes
 * (kernel/pagecache.h). fs->lock held. */
void gs_node_forget_pagecache_locked(struct gs_node *n);
/* The kernel forgot nlookup references (fs->lock held). */
void gs_node_forget(struct gs_fs *fs, struct gs_node *n, uint64_t nlookup);
/* gs_node_forget that leaves the freeing of what it released to
 * gs_node_free_dead, called without fs->lock: a batch of forgets after the
 * kernel let a walk's subtrees go (kernel/trim.c) frees thousands, and the
 * walk's lookups wait for fs->lock meanwhile. */
void gs_node_forget_later(struct gs_fs *fs, struct gs_node *n, uint64_t nlookup, struct gs_node **dead);
void gs_node_free_dead(struct gs_node *dead);
/* Calls fn for every node with this cache key (fs->lock held). */
void gs_node_each_with_key(struct gs_fs *fs, const char *key,
                           void (*fn)(void *ctx, struct gs_node *n), void *ctx);

void gs_dirent_clear(struct gs_dirent *e);
/* Clears each of the n entries of v, then frees v. */
void gs_dirents_free(struct gs_dirent *v, size_t n);

/* Lists and unlists an open handle (fs->lock held). */
void gs_open_link(struct gs_fs *fs, struct gs_open *o);
void gs_open_unlink(struct gs_fs *fs, struct gs_open *o);

#endif

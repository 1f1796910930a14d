/* Shared between the read-side (ops.c) and write-side (ops_write.c) FUSE
 * operations. */
#ifndef GS_OPS_INTERNAL_H
#define GS_OPS_INTERNAL_H

#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include "fs/model/fs.h"

/* The filesystem of a request; the caller's uid and pid become the audit
 * trail's for what this request sends (actions/audit.h). */
#define FS(req) gs_ops_fs(req)
struct gs_fs *gs_ops_fs(fuse_req_t req);

/* An open file. Locks: fs->lock, then fh->lock never while holding it.
 * fh->lock serialises the requests of one open file (write, flush, fsync,
 * setattr, read of a handle's own buffer) and is held across the HTTP
 * request of its save or action: no request that holds another lock waits
 * for it (setattr borrows the handle: see borrowers). Release takes it once
 * before freeing, after the borrowers are gone: a read still replying holds it. */
struct gs_fh {
    struct gs_open link;    /* first: in fs->open_handles (fs->lock) */
    struct gs_node *node;   /* pinned until release; set before the handle is published */
    struct gs_blob *blob;   /* what reads return (snapshot at open), or NULL; immutable */
    int writing;            /* opened for writing; immutable */
    enum gs_kind kind;      /* the node's kind at open, immutable: reads, writes and
                             * saves go the way they went at open, whatever a rename
                             * makes of the node (a document stays a document) */
    int pc_mode;            /* enum gs_pc_open, or -1 where that policy does not apply;
                             * set at open, read at release */
    pthread_mutex_t lock;   /* guards the members below */
    char *buf;              /* a document's new content, or a control file's input */
    size_t len, cap;
    int dirty;              /* buf holds changes not yet committed */
    int acted;              /* a control file's action ran */
    int result;             /* result of the last commit or action (0 or -errno) */
    unsigned borrowers;     /* fs->lock: setattrs using this handle through node->ctl_fh;
                             * release waits (fs->fh_returned) until none */
};

struct gs_node *gs_ops_get_node(struct gs_fs *fs, fuse_ino_t ino);
/* The node the table holds for name in parent, pinned (gs_ops_put_node), or NULL. */
struct gs_node *gs_ops_get_child(struct gs_fs *fs, struct gs_node *parent, const char *name);
void gs_ops_put_node(struct gs_fs *fs, struct gs_node *n);
/* gs_ops_get_node for a request: when the kernel's inode is gone, replies
 * ENOENT and returns NULL. */
struct gs_node *gs_ops_node_or_enoent(fuse_req_t req, fuse_ino_t ino);
int gs_ops_fill_attr(struct gs_fs *fs, struct gs_node *n, struct stat *st);
int gs_ops_make_entry(struct gs_fs *fs, struct gs_node *parent, const struct gs_dirent *e,
                      struct fuse_entry_param *ep);
/* Opens node n (pinned by the caller; the handle keeps the pin on success).
 * may_cache: the open may use the page cache (pagecache.h); the kernel's view
 * of the inode may then be invalidated before this returns. */
int gs_ops_open_node(struct gs_fs *fs, struct gs_node *n, struct fuse_file_info *fi, int may_cache);
void gs_ops_free_fh(struct gs_fs *fs, struct gs_fh *fh);
/* Around work on libfuse's thread: no wait on Graph at all
 * (common/interrupt.h gs_interrupt_set_nowait), and should anything wait
 * still, its deadline is now. */
void gs_ops_now_begin(void);
void gs_ops_now_end(void);
/* A directory whose listing and lookups read one cached schema: the rules
 * tree's, but its expression test directory (an object lookup). */
int gs_ops_lists_from_cache(enum gs_kind kind);
/* Frees the handles the kernel never released (after the session ended). */
void gs_ops_free_open_handles(struct gs_fs *fs);

void gs_ops_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                   struct fuse_file_info *fi);
void gs_ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                  struct fuse_file_info *fi);
void gs_ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                    struct fuse_file_info *fi);
void gs_ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void gs_ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void gs_ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void gs_ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                   const char *newname, unsigned int flags);
void gs_ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void gs_ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void gs_ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);

#endif

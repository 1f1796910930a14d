/* FUSE low-level operations: thin adapters from kernel requests to the tree,
 * the content renderers and the node table. Requests may block on Graph in
 * the worker thread that serves them; no lock is held while they do. */
#include "fs/actions/rules/rules.h"
#include "fs/kernel/ops.h"
#include "fs/kernel/ops_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "common/clock.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "fs/views/content.h"
#include "fs/model/fs.h"
#include "fs/kernel/inval.h"
#include "fs/kernel/pagecache.h"
#include "fs/kernel/trim.h"
#include "fs/views/tree.h"
#include "fs/kernel/ops_internal.h"
#include "fs/actions/audit.h"
#include "fs/actions/control.h"
#include "fs/actions/document.h"
#include "fs/model/errors.h"
#include "fs/actions/scratch.h"

/* Looks up and pins a node by inode number. */
struct gs_node *gs_ops_get_node(struct gs_fs *fs, fuse_ino_t ino)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_by_ino(fs, ino);
    if (n)
        gs_node_pin(n);
    pthread_mutex_unlock(&fs->lock);
    return n;
}

struct gs_node *gs_ops_get_child(struct gs_fs *fs, struct gs_node *parent, const char *name)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_find(fs, parent, name);
    if (n)
        gs_node_pin(n);
    pthread_mutex_unlock(&fs->lock);
    return n;
}

struct gs_node *gs_ops_node_or_enoent(fuse_req_t req, fuse_ino_t ino)
{
    struct gs_node *n = gs_ops_get_node(FS(req), ino);
    if (!n)
        fuse_reply_err(req, ENOENT);
    return n;
}

void gs_ops_put_node(struct gs_fs *fs, struct gs_node *n)
{
    pthread_mutex_lock(&fs->lock);
    gs_node_unpin(fs, n);
    pthread_mutex_unlock(&fs->lock);
}

/* Attributes of a node; for files this renders (and may fetch) the content. */
static int fill_attr_as(struct gs_fs *fs, struct gs_node *n, const struct gs_node_id *id, struct stat *st);

/* A rename may replace the node's kind and name while its attributes are
 * read (vim's schema.json -> schema.json~ and back, under an open handle):
 * they are read from one record, and again when a missing scratch file only
 * meant that the record was replaced meanwhile. */
int gs_ops_fill_attr(struct gs_fs *fs, struct gs_node *n, struct stat *st)
{
    const struct gs_node_id *id = gs_node_id(n);
    int r = fill_attr_as(fs, n, id, st);
    for (int i = 0; r == -ENOENT && i < 3 && gs_node_id(n) != id; i++) {
        id = gs_node_id(n);
        r = fill_attr_as(fs, n, id, st);
    }
    return r;
}

static int fill_attr_as(struct gs_fs *fs, struct gs_node *n, const struct gs_node_id *id, struct stat *st)
{
    const struct gs_kind_info *ki = gs_kind_info(id->kind);
    memset(st, 0, sizeof(*st));
    st->st_ino = n->ino;
    st->st_uid = fs->cfg.uid;
    st->st_gid = fs->cfg.gid;
    st->st_blksize = 4096;
    mode_t perm = ki->perm;
    if (ki->type != S_IFLNK)
        perm &= ~fs->cfg.umask;
    if ((fs->cfg.read_only || gs_rules_read_only(n)) && ki->type != S_IFLNK)
        perm &= ~(mode_t)0222; /* a template's rules are read-only */
    st->st_mode = ki->type | perm;

    struct timespec mtime;
    if (id->kind == GS_K_SCRATCH) {
        int r = gs_scratch_stat(fs->scratch, n->owner, id->name, st);
        if (r == 0) {
            st->st_ino = n->ino;
            if (fs->cfg.read_only)
                st->st_mode &= ~(mode_t)0222;
        }
        return r;
    }
    if (ki->type == S_IFDIR) {
        st->st_nlink = 2;
        gs_content_dir_mtime(fs, n, &mtime);
    } else if (ki->type == S_IFLNK) {
        st->st_nlink = 1;
        st->st_size = (off_t)strlen(n->target);
        gs_content_dir_mtime(fs, n->parent ? n->parent : n, &mtime);
    } else {
        size_t size = 0;
        int r = gs_content_stat(fs, n, &size, &mtime);
        if (r < 0)
            return r;
        st->st_nlink = 1;
        pthread_mutex_lock(&fs->lock);
        st->st_size = (off_t)gs_pagecache_size_locked(n, size);
        n->reported_size = (int64_t)st->st_size;
        pthread_mutex_unlock(&fs->lock);
    }
    st->st_blocks = (st->st_size + 511) / 512;
    st->st_mtim = mtime;
    st->st_ctim = mtime;
    st->st_atim = mtime;
    return 0;
}

static void gs_init(void *userdata, struct fuse_conn_info *conn)
{
    gs_ops_dir_init(userdata, conn);
    conn->time_gran = 1000000000; /* Graph times have second resolution at best */
    if (conn->capable & FUSE_CAP_READDIRPLUS)
        conn->want |= FUSE_CAP_READDIRPLUS;
    /* O_TRUNC arrives with open, not as a separate truncating setattr */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

/* The entry of child, pinned by the caller: its attributes, and one lookup
 * more the kernel holds; the pin is let go. */
static int entry_of(struct gs_fs *fs, struct gs_node *child, struct fuse_entry_param *ep)
{
    memset(ep, 0, sizeof(*ep));
    int r = gs_ops_fill_attr(fs, child, &ep->attr);
    if (r == 0) {
        ep->ino = child->ino;
        ep->generation = 1;
        ep->entry_timeout = fs->cfg.entry_timeout;
        ep->attr_timeout = fs->cfg.attr_timeout;
    }
    pthread_mutex_lock(&fs->lock);
    if (r == 0)
        child->nlookup++;
    gs_node_unpin(fs, child);
    pthread_mutex_unlock(&fs->lock);
    return r;
}

/* Builds the reply for a child entry: creates the node, counts the lookup. */
int gs_ops_make_entry(struct gs_fs *fs, struct gs_node *parent, const struct gs_dirent *e,
                      struct fuse_entry_param *ep)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_node *child = gs_node_child(fs, parent, e);
    if (child)
        gs_node_pin(child);
    pthread_mutex_unlock(&fs->lock);
    return child ? entry_of(fs, child, ep) : -ENOMEM;
}

static void gs_lookup(fuse_req_t req, fuse_ino_t parent_ino, const char *name)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *parent = gs_ops_node_or_enoent(req, parent_ino);
    if (!parent)
        return;
    struct gs_dirent e;
    int r = gs_tree_lookup(fs, parent, name, &e);
    if (r == 0) {
        struct fuse_entry_param ep;
        r = gs_ops_make_entry(fs, parent, &e, &ep);
        gs_dirent_clear(&e);
        if (r == 0) {
            gs_ops_put_node(fs, parent);
            fuse_reply_entry(req, &ep);
            return;
        }
    }
    gs_ops_put_node(fs, parent);
    fuse_reply_err(req, -r);
}

static void gs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    struct gs_fs *fs = FS(req);
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_by_ino(fs, ino);
    if (n)
        gs_node_forget(fs, n, nlookup);
    pthread_mutex_unlock(&fs->lock);
    fuse_reply_none(req);
}

/* The kernel's forgets come thousands at a time once it let a walk's
 * subtrees go (kernel/trim.c): fs->lock is let go every FORGETS_PER_HOLD of
 * them, and the nodes are freed outside it, so the walk's lookups go on. */
#define FORGETS_PER_HOLD 128

static void gs_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    struct gs_fs *fs = FS(req);
    for (size_t i = 0; i < count;) {
        struct gs_node *dead = NULL;
        pthread_mutex_lock(&fs->lock);
        for (size_t end = i + FORGETS_PER_HOLD; i < count && i < end; i++) {
            struct gs_node *n = gs_node_by_ino(fs, forgets[i].ino);
            if (n)
                gs_node_forget_later(fs, n, forgets[i].nlookup, &dead);
        }
        pthread_mutex_unlock(&fs->lock);
        gs_node_free_dead(dead);
    }
    fuse_reply_none(req);
}

static void gs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_node_or_enoent(req, ino);
    if (!n)
        return;
    struct stat st;
    int r = gs_ops_fill_attr(fs, n, &st);
    gs_ops_put_node(fs, n);
    if (r < 0)
        fuse_reply_err(req, -r);
    else
        fuse_reply_attr(req, &st, fs->cfg.attr_timeout);
}

static void gs_readlink(fuse_req_t req, fuse_ino_t ino)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_node_or_enoent(req, ino);
    if (!n)
        return;
    if (gs_node_kind(n) != GS_K_LINK)
        fuse_reply_err(req, EINVAL);
    else
        fuse_reply_readlink(req, n->target);
    gs_ops_put_node(fs, n);
}

/* On libfuse's thread: no wait on Graph at all (common/interrupt.h
 * gs_interrupt_set_nowait), and should anything wait still, its deadline is
 * now. */
void gs_ops_now_begin(void)
{
    gs_interrupt_arm(NULL);
    gs_interrupt_set_deadline(gs_now());
    gs_interrupt_set_nowait(1);
}

void gs_ops_now_end(void)
{
    gs_interrupt_set_nowait(0);
    gs_interrupt_arm(NULL);
}

/* Whether a node of this kind has attributes made from cached documents
 * alone (a fetch then fails with -EWOULDBLOCK): not a tenant view, a
 * monitoring file, a log, a setting, an action's result, an expression test. */
static int attr_from_cache(enum gs_kind kind)
{
    const struct gs_kind_info *ki = gs_kind_info(kind);
    if (ki->type != S_IFREG)
        return 1; /* directories (their mtime: cached only) and links */
    if (kind == GS_K_ATTR_TEST_RESULT || gs_kind_has(kind, GS_KF_LOG_SUMMARY | GS_KF_COSTLY_ATTR))
        return 0;
    return ki->source == GS_SRC_GRAPH || ki->source == GS_SRC_RULES || ki->source == GS_SRC_STATIC ||
           ki->source == GS_SRC_SCRATCH;
}

/* A directory whose listing and lookups read one cached schema: the rules
 * tree's, but its expression test directory (an object lookup). */
int gs_ops_lists_from_cache(enum gs_kind kind)
{
    return gs_kind_has(kind, GS_KF_RULES_DIR) && kind != GS_K_ATTR_TEST;
}

/* The trimmer's lookup of a name the kernel kept (kernel/trim.c): the node
 * it still holds, from the node table alone; ENOENT when it is gone. */
static void lookup_kept(fuse_req_t req, struct gs_fs *fs, struct gs_node *parent, const char *name)
{
    struct gs_node *n = gs_ops_get_child(fs, parent, name);
    struct fuse_entry_param ep;
    int r = n ? entry_of(fs, n, &ep) : -ENOENT;
    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    if (fuse_reply_entry(req, &ep) != 0) {
        pthread_mutex_lock(&fs->lock);
        gs_node_forget(fs, n, 1);
        pthread_mutex_unlock(&fs->lock);
    }
}

int gs_ops_lookup_now(fuse_req_t req, fuse_ino_t parent_ino, const char *name)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *parent = gs_ops_get_node(fs, parent_ino);
    if (!parent)
        return 0;
    if (gs_trim_is_relook(fuse_req_ctx(req)->pid)) {
        gs_ops_now_begin();
        lookup_kept(req, fs, parent, name);
        gs_ops_now_end();
        gs_ops_put_node(fs, parent);
        return 1;
    }
    struct fuse_entry_param ep;
    struct gs_dirent e;
    enum gs_kind kind = gs_node_kind(parent);
    gs_ops_now_begin();
    /* a rules directory's names come from one cached schema; the other
     * directories' names that need nothing else (gs_tree_lookup_cached):
     * the ones a warm walk or cat looks up again at entry_timeout */
    int r = gs_ops_lists_from_cache(kind) ? gs_tree_lookup(fs, parent, name, &e) : gs_tree_lookup_cached(fs, parent, name, &e);
    if (r == 0) {
        r = attr_from_cache(e.kind) ? gs_ops_make_entry(fs, parent, &e, &ep) : -EWOULDBLOCK;
        r = r == -ENOENT ? -EWOULDBLOCK : r; /* ENOENT from make_entry: a race, the pool's */
        gs_dirent_clear(&e);
    }
    gs_ops_now_end();
    gs_ops_put_node(fs, parent);
    if (r == -ENOENT) /* the fresh schema, or the fixed directory, has no such name */
        fuse_reply_err(req, ENOENT);
    else if (r == 0)
        fuse_reply_entry(req, &ep);
    return r == 0 || r == -ENOENT;
}

int gs_ops_getattr_now(fuse_req_t req, fuse_ino_t ino)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_get_node(fs, ino);
    if (!n)
        return 0;
    struct stat st;
    int r = -EWOULDBLOCK;
    if (attr_from_cache(gs_node_kind(n))) {
        gs_ops_now_begin();
        r = gs_ops_fill_attr(fs, n, &st);
        gs_ops_now_end();
    }
    gs_ops_put_node(fs, n);
    if (r == 0)
        fuse_reply_attr(req, &st, fs->cfg.attr_timeout);
    return r == 0;
}

/* Released handles kept for the next opens: with malloc's per-thread
 * caches off (malloc_tune.h), each warm open and close cost an allocation
 * and a free in a shared arena (bench warm). */
#define SPARE_HANDLES 32

/* A zeroed handle with its lock made: a spare one, else a new one. */
static struct gs_fh *fh_new(struct gs_fs *fs)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_open *o = fs->spare_handles;
    if (o) {
        fs->spare_handles = o->next;
        fs->nspare--;
    }
    pthread_mutex_unlock(&fs->lock);
    struct gs_fh *fh = o ? (struct gs_fh *)(void *)o : malloc(sizeof(*fh));
    if (!fh)
        return NULL;
    memset(fh, 0, sizeof(*fh));
    pthread_mutex_init(&fh->lock, NULL);
    return fh;
}

/* What handle fh holds, let go once it left fs->open_handles. */
static void fh_clear(struct gs_fh *fh)
{
    gs_blob_unref(fh->blob);
    fh->blob = NULL;
    free(fh->buf);
    fh->buf = NULL;
    pthread_mutex_destroy(&fh->lock);
}

/* The memory of a cleared handle: kept as a spare (1), or to be freed (0). */
static int fh_keep_locked(struct gs_fs *fs, struct gs_fh *fh)
{
    if (fs->nspare >= SPARE_HANDLES)
        return 0;
    fh->link.next = fs->spare_handles;
    fs->spare_handles = &fh->link;
    fs->nspare++;
    return 1;
}

/* What handle fh holds, and fh, freed once it left fs->open_handles and
 * the page-cache count. */
static void fh_destroy(struct gs_fh *fh)
{
    fh_clear(fh);
    free(fh);
}

void gs_ops_free_fh(struct gs_fs *fs, struct gs_fh *fh)
{
    pthread_mutex_lock(&fs->lock);
    gs_open_unlink(fs, &fh->link);
    pthread_mutex_unlock(&fs->lock);
    if (fh->pc_mode >= 0 && gs_pagecache_release(fs, fh->node, (enum gs_pc_open)fh->pc_mode))
        gs_inval_push_ino(fs->inval, fh->node->ino);
    fh_destroy(fh);
}

/* After an open adopted new bytes into the page cache (pagecache.h): drops
 * the kernel's pages and attributes of the inode before the open returns, so
 * that no attributes told earlier (another size) stay valid for this reader's
 * first page-cache read: it asks again (GETATTR) and is told the size of its
 * own bytes. The kernel holds no lock of this inode during an open, and the
 * pages it drops are read again by other worker threads, so this cannot wait
 * on this request. When that fails, the handle reads with direct I/O. */
static void drop_kernel_view(struct gs_fs *fs, struct gs_fh *fh)
{
    int r = fs->se ? fuse_lowlevel_notify_inval_inode(fs->se, fh->node->ino, 0, 0) : -ENOTCONN;
    gs_pagecache_adopted(fs, fh->node, r == 0);
    if (r == 0)
        return;
    gs_debug("invalidate inode %llu at open: %s; reading it with direct I/O",
             (unsigned long long)fh->node->ino, strerror(-r));
    fh->pc_mode = -1;
}

struct gs_fs *gs_ops_fs(fuse_req_t req)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    gs_audit_set_caller(ctx->uid, ctx->pid);
    return fuse_req_userdata(req);
}

/* Whether node n, of kind `kind`, may be opened with access mode acc. */
static int open_allowed(struct gs_fs *fs, const struct gs_node *n, enum gs_kind kind, int acc)
{
    const struct gs_kind_info *ki = gs_kind_info(kind);
    int writing = acc != O_RDONLY;
    if (ki->type == S_IFDIR)
        return -EISDIR;
    if (writing && fs->cfg.read_only)
        return -EROFS;
    int can_write = kind == GS_K_SCRATCH || gs_kind_has(kind, GS_KF_EDITABLE) || gs_kind_has(kind, GS_KF_CONTROL);
    if (writing && (!can_write || gs_rules_read_only(n)))
        return -EACCES;
    if (acc != O_WRONLY && gs_kind_has(kind, GS_KF_CONTROL) && !(ki->perm & 0400))
        return -EACCES;
    return 0;
}

/* What a new handle starts with: the bytes its reads return, and for a
 * document open for writing, its new content: the current one, or empty
 * with O_TRUNC. */
static int fh_fill(struct gs_fs *fs, struct gs_node *n, struct gs_fh *fh, int acc, int truncating)
{
    struct timespec mtime;
    if (fh->kind == GS_K_SCRATCH)
        return truncating ? gs_scratch_truncate(fs->scratch, n->owner, gs_node_name(n), 0) : 0;
    if (gs_kind_has(fh->kind, GS_KF_CONTROL))
        return acc != O_WRONLY ? gs_content_get(fs, n, &fh->blob, &mtime) : 0;
    int editing = fh->writing && gs_kind_has(fh->kind, GS_KF_EDITABLE);
    if (editing && truncating) {
        fh->dirty = 1;
        return 0;
    }
    int r = gs_content_get(fs, n, &fh->blob, &mtime);
    if (r < 0 || !editing || !fh->blob->len)
        return r;
    fh->buf = malloc(fh->blob->len);
    if (!fh->buf)
        return -ENOMEM;
    memcpy(fh->buf, fh->blob->data, fh->blob->len);
    fh->cap = fh->len = fh->blob->len;
    return 0;
}

/* With fs->lock: 1 when a handle reading outside the page cache has other
 * bytes than the size the kernel was told. */
static int fh_size_stale_locked(const struct gs_node *n, const struct gs_fh *fh)
{
    return fh->blob && fh->pc_mode < 0 && n->reported_size != (int64_t)fh->blob->len;
}

/* A filled handle of n becomes one of the open handles, with its page-cache
 * policy (pagecache.h), in one hold of fs->lock; 1 when the kernel believes
 * another size than the handle's bytes and should ask again. */
static int fh_publish(struct gs_fs *fs, struct gs_node *n, struct gs_fh *fh, int may_cache)
{
    pthread_mutex_lock(&fs->lock);
    if (may_cache && fh->blob && gs_pagecache_eligible(n, fh->writing))
        fh->pc_mode = (int)gs_pagecache_open_locked(n, fh->blob);
    gs_open_link(fs, &fh->link);
    if (fh->writing && gs_kind_has(fh->kind, GS_KF_CONTROL))
        n->ctl_fh = fh; /* a timestamp update without a handle acts through it */
    int stale = fh_size_stale_locked(n, fh);
    pthread_mutex_unlock(&fs->lock);
    if (fh->pc_mode != GS_PC_ADOPT)
        return stale;
    drop_kernel_view(fs, fh); /* on failure the handle reads directly */
    pthread_mutex_lock(&fs->lock);
    stale = fh_size_stale_locked(n, fh);
    pthread_mutex_unlock(&fs->lock);
    return stale;
}

int gs_ops_open_node(struct gs_fs *fs, struct gs_node *n, struct fuse_file_info *fi, int may_cache)
{
    int acc = fi->flags & O_ACCMODE;
    enum gs_kind kind = gs_node_kind(n);
    int r = open_allowed(fs, n, kind, acc);
    if (r < 0)
        return r;
    struct gs_fh *fh = fh_new(fs);
    if (!fh)
        return -ENOMEM;
    fh->writing = acc != O_RDONLY;
    fh->kind = kind;
    fh->pc_mode = -1;
    r = fh_fill(fs, n, fh, acc, fh->writing && (fi->flags & O_TRUNC));
    if (r < 0) {
        gs_ops_free_fh(fs, fh);
        return r;
    }
    fh->node = n;
    int stale = fh_publish(fs, n, fh, may_cache);
    int control = gs_kind_has(kind, GS_KF_CONTROL);
    fi->fh = (uintptr_t)fh;
    /* Every read is served from this handle's snapshot. Outside the page-cache
     * policy (pagecache.h) that means direct I/O: the kernel's idea of the
     * size (changed by a writer's O_TRUNC, or not yet refreshed after Graph
     * changed) can then never cut or pad what a reader gets. */
    fi->keep_cache = fh->pc_mode == GS_PC_KEEP;
    fi->direct_io = fh->pc_mode != GS_PC_KEEP && fh->pc_mode != GS_PC_ADOPT;
    /* a read-only handle has nothing to commit: its close costs no FLUSH */
    fi->noflush = !fh->writing;
    fi->nonseekable = control;
    if (stale) /* the kernel believes an older size: refresh its view for stat(2) */
        gs_inval_push_ino(fs->inval, n->ino);
    return 0;
}

static void gs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_node_or_enoent(req, ino);
    if (!n)
        return;
    int r = gs_ops_open_node(fs, n, fi, 1);
    if (r < 0) {
        gs_ops_put_node(fs, n);
        fuse_reply_err(req, -r);
        return;
    }
    if (fuse_reply_open(req, fi) != 0) {
        gs_ops_free_fh(fs, (struct gs_fh *)(uintptr_t)fi->fh);
        gs_ops_put_node(fs, n);
    }
}

static void reply_slice(fuse_req_t req, const char *data, size_t len, size_t size, off_t off)
{
    if (off < 0 || (size_t)off >= len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    size_t n = len - (size_t)off;
    fuse_reply_buf(req, data + off, n < size ? n : size);
}

static void gs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)ino;
    struct gs_fs *fs = FS(req);
    struct gs_fh *fh = (struct gs_fh *)(uintptr_t)fi->fh;
    struct gs_node *n = fh->node;
    if (fh->kind == GS_K_SCRATCH) {
        struct gs_blob *b = NULL;
        int r = gs_scratch_read(fs->scratch, n->owner, gs_node_name(n), &b);
        if (r < 0) {
            fuse_reply_err(req, -r);
            return;
        }
        reply_slice(req, b->data, b->len, size, off);
        gs_blob_unref(b);
        return;
    }
    if (gs_kind_has(fh->kind, GS_KF_GROWS)) {
        /* a log only grows and its bytes never change: every read sees the
         * newest bytes (polled when due), so tail -f follows it */
        struct gs_blob *b = NULL;
        struct timespec mtime;
        int r = gs_content_get(fs, n, &b, &mtime);
        if (r < 0 && fh->blob)
            b = gs_blob_ref(fh->blob);
        if (!b) {
            fuse_reply_err(req, r < 0 ? -r : EIO);
            return;
        }
        reply_slice(req, b->data, b->len, size, off);
        gs_blob_unref(b);
        return;
    }
    pthread_mutex_lock(&fh->lock);
    if (fh->writing && gs_kind_has(fh->kind, GS_KF_EDITABLE))
        reply_slice(req, fh->buf ? fh->buf : "", fh->len, size, off);
    else if (fh->blob)
        reply_slice(req, fh->blob->data, fh->blob->len, size, off);
    else
        fuse_reply_err(req, EBADF);
    pthread_mutex_unlock(&fh->lock);
}

static void gs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    struct gs_fs *fs = FS(req);
    struct gs_fh *fh = (struct gs_fh *)(uintptr_t)fi->fh;
    struct gs_node *n = fh->node;
    pthread_mutex_lock(&fs->lock);
    if (n->ctl_fh == fh)
        n->ctl_fh = NULL;
    /* a setattr that borrowed this handle from the node gives it back first */
    while (fh->borrowers)
        pthread_cond_wait(&fs->fh_returned, &fs->lock);
    pthread_mutex_unlock(&fs->lock);
    /* The kernel sends the release as soon as it has the last read's reply,
     * while the thread that wrote that reply may still be returning from
     * writev with fh->blob (a sanitizer checks the bytes after the call):
     * gs_read holds fh->lock until it is done with them. */
    pthread_mutex_lock(&fh->lock);
    pthread_mutex_unlock(&fh->lock);
    gs_ops_free_fh(fs, fh);
    gs_ops_put_node(fs, n);
    fuse_reply_err(req, 0);
}

/* df -i tells the names the daemon holds for the kernel (used) against
 * max_names (total; model/subtrees.h); blocks are not counted. */
static void gs_statfs(fuse_req_t req, fuse_ino_t ino)
{
    (void)ino;
    struct gs_fs *fs = FS(req);
    struct statvfs sv;
    memset(&sv, 0, sizeof(sv));
    sv.f_bsize = 4096;
    sv.f_frsize = 4096;
    sv.f_namemax = 255;
    pthread_mutex_lock(&fs->lock);
    size_t held = fs->by_ino.count;
    pthread_mutex_unlock(&fs->lock);
    size_t total = fs->cfg.max_names > held ? fs->cfg.max_names : held;
    sv.f_files = total;
    sv.f_ffree = sv.f_favail = total - held;
    fuse_reply_statfs(req, &sv);
}

/* Extended attributes: where a file comes from (DESIGN.md section 3). */
#define XA_URL "user.graphsyncfs.url"
#define XA_FETCHED "user.graphsyncfs.fetched"
#define XA_REQID "user.graphsyncfs.request_id"
#define XA_STALE "user.graphsyncfs.stale" /* only while a copy past its time-to-live is served */

static int xattr_value(struct gs_fs *fs, struct gs_node *n, const char *name, char **out)
{
    *out = NULL;
    if (!gs_node_key(n))
        return -ENODATA;
    if (strcmp(name, XA_STALE) == 0) {
        pthread_mutex_lock(&fs->lock);
        *out = n->stale ? strdup(n->stale) : NULL;
        int had = n->stale != NULL;
        pthread_mutex_unlock(&fs->lock);
        return *out ? 0 : had ? -ENOMEM : -ENODATA;
    }
    if (strcmp(name, XA_URL) == 0) {
        *out = gs_client_url(fs->client, gs_node_key(n));
        return *out ? 0 : -ENOMEM;
    }
    if (strcmp(name, XA_FETCHED) != 0 && strcmp(name, XA_REQID) != 0)
        return -ENODATA;
    struct gs_doc *doc = NULL;
    if (gs_node_kind(n) == GS_K_SP_JSON)
        gs_tree_fill_sp(fs, n->sp);
    if (gs_cache_get(fs->cache, gs_node_key(n), gs_kind_info(gs_node_kind(n))->ttl, GS_GET_CACHED_ONLY, &doc, NULL) != 0)
        return -ENODATA;
    int r = 0;
    if (strcmp(name, XA_FETCHED) == 0) {
        struct tm tm;
        char buf[64];
        gmtime_r(&doc->fetched_at.tv_sec, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        *out = strdup(buf);
    } else if (doc->request_id[0]) {
        *out = strdup(doc->request_id);
    } else {
        r = -ENODATA;
    }
    gs_doc_unref(doc);
    if (r == 0 && !*out)
        r = -ENOMEM;
    return r;
}

static void gs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_node_or_enoent(req, ino);
    if (!n)
        return;
    char *v = NULL;
    int r = xattr_value(fs, n, name, &v);
    gs_ops_put_node(fs, n);
    if (r < 0) {
        fuse_reply_err(req, -r);
        return;
    }
    size_t len = strlen(v);
    if (size == 0)
        fuse_reply_xattr(req, len);
    else if (size < len)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, v, len);
    free(v);
}

static void gs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_node_or_enoent(req, ino);
    if (!n)
        return;
    char list[128];
    size_t len = 0;
    if (gs_node_key(n)) {
        static const char *names[] = {XA_URL, XA_FETCHED, XA_REQID, XA_STALE};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            char *v = NULL;
            if (xattr_value(fs, n, names[i], &v) == 0) {
                size_t l = strlen(names[i]) + 1;
                memcpy(list + len, names[i], l);
                len += l;
            }
            free(v);
        }
    }
    gs_ops_put_node(fs, n);
    if (size == 0)
        fuse_reply_xattr(req, len);
    else if (size < len)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, list, len);
}

void gs_ops_free_open_handles(struct gs_fs *fs)
{
    while (fs->spare_handles) {
        struct gs_open *o = fs->spare_handles;
        fs->spare_handles = o->next;
        free(o);
    }
    fs->nspare = 0;
    while (fs->open_handles) {
        struct gs_open *o = fs->open_handles;
        gs_ops_free_fh(fs, (struct gs_fh *)o); /* directories have no handle of ours */
    }
}

const struct fuse_lowlevel_ops gs_ops = {
    .init = gs_init,
    .lookup = gs_lookup,
    .forget = gs_forget,
    .forget_multi = gs_forget_multi,
    .getattr = gs_getattr,
    .readlink = gs_readlink,
    .opendir = gs_ops_opendir,
    .readdir = gs_ops_readdir,
    .readdirplus = gs_ops_readdirplus,
    .releasedir = gs_ops_releasedir,
    .open = gs_open,
    .read = gs_read,
    .release = gs_release,
    .statfs = gs_statfs,
    .create = gs_ops_create,
    .write = gs_ops_write,
    .setattr = gs_ops_setattr,
    .flush = gs_ops_flush,
    .fsync = gs_ops_fsync,
    .unlink = gs_ops_unlink,
    .rename = gs_ops_rename,
    .rmdir = gs_ops_rmdir,
    .mkdir = gs_ops_mkdir,
    .mknod = gs_ops_mknod,
    .getxattr = gs_getxattr,
    .listxattr = gs_listxattr,
};

/* ------------------------------------------------------------ warm files
 * A warm cat (open, reads, close of a cached document) answered on libfuse's
 * thread: each hand-over to the request pool cost more than the answer
 * (bench: warm open-read-close 1.8x the minimal FUSE filesystem keeping its
 * page cache, 0.9x before every call went to the pool). Only what asks
 * Graph for nothing: a read-only open whose bytes are cached fresh, reads
 * and the release of a read-only handle (its bytes are in memory; a handle
 * that writes may hold fh->lock across its save). */

int gs_ops_open_now(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    if ((fi->flags & O_ACCMODE) != O_RDONLY)
        return 0;
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_get_node(fs, ino);
    if (!n)
        return 0;
    int r = -EWOULDBLOCK;
    if (attr_from_cache(gs_node_kind(n)) && gs_pagecache_eligible(n, 0)) {
        gs_ops_now_begin();
        r = gs_ops_open_node(fs, n, fi, 1);
        gs_ops_now_end();
    }
    if (r < 0) { /* the pool opens it again, and tells a failure */
        gs_ops_put_node(fs, n);
        return 0;
    }
    if (fuse_reply_open(req, fi) != 0) {
        gs_ops_free_fh(fs, (struct gs_fh *)(uintptr_t)fi->fh);
        gs_ops_put_node(fs, n);
    }
    return 1;
}

/* A handle that only reads, and whose reads do not poll Graph (a log's do). */
static int reads_memory(const struct gs_fh *fh)
{
    return !fh->writing && !gs_kind_has(fh->kind, GS_KF_GROWS);
}

int gs_ops_read_now(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    if (!reads_memory((const struct gs_fh *)(uintptr_t)fi->fh))
        return 0;
    gs_read(req, ino, size, off, fi);
    return 1;
}

/* gs_release of a handle that only reads: it never became its node's ctl_fh
 * (only a writer does), so nothing borrows it, and what gs_release does
 * under fs->lock four times (a warm cat's close) is done in one go. */
static void release_reader(struct gs_fs *fs, struct gs_fh *fh)
{
    struct gs_node *n = fh->node;
    pthread_mutex_lock(&fh->lock); /* a read still replying: see gs_release */
    pthread_mutex_unlock(&fh->lock);
    fh_clear(fh); /* nothing else reads it: only the shutdown walks fs->open_handles */
    pthread_mutex_lock(&fs->lock);
    gs_open_unlink(fs, &fh->link);
    int refresh = fh->pc_mode >= 0 && gs_pagecache_release_locked(n, (enum gs_pc_open)fh->pc_mode);
    if (!refresh)
        gs_node_unpin(fs, n);
    int kept = fh_keep_locked(fs, fh);
    pthread_mutex_unlock(&fs->lock);
    if (!kept)
        free(fh);
    if (refresh) { /* the node stays pinned while its inode is queued */
        gs_inval_push_ino(fs->inval, n->ino);
        gs_ops_put_node(fs, n);
    }
}

int gs_ops_release_now(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    struct gs_fh *fh = (struct gs_fh *)(uintptr_t)fi->fh;
    if (fh->writing)
        return 0;
    release_reader(FS(req), fh);
    fuse_reply_err(req, 0);
    return 1;
}

/* FUSE operations that change things: document saves, control files,
 * scratch files, renames, job deletion (DESIGN.md sections 4 and 5). The
 * result of a save or an action is the result of the system call that
 * triggered it: write, fsync, close (flush), rename or utimensat. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs/kernel/ops.h"
#include "fs/actions/rules/rules.h"
#include "fs/views/content.h"
#include "fs/actions/act.h"
#include "fs/actions/audit.h"
#include "fs/actions/control.h"
#include "fs/actions/control_input.h"
#include "fs/actions/document.h"
#include "fs/actions/job.h"
#include "fs/model/errors.h"
#include "fs/kernel/inval.h"
#include "fs/kernel/ops_internal.h"
#include "fs/actions/scratch.h"
#include "fs/views/tree.h"
#include "fs/model/node_error.h"

/* Written documents and control input larger than this are refused. */
#define GS_WRITE_MAX (16u << 20)

static int is_edit_dir(const struct gs_node *dir)
{
    return gs_kind_is_edit_dir(gs_node_kind(dir));
}

/* The document kind called `name` in dir, or GS_K_COUNT. */
static enum gs_kind document_named(const struct gs_node *dir, const char *name)
{
    return gs_kind_document_named(gs_node_kind(dir), name);
}

/* Makes room for len bytes in a handle's buffer. */
static int fh_reserve(struct gs_fh *fh, size_t len)
{
    if (len > GS_WRITE_MAX)
        return -EFBIG;
    if (len <= fh->cap)
        return 0;
    size_t cap = fh->cap ? fh->cap : 4096;
    while (cap < len)
        cap *= 2;
    char *b = realloc(fh->buf, cap);
    if (!b)
        return -ENOMEM;
    fh->buf = b;
    fh->cap = cap;
    return 0;
}

static int fh_put(struct gs_fh *fh, const char *data, size_t size, off_t off)
{
    if (off < 0)
        return -EINVAL;
    int r = fh_reserve(fh, (size_t)off + size);
    if (r < 0)
        return r;
    if ((size_t)off > fh->len)
        memset(fh->buf + fh->len, 0, (size_t)off - fh->len);
    memcpy(fh->buf + off, data, size);
    if ((size_t)off + size > fh->len)
        fh->len = (size_t)off + size;
    return 0;
}

/* A staged rules edit (or its commit or discard) succeeded: what the kernel
 * holds of every node of that schema is dropped (their key is the schema's). */
static void rules_changed(struct gs_fs *fs, const struct gs_node *n, int r)
{
    const struct gs_node_id *id = gs_node_id(n);
    if (r == 0 && gs_kind_has(id->kind, GS_KF_RULES) && id->key)
        gs_inval_push_key(fs->inval, id->key);
}

/* Commits a dirty document handle (fh->lock held). */
static int fh_commit(struct gs_fs *fs, struct gs_fh *fh)
{
    if (!fh->dirty)
        return fh->result;
    fh->dirty = 0;
    fh->result = gs_document_commit(fs, fh->node, fh->kind, fh->buf ? fh->buf : "", fh->len);
    rules_changed(fs, fh->node, fh->result);
    return fh->result;
}

/* Runs a control handle's action once (fh->lock held). */
static int fh_act(struct gs_fs *fs, struct gs_fh *fh)
{
    if (fh->acted)
        return fh->result;
    fh->acted = 1;
    fh->result = gs_act(fs, fh->node, fh->buf ? fh->buf : "", fh->len);
    rules_changed(fs, fh->node, fh->result);
    return fh->result;
}

void gs_ops_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                  struct fuse_file_info *fi)
{
    (void)ino;
    struct gs_fs *fs = FS(req);
    struct gs_fh *fh = (struct gs_fh *)(uintptr_t)fi->fh;
    struct gs_node *n = fh->node;
    int r;
    if (fh->kind == GS_K_SCRATCH) {
        r = gs_scratch_write(fs->scratch, n->owner, gs_node_name(n), buf, size, off);
    } else if (!fh->writing) {
        r = -EBADF;
    } else {
        pthread_mutex_lock(&fh->lock);
        if (gs_kind_has(fh->kind, GS_KF_EDITABLE)) {
            r = fh_put(fh, buf, size, off);
            if (r == 0) {
                fh->dirty = 1;
                /* the write that completes a document saves it (a rules
                 * file: stages it, at the end of each line) */
                if (gs_kind_has(fh->kind, GS_KF_STAGED) ? gs_rules_complete(fh->buf, fh->len)
                                                       : gs_json_complete(fh->buf, fh->len))
                    r = fh_commit(fs, fh);
            } else if (r == -EFBIG) {
                /* what was kept is not the document: close must not save it */
                fh->dirty = 0;
                fh->result = r;
            }
        } else if (fh->acted) {
            gs_warn("%s: the action already ran for this open file; open it again", gs_node_name(n));
            r = -EINVAL;
        } else {
            /* control input is a stream: appended whatever the offset */
            r = fh_put(fh, buf, size, (off_t)fh->len);
            if (r == 0 && gs_input_complete(fh->buf, fh->len))
                r = fh_act(fs, fh);
            else if (r == -EFBIG) {
                /* input cut short is no input: close must not act on it */
                fh->acted = 1;
                fh->result = r;
            }
        }
        pthread_mutex_unlock(&fh->lock);
    }
    if (r < 0)
        fuse_reply_err(req, -r);
    else
        fuse_reply_write(req, size);
}

static int commit_point(struct gs_fs *fs, struct gs_fh *fh)
{
    int r = 0;
    if (!fh->writing)
        return 0;
    pthread_mutex_lock(&fh->lock);
    /* A shell redirection dup2()s the new file and closes the original
     * descriptor before writing: that flush has no input yet. */
    if (gs_kind_has(fh->kind, GS_KF_STAGED))
        r = fh->dirty && fh->len == 0 ? 0 /* O_TRUNC before the shell's write; "\n" empties a file */
                                      : fh_commit(fs, fh);
    else if (gs_kind_has(fh->kind, GS_KF_EDITABLE))
        r = fh->dirty && fh->len == 0 ? -EINVAL /* an empty document; later writes may still come */
                                      : fh_commit(fs, fh);
    else if (gs_kind_has(fh->kind, GS_KF_CONTROL) && fh->len > 0)
        r = fh_act(fs, fh);
    else if (gs_kind_has(fh->kind, GS_KF_CONTROL))
        r = fh->acted ? fh->result : 0;
    pthread_mutex_unlock(&fh->lock);
    return r;
}

void gs_ops_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    int r = commit_point(FS(req), (struct gs_fh *)(uintptr_t)fi->fh);
    fuse_reply_err(req, -r);
}

int gs_ops_flush_now(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    const struct gs_fh *fh = (const struct gs_fh *)(uintptr_t)fi->fh;
    if (fh->writing)
        return 0;
    fuse_reply_err(req, 0); /* a reader's close commits nothing (commit_point) */
    return 1;
}

void gs_ops_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
    (void)ino;
    (void)datasync;
    int r = commit_point(FS(req), (struct gs_fh *)(uintptr_t)fi->fh);
    fuse_reply_err(req, -r);
}

static void reply_attr(fuse_req_t req, struct gs_fs *fs, struct gs_node *n, int r)
{
    struct stat st;
    if (r == 0)
        r = gs_ops_fill_attr(fs, n, &st);
    gs_ops_put_node(fs, n);
    if (r < 0)
        fuse_reply_err(req, -r);
    else
        fuse_reply_attr(req, &st, fs->cfg.attr_timeout);
}

#define TIMES (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW)

static void now_or(struct timespec *t, const struct stat *attr, int is_mtime, int now)
{
    if (now)
        clock_gettime(CLOCK_REALTIME, t);
    else
        *t = is_mtime ? attr->st_mtim : attr->st_atim;
}

static int setattr_scratch(struct gs_fs *fs, struct gs_node *n, const struct stat *attr, int to_set)
{
    int r = 0;
    const char *name = gs_node_name(n);
    if (to_set & FUSE_SET_ATTR_SIZE)
        r = gs_scratch_truncate(fs->scratch, n->owner, name, attr->st_size);
    if (r < 0 || !(to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID | TIMES)))
        return r;
    struct timespec at, mt;
    now_or(&at, attr, 0, to_set & FUSE_SET_ATTR_ATIME_NOW);
    now_or(&mt, attr, 1, to_set & FUSE_SET_ATTR_MTIME_NOW);
    return gs_scratch_setattr(fs->scratch, n->owner, name,
                              to_set & FUSE_SET_ATTR_MODE ? &attr->st_mode : NULL,
                              to_set & FUSE_SET_ATTR_UID ? &attr->st_uid : NULL,
                              to_set & FUSE_SET_ATTR_GID ? &attr->st_gid : NULL,
                              to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW) ? &at : NULL,
                              to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW) ? &mt : NULL);
}

/* Runs the action through the handle open for writing that another request
 * owns: borrowed under fs->lock, waited for without it (its action may be in
 * flight: an HTTP request), and given back so that its release may free it
 * (see gs_release). */
static int act_borrowed(struct gs_fs *fs, struct gs_node *n)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_fh *fh = n->ctl_fh;
    if (fh)
        fh->borrowers++;
    pthread_mutex_unlock(&fs->lock);
    if (!fh) {
        int r = gs_act(fs, n, "", 0);
        rules_changed(fs, n, r);
        return r;
    }
    pthread_mutex_lock(&fh->lock);
    int r = fh_act(fs, fh);
    pthread_mutex_unlock(&fh->lock);
    pthread_mutex_lock(&fs->lock);
    fh->borrowers--;
    pthread_cond_broadcast(&fs->fh_returned);
    pthread_mutex_unlock(&fs->lock);
    return r;
}

/* `touch start`: a timestamp update is the action, once per handle. A
 * truncation (echo > file) comes with times too: it is not a touch. Modes
 * change nothing. */
static int setattr_control(struct gs_fs *fs, struct gs_node *n, struct gs_fh *fh, int to_set)
{
    if (!(to_set & TIMES) || (to_set & FUSE_SET_ATTR_SIZE))
        return 0;
    if (!fh || !fh->writing)
        return act_borrowed(fs, n); /* futimens(2) reaches us without its handle */
    pthread_mutex_lock(&fh->lock);
    int r = fh_act(fs, fh);
    pthread_mutex_unlock(&fh->lock);
    return r;
}

/* A document's size changes only in a handle open for writing; its modes
 * and times are Graph's: accepted, unchanged. */
static int setattr_document(struct gs_fh *fh, const struct stat *attr, int to_set)
{
    if (!(to_set & FUSE_SET_ATTR_SIZE))
        return 0;
    if (!fh || !fh->writing)
        return -EINVAL; /* a truncated document is not a document */
    int r = 0;
    pthread_mutex_lock(&fh->lock);
    if ((size_t)attr->st_size > fh->len)
        r = fh_put(fh, "", 0, attr->st_size); /* extends with zeros */
    else
        fh->len = (size_t)attr->st_size;
    fh->dirty = 1;
    pthread_mutex_unlock(&fh->lock);
    return r;
}

void gs_ops_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                    struct fuse_file_info *fi)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *n = gs_ops_node_or_enoent(req, ino);
    if (!n)
        return;
    struct gs_fh *fh = fi ? (struct gs_fh *)(uintptr_t)fi->fh : NULL;
    enum gs_kind kind = gs_node_kind(n);
    int r = 0;
    if (fs->cfg.read_only)
        r = -EROFS;
    else if (kind == GS_K_SCRATCH)
        r = setattr_scratch(fs, n, attr, to_set);
    else if (gs_kind_has(kind, GS_KF_CONTROL))
        r = setattr_control(fs, n, fh, to_set);
    else if (gs_kind_has(kind, GS_KF_EDITABLE))
        r = setattr_document(fh, attr, to_set);
    else if (to_set & (FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
        r = gs_kind_info(kind)->type == S_IFDIR ? -EPERM : -EACCES;
    else if (to_set & TIMES)
        r = -EPERM;
    reply_attr(req, fs, n, r);
}

/* Opens a node the kernel is about to learn through create. */
static void reply_create(fuse_req_t req, struct gs_fs *fs, struct gs_node *dir, const char *name,
                         struct fuse_file_info *fi)
{
    struct gs_dirent e;
    struct fuse_entry_param ep;
    int r = gs_tree_lookup(fs, dir, name, &e);
    if (r == 0) {
        r = gs_ops_make_entry(fs, dir, &e, &ep);
        gs_dirent_clear(&e);
    }
    if (r < 0) {
        gs_ops_put_node(fs, dir);
        fuse_reply_err(req, -r);
        return;
    }
    struct gs_node *n = gs_ops_get_node(fs, ep.ino);
    r = n ? gs_ops_open_node(fs, n, fi, 0) : -ENOENT; /* its entry was told another way */
    if (r < 0) {
        if (n)
            gs_ops_put_node(fs, n);
        /* the kernel never hears of this entry: give its lookup back */
        pthread_mutex_lock(&fs->lock);
        struct gs_node *c = gs_node_by_ino(fs, ep.ino);
        if (c)
            gs_node_forget(fs, c, 1);
        pthread_mutex_unlock(&fs->lock);
        gs_ops_put_node(fs, dir);
        fuse_reply_err(req, -r);
        return;
    }
    gs_ops_put_node(fs, dir);
    if (fuse_reply_create(req, &ep, fi) != 0) {
        gs_ops_free_fh(fs, (struct gs_fh *)(uintptr_t)fi->fh);
        gs_ops_put_node(fs, n);
    }
}


void gs_ops_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                   struct fuse_file_info *fi)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_node_or_enoent(req, parent);
    if (!dir)
        return;
    int r = 0;
    if (!fs->cfg.read_only && gs_kind_has(gs_node_kind(dir), GS_KF_RULES_DIR)) {
        /* a field of an attribute made by mkdir (cp -r), or sed -i's temporary file */
        const struct fuse_ctx *ctx = fuse_req_ctx(req);
        r = strlen(name) > 255 ? -ENAMETOOLONG : gs_rules_create(fs, dir, name, mode, ctx->uid, ctx->gid);
        if (r == 0) {
            fi->flags |= O_TRUNC;
            reply_create(req, fs, dir, name, fi);
            return;
        }
        gs_ops_put_node(fs, dir);
        fuse_reply_err(req, -r);
        return;
    }
    if (fs->cfg.read_only)
        r = -EROFS;
    else if (!is_edit_dir(dir))
        r = -EACCES;
    else if (strlen(name) > 255)
        r = -ENAMETOOLONG;
    if (r == 0 && document_named(dir, name) != GS_K_COUNT && gs_tree_is_hidden(fs, dir, name)) {
        /* an editor re-creates the document it renamed away: a truncating save */
        gs_tree_hide(fs, dir, name, 0);
        fi->flags |= O_TRUNC;
        reply_create(req, fs, dir, name, fi);
        return;
    }
    if (r == 0) {
        struct gs_dirent e;
        r = gs_tree_lookup(fs, dir, name, &e);
        if (r == 0) {
            gs_dirent_clear(&e);
            if (fi->flags & O_EXCL) {
                r = -EEXIST;
            } else {
                reply_create(req, fs, dir, name, fi);
                return;
            }
        } else if (r == -ENOENT) {
            const struct fuse_ctx *ctx = fuse_req_ctx(req);
            r = gs_scratch_create(fs->scratch, dir->owner, name, mode & 07777, ctx->uid, ctx->gid, NULL, 0);
            if (r == 0) {
                reply_create(req, fs, dir, name, fi);
                return;
            }
        }
    }
    gs_ops_put_node(fs, dir);
    fuse_reply_err(req, -r);
}

void gs_ops_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
    (void)rdev;
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_node_or_enoent(req, parent);
    if (!dir)
        return;
    int r = fs->cfg.read_only ? -EROFS : (!is_edit_dir(dir) || !S_ISREG(mode)) ? -EPERM : 0;
    struct gs_dirent e;
    if (r == 0 && gs_tree_lookup(fs, dir, name, &e) == 0) {
        gs_dirent_clear(&e);
        r = -EEXIST;
    }
    if (r == 0) {
        const struct fuse_ctx *ctx = fuse_req_ctx(req);
        r = gs_scratch_create(fs->scratch, dir->owner, name, mode & 07777, ctx->uid, ctx->gid, NULL, 0);
    }
    struct fuse_entry_param ep;
    if (r == 0 && (r = gs_tree_lookup(fs, dir, name, &e)) == 0) {
        r = gs_ops_make_entry(fs, dir, &e, &ep);
        gs_dirent_clear(&e);
    }
    gs_ops_put_node(fs, dir);
    if (r < 0)
        fuse_reply_err(req, -r);
    else
        fuse_reply_entry(req, &ep);
}

void gs_ops_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_node_or_enoent(req, parent);
    if (!dir)
        return;
    int r;
    struct gs_dirent e;
    if (fs->cfg.read_only) {
        r = -EROFS;
    } else if ((r = gs_tree_lookup(fs, dir, name, &e)) == 0) {
        if (e.kind == GS_K_SCRATCH) {
            r = gs_scratch_unlink(fs->scratch, dir->owner, name);
        } else if (gs_kind_has(e.kind, GS_KF_EDITABLE) && !gs_kind_has(e.kind, GS_KF_STAGED)) {
            /* `mv` from another filesystem removes the target before it
             * copies: the document stays in Graph (nothing is sent); its name
             * is hidden until it is created again, as after rename_backup. */
            gs_tree_hide(fs, dir, name, 1);
            r = 0;
        } else {
            r = -EPERM; /* Graph's objects go with rmdir (jobs) or not at all */
        }
        gs_dirent_clear(&e);
    }
    gs_ops_put_node(fs, dir);
    fuse_reply_err(req, -r);
}

/* Moves the kernel-known node of (dir, from) to (dir, to) as kind. */
static void move_node(struct gs_fs *fs, struct gs_node *dir, const char *from, const char *to, enum gs_kind kind)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_find(fs, dir, from);
    if (n && gs_node_move(fs, n, to, kind) != 0)
        gs_warn("rename %s -> %s: node table out of memory", from, to);
    pthread_mutex_unlock(&fs->lock);
    if (n)
        gs_inval_push_ino(fs->inval, n->ino);
}

/* The scratch node a rename put over a rules field becomes that field (its
 * target, the field's path, came from the directory at its lookup). */
static void move_rules_node(struct gs_fs *fs, struct gs_node *dir, const char *from, const char *to)
{
    enum gs_kind kind = gs_node_kind(dir) == GS_K_ATTR ? GS_K_ATTR_FILE : GS_K_OM_FILE;
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_find(fs, dir, from);
    if (n && gs_node_move(fs, n, to, kind) != 0)
        n = NULL;
    pthread_mutex_unlock(&fs->lock);
    if (n)
        gs_inval_push_ino(fs->inval, n->ino);
}

/* rename(scratch, document of kind doc): the scratch content is the new
 * document. */
static int rename_commit(struct gs_fs *fs, struct gs_node *dir, const char *from, const char *to,
                         enum gs_kind doc)
{
    struct gs_blob *b = NULL;
    int r = gs_scratch_read(fs->scratch, dir->owner, from, &b);
    if (r == 0) {
        r = gs_document_commit(fs, dir, doc, b->data, b->len);
        gs_blob_unref(b);
    }
    if (r == 0) {
        /* the node first: a handle's stat never meets it without its scratch file */
        gs_tree_hide(fs, dir, to, 0);
        move_node(fs, dir, from, to, doc);
        gs_scratch_unlink(fs->scratch, dir->owner, from);
    }
    /* mv(1) prints a rename's EINVAL as "cannot move ... to a subdirectory of
     * itself": a refused document is EBADMSG ("Bad message") here */
    return r == -EINVAL ? -EBADMSG : r;
}

/* rename(document, other name): an editor's backup-by-rename. The document
 * stays in Graph; its current content becomes a scratch file, and its name
 * is hidden until the editor creates it again. */
static int rename_backup(struct gs_fs *fs, struct gs_node *dir, const char *from, const char *to)
{
    struct gs_dirent e;
    int r = gs_tree_lookup(fs, dir, from, &e);
    struct gs_blob *b = NULL;
    if (r == 0) {
        struct gs_node *n = gs_ops_get_child(fs, dir, from);
        struct timespec mt;
        r = n ? gs_content_get(fs, n, &b, &mt) : -ENOENT;
        if (n)
            gs_ops_put_node(fs, n);
        gs_dirent_clear(&e);
    }
    if (r == 0)
        r = gs_scratch_create(fs->scratch, dir->owner, to, 0644, fs->cfg.uid, fs->cfg.gid, b->data, b->len);
    gs_blob_unref(b);
    if (r == 0) {
        gs_tree_hide(fs, dir, from, 1);
        move_node(fs, dir, from, to, GS_K_SCRATCH);
    }
    return r;
}

void gs_ops_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
                   const char *newname, unsigned int flags)
{
    struct gs_fs *fs = FS(req);
    if (parent != newparent) {
        fuse_reply_err(req, EXDEV); /* tools fall back to copying */
        return;
    }
    struct gs_node *dir = gs_ops_node_or_enoent(req, parent);
    if (!dir)
        return;
    int r = 0;
    struct gs_dirent src = {0}, dst = {0};
    int have_dst = 0;
    if (!fs->cfg.read_only && gs_kind_has(gs_node_kind(dir), GS_KF_RULES_DIR) && !(flags & ~RENAME_NOREPLACE)) {
        /* sed -i: its temporary file replaces a field (the bytes are written to it) */
        r = gs_rules_rename(fs, dir, name, newname);
        if (r == 0) {
            move_rules_node(fs, dir, name, newname);
            rules_changed(fs, dir, r);
        }
        gs_ops_put_node(fs, dir);
        fuse_reply_err(req, -r);
        return;
    }
    if (fs->cfg.read_only)
        r = -EROFS;
    else if (flags & ~RENAME_NOREPLACE)
        r = -EINVAL;
    else if (!is_edit_dir(dir))
        r = -EPERM;
    if (r == 0)
        r = gs_tree_lookup(fs, dir, name, &src);
    if (r == 0) {
        have_dst = gs_tree_lookup(fs, dir, newname, &dst) == 0;
        enum gs_kind dst_doc = document_named(dir, newname);
        if (have_dst && (flags & RENAME_NOREPLACE))
            r = -EEXIST;
        else if (strcmp(name, newname) == 0)
            r = 0;
        else if (src.kind == GS_K_SCRATCH && dst_doc != GS_K_COUNT)
            r = rename_commit(fs, dir, name, newname, dst_doc);
        else if (src.kind == GS_K_SCRATCH && (!have_dst || dst.kind == GS_K_SCRATCH)) {
            r = gs_scratch_rename(fs->scratch, dir->owner, name, newname);
            if (r == 0)
                move_node(fs, dir, name, newname, GS_K_SCRATCH);
        } else if (gs_kind_has(src.kind, GS_KF_EDITABLE) && (!have_dst || dst.kind == GS_K_SCRATCH))
            r = rename_backup(fs, dir, name, newname);
        else
            r = -EPERM;
    }
    gs_dirent_clear(&src);
    if (have_dst)
        gs_dirent_clear(&dst);
    gs_ops_put_node(fs, dir);
    fuse_reply_err(req, -r);
}

/* rmdir jobs/<jobId>: deletes the job (actions/job.h). */
void gs_ops_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_node_or_enoent(req, parent);
    if (!dir)
        return;
    int r = 0;
    struct gs_dirent e = {0};
    if (fs->cfg.read_only)
        r = -EROFS;
    else if (gs_kind_has(gs_node_kind(dir), GS_KF_RULES_DIR)) {
        /* rmdir attributes/<a>: the mapping leaves the pending copy */
        r = gs_rules_rmdir(fs, dir, name);
        rules_changed(fs, dir, r);
        gs_ops_put_node(fs, dir);
        fuse_reply_err(req, -r);
        return;
    } else if (gs_node_kind(dir) != GS_K_JOBS)
        r = -EPERM;
    else if ((r = gs_tree_lookup(fs, dir, name, &e)) == 0 && e.kind != GS_K_JOB)
        r = -ENOTDIR;
    if (r == 0)
        r = gs_job_delete(fs, dir, e.job);
    gs_dirent_clear(&e);
    gs_ops_put_node(fs, dir);
    fuse_reply_err(req, -r);
}

void gs_ops_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
    (void)mode;
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_node_or_enoent(req, parent);
    if (!dir)
        return;
    /* jobs are made by writing a templateId to jobs/new; attribute mappings by
     * mkdir in a job's rules/<r>/<m>/attributes/ */
    int r = fs->cfg.read_only ? -EROFS
            : gs_kind_has(gs_node_kind(dir), GS_KF_RULES_DIR) ? gs_rules_mkdir(fs, dir, name) : -EPERM;
    rules_changed(fs, dir, r);
    struct gs_dirent e = {0};
    struct fuse_entry_param ep;
    if (r == 0)
        r = gs_tree_lookup(fs, dir, name, &e);
    if (r == 0)
        r = gs_ops_make_entry(fs, dir, &e, &ep);
    gs_dirent_clear(&e);
    gs_ops_put_node(fs, dir);
    if (r == 0)
        fuse_reply_entry(req, &ep);
    else
        fuse_reply_err(req, -r);
}

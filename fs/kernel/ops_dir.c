/* Directories: opendir, readdir(plus), releasedir. The kernel opens and
 * releases directories without asking (FUSE_CAP_NO_OPENDIR_SUPPORT, where
 * it has it): a walk of the whole mount saves two round trips of every
 * directory it reads. A readdir at offset 0 lists; the readdirs after it
 * continue that listing (dirlist.h); the one that finds its end lets it go
 * and drops the kernel's copy, so the next reader of the directory asks
 * again, as when each open asked. */
#include "fs/kernel/ops_dir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "fs/kernel/dirlist.h"
#include "fs/kernel/inval.h"
#include "fs/kernel/ops_internal.h"
#include "fs/views/content.h"
#include "fs/views/tree.h"

void gs_ops_dir_init(struct gs_fs *fs, struct fuse_conn_info *conn)
{
    fs->kernel_opens_dirs = (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0;
}

/* Without the kernel's support an open directory has no handle of ours. */
void gs_ops_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    if (FS(req)->kernel_opens_dirs) {
        fuse_reply_err(req, ENOSYS); /* "the kernel opens them": not an error */
        return;
    }
    fi->fh = 0;
    fi->cache_readdir = 0;
    fuse_reply_open(req, fi);
}

void gs_ops_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

/* readdir(3) skips entries whose d_ino is 0: give the inode number the
 * kernel knows the name by, or a stable stand-in until it looks it up. */
static uint64_t dirent_ino(struct gs_fs *fs, struct gs_node *dir, const char *name)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_find(fs, dir, name);
    uint64_t ino = n ? n->ino : 0;
    pthread_mutex_unlock(&fs->lock);
    if (ino)
        return ino;
    uint64_t h = 1469598103934665603ULL ^ dir->ino;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h | (1ULL << 63); /* never one of ours, which count up from 1 */
}

/* Entry i of a listing (0 ".", 1 "..", then the listing's entries) as
 * readdir(plus) tells it; *counted when it made the kernel hold a lookup. */
static const char *dirent_at(struct gs_fs *fs, const struct gs_dirlist *l, struct gs_node *dir, size_t i,
                             int plus, struct fuse_entry_param *ep, int *counted)
{
    memset(ep, 0, sizeof(*ep));
    *counted = 0;
    if (i < 2) {
        ep->attr.st_ino = i == 0 ? dir->ino : (dir->parent ? dir->parent->ino : dir->ino);
        ep->attr.st_mode = S_IFDIR;
        return i == 0 ? "." : "..";
    }
    const struct gs_dirent *e = &l->entries[i - 2];
    /* attributes that cost a request (a document not fetched yet, a log query,
     * a tenant scan): a listing leaves them to a lookup, which only tools that
     * stat send (views/content.h gs_content_attr_free) */
    int costly = !gs_content_attr_free(fs, e);
    if (plus && !costly && gs_ops_make_entry(fs, dir, e, ep) == 0) {
        *counted = 1;
        return e->name;
    }
    /* plain readdir, or still listed when its attributes failed (the
     * document they need went from the cache since gs_content_attr_free
     * looked): they come with lookup. Its inode number is never 0, which
     * readdir(3) skips: a find under a small cache_size lost an entry or
     * three in 277,523 so, without a word. */
    memset(ep, 0, sizeof(*ep));
    ep->attr.st_mode = gs_kind_info(e->kind)->type;
    ep->attr.st_ino = dirent_ino(fs, dir, e->name);
    return e->name;
}

/* 1 when what dir lists stays the same until well after the kernel's copy
 * of its listing may linger (inval.h gs_inval_push_listing_done): a rules
 * tree's directory whose schema stays fresh in the cache that long. A
 * change of the schema, or a staged edit, drops every copy of its tree at
 * once (their nodes share its key). */
static int listing_stays(struct gs_fs *fs, struct gs_node *dir)
{
    const char *key = gs_node_key(dir);
    if (!key || !gs_kind_has(gs_node_kind(dir), GS_KF_RULES_DIR))
        return 0;
    struct gs_doc *doc = NULL;
    if (gs_cache_peek(fs->cache, key, &doc) != 0 || !doc)
        return 0;
    double until = gs_cache_fresh_until(fs->cache, key, doc->generation);
    gs_doc_unref(doc);
    return until > gs_cache_now(fs->cache) + 10 * GS_INVAL_LINGER_MS / 1000.0;
}

/* The buffer a readdir reply is built in: one per thread, kept for the
 * thread's next reply. The kernel asks for up to 128 KiB at a time; a heap
 * block of that size per call cost a find more than the entries did (glibc
 * consolidates its free lists before each such malloc). */
static pthread_key_t reply_key;
static pthread_once_t reply_once = PTHREAD_ONCE_INIT;
static int reply_key_made;

struct reply_buf {
    size_t cap;
    char data[];
};

static void make_reply_key(void)
{
    reply_key_made = pthread_key_create(&reply_key, free) == 0;
}

static char *reply_buffer(size_t size)
{
    pthread_once(&reply_once, make_reply_key);
    if (!reply_key_made)
        return NULL;
    struct reply_buf *b = pthread_getspecific(reply_key);
    if (b && b->cap >= size)
        return b->data;
    struct reply_buf *nb = malloc(sizeof(*nb) + size);
    if (!nb || pthread_setspecific(reply_key, nb) != 0) {
        free(nb);
        return NULL;
    }
    free(b);
    nb->cap = size;
    return nb->data;
}

/* The kernel's lookup of entry ep, made for a reply that had no room for
 * it, given back. */
static void give_back(struct gs_fs *fs, const struct fuse_entry_param *ep)
{
    pthread_mutex_lock(&fs->lock);
    struct gs_node *c = gs_node_by_ino(fs, ep->ino);
    if (c)
        gs_node_forget(fs, c, 1);
    pthread_mutex_unlock(&fs->lock);
}

/* Answers a readdir of dir with the entries of l from position next on. */
static void reply_entries(fuse_req_t req, struct gs_fs *fs, struct gs_node *dir, struct gs_dirlist *l,
                          size_t next, size_t size, int plus)
{
    char *buf = reply_buffer(size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    size_t used = 0;
    for (size_t i = next; i < l->n + 2; i++) {
        struct fuse_entry_param ep;
        int counted;
        const char *name = dirent_at(fs, l, dir, i, plus, &ep, &counted);
        size_t rest = size - used;
        off_t off = gs_dirlist_off(l, i);
        size_t need = plus ? fuse_add_direntry_plus(req, buf + used, rest, name, &ep, off)
                           : fuse_add_direntry(req, buf + used, rest, name, &ep.attr, off);
        if (need > rest) {
            if (counted)
                give_back(fs, &ep);
            break;
        }
        used += need;
    }
    int end = next >= l->n + 2;
    if (end)
        gs_dirlist_done(fs->dirlists, l);
    fuse_reply_buf(req, buf, used);
    /* the end: the listing is done, and the kernel's copy of it
     * (FOPEN_CACHE_DIR, which it takes when it opens directories itself)
     * goes, so that the next reader asks again: at once, after the reply,
     * which the reader waits for (inval.h) */
    if (end && fs->kernel_opens_dirs) {
        if (listing_stays(fs, dir))
            gs_inval_push_listing_done(__atomic_load_n(&fs->inval, __ATOMIC_ACQUIRE), dir->ino);
        else
            gs_inval_listing_done(fs->se, dir->ino);
    }
}

/* The listing a readdir at off continues, with a reference, and the
 * position to go on from; at offset 0, or when the listing is gone, a new
 * one (now: on libfuse's thread, between gs_ops_now_begin and _end, from
 * what is cached and fresh alone, else -EWOULDBLOCK). */
static int listing_at(struct gs_fs *fs, struct gs_node *dir, off_t off, int now, struct gs_dirlist **l,
                      size_t *next)
{
    uint32_t gen = 0;
    *next = 0;
    if (off != 0) {
        gs_dirlist_pos(off, &gen, next);
        *l = gs_dirlist_find(fs->dirlists, dir->ino, gen);
        if (*l)
            return 0;
    }
    if (now && !gs_ops_lists_from_cache(gs_node_kind(dir)))
        return -EWOULDBLOCK;
    if (!now && gs_dirlist_just_timed_out(fs->dirlists, dir->ino, gs_now()))
        return -ETIMEDOUT; /* waited behind a listing that timed out (dirlist.h) */
    struct gs_dirent *entries = NULL;
    size_t n = 0;
    int r = gs_tree_list(fs, dir, &entries, &n);
    if (r == -ETIMEDOUT && !now) /* a time bound of its own ran out, not libfuse's "now" */
        gs_dirlist_timed_out(fs->dirlists, dir->ino, gs_now());
    if (r < 0)
        return r;
    /* a listing gone before its reader came back (dirlist.h): the reader
     * goes on at its position in the new one */
    return gs_dirlist_add(fs->dirlists, dir->ino, entries, n, l);
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, int plus)
{
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_node_or_enoent(req, ino);
    if (!dir)
        return;
    struct gs_dirlist *l = NULL;
    size_t next;
    int r = listing_at(fs, dir, off, 0, &l, &next);
    if (r < 0)
        fuse_reply_err(req, -r);
    else
        reply_entries(req, fs, dir, l, next, size, plus);
    gs_dirlist_unref(fs->dirlists, l);
    gs_ops_put_node(fs, dir);
}

void gs_ops_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    do_readdir(req, ino, size, off, 0);
}

void gs_ops_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    do_readdir(req, ino, size, off, 1);
}

int gs_ops_readdir_now(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi, int plus)
{
    (void)fi;
    struct gs_fs *fs = FS(req);
    struct gs_node *dir = gs_ops_get_node(fs, ino);
    if (!dir)
        return 0;
    struct gs_dirlist *l = NULL;
    size_t next;
    /* nothing here asks Graph: readdirplus fills the attributes of the
     * entries whose documents are fresh (gs_content_attr_free) only. Should
     * one expire in between, its wait ends at once (the deadline is now)
     * and the entry goes without attributes, as a costly one does. */
    gs_ops_now_begin();
    int r = listing_at(fs, dir, off, 1, &l, &next);
    if (r == 0)
        reply_entries(req, fs, dir, l, next, size, plus);
    gs_ops_now_end();
    gs_dirlist_unref(fs->dirlists, l);
    gs_ops_put_node(fs, dir);
    return r == 0; /* any failure: the pool's, which tells it */
}

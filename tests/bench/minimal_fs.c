/* minimal_fs: the floor for the warm-read benchmark (tests/bench/bench.py).
 *
 * A read-only FUSE filesystem (libfuse3 low-level API) that loads a directory
 * tree into memory at start and serves the same bytes from memory, with the
 * kernel settings graphsyncfs uses by default: entry and attribute timeouts of
 * 1 s, no keep_cache (the page cache is dropped at each open, so every read
 * reaches the daemon; --keep-cache keeps it, as graphsyncfs does for bytes
 * that did not change), no direct_io, the multi-threaded session loop.
 * It does nothing else: no flush (unless --flush), no locking beyond what a
 * static tree needs, so no FUSE filesystem can serve a cached file faster.
 *
 *   minimal_fs [--flush] [--keep-cache] SRCDIR [-f] [-s] [-o opts] MOUNTPOINT
 *
 * --flush implements a no-op FLUSH, so every close costs the round trip that
 * graphsyncfs (which needs flush for its write semantics) pays too.
 */
#define FUSE_USE_VERSION 314
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT 1.0 /* graphsyncfs's default entry_timeout and attr_timeout */

struct node {
    char *name;
    fuse_ino_t parent;
    mode_t mode;
    char *data;
    size_t size;
    fuse_ino_t *kids;
    size_t nkids, capkids;
};

static struct node *nodes; /* nodes[ino - 1]; ino 1 is the root */
static size_t nnodes, capnodes;
static struct timespec start_time;

static fuse_ino_t add_node(const char *name, fuse_ino_t parent, mode_t mode)
{
    if (nnodes == capnodes) {
        capnodes = capnodes ? capnodes * 2 : 64;
        nodes = realloc(nodes, capnodes * sizeof(*nodes));
        if (!nodes) {
            perror("minimal_fs: realloc");
            exit(1);
        }
    }
    struct node *n = &nodes[nnodes++];
    memset(n, 0, sizeof(*n));
    n->name = strdup(name);
    n->parent = parent;
    n->mode = mode;
    fuse_ino_t ino = nnodes;
    if (parent) {
        struct node *p = &nodes[parent - 1];
        if (p->nkids == p->capkids) {
            p->capkids = p->capkids ? p->capkids * 2 : 8;
            p->kids = realloc(p->kids, p->capkids * sizeof(*p->kids));
            if (!p->kids) {
                perror("minimal_fs: realloc");
                exit(1);
            }
        }
        p->kids[p->nkids++] = ino;
    }
    return ino;
}

static int load_file(const char *path, struct node *n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    n->data = malloc(st.st_size ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (n->data && got < (size_t)st.st_size) {
        ssize_t r = read(fd, n->data + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    n->size = got;
    return n->data ? 0 : -1;
}

static void load_tree(const char *path, fuse_ino_t dir)
{
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "minimal_fs: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *sub;
        if (asprintf(&sub, "%s/%s", path, de->d_name) < 0)
            exit(1);
        struct stat st;
        if (lstat(sub, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                fuse_ino_t ino = add_node(de->d_name, dir, S_IFDIR | 0555);
                load_tree(sub, ino);
            } else if (S_ISREG(st.st_mode)) {
                fuse_ino_t ino = add_node(de->d_name, dir, S_IFREG | 0444);
                if (load_file(sub, &nodes[ino - 1]) != 0) {
                    fprintf(stderr, "minimal_fs: %s: cannot read\n", sub);
                    exit(1);
                }
            }
        }
        free(sub);
    }
    closedir(d);
}

static struct node *get(fuse_ino_t ino)
{
    return ino >= 1 && ino <= nnodes ? &nodes[ino - 1] : NULL;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
    const struct node *n = &nodes[ino - 1];
    memset(st, 0, sizeof(*st));
    st->st_ino = ino;
    st->st_mode = n->mode;
    st->st_nlink = S_ISDIR(n->mode) ? 2 : 1;
    st->st_uid = getuid();
    st->st_gid = getgid();
    st->st_size = (off_t)n->size;
    st->st_blocks = (st->st_size + 511) / 512;
    st->st_blksize = 4096;
    st->st_atim = st->st_mtim = st->st_ctim = start_time;
}

static void mfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    const struct node *p = get(parent);
    if (!p || !S_ISDIR(p->mode)) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    for (size_t i = 0; i < p->nkids; i++) {
        if (strcmp(nodes[p->kids[i] - 1].name, name) == 0) {
            struct fuse_entry_param e;
            memset(&e, 0, sizeof(e));
            e.ino = p->kids[i];
            e.generation = 1;
            e.entry_timeout = TIMEOUT;
            e.attr_timeout = TIMEOUT;
            fill_attr(e.ino, &e.attr);
            fuse_reply_entry(req, &e);
            return;
        }
    }
    fuse_reply_err(req, ENOENT);
}

static void mfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)fi;
    if (!get(ino)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st;
    fill_attr(ino, &st);
    fuse_reply_attr(req, &st, TIMEOUT);
}

static void mfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    const struct node *d = get(ino);
    if (!d || !S_ISDIR(d->mode)) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    char *buf = malloc(size);
    if (!buf) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    size_t used = 0;
    for (off_t i = off; i < (off_t)d->nkids + 2; i++) {
        struct stat st;
        memset(&st, 0, sizeof(st));
        const char *name;
        if (i < 2) {
            name = i == 0 ? "." : "..";
            st.st_ino = i == 0 ? ino : (d->parent ? d->parent : ino);
            st.st_mode = S_IFDIR;
        } else {
            fuse_ino_t k = d->kids[i - 2];
            name = nodes[k - 1].name;
            st.st_ino = k;
            st.st_mode = nodes[k - 1].mode;
        }
        size_t need = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
        if (need > size - used)
            break;
        used += need;
    }
    fuse_reply_buf(req, buf, used);
    free(buf);
}

static int keep_cache; /* --keep-cache */

static void mfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    const struct node *n = get(ino);
    if (!n) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    if (S_ISDIR(n->mode)) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    if ((fi->flags & O_ACCMODE) != O_RDONLY) {
        fuse_reply_err(req, EACCES);
        return;
    }
    fi->keep_cache = keep_cache;
    fi->direct_io = 0;
    fuse_reply_open(req, fi);
}

static void mfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
    (void)fi;
    const struct node *n = get(ino);
    if (!n || off < 0 || (size_t)off >= n->size) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    size_t len = n->size - (size_t)off;
    fuse_reply_buf(req, n->data + off, len < size ? len : size);
}

static void mfs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

static void mfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    (void)ino;
    (void)fi;
    fuse_reply_err(req, 0);
}

static struct fuse_lowlevel_ops mfs_ops = {
    .lookup = mfs_lookup,
    .getattr = mfs_getattr,
    .readdir = mfs_readdir,
    .open = mfs_open,
    .read = mfs_read,
    .release = mfs_release,
};

int main(int argc, char *argv[])
{
    int flush = 0;
    while (argc > 1 && (strcmp(argv[1], "--flush") == 0 || strcmp(argv[1], "--keep-cache") == 0)) {
        if (strcmp(argv[1], "--flush") == 0)
            flush = 1;
        else
            keep_cache = 1;
        memmove(&argv[1], &argv[2], (size_t)(argc - 1) * sizeof(*argv));
        argc--;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: minimal_fs [--flush] [--keep-cache] SRCDIR [-f] [-s] [-o opts] MOUNTPOINT\n");
        return 2;
    }
    if (flush)
        mfs_ops.flush = mfs_flush;
    clock_gettime(CLOCK_REALTIME, &start_time);
    add_node("", 0, S_IFDIR | 0555);
    load_tree(argv[1], 1);
    memmove(&argv[1], &argv[2], (size_t)(argc - 1) * sizeof(*argv));
    argc--;

    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts opts;
    int ret = 1;
    if (fuse_parse_cmdline(&args, &opts) != 0)
        return 1;
    if (!opts.mountpoint) {
        fprintf(stderr, "minimal_fs: no mountpoint\n");
        goto out_args;
    }
    struct fuse_session *se = fuse_session_new(&args, &mfs_ops, sizeof(mfs_ops), NULL);
    if (!se)
        goto out_args;
    if (fuse_set_signal_handlers(se) != 0)
        goto out_session;
    if (fuse_session_mount(se, opts.mountpoint) != 0)
        goto out_signals;
    fuse_daemonize(opts.foreground);
    if (opts.singlethread) {
        ret = fuse_session_loop(se);
    } else {
        struct fuse_loop_config *lc = fuse_loop_cfg_create();
        if (lc) {
            fuse_loop_cfg_set_clone_fd(lc, (unsigned)opts.clone_fd);
            fuse_loop_cfg_set_max_threads(lc, opts.max_threads);
            ret = fuse_session_loop_mt(se, lc);
            fuse_loop_cfg_destroy(lc);
        }
    }
    fuse_session_unmount(se);
out_signals:
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out_args:
    free(opts.mountpoint);
    fuse_opt_free_args(&args);
    return ret ? 1 : 0;
}

#include "fs/actions/scratch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct file {
    char *data;
    size_t len, cap;
    struct stat st;
    char *owner; /* for listing */
    char *name;
};

struct gs_scratch_store {
    pthread_mutex_t lock;   /* guards files and bytes, and every file's members; a leaf lock */
    struct gs_map files; /* "<owner>\n<name>" -> struct file */
    size_t bytes, max_bytes;
};

static char *make_key(const char *owner, const char *name)
{
    char *k = NULL;
    return asprintf(&k, "%s\n%s", owner, name) < 0 ? NULL : k;
}

int gs_scratch_new(struct gs_scratch_store **out, size_t max_bytes)
{
    struct gs_scratch_store *s = calloc(1, sizeof(*s));
    if (!s || gs_map_init(&s->files) != 0) {
        free(s);
        return -ENOMEM;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->max_bytes = max_bytes;
    *out = s;
    return 0;
}

static void file_free(struct file *f)
{
    free(f->data);
    free(f->owner);
    free(f->name);
    free(f);
}

static void free_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    file_free(value);
}

void gs_scratch_free(struct gs_scratch_store *s)
{
    if (!s)
        return;
    gs_map_each(&s->files, free_cb, NULL);
    gs_map_destroy(&s->files);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static struct file *find(struct gs_scratch_store *s, const char *owner, const char *name)
{
    char *k = make_key(owner, name);
    struct file *f = k ? gs_map_gets(&s->files, k) : NULL;
    free(k);
    return f;
}

static void touch(struct file *f)
{
    clock_gettime(CLOCK_REALTIME, &f->st.st_mtim);
    f->st.st_ctim = f->st.st_mtim;
}

/* Grows f to hold len bytes, within the store's memory bound. */
static int reserve(struct gs_scratch_store *s, struct file *f, size_t len)
{
    if (len <= f->cap)
        return 0;
    if (s->bytes - f->cap + len > s->max_bytes)
        return -ENOSPC;
    size_t cap = f->cap ? f->cap : 4096;
    while (cap < len)
        cap *= 2;
    char *d = realloc(f->data, cap);
    if (!d)
        return -ENOMEM;
    memset(d + f->cap, 0, cap - f->cap);
    s->bytes += cap - f->cap;
    f->data = d;
    f->cap = cap;
    return 0;
}

/* Stores f under key (s->lock held), freeing the file it replaces; on
 * failure f is freed. Either way its bytes are accounted for. */
static int put_file(struct gs_scratch_store *s, const char *key, struct file *f)
{
    void *old = NULL;
    int r = gs_map_puts(&s->files, key, f, &old);
    if (old) {
        s->bytes -= ((struct file *)old)->cap;
        file_free(old);
    }
    if (r != 0) {
        s->bytes -= f->cap;
        file_free(f);
    }
    return r;
}

int gs_scratch_create(struct gs_scratch_store *s, const char *owner, const char *name,
                      mode_t mode, uid_t uid, gid_t gid, const char *data, size_t len)
{
    struct file *f = calloc(1, sizeof(*f));
    char *k = make_key(owner, name);
    if (!f || !k || !(f->owner = strdup(owner)) || !(f->name = strdup(name))) {
        free(k);
        if (f)
            file_free(f);
        return -ENOMEM;
    }
    f->st.st_mode = S_IFREG | (mode & 07777);
    f->st.st_nlink = 1;
    f->st.st_uid = uid;
    f->st.st_gid = gid;
    touch(f);
    f->st.st_atim = f->st.st_mtim;
    pthread_mutex_lock(&s->lock);
    int r = reserve(s, f, len);
    if (r == 0 && len) {
        memcpy(f->data, data, len);
        f->len = len;
    }
    if (r == 0) {
        r = put_file(s, k, f);
    } else {
        s->bytes -= f->cap;
        file_free(f);
    }
    pthread_mutex_unlock(&s->lock);
    free(k);
    return r;
}

int gs_scratch_exists(struct gs_scratch_store *s, const char *owner, const char *name)
{
    pthread_mutex_lock(&s->lock);
    int r = find(s, owner, name) != NULL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

int gs_scratch_stat(struct gs_scratch_store *s, const char *owner, const char *name, struct stat *st)
{
    pthread_mutex_lock(&s->lock);
    struct file *f = find(s, owner, name);
    if (f) {
        *st = f->st;
        st->st_size = (off_t)f->len;
        st->st_blocks = (st->st_size + 511) / 512;
        st->st_blksize = 4096;
    }
    pthread_mutex_unlock(&s->lock);
    return f ? 0 : -ENOENT;
}

int gs_scratch_read(struct gs_scratch_store *s, const char *owner, const char *name, struct gs_blob **out)
{
    pthread_mutex_lock(&s->lock);
    struct file *f = find(s, owner, name);
    int r = -ENOENT;
    if (f) {
        *out = gs_blob_new(f->data ? f->data : "", f->len);
        r = *out ? 0 : -ENOMEM;
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

int gs_scratch_write(struct gs_scratch_store *s, const char *owner, const char *name,
                     const char *data, size_t len, off_t off)
{
    if (off < 0)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct file *f = find(s, owner, name);
    int r = f ? reserve(s, f, (size_t)off + len) : -ENOENT;
    if (r == 0) {
        if ((size_t)off > f->len)
            memset(f->data + f->len, 0, (size_t)off - f->len);
        memcpy(f->data + off, data, len);
        if ((size_t)off + len > f->len)
            f->len = (size_t)off + len;
        touch(f);
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

int gs_scratch_truncate(struct gs_scratch_store *s, const char *owner, const char *name, off_t size)
{
    if (size < 0)
        return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct file *f = find(s, owner, name);
    int r = f ? reserve(s, f, (size_t)size) : -ENOENT;
    if (r == 0) {
        if ((size_t)size > f->len)
            memset(f->data + f->len, 0, (size_t)size - f->len);
        f->len = (size_t)size;
        touch(f);
    }
    pthread_mutex_unlock(&s->lock);
    return r;
}

int gs_scratch_setattr(struct gs_scratch_store *s, const char *owner, const char *name,
                       const mode_t *mode, const uid_t *uid, const gid_t *gid,
                       const struct timespec *atime, const struct timespec *mtime)
{
    pthread_mutex_lock(&s->lock);
    struct file *f = find(s, owner, name);
    if (f) {
        if (mode)
            f->st.st_mode = S_IFREG | (*mode & 07777);
        if (uid)
            f->st.st_uid = *uid;
        if (gid)
            f->st.st_gid = *gid;
        if (atime)
            f->st.st_atim = *atime;
        if (mtime)
            f->st.st_mtim = *mtime;
        clock_gettime(CLOCK_REALTIME, &f->st.st_ctim);
    }
    pthread_mutex_unlock(&s->lock);
    return f ? 0 : -ENOENT;
}

int gs_scratch_unlink(struct gs_scratch_store *s, const char *owner, const char *name)
{
    char *k = make_key(owner, name);
    if (!k)
        return -ENOMEM;
    pthread_mutex_lock(&s->lock);
    struct file *f = gs_map_dels(&s->files, k);
    if (f) {
        s->bytes -= f->cap;
        file_free(f);
    }
    pthread_mutex_unlock(&s->lock);
    free(k);
    return f ? 0 : -ENOENT;
}

int gs_scratch_rename(struct gs_scratch_store *s, const char *owner, const char *from, const char *to)
{
    char *kf = make_key(owner, from);
    char *kt = make_key(owner, to);
    char *newname = strdup(to);
    int r = -ENOMEM;
    if (kf && kt && newname) {
        pthread_mutex_lock(&s->lock);
        struct file *f = gs_map_dels(&s->files, kf);
        if (!f) {
            r = -ENOENT;
        } else {
            free(f->name);
            f->name = newname;
            newname = NULL;
            r = put_file(s, kt, f);
        }
        pthread_mutex_unlock(&s->lock);
    }
    free(kf);
    free(kt);
    free(newname);
    return r;
}

struct list_ctx {
    const char *owner;
    char **names;
    size_t n, cap;
    int err;
};

static void list_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)key;
    (void)klen;
    struct list_ctx *c = ctx;
    struct file *f = value;
    if (c->err || strcmp(f->owner, c->owner) != 0)
        return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        char **v = realloc(c->names, cap * sizeof(*v));
        if (!v) {
            c->err = -ENOMEM;
            return;
        }
        c->names = v;
        c->cap = cap;
    }
    if (!(c->names[c->n] = strdup(f->name)))
        c->err = -ENOMEM;
    else
        c->n++;
}

int gs_scratch_list(struct gs_scratch_store *s, const char *owner, char ***names, size_t *n)
{
    struct list_ctx c = {.owner = owner};
    pthread_mutex_lock(&s->lock);
    gs_map_each(&s->files, list_cb, &c);
    pthread_mutex_unlock(&s->lock);
    if (c.err) {
        for (size_t i = 0; i < c.n; i++)
            free(c.names[i]);
        free(c.names);
        return c.err;
    }
    *names = c.names;
    *n = c.n;
    return 0;
}

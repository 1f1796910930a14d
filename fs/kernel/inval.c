#include "fs/kernel/inval.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/thread.h"
#include "fs/model/fs.h"

struct item {
    struct item *next;
    uint64_t ino;   /* 0: use key */
    char key[];
};

struct gs_inval {
    struct gs_fs *fs;
    pthread_t thread;
    /* guards the queue and stop; a leaf lock (pushed from the cache's change
     * callback, which runs with no lock held); the thread drops it before it
     * takes fs->lock or calls the kernel */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct item *head, *tail;
    int stop;
    int asleep; /* the thread waits with nothing queued: any push wakes it */
};

/* Queues it; a lazy one wakes the thread only when it sleeps with nothing
 * queued (it lingers for more before it sleeps so: run). */
static void push(struct gs_inval *iv, struct item *it, int lazy)
{
    pthread_mutex_lock(&iv->lock);
    if (iv->stop) {
        pthread_mutex_unlock(&iv->lock);
        free(it);
        return;
    }
    it->next = NULL;
    if (iv->tail)
        iv->tail->next = it;
    else
        iv->head = it;
    iv->tail = it;
    if (!lazy || iv->asleep)
        pthread_cond_signal(&iv->cond);
    pthread_mutex_unlock(&iv->lock);
}

void gs_inval_push_key(struct gs_inval *iv, const char *key)
{
    if (!iv)
        return;
    size_t len = strlen(key);
    struct item *it = malloc(sizeof(*it) + len + 1);
    if (!it) {
        gs_warn("kernel cache invalidation dropped: out of memory");
        return;
    }
    it->ino = 0;
    memcpy(it->key, key, len + 1);
    push(iv, it, 0);
}

static void push_ino(struct gs_inval *iv, uint64_t ino, int lazy)
{
    if (!iv)
        return;
    struct item *it = malloc(sizeof(*it) + 1);
    if (!it) {
        gs_warn("kernel cache invalidation dropped: out of memory");
        return;
    }
    it->ino = ino;
    it->key[0] = '\0';
    push(iv, it, lazy);
}

void gs_inval_push_ino(struct gs_inval *iv, uint64_t ino)
{
    push_ino(iv, ino, 0);
}

void gs_inval_push_listing_done(struct gs_inval *iv, uint64_t ino)
{
    push_ino(iv, ino, 1);
}

struct collect {
    uint64_t *inos;
    size_t n, cap;
};

static void collect_cb(void *ctx, struct gs_node *n)
{
    struct collect *c = ctx;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        uint64_t *v = realloc(c->inos, cap * sizeof(*v));
        if (!v)
            return;
        c->inos = v;
        c->cap = cap;
    }
    c->inos[c->n++] = n->ino;
}

static void notify_inode(struct fuse_session *se, uint64_t ino)
{
    int r = fuse_lowlevel_notify_inval_inode(se, ino, 0, 0);
    /* the kernel may have forgotten the inode, or be unmounting */
    if (r < 0 && r != -ENOENT && r != -EBADF && r != -ENODEV && r != -ENOTCONN)
        gs_debug("invalidate inode %llu: %s", (unsigned long long)ino, strerror(-r));
}

static void notify(struct gs_inval *iv, uint64_t ino)
{
    notify_inode(iv->fs->se, ino);
}

void gs_inval_listing_done(struct fuse_session *se, uint64_t ino)
{
    if (se)
        notify_inode(se, ino);
}

/* With iv->lock: waits GS_INVAL_LINGER_MS for more (a push that is not
 * lazy, or stop, ends it early); 1 when something came. */
static int linger(struct gs_inval *iv)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += GS_INVAL_LINGER_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!iv->head && !iv->stop)
        if (pthread_cond_timedwait(&iv->cond, &iv->lock, &until) == ETIMEDOUT)
            break;
    return iv->head != NULL;
}

static void *run(void *arg)
{
    struct gs_inval *iv = arg;
    gs_thread_background("gs-inval");
    pthread_mutex_lock(&iv->lock);
    for (;;) {
        if (!iv->head && !iv->stop && !linger(iv)) {
            iv->asleep = 1;
            while (!iv->head && !iv->stop)
                pthread_cond_wait(&iv->cond, &iv->lock);
            iv->asleep = 0;
        }
        if (iv->stop)
            break;
        struct item *it = iv->head;
        iv->head = it->next;
        if (!iv->head)
            iv->tail = NULL;
        pthread_mutex_unlock(&iv->lock);

        if (it->ino) {
            notify(iv, it->ino);
        } else {
            struct collect c = {0};
            pthread_mutex_lock(&iv->fs->lock);
            gs_node_each_with_key(iv->fs, it->key, collect_cb, &c);
            pthread_mutex_unlock(&iv->fs->lock);
            for (size_t i = 0; i < c.n; i++)
                notify(iv, c.inos[i]);
            free(c.inos);
        }
        free(it);
        pthread_mutex_lock(&iv->lock);
    }
    pthread_mutex_unlock(&iv->lock);
    return NULL;
}

int gs_inval_start(struct gs_fs *fs, struct gs_inval **out)
{
    struct gs_inval *iv = calloc(1, sizeof(*iv));
    if (!iv)
        return -ENOMEM;
    iv->fs = fs;
    int r = gs_thread_start(&iv->thread, &iv->lock, &iv->cond, 1, run, iv);
    if (r != 0) {
        free(iv);
        return r;
    }
    *out = iv;
    return 0;
}

void gs_inval_stop(struct gs_inval *iv)
{
    if (!iv)
        return;
    gs_thread_stop(iv->thread, &iv->lock, &iv->cond, &iv->stop);
    while (iv->head) { /* what the thread left undone */
        struct item *it = iv->head;
        iv->head = it->next;
        free(it);
    }
    free(iv);
}

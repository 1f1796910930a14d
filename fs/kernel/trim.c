/* Past max_names, the kernel forgets the subtrees used longest ago (trim.h).
 *
 * The kernel forgets a name it is told is invalid (FUSE_NOTIFY_INVAL_ENTRY)
 * unless something uses it: an open file, a working directory. Those stay,
 * unhashed until the next lookup of their path finds them again, which the
 * next pass makes for the tops it finds kept. Subtrees holding one of this
 * mount's open handles are passed over. */
#include "fs/kernel/trim.h"

#include <errno.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "common/log.h"
#include "common/thread.h"
#include "fs/kernel/ops_internal.h"
#include "fs/model/fs.h"

/* A subtree is forgotten only when no name in it was made or looked up for
 * this long: a walk is done with what it left this long ago. A find makes
 * about 25,000 names a second, so this bounds what it holds past max_names. */
#define TRIM_IDLE_S 0.5
/* Forgotten down to this share of max_names, so a walk trims in steps. */
#define TRIM_LOW_PERCENT 75
/* Between passes: the kernel's forgets of one pass arrive before the next
 * pass counts the names held. */
#define TRIM_PAUSE_NS 100000000L

struct gs_trim {
    struct gs_fs *fs;
    pthread_t thread;
    int stop; /* atomic */
    /* the thread's own: what the last pass asked the kernel to forget */
    struct gs_subtree_victim *last;
    int nlast;
};

/* A detached thread's paths to look up: it holds nothing of the filesystem,
 * so that a lookup the kernel never answers (the mount going away) holds up
 * neither the trimmer nor the daemon's exit. */
struct relook {
    int n;
    char *paths[];
};

static int relooking;      /* atomic: one relook thread at a time */
static pid_t relook_tid;   /* atomic: its thread id while it looks up (trim.h) */

int gs_trim_is_relook(pid_t tid)
{
    pid_t t = __atomic_load_n(&relook_tid, __ATOMIC_ACQUIRE);
    return t && t == tid;
}

static void *relook_run(void *arg)
{
    struct relook *r = arg;
    struct stat st;
    __atomic_store_n(&relook_tid, gettid(), __ATOMIC_RELEASE);
    for (int i = 0; i < r->n; i++) {
        (void)stat(r->paths[i], &st); /* the kernel finds its kept name again */
        free(r->paths[i]);
    }
    free(r);
    __atomic_store_n(&relook_tid, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&relooking, 0, __ATOMIC_RELEASE);
    return NULL;
}

/* The tops of the last pass the kernel kept (in use: a working directory)
 * have their names unhashed, and getcwd(3) there fails with ENOENT until
 * their path is looked up again: look them up. */
static void relook_kept(struct gs_trim *t, const int *kept, int nkept)
{
    const char *mnt = t->fs->cfg.mountpoint;
    if (!nkept || !mnt || __atomic_exchange_n(&relooking, 1, __ATOMIC_ACQ_REL))
        return;
    struct relook *r = calloc(1, sizeof(*r) + (size_t)nkept * sizeof(char *));
    for (int i = 0; r && i < nkept; i++) {
        const char *rel = t->last[kept[i]].path;
        size_t len = strlen(mnt) + 1 + strlen(rel) + 1;
        if (!(r->paths[r->n] = malloc(len)))
            break;
        snprintf(r->paths[r->n++], len, "%s/%s", mnt, rel);
    }
    pthread_attr_t attr;
    pthread_t th;
    int ok = r && pthread_attr_init(&attr) == 0;
    if (ok) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        ok = pthread_create(&th, &attr, relook_run, r) == 0;
        pthread_attr_destroy(&attr);
    }
    if (ok)
        return;
    gs_warn("cannot look up again %d names the kernel kept in use", nkept);
    for (int i = 0; r && i < r->n; i++)
        free(r->paths[i]);
    free(r);
    __atomic_store_n(&relooking, 0, __ATOMIC_RELEASE);
}

/* Under fs->lock: what to forget now. */
static int pick(struct gs_fs *fs, struct gs_subtree_victim **v)
{
    size_t held = fs->by_ino.count;
    size_t low = fs->cfg.max_names / 100 * TRIM_LOW_PERCENT;
    fs->subtrees.posted = 0; /* names made from here on wake the next pass */
    if (held <= low)
        return 0;
    fs->subtrees.pass++;
    for (struct gs_open *o = fs->open_handles; o; o = o->next)
        gs_subtree_hold(fs, ((struct gs_fh *)o)->node); /* link is gs_fh's first member */
    return gs_subtree_pick(fs, held - low, gs_subtree_now(), TRIM_IDLE_S, v);
}

/* Waits for the names to pass max_names, or until TRIM_IDLE_S from now when
 * the last pass picked some. */
static void wait_wake(struct gs_fs *fs, int again)
{
    if (!again) {
        while (sem_wait(&fs->names_over) != 0 && errno == EINTR)
            ;
        return;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* sem_timedwait's clock */
    long ns = until.tv_nsec + (long)(TRIM_IDLE_S * 1e9);
    until.tv_sec += ns / 1000000000L;
    until.tv_nsec = ns % 1000000000L;
    while (sem_timedwait(&fs->names_over, &until) != 0 && errno == EINTR)
        ;
}

static void forget(struct gs_fs *fs, const struct gs_subtree_victim *v)
{
    int r = fuse_lowlevel_notify_inval_entry(fs->se, v->parent_ino, v->name, strlen(v->name));
    /* the kernel may have forgotten it already, or be unmounting */
    if (r < 0 && r != -ENOENT && r != -EBADF && r != -ENODEV && r != -ENOTCONN)
        gs_debug("forget subtree %s: %s", v->name, strerror(-r));
}

static void *run(void *arg)
{
    struct gs_trim *t = arg;
    gs_thread_background("gs-trim");
    struct gs_fs *fs = t->fs;
    int again = 0; /* the last pass picked some: the next comes after TRIM_IDLE_S
                    * even if no name is made, to look up what the kernel kept
                    * and to take what a walk that just ended left too recent */
    for (;;) {
        wait_wake(fs, again);
        if (__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE))
            break;
        struct gs_subtree_victim *v = NULL;
        int *kept = t->nlast ? malloc((size_t)t->nlast * sizeof(int)) : NULL;
        int nkept = 0;
        pthread_mutex_lock(&fs->lock);
        for (int i = 0; kept && i < t->nlast; i++)
            if (gs_subtree_kept(fs, &t->last[i]))
                kept[nkept++] = i;
        int n = pick(fs, &v);
        pthread_mutex_unlock(&fs->lock);
        relook_kept(t, kept, nkept);
        free(kept);
        gs_subtree_victims_free(t->last, t->nlast);
        for (int i = 0; i < n && fs->se; i++)
            forget(fs, &v[i]);
        t->last = v;
        t->nlast = n;
        again = n > 0;
        if (n > 0)
            gs_debug("asked the kernel to forget %d subtrees (max_names %zu)", n, fs->cfg.max_names);
        struct timespec pause = {0, TRIM_PAUSE_NS};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

int gs_trim_start(struct gs_fs *fs, struct gs_trim **out)
{
    *out = NULL;
    if (!fs->cfg.max_names)
        return 0;
    struct gs_trim *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->fs = fs;
    int r = pthread_create(&t->thread, NULL, run, t);
    if (r != 0) {
        free(t);
        return -r;
    }
    *out = t;
    return 0;
}

void gs_trim_stop(struct gs_trim *t)
{
    if (!t)
        return;
    __atomic_store_n(&t->stop, 1, __ATOMIC_RELEASE);
    sem_post(&t->fs->names_over);
    pthread_join(t->thread, NULL);
    gs_subtree_victims_free(t->last, t->nlast);
    free(t);
}

/* One walk, one scan (walk_scan.h). */
#include "fs/actions/walk_scan.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/types.h>

#include "common/log.h"
#include "fs/actions/audit.h"
#include "fs/fetch/graph_get.h"
#include "fs/fetch/readahead.h"

/* Walks going at once: each process that lists jobs/ has its own. */
#define WALKS 4

struct walk {
    pid_t pid;          /* the walking process (0: a free slot) */
    double since;       /* cache time the walk began */
    double seen;        /* monotonic time it last asked through the walk */
    unsigned listed;    /* GS_WALK_LISTS_* it listed */
    struct gs_doc **held; /* references kept for the walk */
    size_t nheld, cap;
};

/* Locking contract: `lock` is a leaf lock (HACKING.md "Locks"): it guards
 * every member, is never held across a request, a wait or another lock;
 * the held docs are released after it is dropped. */
struct gs_walk_scan {
    pthread_mutex_t lock;
    struct walk w[WALKS];
};

int gs_walk_scan_new(struct gs_walk_scan **out)
{
    struct gs_walk_scan *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return 0;
}

static void release(struct gs_doc **held, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gs_doc_unref(held[i]);
    free(held);
}

void gs_walk_scan_free(struct gs_walk_scan *s)
{
    if (!s)
        return;
    for (int i = 0; i < WALKS; i++)
        release(s->w[i].held, s->w[i].nheld);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static pid_t caller(void)
{
    uid_t uid;
    pid_t pid;
    gs_audit_caller(&uid, &pid);
    return pid;
}

/* Ends walks idle for idle seconds (s->lock held); their held docs are
 * moved to *drop (released by the caller after the lock). */
static void end_idle_locked(struct gs_walk_scan *s, double now, double idle, struct walk *drop)
{
    for (int i = 0; i < WALKS; i++) {
        struct walk *w = &s->w[i];
        if (!w->pid || now - w->seen < idle)
            continue;
        gs_debug("walk of process %d ended (idle)", (int)w->pid);
        drop[i] = *w;
        *w = (struct walk){0};
    }
}

/* The calling process's live walk (s->lock held), or NULL. */
static struct walk *find_locked(struct gs_walk_scan *s, pid_t pid)
{
    for (int i = 0; pid && i < WALKS; i++)
        if (s->w[i].pid == pid)
            return &s->w[i];
    return NULL;
}

/* Releases what the ended walks held (no lock held), and the job
 * listings the read-ahead held for them. */
static void drop_all(struct gs_fs *fs, struct walk *drop)
{
    for (int i = 0; i < WALKS; i++) {
        release(drop[i].held, drop[i].nheld);
        if (drop[i].pid && (drop[i].listed & GS_WALK_LISTS_SPS))
            gs_readahead_hold_end(fs->readahead, drop[i].pid);
    }
}

void gs_walk_scan_begin(struct gs_fs *fs, unsigned what, double since)
{
    struct gs_walk_scan *s = fs->walk_scan;
    pid_t pid = caller();
    if (!s || !pid)
        return;
    struct walk drop[WALKS] = {{0}};
    double now = gs_fs_mono();
    pthread_mutex_lock(&s->lock);
    end_idle_locked(s, now, fs->cfg.listing_recent, drop);
    struct walk *w = find_locked(s, pid);
    if (w && (w->listed & what) && since > w->since) {
        /* listed again from a newer snapshot (a script that lists and reads in a loop):
         * the walk goes on from it; the same snapshot (grep -R opens jobs/ twice) keeps it */
        drop[w - s->w] = *w;
        *w = (struct walk){.pid = pid, .since = since};
        gs_debug("walk of process %d begins again", (int)pid);
    }
    if (!w) { /* a free slot, or the one its process asked through longest ago */
        w = &s->w[0];
        for (int i = 1; i < WALKS && w->pid; i++)
            if (!s->w[i].pid || s->w[i].seen < w->seen)
                w = &s->w[i];
        if (w->pid)
            drop[w - s->w] = *w;
        *w = (struct walk){.pid = pid, .since = since};
        gs_debug("walk of process %d begins", (int)pid);
    }
    w->seen = now;
    w->listed |= what;
    pthread_mutex_unlock(&s->lock);
    drop_all(fs, drop);
    if (what & GS_WALK_LISTS_SPS) /* its read-ahead's job listings, held until it reads them */
        gs_readahead_hold_begin(fs->readahead, pid);
}

void gs_walk_scan_end_idle(struct gs_fs *fs)
{
    struct gs_walk_scan *s = fs->walk_scan;
    if (!s)
        return;
    struct walk drop[WALKS] = {{0}};
    pthread_mutex_lock(&s->lock);
    end_idle_locked(s, gs_fs_mono(), fs->cfg.listing_recent, drop);
    pthread_mutex_unlock(&s->lock);
    drop_all(fs, drop);
}

int gs_walk_scan_oldest(struct gs_fs *fs, double *since)
{
    struct gs_walk_scan *s = fs->walk_scan;
    int any = 0;
    if (!s)
        return 0;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < WALKS; i++) {
        if (s->w[i].pid && (!any || s->w[i].since < *since))
            *since = s->w[i].since;
        any |= s->w[i].pid != 0;
    }
    pthread_mutex_unlock(&s->lock);
    return any;
}

int gs_walk_scan_since(struct gs_fs *fs, double *since)
{
    struct gs_walk_scan *s = fs->walk_scan;
    pid_t pid = caller();
    if (!s || !pid)
        return 0;
    struct walk drop[WALKS] = {{0}};
    double now = gs_fs_mono();
    pthread_mutex_lock(&s->lock);
    end_idle_locked(s, now, fs->cfg.listing_recent, drop);
    struct walk *w = find_locked(s, pid);
    if (w) {
        w->seen = now;
        *since = w->since;
    }
    pthread_mutex_unlock(&s->lock);
    drop_all(fs, drop);
    return w != NULL;
}

void gs_walk_scan_hold(struct gs_fs *fs, struct gs_doc *doc)
{
    struct gs_walk_scan *s = fs->walk_scan;
    pid_t pid = caller();
    if (!s || !pid || !doc)
        return;
    pthread_mutex_lock(&s->lock);
    struct walk *w = find_locked(s, pid);
    if (w && w->nheld == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        struct gs_doc **v = realloc(w->held, cap * sizeof(*v));
        if (v) {
            w->held = v;
            w->cap = cap;
        }
    }
    if (w && w->nheld < w->cap) {
        gs_doc_ref(doc);
        w->held[w->nheld++] = doc;
    }
    pthread_mutex_unlock(&s->lock);
}

int gs_walk_scan_get(struct gs_fs *fs, const char *key, struct gs_doc **out)
{
    double since;
    *out = NULL;
    if (!key || !gs_walk_scan_since(fs, &since))
        return -ENOENT;
    return gs_cache_get_fresh_since(fs->cache, key, since, out);
}

void gs_walk_scan_read(struct gs_fs *fs, const char *key)
{
    gs_readahead_hold_drop(fs->readahead, caller(), key);
}

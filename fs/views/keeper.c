/* The memory keeper (keeper.h). */
#include "fs/views/keeper.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/thread.h"
#include "fs/actions/walk_scan.h"
#include "fs/model/fs.h"
#include "fs/views/sp_index.h"

/* Seconds between rounds: often enough that memory goes back soon after the
 * shortest time-to-live, rarely enough to cost nothing (a round walks the
 * cache's entries once: a millisecond at 50,000). */
#define PERIOD_MIN 1.0
#define PERIOD_MAX 5.0
/* Connections (HTTP handles) unused this long are closed: a walk or a scan
 * keeps using what it opened, an idle mount holds none. */
#define HANDLE_IDLE 20.0

struct gs_keeper {
    struct gs_fs *fs;
    pthread_t thread;
    pthread_mutex_t lock;   /* guards stop; a leaf lock */
    pthread_cond_t wake;    /* with lock: stop was set */
    int stop;
    double period;
};

int gs_keeper_round(struct gs_fs *fs)
{
    double min_age = fs->cfg.listing_recent > 0 ? fs->cfg.listing_recent : 0;
    gs_walk_scan_end_idle(fs); /* what ended walks held is swept below */
    /* what a walk going on may still read (stored since it began: walk_scan.h)
     * stays, expired or not: a find reaches the job listings read ahead at
     * its listing of servicePrincipals/ minutes later */
    double since;
    if (gs_walk_scan_oldest(fs, &since) && gs_cache_now(fs->cache) - since > min_age)
        min_age = gs_cache_now(fs->cache) - since;
    int trimmed = gs_sp_index_trim(fs->sp_index, fs->cache, min_age);
    size_t freed = gs_cache_sweep(fs->cache, min_age);
    size_t closed = gs_client_close_idle(fs->client, HANDLE_IDLE);
    if (!trimmed && !freed && !closed)
        return 0;
    malloc_trim(0);
    struct gs_cache_stats st;
    gs_cache_get_stats(fs->cache, &st);
    struct mallinfo2 mi = mallinfo2();
    gs_debug("memory: swept %zu bytes%s, %zu idle connections closed; cache %zu bytes in %zu entries; "
             "heap %zu in use, %zu free", freed, trimmed ? ", listing index let go" : "", closed, st.bytes,
             st.entries, mi.uordblks, mi.fordblks);
    return 1;
}

static void *run(void *arg)
{
    struct gs_keeper *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + k->period;
        ts.tv_sec = (time_t)at;
        ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&k->wake, &k->lock, &ts);
        if (k->stop)
            break;
        pthread_mutex_unlock(&k->lock); /* a round takes other leaf locks */
        gs_keeper_round(k->fs);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

int gs_keeper_start(struct gs_fs *fs, struct gs_keeper **out)
{
    *out = NULL;
    struct gs_keeper *k = calloc(1, sizeof(*k));
    if (!k)
        return -ENOMEM;
    k->fs = fs;
    double p = gs_cache_ttl(fs->cache, GS_TTL_STATUS) / 2;
    k->period = p < PERIOD_MIN ? PERIOD_MIN : p > PERIOD_MAX ? PERIOD_MAX : p;
    int r = gs_thread_start(&k->thread, &k->lock, &k->wake, 1, run, k);
    if (r != 0) {
        free(k);
        return r;
    }
    *out = k;
    return 0;
}

void gs_keeper_stop(struct gs_keeper *k)
{
    if (!k)
        return;
    gs_thread_stop(k->thread, &k->lock, &k->wake, &k->stop);
    free(k);
}

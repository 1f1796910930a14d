/* Background threads' start and stop (thread.h). */
#include "common/thread.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void gs_cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &ca);
    pthread_condattr_destroy(&ca);
}

int gs_thread_start(pthread_t *thread, pthread_mutex_t *lock, pthread_cond_t *cond, int monotonic,
                    void *(*fn)(void *), void *arg)
{
    pthread_mutex_init(lock, NULL);
    if (monotonic)
        gs_cond_init_monotonic(cond);
    else
        pthread_cond_init(cond, NULL);
    int r = pthread_create(thread, NULL, fn, arg);
    if (r != 0) {
        pthread_cond_destroy(cond);
        pthread_mutex_destroy(lock);
    }
    return -r;
}

void gs_thread_stop(pthread_t thread, pthread_mutex_t *lock, pthread_cond_t *cond, int *stop)
{
    pthread_mutex_lock(lock);
    *stop = 1;
    pthread_cond_broadcast(cond);
    pthread_mutex_unlock(lock);
    pthread_join(thread, NULL);
    pthread_cond_destroy(cond);
    pthread_mutex_destroy(lock);
}

void gs_thread_background(const char *name)
{
    (void)pthread_setname_np(pthread_self(), name);
    /* PRIO_PROCESS with a thread id reads and sets that thread's nice alone;
     * relative to the daemon's own (started with nice 10, its background
     * runs at 15, not at a higher priority than the rest) */
    id_t tid = (id_t)syscall(SYS_gettid);
    errno = 0;
    int now = getpriority(PRIO_PROCESS, tid);
    if (now == -1 && errno != 0)
        return;
    int nice = now + GS_BACKGROUND_NICE;
    (void)setpriority(PRIO_PROCESS, tid, nice > 19 ? 19 : nice);
}

/* Ending the daemon promptly (shutdown.h). */
#include "fs/kernel/shutdown.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "common/interrupt.h"

static struct {
    struct fuse_session *se;
    pthread_t main, thread;
    int started;
    int done; /* atomic: the session loop returned */
} w;

static void *watch(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* such signals go to threads that act on them */
    const struct timespec poll = {0, (long)(GS_INTERRUPT_POLL * 1e9)};
    while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
        nanosleep(&poll, NULL);
        if (!fuse_session_exited(w.se))
            continue;
        gs_stop_all();
        /* libfuse's main thread waits in sem_wait for a worker that saw the
         * exit; a signal with an empty handler wakes it to look for itself */
        if (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
            pthread_kill(w.main, SIGUSR2);
    }
    return NULL;
}

static void wake(int sig)
{
    (void)sig;
}

int gs_shutdown_watch_start(struct fuse_session *se)
{
    struct sigaction sa = {.sa_handler = wake};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR2, &sa, NULL) != 0)
        return -errno;
    w.se = se;
    w.main = pthread_self();
    w.done = 0;
    int r = pthread_create(&w.thread, NULL, watch, NULL);
    w.started = r == 0;
    return -r;
}

void gs_shutdown_watch_stop(void)
{
    if (!w.started)
        return;
    __atomic_store_n(&w.done, 1, __ATOMIC_RELEASE);
    pthread_join(w.thread, NULL);
    w.started = 0;
}

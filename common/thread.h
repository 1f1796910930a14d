/* A background thread that waits on its own lock and condition variable
 * until it is told to stop (the memory keeper, kernel invalidation): its
 * start and stop, and condition variables whose timed waits take monotonic
 * deadlines. */
#ifndef GS_THREAD_H
#define GS_THREAD_H

#include <pthread.h>

/* Initialises cond for pthread_cond_timedwait on CLOCK_MONOTONIC deadlines. */
void gs_cond_init_monotonic(pthread_cond_t *cond);

/* Initialises lock and cond (on CLOCK_MONOTONIC when monotonic), then starts
 * fn(arg) on *thread. 0, or -errno with lock and cond destroyed again. */
int gs_thread_start(pthread_t *thread, pthread_mutex_t *lock, pthread_cond_t *cond, int monotonic,
                    void *(*fn)(void *), void *arg);

/* Sets *stop under lock, wakes the thread (which waits on cond with lock),
 * joins it, and destroys lock and cond. */
void gs_thread_stop(pthread_t thread, pthread_mutex_t *lock, pthread_cond_t *cond, int *stop);

#endif

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

/* Names the calling thread (top -H, ps -L; at most 15 bytes) and lowers its
 * priority by GS_BACKGROUND_NICE (Linux: nice is per thread). The threads
 * that answer the kernel keep theirs: on a machine with few CPUs a walk
 * (find, du) waits for one reply at a time, and a background thread of
 * ours woken beside it (read-ahead parsing a batch, the trimmer, kernel
 * invalidations) took the CPU first, so that the reply came a scheduler
 * slice later. Threads this one starts inherit the priority. Failure (a
 * seccomp sandbox, say) leaves name and priority as they were. */
#define GS_BACKGROUND_NICE 5
void gs_thread_background(const char *name);

#endif

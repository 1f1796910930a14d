/* Ending waits early (issue 13, finding 4): the whole daemon is stopping
 * (SIGTERM, SIGINT, an unmount), or the system call a thread serves was
 * interrupted (FUSE INTERRUPT: the caller got a signal, such as Ctrl-C).
 * Every wait on Graph checks gs_interrupted() at least every
 * GS_INTERRUPT_POLL seconds and gives up with -EINTR. */
#ifndef GS_INTERRUPT_H
#define GS_INTERRUPT_H

#define GS_INTERRUPT_POLL 0.1

/* The daemon is stopping: every wait ends. Async-signal-safe. */
void gs_stop_all(void);
int gs_stopping(void);

/* The calling thread now serves a request whose interruption sets *flag
 * (an int another thread may set at any time); NULL: none. Clears the
 * thread's deadline. */
void gs_interrupt_arm(int *flag);
/* The request the calling thread serves must be answered by monotonic time
 * t (common/clock.h gs_now; 0: no deadline): the time bound of a system
 * call, which starts when graphsyncfs reads the call, not when a thread
 * gets to it. Requests to Graph end by it (gs_interrupt_clip); a wait still
 * going GS_DEADLINE_GRACE seconds after it ends as interrupted. */
#define GS_DEADLINE_GRACE 0.5
void gs_interrupt_set_deadline(double t);
/* min(t, the calling thread's deadline). */
double gs_interrupt_clip(double t);
/* 1 when the calling thread's deadline has passed. */
int gs_interrupt_past_deadline(void);
/* 1 when the daemon stops, this thread's request was interrupted, or its
 * deadline passed GS_DEADLINE_GRACE seconds ago. */
int gs_interrupted(void);
/* Why gs_interrupted() said 1: -ETIMEDOUT when only the deadline passed,
 * else -EINTR. */
int gs_interrupt_errno(void);

/* The calling thread answers a call from what is cached, on libfuse's own
 * thread, and must not wait on Graph at all (fs/kernel/interruptible.c):
 * while on, a read of Graph (fs/fetch/graph_get.h gs_fs_get) serves a fresh
 * cached copy or fails at once with -EWOULDBLOCK, a read-ahead wait returns
 * at once, and no failure is recorded (the call goes to the request pool,
 * which does it all again). */
void gs_interrupt_set_nowait(int on);
int gs_interrupt_nowait(void);

/* An absolute CLOCK_REALTIME time GS_INTERRUPT_POLL from now, for a
 * pthread timed wait that checks gs_interrupted() between rounds. */
struct timespec;
void gs_interrupt_poll_deadline(struct timespec *ts);

/* nanosleep until monotonic time t (common/clock.h gs_now), cut short when
 * gs_interrupted(): returns 0, or -EINTR when cut. */
int gs_sleep_until_or_interrupted(double t);

#endif

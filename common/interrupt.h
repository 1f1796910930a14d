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
 * (an int another thread may set at any time); NULL: none. */
void gs_interrupt_arm(int *flag);
/* 1 when the daemon stops or this thread's request was interrupted. */
int gs_interrupted(void);

/* An absolute CLOCK_REALTIME time GS_INTERRUPT_POLL from now, for a
 * pthread timed wait that checks gs_interrupted() between rounds. */
struct timespec;
void gs_interrupt_poll_deadline(struct timespec *ts);

/* nanosleep until monotonic time t (common/clock.h gs_now), cut short when
 * gs_interrupted(): returns 0, or -EINTR when cut. */
int gs_sleep_until_or_interrupted(double t);

#endif

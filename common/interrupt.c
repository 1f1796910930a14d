/* Ending waits early (interrupt.h). */
#include "common/interrupt.h"

#include <errno.h>
#include <time.h>

#include "common/clock.h"

static int stopping;               /* atomic */
static __thread int *request_flag; /* the calling thread's request, or NULL */
static __thread double request_deadline; /* gs_now() time; 0: none */
static __thread int no_wait;             /* gs_interrupt_set_nowait */

void gs_interrupt_set_nowait(int on)
{
    no_wait = on;
}

int gs_interrupt_nowait(void)
{
    return no_wait;
}

void gs_stop_all(void)
{
    __atomic_store_n(&stopping, 1, __ATOMIC_RELEASE);
}

int gs_stopping(void)
{
    return __atomic_load_n(&stopping, __ATOMIC_ACQUIRE);
}

void gs_interrupt_arm(int *flag)
{
    request_flag = flag;
    request_deadline = 0;
}

void gs_interrupt_set_deadline(double t)
{
    request_deadline = t;
}

double gs_interrupt_clip(double t)
{
    return request_deadline > 0 && request_deadline < t ? request_deadline : t;
}

int gs_interrupt_past_deadline(void)
{
    return request_deadline > 0 && gs_now() >= request_deadline;
}

static int signalled(void)
{
    if (gs_stopping())
        return 1;
    return request_flag && __atomic_load_n(request_flag, __ATOMIC_ACQUIRE);
}

int gs_interrupted(void)
{
    return signalled() || (request_deadline > 0 && gs_now() >= request_deadline + GS_DEADLINE_GRACE);
}

int gs_interrupt_errno(void)
{
    return signalled() || !gs_interrupt_past_deadline() ? -EINTR : -ETIMEDOUT;
}

void gs_interrupt_poll_deadline(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += (long)(GS_INTERRUPT_POLL * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

int gs_sleep_until_or_interrupted(double t)
{
    for (;;) {
        if (gs_interrupted())
            return -EINTR;
        double left = t - gs_now();
        if (left <= 0)
            return 0;
        if (left > GS_INTERRUPT_POLL)
            left = GS_INTERRUPT_POLL;
        struct timespec ts = {.tv_sec = (time_t)left};
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        nanosleep(&ts, NULL);
    }
}

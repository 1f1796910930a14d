/* Time for deadlines (monotonic), for Retry-After dates (wall clock), and
 * waiting between attempts. */
#include <errno.h>
#include <time.h>

#include "common/clock.h"

double gs_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double gs_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gs_sleep_until(double t)
{
    for (;;) {
        double left = t - gs_now();
        if (left <= 0)
            return;
        struct timespec ts = {.tv_sec = (time_t)left};
        ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
        if (nanosleep(&ts, NULL) == 0)
            return;
        if (errno != EINTR)
            return;
    }
}

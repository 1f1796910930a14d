/* Time for deadlines (monotonic) and for Retry-After dates (wall clock). */
#ifndef GS_CLOCK_H
#define GS_CLOCK_H

/* Monotonic seconds, and wall clock seconds since the epoch. */
double gs_now(void);
double gs_wall_now(void);
/* Sleeps until the monotonic time t (no-op if it is past). */
void gs_sleep_until(double t);

#endif

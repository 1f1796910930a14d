/* One rate limit shared by every caller: at most `limit` requests in any
 * `window` seconds, as Graph's reports throttle counts them (5 requests per
 * 10 s per application and tenant for /auditLogs). Each of the `limit` slots
 * is a token that comes back `window` seconds after the request that used it
 * finished, so no window, however placed, holds more than `limit` requests
 * arriving at Graph. Waiting callers are served in arrival order. */
#ifndef GS_RATE_BUCKET_H
#define GS_RATE_BUCKET_H

#include <pthread.h>

struct gs_rate_waiter;

struct gs_rate_bucket {
    pthread_mutex_t lock;         /* every field below */
    pthread_cond_t changed;       /* a slot came back, a waiter left, a pause ended */
    int limit;
    double window;                /* seconds */
    double *free_at;              /* per slot: monotonic time it may be used again;
                                   * 0 free, INFINITY while its request runs */
    double paused_until;          /* Graph answered 429: nothing before this */
    struct gs_rate_waiter *head, *tail; /* callers waiting, oldest first */
    unsigned waiting;
};

/* 0, -EINVAL (limit < 1 or window <= 0) or -ENOMEM. */
int gs_rate_bucket_init(struct gs_rate_bucket *b, int limit, double window);
void gs_rate_bucket_destroy(struct gs_rate_bucket *b);

/* Without waiting (lock held): a slot usable at monotonic time `now`, or -1
 * and *ready_at = the earliest time one will be (INFINITY while every slot's
 * request is still running). */
int gs_rate_bucket_try_locked(struct gs_rate_bucket *b, double now, double *ready_at);

/* Waits in arrival order for a slot until the monotonic time `deadline`.
 * 0 with *slot (give it back with gs_rate_bucket_done once the request has
 * finished), or -EAGAIN when no slot comes back in time: at once when it is
 * known that none will, else at the deadline. *ahead (may be NULL): the
 * number of callers that were ahead when this one arrived. */
int gs_rate_bucket_take(struct gs_rate_bucket *b, double deadline, int *slot, unsigned *ahead);

/* The request that used `slot` finished at monotonic time `now`. */
void gs_rate_bucket_done(struct gs_rate_bucket *b, int slot, double now);

/* Graph answered 429 anyway (another client of the same application): no
 * slot is used before now + seconds. */
void gs_rate_bucket_pause(struct gs_rate_bucket *b, double now, double seconds);

#endif

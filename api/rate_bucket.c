#include "api/rate_bucket.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/thread.h"

struct gs_rate_waiter {
    struct gs_rate_waiter *prev, *next;
};

int gs_rate_bucket_init(struct gs_rate_bucket *b, int limit, double window)
{
    if (limit < 1 || !(window > 0))
        return -EINVAL;
    b->free_at = calloc((size_t)limit, sizeof(*b->free_at));
    if (!b->free_at)
        return -ENOMEM;
    b->limit = limit;
    b->window = window;
    b->paused_until = 0;
    b->head = b->tail = NULL;
    b->waiting = 0;
    pthread_mutex_init(&b->lock, NULL);
    gs_cond_init_monotonic(&b->changed);
    return 0;
}

void gs_rate_bucket_destroy(struct gs_rate_bucket *b)
{
    if (!b->free_at)
        return;
    pthread_cond_destroy(&b->changed);
    pthread_mutex_destroy(&b->lock);
    free(b->free_at);
    b->free_at = NULL;
}

int gs_rate_bucket_try_locked(struct gs_rate_bucket *b, double now, double *ready_at)
{
    double best = INFINITY;
    int best_slot = -1;
    for (int i = 0; i < b->limit; i++) {
        if (b->free_at[i] < best) {
            best = b->free_at[i];
            best_slot = i;
        }
    }
    if (best < b->paused_until)
        best = b->paused_until;
    if (best_slot >= 0 && best <= now)
        return best_slot;
    *ready_at = best;
    return -1;
}

static void unlink_waiter(struct gs_rate_bucket *b, struct gs_rate_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        b->tail = w->prev;
    b->waiting--;
    pthread_cond_broadcast(&b->changed); /* the next one may be first now */
}

static void wait_until(struct gs_rate_bucket *b, double t)
{
    double now = gs_now();
    if (isinf(t) || t - now > 1.0)
        t = now + 1.0; /* wake up now and then: slots come back by broadcast anyway */
    struct timespec ts; /* gs_now() is CLOCK_MONOTONIC, the condition's clock */
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    pthread_cond_timedwait(&b->changed, &b->lock, &ts);
}

int gs_rate_bucket_take(struct gs_rate_bucket *b, double deadline, int *slot, unsigned *ahead)
{
    struct gs_rate_waiter me = {0};
    pthread_mutex_lock(&b->lock);
    if (ahead)
        *ahead = b->waiting;
    me.prev = b->tail;
    if (b->tail)
        b->tail->next = &me;
    else
        b->head = &me;
    b->tail = &me;
    b->waiting++;
    int r = -EAGAIN;
    for (;;) {
        double now = gs_now();
        double ready = INFINITY;
        int s = b->head == &me ? gs_rate_bucket_try_locked(b, now, &ready) : -1;
        if (s >= 0) {
            b->free_at[s] = INFINITY;
            *slot = s;
            r = 0;
            break;
        }
        /* first in line and the next slot (known) comes back too late: say so now */
        if (now >= deadline || (b->head == &me && !isinf(ready) && ready > deadline))
            break;
        wait_until(b, b->head == &me && ready < deadline ? ready : deadline);
    }
    unlink_waiter(b, &me);
    pthread_mutex_unlock(&b->lock);
    return r;
}

void gs_rate_bucket_done(struct gs_rate_bucket *b, int slot, double now)
{
    pthread_mutex_lock(&b->lock);
    if (slot >= 0 && slot < b->limit)
        b->free_at[slot] = now + b->window;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

void gs_rate_bucket_pause(struct gs_rate_bucket *b, double now, double seconds)
{
    pthread_mutex_lock(&b->lock);
    if (now + seconds > b->paused_until)
        b->paused_until = now + seconds;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

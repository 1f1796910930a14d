/* The shared rate bucket of log reads: no window of `window` seconds ever
 * holds more than `limit` requests (slots come back `window` after the
 * request that used them finished), a 429 pauses every slot, waiting callers
 * are served in arrival order, and a caller that cannot get a slot in time
 * is told so (EAGAIN) at once when that is already known. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

#include "api/rate_bucket.h"
#include "common/clock.h"
#include "tests/unit/check.h"

static int try_at(struct gs_rate_bucket *b, double now, double *ready)
{
    pthread_mutex_lock(&b->lock);
    int s = gs_rate_bucket_try_locked(b, now, ready);
    if (s >= 0)
        b->free_at[s] = INFINITY; /* as take does */
    pthread_mutex_unlock(&b->lock);
    return s;
}

/* With made-up times: five slots, each back 10 s after its request ended. */
static void test_sliding_window(void)
{
    struct gs_rate_bucket b;
    CHECK_INT(gs_rate_bucket_init(&b, 5, 10.0), 0);
    double ready = 0;
    int slots[5];
    for (int i = 0; i < 5; i++) {
        slots[i] = try_at(&b, 100.0 + i, &ready);
        CHECK(slots[i] >= 0);
    }
    CHECK_INT(try_at(&b, 105.0, &ready), -1);
    CHECK(isinf(ready)); /* every request still running: no time known */
    for (int i = 0; i < 5; i++)
        gs_rate_bucket_done(&b, slots[i], 100.5 + i);
    CHECK_INT(try_at(&b, 110.4, &ready), -1);
    CHECK(fabs(ready - 110.5) < 1e-9);
    int s = try_at(&b, 110.5, &ready);
    CHECK_INT(s, slots[0]);
    CHECK_INT(try_at(&b, 110.9, &ready), -1);
    CHECK(fabs(ready - 111.5) < 1e-9);
    gs_rate_bucket_done(&b, s, 111.0);

    /* Graph said 429 with Retry-After 30: nothing before then, whatever is free */
    gs_rate_bucket_pause(&b, 112.0, 30.0);
    CHECK_INT(try_at(&b, 130.0, &ready), -1);
    CHECK(fabs(ready - 142.0) < 1e-9);
    CHECK(try_at(&b, 142.0, &ready) >= 0);
    gs_rate_bucket_destroy(&b);
    CHECK_INT(gs_rate_bucket_init(&b, 0, 10.0), -EINVAL);
    CHECK_INT(gs_rate_bucket_init(&b, 1, 0.0), -EINVAL);
}

struct racer {
    struct gs_rate_bucket *b;
    int id;
    int *order;
    int *n;
    pthread_mutex_t *lock;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    int slot;
    if (gs_rate_bucket_take(r->b, gs_now() + 60.0, &slot, NULL) == 0) {
        pthread_mutex_lock(r->lock);
        r->order[(*r->n)++] = r->id;
        pthread_mutex_unlock(r->lock);
        gs_rate_bucket_done(r->b, slot, gs_now());
    }
    return NULL;
}

/* One slot back 50 ms after use: callers that queued one after the other
 * are served in that order. */
static void test_fifo(void)
{
    struct gs_rate_bucket b;
    CHECK_INT(gs_rate_bucket_init(&b, 1, 0.05), 0);
    int held;
    CHECK_INT(gs_rate_bucket_take(&b, gs_now() + 1.0, &held, NULL), 0);
    enum { N = 4 };
    pthread_t t[N];
    struct racer r[N];
    int order[N], n = 0;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){&b, i, order, &n, &lock};
        pthread_create(&t[i], NULL, race, &r[i]);
        for (;;) { /* the next thread starts once this one is queued */
            pthread_mutex_lock(&b.lock);
            unsigned w = b.waiting;
            pthread_mutex_unlock(&b.lock);
            if (w == (unsigned)i + 1)
                break;
            usleep(1000);
        }
    }
    gs_rate_bucket_done(&b, held, gs_now());
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(n, N);
    for (int i = 0; i < N; i++)
        CHECK_INT(order[i], i);
    gs_rate_bucket_destroy(&b);
}

static void wait_queued(struct gs_rate_bucket *b, unsigned n)
{
    for (;;) {
        pthread_mutex_lock(&b->lock);
        unsigned w = b->waiting;
        pthread_mutex_unlock(&b->lock);
        if (w >= n)
            return;
        usleep(1000);
    }
}

/* A slot that came back while the first caller in line still sleeps goes to
 * that caller, not to one that arrives just then. */
static void test_no_overtaking(void)
{
    struct gs_rate_bucket b;
    CHECK_INT(gs_rate_bucket_init(&b, 1, 0.05), 0);
    int held;
    CHECK_INT(gs_rate_bucket_take(&b, gs_now() + 1.0, &held, NULL), 0);
    int order[2], n = 0;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct racer first = {&b, 0, order, &n, &lock}, late = {&b, 1, order, &n, &lock};
    pthread_t t0, t1;
    pthread_create(&t0, NULL, race, &first);
    wait_queued(&b, 1);
    pthread_mutex_lock(&b.lock);
    b.free_at[held] = 0; /* back, without waking anyone */
    pthread_mutex_unlock(&b.lock);
    pthread_create(&t1, NULL, race, &late);
    pthread_join(t1, NULL);
    pthread_join(t0, NULL);
    CHECK_INT(n, 2);
    CHECK_INT(order[0], 0);
    CHECK_INT(order[1], 1);
    gs_rate_bucket_destroy(&b);
}

/* The only slot comes back in 100 s: a caller allowed 1 s is refused at
 * once, not after waiting its whole second; one waiting behind it is told
 * how many were ahead. */
static void test_refused_early(void)
{
    struct gs_rate_bucket b;
    CHECK_INT(gs_rate_bucket_init(&b, 1, 100.0), 0);
    int s;
    unsigned ahead = 7;
    CHECK_INT(gs_rate_bucket_take(&b, gs_now() + 1.0, &s, &ahead), 0);
    CHECK_INT(ahead, 0);
    gs_rate_bucket_done(&b, s, gs_now());
    double t0 = gs_now();
    CHECK_INT(gs_rate_bucket_take(&b, t0 + 1.0, &s, NULL), -EAGAIN);
    CHECK(gs_now() - t0 < 0.9);
    CHECK_INT(b.waiting, 0);
    CHECK(b.head == NULL && b.tail == NULL);
    gs_rate_bucket_destroy(&b);
}

int main(void)
{
    test_sliding_window();
    test_fifo();
    test_no_overtaking();
    test_refused_early();
    return check_report("test_rate_bucket");
}

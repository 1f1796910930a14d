/* Answering the requests that may wait on Graph within their time bound
 * (request_pool.h). */
#include "fs/kernel/request_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/interrupt.h"
#include "common/log.h"

/* One system call reaches graphsyncfs as several requests, one after the
 * other from the same caller thread (a lookup, then an open or opendir):
 * the time a request waited for a pool thread counts against the next one
 * the caller sends at once, so that the call stays within its bound. */
#define CALLERS 256
#define CHAIN_GAP 0.25  /* seconds between an answer and the caller's next request */
#define QUEUED_AT_ALL 0.05 /* a shorter wait for a thread is no wait */
struct caller {
    pid_t tid;
    double answered;    /* gs_now() time of the last answer */
    double waited;      /* what that request and the ones before it waited for a thread */
};

/* A call queued this long while no thread is idle gets a thread of its own
 * (the busy ones wait on Graph), up to MAX_EXTRA such threads in all;
 * an extra thread ends when it finds the queue empty. */
#define SPARE_AFTER 0.05
#define MAX_EXTRA 1024

static struct {
    pthread_mutex_t lock;     /* leaf; guards the members below and the jobs' pool fields */
    pthread_cond_t work;      /* with lock: the queue got a job, or stop */
    pthread_cond_t queued;    /* with lock: a job was queued beyond the idle threads, or stop */
    pthread_cond_t gone;      /* with lock: an extra thread ended */
    unsigned idle;            /* threads waiting for a job */
    unsigned nqueued;         /* jobs in the queue */
    unsigned extra;           /* extra threads running */
    pthread_t overseer;       /* starts the extra threads */
    int overseeing;           /* the overseer runs (set before the session loop) */
    struct gs_rq_job *head, *tail; /* the queue, oldest (earliest deadline) first */
    struct gs_rq_job *free;   /* done jobs: kept until gs_rq_stop, since a late
                               * INTERRUPT callback may still name one */
    int stop;
    pthread_t *threads;       /* set before the session loop, read after it */
    unsigned nthreads;
    double budget;
    struct caller callers[CALLERS]; /* by caller thread id modulo CALLERS */
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER,
            .queued = PTHREAD_COND_INITIALIZER, .gone = PTHREAD_COND_INITIALIZER};

struct gs_rq_job *gs_rq_job_new(fuse_req_t req)
{
    pthread_mutex_lock(&pool.lock);
    struct gs_rq_job *j = pool.free;
    if (j) {
        pool.free = j->next;
        *j = (struct gs_rq_job){.req = req}; /* under the lock: see on_interrupt */
    }
    pthread_mutex_unlock(&pool.lock);
    if (!j && (j = malloc(sizeof(*j))))
        *j = (struct gs_rq_job){.req = req};
    return j;
}

void gs_rq_job_drop(struct gs_rq_job *j)
{
    pthread_mutex_lock(&pool.lock);
    free(j->name);
    free(j->name2);
    free(j->buf);
    j->name = j->name2 = j->buf = NULL;
    j->owner = NULL;
    j->next = pool.free;
    pool.free = j;
    pthread_mutex_unlock(&pool.lock);
}

/* Takes j out of the queue (pool.lock held; j->queued). */
static void unqueue_locked(struct gs_rq_job *j)
{
    struct gs_rq_job **p = &pool.head, *prev = NULL;
    while (*p != j) {
        prev = *p;
        p = &(*p)->next;
    }
    *p = j->next;
    if (pool.tail == j)
        pool.tail = prev;
    j->queued = 0;
    pool.nqueued--;
}

/* The caller got a signal. libfuse calls this holding the request's lock,
 * on the thread that read the INTERRUPT, or on the submitting thread when
 * the INTERRUPT came first. A queued call is answered here: nothing else
 * will run it (the request cannot be freed meanwhile: libfuse holds a
 * reference to it while calling this). */
static void on_interrupt(fuse_req_t req, void *data)
{
    struct gs_rq_job *j = data;
    pthread_mutex_lock(&pool.lock);
    int mine = j->owner == req; /* else a late call for a request answered before */
    if (mine)
        __atomic_store_n(&j->interrupted, 1, __ATOMIC_RELEASE);
    int answer = mine && j->queued;
    if (answer)
        unqueue_locked(j);
    pthread_mutex_unlock(&pool.lock);
    if (answer) {
        fuse_reply_err(req, EINTR);
        gs_rq_job_drop(j);
    }
}

/* The deadline of a request of caller tid submitted now (pool.lock held). */
static double deadline_locked(pid_t tid, double now)
{
    const struct caller *c = &pool.callers[(unsigned)tid % CALLERS];
    double waited = c->tid == tid && tid != 0 && now - c->answered < CHAIN_GAP ? c->waited : 0;
    return now + (waited < pool.budget ? pool.budget - waited : 0);
}

/* Request j of caller tid is answered (pool.lock held). */
static void answered_locked(pid_t tid, const struct gs_rq_job *j, double started, double now)
{
    struct caller *c = &pool.callers[(unsigned)tid % CALLERS];
    double waited = started - j->submitted;
    if (waited < QUEUED_AT_ALL) {
        waited = 0;
    } else if (c->tid == tid && j->submitted - c->answered < CHAIN_GAP) {
        waited += c->waited;
    }
    *c = (struct caller){.tid = tid, .answered = now, .waited = waited};
}

static void run(struct gs_rq_job *j)
{
    pid_t tid = fuse_req_ctx(j->req)->pid; /* read before the answer frees req */
    double started = gs_now();
    gs_interrupt_arm(j->plain ? NULL : &j->interrupted);
    if (!j->plain)
        gs_interrupt_set_deadline(j->deadline);
    j->run(j);
    gs_interrupt_arm(NULL);
    double now = gs_now();
    pthread_mutex_lock(&pool.lock);
    answered_locked(tid, j, started, now);
    pthread_mutex_unlock(&pool.lock);
    gs_rq_job_drop(j);
}

/* arg: NULL for one of the `workers` threads, else an extra thread. */
static void *worker(void *arg)
{
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (!pool.head && !pool.stop && !arg) {
            pool.idle++;
            pthread_cond_wait(&pool.work, &pool.lock);
            pool.idle--;
        }
        struct gs_rq_job *j = pool.head;
        if (j)
            unqueue_locked(j);
        if (!j && arg) {
            pool.extra--;
            pthread_cond_broadcast(&pool.gone);
        }
        pthread_mutex_unlock(&pool.lock);
        if (!j)
            return NULL; /* stopping and nothing is left, or an extra thread done */
        run(j);
    }
}

/* Extra threads for the calls queued SPARE_AFTER or longer beyond the idle
 * threads (pool.lock held; dropped while starting them). */
static void add_extra_locked(void)
{
    double now = gs_now();
    unsigned old = 0;
    for (const struct gs_rq_job *j = pool.head; j && now - j->submitted >= SPARE_AFTER; j = j->next)
        old++;
    unsigned want = old > pool.idle ? old - pool.idle : 0;
    if (want > MAX_EXTRA - pool.extra)
        want = MAX_EXTRA - pool.extra;
    pool.extra += want;
    pthread_mutex_unlock(&pool.lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    unsigned started = 0;
    for (pthread_t t; started < want && pthread_create(&t, &attr, worker, &pool) == 0;)
        started++;
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&pool.lock);
    pool.extra -= want - started;
}

static void *oversee(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    while (!pool.stop) {
        if (!pool.head) {
            pthread_cond_wait(&pool.queued, &pool.lock);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += (long)(SPARE_AFTER * 1e9);
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&pool.queued, &pool.lock, &ts);
        if (!pool.stop)
            add_extra_locked();
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

void gs_rq_submit(struct gs_rq_job *j)
{
    pid_t tid = fuse_req_ctx(j->req)->pid;
    pthread_mutex_lock(&pool.lock);
    j->submitted = gs_now();
    j->deadline = deadline_locked(tid, j->submitted);
    j->owner = j->req;
    pthread_mutex_unlock(&pool.lock);
    /* registered before any thread can take the job: an INTERRUPT that came
     * before calls on_interrupt now, and one that comes later finds it */
    if (!j->plain)
        fuse_req_interrupt_func(j->req, on_interrupt, j);
    pthread_mutex_lock(&pool.lock);
    int interrupted = __atomic_load_n(&j->interrupted, __ATOMIC_ACQUIRE);
    int inline_run = !interrupted && pool.nthreads == 0;
    if (!interrupted && !inline_run) {
        j->queued = 1;
        if (pool.tail)
            pool.tail->next = j;
        else
            pool.head = j;
        pool.tail = j;
        j->next = NULL;
        pool.nqueued++;
        pthread_cond_signal(&pool.work);
        /* the overseer only when a job may wait for a thread: a thread
         * waiting for each queued job takes it (waking the overseer for
         * every call cost a warm lookup a second thread's wake-up) */
        if (pool.nqueued > pool.idle)
            pthread_cond_signal(&pool.queued);
    }
    pthread_mutex_unlock(&pool.lock);
    if (interrupted) {
        fuse_reply_err(j->req, EINTR);
        gs_rq_job_drop(j);
    } else if (inline_run) {
        run(j);
    }
}

int gs_rq_start(unsigned workers, double budget)
{
    pool.budget = budget;
    pool.stop = 0;
    pool.threads = calloc(workers, sizeof(*pool.threads));
    if (!pool.threads)
        return -ENOMEM;
    unsigned n = 0;
    for (; n < workers; n++) {
        if (pthread_create(&pool.threads[n], NULL, worker, NULL) != 0)
            break;
    }
    if (n < workers)
        gs_warn("only %u of %u request threads started", n, workers);
    pool.overseeing = n > 0 && pthread_create(&pool.overseer, NULL, oversee, NULL) == 0;
    if (n > 0 && !pool.overseeing)
        gs_warn("cannot start the request pool's overseer: no threads beyond threads=%u", n);
    pthread_mutex_lock(&pool.lock);
    pool.nthreads = n;
    pthread_mutex_unlock(&pool.lock);
    return n > 0 ? 0 : -EAGAIN;
}

void gs_rq_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stop = 1;
    unsigned n = pool.nthreads;
    pthread_cond_broadcast(&pool.work);
    pthread_cond_broadcast(&pool.queued);
    pthread_mutex_unlock(&pool.lock);
    if (pool.overseeing)
        pthread_join(pool.overseer, NULL);
    pool.overseeing = 0;
    for (unsigned i = 0; i < n; i++)
        pthread_join(pool.threads[i], NULL);
    free(pool.threads);
    pthread_mutex_lock(&pool.lock);
    while (pool.extra > 0)
        pthread_cond_wait(&pool.gone, &pool.lock);
    pool.threads = NULL;
    pool.nthreads = 0;
    struct gs_rq_job *j = pool.free;
    pool.free = NULL;
    pthread_mutex_unlock(&pool.lock);
    while (j) {
        struct gs_rq_job *next = j->next;
        free(j);
        j = next;
    }
}

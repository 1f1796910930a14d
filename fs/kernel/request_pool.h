/* Answering the requests that may wait on Graph within their time bound,
 * however many callers there are (issue 13, finding 6).
 *
 * libfuse's threads read every request from the kernel and hand such a
 * request to this pool at once, so they are always free to read the next
 * one (and the INTERRUPT of a waiting one): no call waits in the kernel.
 * The time bound of a call starts when it is handed over: its deadline,
 * timeout * (retries + 1) later (common/interrupt.h), ends every request to
 * Graph it makes, however long it waited for a thread. Threads of the pool
 * take the calls oldest first, so a thread is free again by the deadline of
 * the call it serves, which is no later than that of the calls queued after
 * it; a call whose deadline passed while queued fails at once with
 * ETIMEDOUT (or gets its stale copy) without asking Graph.
 * A queued call whose caller got a signal is answered EINTR at once.
 *
 * Locks: the pool's lock is a leaf lock (HACKING.md). It is also taken by
 * the INTERRUPT callback, which libfuse calls holding the request's own
 * lock: the pool never calls libfuse while holding it. */
#ifndef GS_REQUEST_POOL_H
#define GS_REQUEST_POOL_H

#include <fuse_lowlevel.h>
#include <sys/stat.h>

struct gs_rq_job;
/* Runs job: calls its handler, which answers job->req. */
typedef void (*gs_rq_run_fn)(struct gs_rq_job *job);

/* One request handed to the pool. */
struct gs_rq_job {
    /* the request and its arguments: set by the caller of gs_rq_submit,
     * immutable until the run function answers it */
    fuse_req_t req;
    int op;
    fuse_ino_t ino;
    size_t size;
    off_t off;
    int has_fi;
    struct fuse_file_info fi;
    char *name, *name2;         /* owned: freed when the job is done */
    char *buf;                  /* owned: a write's bytes */
    fuse_ino_t ino2;
    mode_t mode;
    dev_t rdev;
    int to_set;
    unsigned flags;
    struct stat attr;
    int plain;                  /* a call that may change Graph: run as libfuse would,
                                 * with no deadline, and an INTERRUPT is not heard */
    gs_rq_run_fn run;
    /* the pool's */
    struct gs_rq_job *next;     /* pool lock: the queue or the free list */
    fuse_req_t owner;           /* pool lock: req while in use, NULL once done (an
                                 * INTERRUPT of an answered request finds it so) */
    int queued;                 /* pool lock: in the queue, no thread took it yet */
    int interrupted;            /* atomic: the caller's INTERRUPT came */
    double submitted;           /* common/clock.h gs_now() time it was handed over */
    double deadline;            /* gs_now() time: the call's time bound */
};

/* Starts `workers` threads; budget: the time bound of a call in seconds.
 * Before it (or when it fails), gs_rq_submit runs the job on the calling
 * thread. 0 or -errno. */
int gs_rq_start(unsigned workers, double budget);
/* After the session loop and gs_stop_all(): the queued jobs are answered
 * (they end at once), the threads end, the jobs are freed. */
void gs_rq_stop(void);

/* A zeroed job for req; NULL when there is no memory. */
struct gs_rq_job *gs_rq_job_new(fuse_req_t req);
/* A job answered without gs_rq_submit (or by the pool): kept for reuse. */
void gs_rq_job_drop(struct gs_rq_job *job);
/* Hands job (from gs_rq_job_new, arguments and run set) to the pool; the
 * pool owns it from now on. */
void gs_rq_submit(struct gs_rq_job *job);

#endif

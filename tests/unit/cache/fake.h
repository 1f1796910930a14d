/* Test doubles for the cache: a fetcher answering from a table (with a gate
 * to hold fetches in flight), a clock moved by hand, a change recorder. */
#ifndef GS_TEST_CACHE_FAKE_H
#define GS_TEST_CACHE_FAKE_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/cache_fetch.h"

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define CHECK_INT(a, op, b)                                                           \
    do {                                                                              \
        long long va_ = (long long)(a), vb_ = (long long)(b);                         \
        if (!(va_ op vb_)) {                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s %s %s (%lld vs %lld)\n",         \
                    __FILE__, __LINE__, #a, #op, #b, va_, vb_);                       \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define FAKE_MAX_KEYS 64

struct fake_key {
    char *key;
    char *text;         /* answer body when err == 0 */
    int err;            /* 0 or a negative errno */
    long http_status;   /* with err: 0 for a network failure */
    int fetches;
};

struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    struct fake_key keys[FAKE_MAX_KEYS];
    size_t nkeys;
    int fetches;           /* all fetch calls */
    unsigned last_flags;
    int gate_closed;       /* fetches wait while it is closed */
    int in_fetch;          /* fetches inside the gate now */
    int request_seq;       /* request ids are "req-<n>" */
    double mono;           /* the clock, seconds */
    char **changes;        /* every key reported changed, in order */
    size_t nchanges, changes_cap;
};

void fake_init(struct fake *f);
void fake_destroy(struct fake *f);

/* Sets what fetching key returns from now on. */
void fake_answer(struct fake *f, const char *key, const char *json_text);
void fake_fail(struct fake *f, const char *key, int err, long http_status);

int fake_fetch(void *ctx, const char *key, unsigned flags, cJSON **json_out,
               char request_id[64], struct gs_error *err);
int fake_fetch_count(struct fake *f, const char *key);
int fake_total_fetches(struct fake *f);

void fake_gate(struct fake *f, int closed);
/* Waits (up to 30 s) until `n` fetches are held at the gate. */
void fake_wait_in_fetch(struct fake *f, int n);

void fake_clock(void *ctx, clockid_t which, struct timespec *ts);
void fake_advance(struct fake *f, double seconds);
/* What fake_clock says CLOCK_REALTIME is now. */
struct timespec fake_realtime(struct fake *f);

void fake_on_change(void *ctx, const char *key);
/* How many times key was reported changed; total reports. */
int fake_change_count(struct fake *f, const char *key);
int fake_total_changes(struct fake *f);

/* A cache on this fake: ttl per class, max_bytes (0: default). */
struct gs_cache *fake_cache(struct fake *f, double ttl_dir, double ttl_status, double ttl_doc,
                            size_t max_bytes);

/* Waits (up to 30 s) until the cache counts `n` coalesced callers. */
void wait_coalesced(struct gs_cache *c, unsigned long long n);

/* gs_cache_get that must succeed; returns the referenced doc. */
struct gs_doc *must_get(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                        unsigned flags);
/* gs_cache_get that must fail; returns its errno, err filled. */
int must_fail(struct gs_cache *c, const char *key, enum gs_ttl_class cls, unsigned flags,
              struct gs_error *err);

/* Printed compact form of a doc's JSON, to compare content (malloc'd). */
char *doc_text(const struct gs_doc *d);

#endif

/* Test doubles for the cache (see fake.h). */
#include "tests/unit/cache/fake.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define FAKE_REALTIME_BASE 1700000000.0

void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    CHECK(pthread_mutex_init(&f->lock, NULL) == 0);
    CHECK(pthread_cond_init(&f->cv, NULL) == 0);
    f->mono = 1000.0;
}

void fake_destroy(struct fake *f)
{
    for (size_t i = 0; i < f->nkeys; i++) {
        free(f->keys[i].key);
        free(f->keys[i].text);
    }
    for (size_t i = 0; i < f->nchanges; i++)
        free(f->changes[i]);
    free(f->changes);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->lock);
}

static struct fake_key *find_key(struct fake *f, const char *key, int create)
{
    for (size_t i = 0; i < f->nkeys; i++)
        if (strcmp(f->keys[i].key, key) == 0)
            return &f->keys[i];
    if (!create)
        return NULL;
    CHECK(f->nkeys < FAKE_MAX_KEYS);
    struct fake_key *k = &f->keys[f->nkeys++];
    k->key = strdup(key);
    CHECK(k->key);
    return k;
}

void fake_answer(struct fake *f, const char *key, const char *json_text)
{
    pthread_mutex_lock(&f->lock);
    struct fake_key *k = find_key(f, key, 1);
    free(k->text);
    k->text = strdup(json_text);
    CHECK(k->text);
    k->err = 0;
    k->http_status = 200;
    pthread_mutex_unlock(&f->lock);
}

void fake_fail(struct fake *f, const char *key, int err, long http_status)
{
    pthread_mutex_lock(&f->lock);
    struct fake_key *k = find_key(f, key, 1);
    k->err = err;
    k->http_status = http_status;
    pthread_mutex_unlock(&f->lock);
}

int fake_fetch(void *ctx, const char *key, unsigned flags, cJSON **json_out,
               char request_id[64], struct gs_error *err)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    f->fetches++;
    f->last_flags = flags;
    f->in_fetch++;
    pthread_cond_broadcast(&f->cv);
    while (f->gate_closed)
        pthread_cond_wait(&f->cv, &f->lock);
    f->in_fetch--;
    struct fake_key *k = find_key(f, key, 1);
    k->fetches++;
    int r = k->text || k->err ? k->err : -ENOENT;
    long status = k->text || k->err ? k->http_status : 404;
    cJSON *json = NULL;
    if (r == 0) {
        json = cJSON_Parse(k->text);
        CHECK(json);
        snprintf(request_id, 64, "req-%d", ++f->request_seq);
    }
    pthread_mutex_unlock(&f->lock);
    if (r != 0) {
        gs_error_set_local(err, "GET", key, r, "FakeFailure", "the fake said no");
        err->http_status = status;
        return r;
    }
    *json_out = json;
    return 0;
}

int fake_fetch_count(struct fake *f, const char *key)
{
    pthread_mutex_lock(&f->lock);
    struct fake_key *k = find_key(f, key, 0);
    int n = k ? k->fetches : 0;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int fake_total_fetches(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    int n = f->fetches;
    pthread_mutex_unlock(&f->lock);
    return n;
}

void fake_gate(struct fake *f, int closed)
{
    pthread_mutex_lock(&f->lock);
    f->gate_closed = closed;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->lock);
}

void fake_wait_in_fetch(struct fake *f, int n)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&f->lock);
    while (f->in_fetch < n)
        CHECK(pthread_cond_timedwait(&f->cv, &f->lock, &deadline) == 0);
    pthread_mutex_unlock(&f->lock);
}

void fake_clock(void *ctx, clockid_t which, struct timespec *ts)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    double t = f->mono + (which == CLOCK_REALTIME ? FAKE_REALTIME_BASE : 0);
    pthread_mutex_unlock(&f->lock);
    ts->tv_sec = (time_t)t;
    ts->tv_nsec = (long)((t - (double)ts->tv_sec) * 1e9);
}

void fake_advance(struct fake *f, double seconds)
{
    pthread_mutex_lock(&f->lock);
    f->mono += seconds;
    pthread_mutex_unlock(&f->lock);
}

struct timespec fake_realtime(struct fake *f)
{
    struct timespec ts;
    fake_clock(f, CLOCK_REALTIME, &ts);
    return ts;
}

void fake_on_change(void *ctx, const char *key)
{
    struct fake *f = ctx;
    pthread_mutex_lock(&f->lock);
    if (f->nchanges == f->changes_cap) {
        f->changes_cap = f->changes_cap ? 2 * f->changes_cap : 64;
        f->changes = realloc(f->changes, f->changes_cap * sizeof(*f->changes));
        CHECK(f->changes);
    }
    f->changes[f->nchanges] = strdup(key);
    CHECK(f->changes[f->nchanges]);
    f->nchanges++;
    pthread_mutex_unlock(&f->lock);
}

int fake_change_count(struct fake *f, const char *key)
{
    int n = 0;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->nchanges; i++)
        n += strcmp(f->changes[i], key) == 0;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int fake_total_changes(struct fake *f)
{
    pthread_mutex_lock(&f->lock);
    int n = (int)f->nchanges;
    pthread_mutex_unlock(&f->lock);
    return n;
}

struct gs_cache *fake_cache(struct fake *f, double ttl_dir, double ttl_status, double ttl_doc,
                            size_t max_bytes)
{
    struct gs_cache_config cfg = {
        .ttl = {[GS_TTL_DIR] = ttl_dir, [GS_TTL_STATUS] = ttl_status, [GS_TTL_DOC] = ttl_doc},
        .max_bytes = max_bytes,
    };
    struct gs_cache *c = NULL;
    CHECK(gs_cache_new_with_fetcher(&cfg, fake_fetch, f, fake_on_change, f, &c) == 0);
    gs_cache_set_clock(c, fake_clock, f);
    return c;
}

void wait_coalesced(struct gs_cache *c, unsigned long long n)
{
    for (int i = 0; i < 30000; i++) {
        struct gs_cache_stats st;
        gs_cache_get_stats(c, &st);
        if (st.coalesced >= n)
            return;
        usleep(1000);
    }
    CHECK(!"callers never all joined the fetch");
}

char *doc_text(const struct gs_doc *d)
{
    char *s = cJSON_PrintUnformatted(d->json);
    CHECK(s);
    return s;
}

struct gs_doc *must_get(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                        unsigned flags)
{
    struct gs_doc *d = NULL;
    struct gs_error err = {0};
    int r = gs_cache_get(c, key, cls, flags, &d, &err);
    if (r != 0)
        fprintf(stderr, "get %s: %d (%s)\n", key, r, err.code ? err.code : "-");
    CHECK_INT(r, ==, 0);
    CHECK(d);
    CHECK(strcmp(d->key, key) == 0);
    gs_error_clear(&err);
    return d;
}

int must_fail(struct gs_cache *c, const char *key, enum gs_ttl_class cls, unsigned flags,
              struct gs_error *err)
{
    struct gs_doc *d = (struct gs_doc *)1;
    int r = gs_cache_get(c, key, cls, flags, &d, err);
    CHECK_INT(r, <, 0);
    CHECK(d == NULL);
    CHECK_INT(err->err, ==, r);
    return r;
}

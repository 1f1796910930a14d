/* Single flight: one fetch for concurrent callers of a key, its result
 * (success or failure) shared; no lock held while fetching; changes made
 * while a fetch is in flight. */
#include <errno.h>
#include <string.h>

#include "tests/unit/cache/fake.h"

#define NTHREADS 50

struct caller {
    pthread_t thread;
    struct gs_cache *cache;
    const char *key;
    unsigned flags;
    int result;
    struct gs_doc *doc;
    struct gs_error err;
};

static void *call_get(void *arg)
{
    struct caller *a = arg;
    a->result = gs_cache_get(a->cache, a->key, GS_TTL_STATUS, a->flags, &a->doc, &a->err);
    return NULL;
}

static void start(struct caller *a, struct gs_cache *c, const char *key)
{
    memset(a, 0, sizeof(*a));
    a->cache = c;
    a->key = key;
    CHECK(pthread_create(&a->thread, NULL, call_get, a) == 0);
}

static void finish(struct caller *a)
{
    CHECK(pthread_join(a->thread, NULL) == 0);
}

/* NTHREADS callers of key, all waiting while one fetch is held in flight. */
static void all_at_once(struct fake *f, struct gs_cache *c, const char *key, struct caller *callers)
{
    fake_gate(f, 1);
    for (int i = 0; i < NTHREADS; i++)
        start(&callers[i], c, key);
    fake_wait_in_fetch(f, 1);
    wait_coalesced(c, NTHREADS - 1);
    fake_gate(f, 0);
    for (int i = 0; i < NTHREADS; i++)
        finish(&callers[i]);
}

static void test_one_fetch_for_fifty_callers(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/jobs/j1", "{\"id\":\"j1\",\"status\":{\"code\":\"Active\"}}");
    struct caller callers[NTHREADS];
    all_at_once(&f, c, "/jobs/j1", callers);

    CHECK_INT(fake_total_fetches(&f), ==, 1);
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_INT(callers[i].result, ==, 0);
        CHECK(callers[i].doc == callers[0].doc); /* the very same doc */
    }
    CHECK(strcmp(callers[0].doc->request_id, "req-1") == 0);
    CHECK(strcmp(cJSON_GetObjectItem(callers[0].doc->json, "id")->valuestring, "j1") == 0);
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.fetches, ==, 1);
    CHECK_INT(st.misses, ==, NTHREADS);
    CHECK_INT(st.coalesced, ==, NTHREADS - 1);
    CHECK_INT(st.hits, ==, 0);
    CHECK_INT(st.entries, ==, 1);
    for (int i = 0; i < NTHREADS; i++)
        gs_doc_unref(callers[i].doc);
    gs_doc_unref(must_get(c, "/jobs/j1", GS_TTL_STATUS, 0));
    CHECK_INT(fake_total_fetches(&f), ==, 1);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_failure_shared_by_all_waiters(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_fail(&f, "/jobs/j1", -EACCES, 403);
    struct caller callers[NTHREADS];
    all_at_once(&f, c, "/jobs/j1", callers);

    CHECK_INT(fake_total_fetches(&f), ==, 1);
    for (int i = 0; i < NTHREADS; i++) {
        CHECK_INT(callers[i].result, ==, -EACCES);
        CHECK(callers[i].doc == NULL);
        CHECK_INT(callers[i].err.http_status, ==, 403);
        CHECK_INT(callers[i].err.err, ==, -EACCES);
        CHECK(callers[i].err.code && strcmp(callers[i].err.code, "FakeFailure") == 0);
        gs_error_clear(&callers[i].err);
    }
    /* a failure is not cached: the next get asks again */
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.entries, ==, 0);
    CHECK_INT(st.bytes, ==, 0);
    fake_answer(&f, "/jobs/j1", "{}");
    gs_doc_unref(must_get(c, "/jobs/j1", GS_TTL_STATUS, 0));
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* Two keys fetch at the same time, and a cached key is served meanwhile:
 * no cache lock is held during a fetch. */
static void test_no_lock_during_fetch(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/a", "{\"k\":\"a\"}");
    fake_answer(&f, "/b", "{\"k\":\"b\"}");
    fake_answer(&f, "/c", "{\"k\":\"c\"}");
    gs_doc_unref(must_get(c, "/c", GS_TTL_STATUS, 0));
    fake_gate(&f, 1);
    struct caller a, b;
    start(&a, c, "/a");
    start(&b, c, "/b");
    fake_wait_in_fetch(&f, 2);
    struct gs_doc *d = must_get(c, "/c", GS_TTL_STATUS, 0);
    gs_doc_unref(d);
    gs_cache_invalidate(c, "/c");
    CHECK(!gs_cache_is_fresh(c, "/a"));
    fake_gate(&f, 0);
    finish(&a);
    finish(&b);
    CHECK_INT(a.result, ==, 0);
    CHECK_INT(b.result, ==, 0);
    CHECK(strcmp(cJSON_GetObjectItem(b.doc->json, "k")->valuestring, "b") == 0);
    gs_doc_unref(a.doc);
    gs_doc_unref(b.doc);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* Starts a get of key held at the gate, runs `change`, releases it. */
static void with_change_in_flight(struct fake *f, struct gs_cache *c, const char *key,
                                  void (*change)(struct gs_cache *, const char *),
                                  struct caller *a)
{
    fake_gate(f, 1);
    start(a, c, key);
    fake_wait_in_fetch(f, 1);
    change(c, key);
    fake_gate(f, 0);
    finish(a);
}

static void change_invalidate(struct gs_cache *c, const char *key)
{
    gs_cache_invalidate(c, key);
}

static void change_remove(struct gs_cache *c, const char *key)
{
    gs_cache_remove(c, key);
}

static void change_put(struct gs_cache *c, const char *key)
{
    cJSON *j = cJSON_Parse("{\"v\":\"put\"}");
    CHECK(j);
    CHECK_INT(gs_cache_put(c, key, GS_TTL_STATUS, j, "put-req"), ==, 0);
    /* the put is visible at once */
    struct gs_doc *d = must_get(c, key, GS_TTL_STATUS, GS_GET_CACHED_ONLY);
    CHECK(strcmp(d->request_id, "put-req") == 0);
    gs_doc_unref(d);
    cJSON_Delete(j);
}

/* A fetch that started before a change is not trusted afterwards: its
 * callers get it, the cache keeps it expired (or, after a remove, not at all). */
static void test_changes_during_flight(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"v\":\"fetched\"}");
    struct caller a;

    with_change_in_flight(&f, c, "/k", change_invalidate, &a);
    CHECK_INT(a.result, ==, 0);
    CHECK(strcmp(cJSON_GetObjectItem(a.doc->json, "v")->valuestring, "fetched") == 0);
    gs_doc_unref(a.doc);
    CHECK(!gs_cache_is_fresh(c, "/k"));
    gs_doc_unref(must_get(c, "/k", GS_TTL_STATUS, 0));
    CHECK_INT(fake_fetch_count(&f, "/k"), ==, 2);
    CHECK(gs_cache_is_fresh(c, "/k"));

    gs_cache_invalidate(c, "/k");
    with_change_in_flight(&f, c, "/k", change_remove, &a);
    CHECK_INT(a.result, ==, 0);
    CHECK(a.doc->generation > 0);
    gs_doc_unref(a.doc);
    struct gs_error err = {0};
    CHECK_INT(must_fail(c, "/k", GS_TTL_STATUS, GS_GET_CACHED_ONLY, &err), ==, -ENOENT);
    gs_error_clear(&err);

    with_change_in_flight(&f, c, "/k", change_put, &a);
    CHECK_INT(a.result, ==, 0);
    gs_doc_unref(a.doc);
    CHECK(!gs_cache_is_fresh(c, "/k"));
    gs_doc_unref(must_get(c, "/k", GS_TTL_STATUS, 0));
    CHECK_INT(fake_fetch_count(&f, "/k"), ==, 5);

    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.entries, ==, 1);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* Many threads over a few keys with invalidations: run under TSan/ASan. */
struct churn {
    struct gs_cache *cache;
    int seed;
};

static void *churn_thread(void *arg)
{
    struct churn *ch = arg;
    static const char *keys[] = {"/x/1", "/x/2", "/x/3", "/y/1"};
    unsigned s = (unsigned)ch->seed;
    for (int i = 0; i < 2000; i++) {
        s = s * 1103515245u + 12345u;
        const char *key = keys[(s >> 16) % 4];
        switch ((s >> 8) % 8) {
        case 0:
            gs_cache_invalidate_prefix(ch->cache, "/x/");
            break;
        case 1:
            gs_cache_remove(ch->cache, key);
            break;
        case 2: {
            cJSON *j = cJSON_CreateObject();
            CHECK(j && cJSON_AddNumberToObject(j, "n", (double)(s % 3)));
            CHECK_INT(gs_cache_put(ch->cache, key, GS_TTL_STATUS, j, NULL), ==, 0);
            cJSON_Delete(j);
            break;
        }
        default: {
            struct gs_doc *d = NULL;
            int r = gs_cache_get(ch->cache, key, GS_TTL_STATUS, GS_GET_STALE_OK, &d, NULL);
            CHECK_INT(r, ==, 0);
            CHECK(strcmp(d->key, key) == 0 && cJSON_IsObject(d->json));
            gs_doc_unref(d);
        }
        }
    }
    return NULL;
}

static void test_churn(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 0, 300, 600); /* TTL 0, tiny bound */
    fake_answer(&f, "/x/1", "{\"n\":1}");
    fake_answer(&f, "/x/2", "{\"n\":2}");
    fake_answer(&f, "/x/3", "{\"n\":3}");
    fake_answer(&f, "/y/1", "{\"n\":4}");
    pthread_t t[8];
    struct churn ch[8];
    for (int i = 0; i < 8; i++) {
        ch[i] = (struct churn){.cache = c, .seed = i + 1};
        CHECK(pthread_create(&t[i], NULL, churn_thread, &ch[i]) == 0);
    }
    for (int i = 0; i < 8; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.fetches, ==, fake_total_fetches(&f));
    /* nothing is held now: the next store brings the cache within its bound */
    cJSON *j = cJSON_CreateObject();
    CHECK(j);
    CHECK_INT(gs_cache_put(c, "/z", GS_TTL_STATUS, j, NULL), ==, 0);
    cJSON_Delete(j);
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.bytes, <=, 600);
    CHECK_INT(st.entries, >=, 1);
    gs_cache_free(c);
    fake_destroy(&f);
}

int main(void)
{
    test_one_fetch_for_fifty_callers();
    test_failure_shared_by_all_waiters();
    test_no_lock_during_fetch();
    test_changes_during_flight();
    test_churn();
    return 0;
}

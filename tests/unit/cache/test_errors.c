/* Failed fetches: 404 drops the entry, STALE_OK serves an expired entry only
 * when the refresh brought no usable answer (no HTTP answer, 429, 5xx, a body
 * that is not JSON) and then says why, failures are not cached. */
#include <errno.h>
#include <string.h>

#include "tests/unit/cache/fake.h"

static struct gs_cache_stats stats(struct gs_cache *c)
{
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    return st;
}

static void test_404_drops_entry(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/jobs/j", "{\"id\":\"j\"}");
    gs_doc_unref(must_get(c, "/jobs/j", GS_TTL_STATUS, 0));
    struct gs_doc *held = must_get(c, "/jobs/j", GS_TTL_STATUS, 0);
    fake_advance(&f, 6);
    fake_fail(&f, "/jobs/j", -ENOENT, 404);
    struct gs_error err = {0};
    /* STALE_OK does not hide a 404 */
    CHECK_INT(must_fail(c, "/jobs/j", GS_TTL_STATUS, GS_GET_STALE_OK, &err), ==, -ENOENT);
    CHECK_INT(err.http_status, ==, 404);
    gs_error_clear(&err);
    CHECK_INT(fake_change_count(&f, "/jobs/j"), ==, 1);
    CHECK_INT(stats(c).entries, ==, 0);
    CHECK_INT(stats(c).bytes, ==, 0);
    CHECK_INT(must_fail(c, "/jobs/j", GS_TTL_STATUS, GS_GET_CACHED_ONLY, &err), ==, -ENOENT);
    gs_error_clear(&err);
    CHECK(strcmp(cJSON_GetObjectItem(held->json, "id")->valuestring, "j") == 0);
    gs_doc_unref(held);

    /* a 404 for a key never cached reports nothing */
    CHECK_INT(must_fail(c, "/jobs/other", GS_TTL_STATUS, 0, &err), ==, -ENOENT);
    gs_error_clear(&err);
    CHECK_INT(fake_change_count(&f, "/jobs/other"), ==, 0);
    CHECK_INT(stats(c).entries, ==, 0);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_stale_ok(void)
{
    static const struct {
        int err;
        long status;
        int stale_served;
    } cases[] = {
        {-ETIMEDOUT, 0, 1},   {-EHOSTUNREACH, 0, 1}, {-ECONNRESET, 0, 1}, {-EIO, 0, 1},
        {-EIO, 500, 1},       {-ETIMEDOUT, 504, 1},  {-EAGAIN, 429, 1},   {-EACCES, 403, 0},
        {-EIO, 200, 1}, /* an answer that did not parse */
        {-EIO, 302, 1}, /* a redirect */
        {-EINVAL, 400, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake f;
        fake_init(&f);
        struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
        fake_answer(&f, "/k", "{\"v\":1}");
        struct gs_doc *d1 = must_get(c, "/k", GS_TTL_STATUS, 0);
        fake_advance(&f, 6);
        fake_fail(&f, "/k", cases[i].err, cases[i].status);

        struct gs_error err = {0};
        CHECK_INT(must_fail(c, "/k", GS_TTL_STATUS, 0, &err), ==, cases[i].err);
        CHECK_INT(err.http_status, ==, cases[i].status);
        gs_error_clear(&err);
        if (cases[i].stale_served) {
            struct gs_doc *d = NULL;
            CHECK_INT(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK, &d, &err), ==, 0);
            CHECK(d == d1);
            /* served, and err says why the copy is stale */
            CHECK_INT(err.err, ==, cases[i].err);
            CHECK_INT(err.http_status, ==, cases[i].status);
            gs_error_clear(&err);
            gs_doc_unref(d);
        } else {
            CHECK_INT(must_fail(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK, &err), ==, cases[i].err);
            gs_error_clear(&err);
        }
        /* every attempt asked again; the entry stays, expired, with its generation */
        CHECK_INT(fake_fetch_count(&f, "/k"), ==, 3);
        CHECK(!gs_cache_is_fresh(c, "/k"));
        struct gs_doc *d = must_get(c, "/k", GS_TTL_STATUS, GS_GET_CACHED_ONLY);
        CHECK(d == d1);
        gs_doc_unref(d);
        CHECK_INT(fake_total_changes(&f), ==, 0);
        CHECK_INT(stats(c).entries, ==, 1);

        /* recovery: equal content keeps the generation */
        fake_answer(&f, "/k", "{\"v\":1}");
        d = must_get(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK);
        CHECK(d != d1 && d->generation == d1->generation);
        gs_doc_unref(d);
        gs_doc_unref(d1);
        gs_cache_free(c);
        fake_destroy(&f);
    }
}

static void test_stale_ok_without_entry(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_fail(&f, "/k", -ETIMEDOUT, 0);
    struct gs_error err = {0};
    CHECK_INT(must_fail(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK, &err), ==, -ETIMEDOUT);
    CHECK(err.code && strcmp(err.code, "FakeFailure") == 0);
    gs_error_clear(&err);
    CHECK_INT(stats(c).entries, ==, 0);
    gs_cache_free(c);
    fake_destroy(&f);
}

struct caller {
    struct gs_cache *cache;
    unsigned flags;
    int result;
    struct gs_doc *doc;
    struct gs_error err;
};

static void *call_get(void *arg)
{
    struct caller *a = arg;
    a->result = gs_cache_get(a->cache, "/k", GS_TTL_STATUS, a->flags, &a->doc, &a->err);
    return NULL;
}

/* Callers sharing one failed fetch each apply their own STALE_OK. */
static void test_stale_ok_per_waiter(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"v\":1}");
    struct gs_doc *d1 = must_get(c, "/k", GS_TTL_STATUS, 0);
    fake_advance(&f, 6);
    fake_fail(&f, "/k", -EHOSTUNREACH, 0);
    fake_gate(&f, 1);
    struct caller a = {.cache = c, .flags = 0}, b = {.cache = c, .flags = GS_GET_STALE_OK};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, call_get, &a) == 0);
    fake_wait_in_fetch(&f, 1);
    CHECK(pthread_create(&tb, NULL, call_get, &b) == 0);
    wait_coalesced(c, 1);
    fake_gate(&f, 0);
    CHECK(pthread_join(ta, NULL) == 0);
    CHECK(pthread_join(tb, NULL) == 0);
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    CHECK_INT(a.result, ==, -EHOSTUNREACH);
    CHECK(a.doc == NULL && a.err.err == -EHOSTUNREACH);
    CHECK_INT(b.result, ==, 0);
    CHECK(b.doc == d1);
    gs_error_clear(&a.err);
    gs_error_clear(&b.err);
    gs_doc_unref(b.doc);
    gs_doc_unref(d1);
    gs_cache_free(c);
    fake_destroy(&f);
}

int main(void)
{
    test_404_drops_entry();
    test_stale_ok();
    test_stale_ok_without_entry();
    test_stale_ok_per_waiter();
    return 0;
}

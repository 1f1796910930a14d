/* Time-to-live per class, TTL 0, CACHED_ONLY, FRESH_ONLY, argument checks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/cache/fake.h"

static void get_and_drop(struct gs_cache *c, const char *key, enum gs_ttl_class cls)
{
    gs_doc_unref(must_get(c, key, cls, 0));
}

static void test_ttl_per_class(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/dir", "{\"value\":[]}");
    fake_answer(&f, "/status", "{\"code\":\"Active\"}");
    fake_answer(&f, "/doc", "{\"schema\":1}");

    get_and_drop(c, "/dir", GS_TTL_DIR);
    get_and_drop(c, "/status", GS_TTL_STATUS);
    get_and_drop(c, "/doc", GS_TTL_DOC);
    CHECK_INT(fake_total_fetches(&f), ==, 3);
    CHECK(gs_cache_is_fresh(c, "/dir") && gs_cache_is_fresh(c, "/status") &&
          gs_cache_is_fresh(c, "/doc"));

    fake_advance(&f, 4.9);
    get_and_drop(c, "/dir", GS_TTL_DIR);
    get_and_drop(c, "/status", GS_TTL_STATUS);
    get_and_drop(c, "/doc", GS_TTL_DOC);
    CHECK_INT(fake_total_fetches(&f), ==, 3);

    fake_advance(&f, 0.2); /* 5.1 s: status expired */
    CHECK(!gs_cache_is_fresh(c, "/status"));
    CHECK(gs_cache_is_fresh(c, "/dir"));
    get_and_drop(c, "/dir", GS_TTL_DIR);
    get_and_drop(c, "/status", GS_TTL_STATUS);
    get_and_drop(c, "/doc", GS_TTL_DOC);
    CHECK_INT(fake_fetch_count(&f, "/status"), ==, 2);
    CHECK_INT(fake_total_fetches(&f), ==, 4);

    fake_advance(&f, 55.5); /* 60.6 s after the first fetch of /dir */
    CHECK(!gs_cache_is_fresh(c, "/dir"));
    get_and_drop(c, "/dir", GS_TTL_DIR);
    get_and_drop(c, "/doc", GS_TTL_DOC);
    CHECK_INT(fake_fetch_count(&f, "/dir"), ==, 2);
    CHECK_INT(fake_fetch_count(&f, "/doc"), ==, 1);

    fake_advance(&f, 240); /* 300.6 s */
    get_and_drop(c, "/doc", GS_TTL_DOC);
    CHECK_INT(fake_fetch_count(&f, "/doc"), ==, 2);
    CHECK_INT(fake_total_fetches(&f), ==, 6);

    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_ttl_zero_always_refetches(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 0, 300, 0);
    fake_answer(&f, "/s", "{\"a\":1}");
    for (int i = 0; i < 3; i++)
        get_and_drop(c, "/s", GS_TTL_STATUS);
    CHECK_INT(fake_fetch_count(&f, "/s"), ==, 3);
    CHECK(!gs_cache_is_fresh(c, "/s"));
    /* still cached for CACHED_ONLY */
    gs_doc_unref(must_get(c, "/s", GS_TTL_STATUS, GS_GET_CACHED_ONLY));
    CHECK_INT(fake_fetch_count(&f, "/s"), ==, 3);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_cached_only(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"a\":1}");
    struct gs_error err = {0};
    CHECK_INT(must_fail(c, "/k", GS_TTL_DOC, GS_GET_CACHED_ONLY, &err), ==, -ENOENT);
    CHECK(err.code && strcmp(err.code, "NotCached") == 0);
    CHECK_INT(err.http_status, ==, 0);
    gs_error_clear(&err);
    CHECK_INT(fake_total_fetches(&f), ==, 0);

    gs_doc_unref(must_get(c, "/k", GS_TTL_DOC, 0));
    fake_advance(&f, 1000);
    fake_answer(&f, "/k", "{\"a\":2}");
    struct gs_doc *d = must_get(c, "/k", GS_TTL_DOC, GS_GET_CACHED_ONLY);
    CHECK_INT(cJSON_GetObjectItem(d->json, "a")->valueint, ==, 1);
    gs_doc_unref(d);
    CHECK_INT(fake_total_fetches(&f), ==, 1);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_invalid_arguments(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    struct gs_doc *d = NULL;
    struct gs_error err = {0};
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_NCLASS, 0, &d, &err), ==, -EINVAL);
    gs_error_clear(&err);
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_DOC, 1u << 9, &d, NULL), ==, -EINVAL);
    CHECK_INT(gs_cache_get(c, NULL, GS_TTL_DOC, 0, &d, NULL), ==, -EINVAL);
    CHECK_INT(gs_cache_put(c, "/k", GS_TTL_DOC, NULL, NULL), ==, -EINVAL);
    CHECK_INT(fake_total_fetches(&f), ==, 0);
    gs_cache_free(c);

    struct gs_cache_config bad = {.ttl = {60, -1, 300}};
    CHECK_INT(gs_cache_new_with_fetcher(&bad, fake_fetch, &f, NULL, NULL, &c), ==, -EINVAL);
    fake_destroy(&f);
}

/* The system clock, with short TTLs and generous waits. */
static void test_real_clock(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache_config cfg = {.ttl = {[GS_TTL_DIR] = 3600, [GS_TTL_STATUS] = 0.05,
                                          [GS_TTL_DOC] = 3600}};
    struct gs_cache *c = NULL;
    CHECK(gs_cache_new_with_fetcher(&cfg, fake_fetch, &f, NULL, NULL, &c) == 0);
    fake_answer(&f, "/s", "{}");
    fake_answer(&f, "/d", "{}");
    get_and_drop(c, "/s", GS_TTL_STATUS);
    get_and_drop(c, "/d", GS_TTL_DOC);
    usleep(300 * 1000);
    get_and_drop(c, "/s", GS_TTL_STATUS);
    get_and_drop(c, "/d", GS_TTL_DOC);
    CHECK_INT(fake_fetch_count(&f, "/s"), ==, 2);
    CHECK_INT(fake_fetch_count(&f, "/d"), ==, 1);
    /* fetched_at is wall-clock time */
    struct gs_doc *d = must_get(c, "/d", GS_TTL_DOC, 0);
    CHECK(d->fetched_at.tv_sec > 1600000000);
    gs_doc_unref(d);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* A scan that began at `since` reads what was fresh at some moment since
 * then, however long it has run; never what expired before it began, nor
 * what was invalidated. */
static void test_fresh_since(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/old", "{\"a\":1}");
    fake_answer(&f, "/new", "{\"b\":2}");
    fake_answer(&f, "/inv", "{\"c\":3}");
    struct gs_doc *d = NULL;

    get_and_drop(c, "/old", GS_TTL_STATUS);
    fake_advance(&f, 6); /* /old expired before the scan */
    double since = gs_cache_now(c);
    CHECK_INT(gs_cache_get_fresh_since(c, "/missing", since, &d), ==, -ENOENT);
    CHECK(d == NULL);
    get_and_drop(c, "/new", GS_TTL_STATUS);
    get_and_drop(c, "/inv", GS_TTL_STATUS);
    fake_advance(&f, 30); /* a long scan: /new has expired by now */
    CHECK(!gs_cache_is_fresh(c, "/new"));
    CHECK_INT(gs_cache_get_fresh_since(c, "/new", since, &d), ==, 0);
    CHECK(d && strcmp(d->key, "/new") == 0);
    gs_doc_unref(d);
    CHECK_INT(gs_cache_get_fresh_since(c, "/old", since, &d), ==, -ENOENT);
    gs_cache_invalidate(c, "/inv");
    CHECK_INT(gs_cache_get_fresh_since(c, "/inv", since, &d), ==, -ENOENT);
    /* stored 30 s ago: within a minute, not within 20 s; never when invalidated */
    CHECK(gs_cache_stored_within(c, "/new", 60));
    CHECK(!gs_cache_stored_within(c, "/new", 20));
    CHECK(!gs_cache_stored_within(c, "/inv", 60));
    CHECK(!gs_cache_stored_within(c, "/missing", 60));
    /* a later scan does not see what expired before it began */
    CHECK_INT(gs_cache_get_fresh_since(c, "/new", gs_cache_now(c), &d), ==, -ENOENT);
    CHECK_INT(fake_total_fetches(&f), ==, 3);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* peek: what is stored, without a hit; a refresh that answers stores a new doc
 * even when the content is the same, which is how gs_fs_get tells an answer
 * from a stale copy */
static void test_peek(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/a", "{\"a\":1}");
    struct gs_doc *p = NULL, *d = NULL;
    CHECK_INT(gs_cache_peek(c, "/a", &p), ==, -ENOENT);
    CHECK(p == NULL);
    CHECK_INT(gs_cache_get(c, "/a", GS_TTL_STATUS, 0, &d, NULL), ==, 0);
    struct gs_cache_stats before, after;
    gs_cache_get_stats(c, &before);
    CHECK_INT(gs_cache_peek(c, "/a", &p), ==, 0);
    CHECK(p == d);
    gs_cache_get_stats(c, &after);
    CHECK_INT(after.hits, ==, before.hits);
    CHECK_INT(after.misses, ==, before.misses);
    gs_doc_unref(d);
    fake_advance(&f, 6); /* expired: peek still sees it */
    struct gs_doc *p2 = NULL;
    CHECK_INT(gs_cache_peek(c, "/a", &p2), ==, 0);
    CHECK(p2 == p);
    gs_doc_unref(p2);
    CHECK_INT(gs_cache_get(c, "/a", GS_TTL_STATUS, 0, &d, NULL), ==, 0);
    CHECK(d != p); /* same content, answered again: a new doc */
    gs_doc_unref(d);
    gs_doc_unref(p);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* FRESH_ONLY (libfuse's thread): the doc while its TTL holds, in one call;
 * else -EWOULDBLOCK without fetching, without waiting, without a miss. */
static void test_fresh_only(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"a\":1}");
    struct gs_doc *d = NULL;
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_FRESH_ONLY, &d, NULL), ==, -EWOULDBLOCK);
    CHECK(d == NULL);
    CHECK_INT(fake_total_fetches(&f), ==, 0);

    struct gs_doc *fetched = must_get(c, "/k", GS_TTL_STATUS, 0);
    struct gs_cache_stats before, after;
    gs_cache_get_stats(c, &before);
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_FRESH_ONLY, &d, NULL), ==, 0);
    CHECK(d == fetched);
    gs_doc_unref(d);
    gs_cache_get_stats(c, &after);
    CHECK_INT(after.hits, ==, before.hits + 1);

    fake_advance(&f, 6); /* expired: still cached, not served */
    d = NULL;
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_FRESH_ONLY, &d, NULL), ==, -EWOULDBLOCK);
    CHECK(d == NULL);
    gs_cache_get_stats(c, &before);
    CHECK_INT(before.misses, ==, after.misses);
    gs_doc_unref(must_get(c, "/k", GS_TTL_STATUS, 0)); /* refreshed */
    gs_cache_invalidate(c, "/k");
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_FRESH_ONLY, &d, NULL), ==, -EWOULDBLOCK);
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    gs_doc_unref(fetched);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* What a node's kept rendering relies on (views/content.c kept_fresh): the
 * epoch moves with every change of what a get returns, and fresh_until
 * is when the doc's time-to-live ends, for its generation only. */
static void test_epoch_and_fresh_until(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/s", "{\"a\":1}");
    fake_answer(&f, "/t", "{\"b\":1}");
    uint64_t e0 = gs_cache_epoch(c);
    struct gs_doc *d = must_get(c, "/s", GS_TTL_STATUS, 0);
    uint64_t gen = d->generation;
    uint64_t e1 = gs_cache_epoch(c);
    CHECK(e1 != e0); /* stored */
    double stored = gs_cache_now(c);
    CHECK(gs_cache_fresh_until(c, "/s", gen) == stored + 5);
    CHECK(gs_cache_fresh_until(c, "/s", gen + 1000) == 0);
    CHECK(gs_cache_fresh_until(c, "/none", gen) == 0);
    /* hits, and another key's fetch in flight, change nothing of /s... */
    gs_doc_unref(must_get(c, "/s", GS_TTL_STATUS, 0));
    gs_doc_unref(must_get(c, "/s", GS_TTL_STATUS, GS_GET_FRESH_ONLY));
    CHECK(gs_cache_epoch(c) == e1);
    /* ...storing another key moves the epoch all the same */
    gs_doc_unref(must_get(c, "/t", GS_TTL_STATUS, 0));
    uint64_t e2 = gs_cache_epoch(c);
    CHECK(e2 != e1);
    /* another class: another time-to-live */
    gs_doc_unref(must_get(c, "/s", GS_TTL_DIR, GS_GET_CACHED_ONLY));
    uint64_t e3 = gs_cache_epoch(c);
    CHECK(e3 != e2);
    CHECK(gs_cache_fresh_until(c, "/s", gen) == stored + 60);
    gs_doc_unref(must_get(c, "/s", GS_TTL_STATUS, GS_GET_CACHED_ONLY));
    CHECK(gs_cache_epoch(c) != e3);
    /* expired: not fresh, whatever the epoch */
    fake_advance(&f, 5.1);
    CHECK(gs_cache_fresh_until(c, "/s", gen) == 0);
    gs_doc_unref(must_get(c, "/s", GS_TTL_STATUS, 0)); /* fetched again */
    uint64_t e4 = gs_cache_epoch(c);
    gs_cache_invalidate(c, "/s");
    CHECK(gs_cache_epoch(c) != e4);
    uint64_t e5 = gs_cache_epoch(c);
    gs_cache_remove(c, "/t");
    CHECK(gs_cache_epoch(c) != e5);
    gs_doc_unref(d);
    gs_cache_free(c);
    fake_destroy(&f);
}

int main(void)
{
    test_epoch_and_fresh_until();
    test_fresh_only();
    test_peek();
    test_fresh_since();
    test_ttl_per_class();
    test_ttl_zero_always_refetches();
    test_cached_only();
    test_invalid_arguments();
    test_real_clock();
    return 0;
}

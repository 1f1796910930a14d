/* Generations, changed_at, change reports; put, invalidate, remove. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "tests/unit/cache/fake.h"

static int ts_eq(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void test_generation_rules(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"a\":1,\"b\":[1,2]}");
    struct timespec t0 = fake_realtime(&f);
    struct gs_doc *d1 = must_get(c, "/k", GS_TTL_STATUS, 0);
    CHECK(d1->generation > 0);
    CHECK(ts_eq(d1->changed_at, t0) && ts_eq(d1->fetched_at, t0));
    CHECK(strcmp(d1->request_id, "req-1") == 0);

    /* same JSON, written differently: generation and changed_at kept */
    fake_advance(&f, 10);
    fake_answer(&f, "/k", "{ \"a\" : 1,\n  \"b\" : [ 1, 2 ] }");
    struct gs_doc *d2 = must_get(c, "/k", GS_TTL_STATUS, 0);
    CHECK(d2 != d1);
    CHECK_INT(d2->generation, ==, d1->generation);
    CHECK(ts_eq(d2->changed_at, t0));
    CHECK(ts_eq(d2->fetched_at, fake_realtime(&f)));
    CHECK(strcmp(d2->request_id, "req-2") == 0);
    CHECK_INT(fake_total_changes(&f), ==, 0);

    /* different JSON: new generation, changed_at now, one report */
    fake_advance(&f, 10);
    fake_answer(&f, "/k", "{\"a\":2,\"b\":[1,2]}");
    struct gs_doc *d3 = must_get(c, "/k", GS_TTL_STATUS, 0);
    CHECK(d3->generation > d1->generation);
    CHECK(ts_eq(d3->changed_at, fake_realtime(&f)));
    CHECK_INT(fake_change_count(&f, "/k"), ==, 1);
    CHECK_INT(fake_total_changes(&f), ==, 1);

    /* same members in another order: the printed file differs, so it is a change */
    fake_advance(&f, 10);
    fake_answer(&f, "/k", "{\"b\":[1,2],\"a\":2}");
    struct gs_doc *d4 = must_get(c, "/k", GS_TTL_STATUS, 0);
    CHECK(d4->generation > d3->generation);
    CHECK_INT(fake_change_count(&f, "/k"), ==, 2);

    /* docs handed out never change */
    char *t = doc_text(d1);
    CHECK(strcmp(t, "{\"a\":1,\"b\":[1,2]}") == 0);
    free(t);
    t = doc_text(d3);
    CHECK(strcmp(t, "{\"a\":2,\"b\":[1,2]}") == 0);
    free(t);
    gs_doc_unref(d1);
    gs_doc_unref(d2);
    gs_doc_unref(d3);
    gs_doc_unref(d4);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_put_rules(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"v\":1}");
    struct gs_doc *d1 = must_get(c, "/k", GS_TTL_DOC, 0);

    cJSON *same = cJSON_Parse("{\"v\":1}");
    cJSON *other = cJSON_Parse("{\"v\":2}");
    CHECK(same && other);
    fake_advance(&f, 1);
    CHECK_INT(gs_cache_put(c, "/k", GS_TTL_DOC, same, "put-1"), ==, 0);
    struct gs_doc *d2 = must_get(c, "/k", GS_TTL_DOC, 0);
    CHECK_INT(d2->generation, ==, d1->generation);
    CHECK(ts_eq(d2->changed_at, d1->changed_at));
    CHECK(strcmp(d2->request_id, "put-1") == 0);
    CHECK_INT(fake_total_changes(&f), ==, 0);

    fake_advance(&f, 1);
    CHECK_INT(gs_cache_put(c, "/k", GS_TTL_DOC, other, NULL), ==, 0);
    struct gs_doc *d3 = must_get(c, "/k", GS_TTL_DOC, 0);
    CHECK(d3->generation > d1->generation);
    CHECK(ts_eq(d3->changed_at, fake_realtime(&f)));
    CHECK(strcmp(d3->request_id, "") == 0);
    CHECK_INT(fake_change_count(&f, "/k"), ==, 1);
    /* the put took its own copy */
    cJSON_ReplaceItemInObject(other, "v", cJSON_CreateNumber(3));
    CHECK_INT(cJSON_GetObjectItem(d3->json, "v")->valueint, ==, 2);

    /* a new key: not a change; generations are unique across keys */
    CHECK_INT(gs_cache_put(c, "/n", GS_TTL_DOC, same, NULL), ==, 0);
    struct gs_doc *dn = must_get(c, "/n", GS_TTL_DOC, GS_GET_CACHED_ONLY);
    CHECK(dn->generation > d3->generation);
    CHECK_INT(fake_change_count(&f, "/n"), ==, 0);
    CHECK_INT(fake_total_fetches(&f), ==, 1);

    cJSON_Delete(same);
    cJSON_Delete(other);
    gs_doc_unref(d1);
    gs_doc_unref(d2);
    gs_doc_unref(d3);
    gs_doc_unref(dn);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_invalidate(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/k", "{\"v\":1}");
    struct gs_doc *d1 = must_get(c, "/k", GS_TTL_DOC, 0);
    gs_cache_invalidate(c, "/k");
    CHECK_INT(fake_change_count(&f, "/k"), ==, 1);
    CHECK(!gs_cache_is_fresh(c, "/k"));
    /* CACHED_ONLY still sees it, without a fetch */
    struct gs_doc *d = must_get(c, "/k", GS_TTL_DOC, GS_GET_CACHED_ONLY);
    CHECK(d == d1);
    gs_doc_unref(d);
    CHECK_INT(fake_total_fetches(&f), ==, 1);
    /* the next get refetches; equal content keeps the generation */
    d = must_get(c, "/k", GS_TTL_DOC, 0);
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    CHECK_INT(d->generation, ==, d1->generation);
    CHECK(gs_cache_is_fresh(c, "/k"));
    CHECK_INT(fake_change_count(&f, "/k"), ==, 1);
    gs_doc_unref(d);
    gs_doc_unref(d1);

    /* reported even when nothing is cached (the kernel may hold it) */
    gs_cache_invalidate(c, "/never");
    CHECK_INT(fake_change_count(&f, "/never"), ==, 1);
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void put_text(struct gs_cache *c, const char *key, const char *text)
{
    cJSON *j = cJSON_Parse(text);
    CHECK(j);
    CHECK_INT(gs_cache_put(c, key, GS_TTL_DIR, j, NULL), ==, 0);
    cJSON_Delete(j);
}

static void test_invalidate_prefix(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    put_text(c, "/sp/1/jobs", "{\"value\":[]}");
    put_text(c, "/sp/1/jobs/a", "{\"id\":\"a\"}");
    put_text(c, "/sp/10/jobs", "{\"value\":[]}");
    put_text(c, "/sp/2", "{}");
    gs_cache_invalidate_prefix(c, "/sp/1/");
    CHECK_INT(fake_change_count(&f, "/sp/1/jobs"), ==, 1);
    CHECK_INT(fake_change_count(&f, "/sp/1/jobs/a"), ==, 1);
    CHECK_INT(fake_total_changes(&f), ==, 2);
    CHECK(!gs_cache_is_fresh(c, "/sp/1/jobs") && !gs_cache_is_fresh(c, "/sp/1/jobs/a"));
    CHECK(gs_cache_is_fresh(c, "/sp/10/jobs") && gs_cache_is_fresh(c, "/sp/2"));

    /* more keys than one report batch: each reported exactly once */
    char key[64];
    for (int i = 0; i < 150; i++) {
        snprintf(key, sizeof(key), "/many/%d", i);
        put_text(c, key, "{}");
    }
    gs_cache_invalidate_prefix(c, "/many/");
    CHECK_INT(fake_total_changes(&f), ==, 152);
    for (int i = 0; i < 150; i++) {
        snprintf(key, sizeof(key), "/many/%d", i);
        CHECK_INT(fake_change_count(&f, key), ==, 1);
        CHECK(!gs_cache_is_fresh(c, key));
    }
    CHECK(gs_cache_is_fresh(c, "/sp/2"));
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.entries, ==, 154);
    CHECK_INT(fake_total_fetches(&f), ==, 0);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_remove(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    put_text(c, "/a", "{\"v\":\"a\"}");
    put_text(c, "/b", "{\"v\":\"b\"}");
    struct gs_cache_stats before, after;
    gs_cache_get_stats(c, &before);
    struct gs_doc *held = must_get(c, "/a", GS_TTL_DIR, 0);
    gs_cache_remove(c, "/a");
    CHECK_INT(fake_change_count(&f, "/a"), ==, 1);
    gs_cache_get_stats(c, &after);
    CHECK_INT(after.entries, ==, 1);
    CHECK_INT(after.bytes, <, before.bytes);
    struct gs_error err = {0};
    CHECK_INT(must_fail(c, "/a", GS_TTL_DIR, GS_GET_CACHED_ONLY, &err), ==, -ENOENT);
    gs_error_clear(&err);
    /* the held doc is still whole */
    CHECK(strcmp(cJSON_GetObjectItem(held->json, "v")->valuestring, "a") == 0);
    CHECK(strcmp(held->key, "/a") == 0);
    gs_doc_unref(held);
    /* a removed key is fetched again */
    fake_answer(&f, "/a", "{\"v\":\"a2\"}");
    held = must_get(c, "/a", GS_TTL_DIR, 0);
    CHECK_INT(fake_total_fetches(&f), ==, 1);
    CHECK_INT(fake_change_count(&f, "/a"), ==, 1);
    gs_doc_unref(held);
    gs_cache_remove(c, "/absent");
    CHECK_INT(fake_change_count(&f, "/absent"), ==, 1);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* Docs outlive the cache. */
static void test_doc_outlives_cache(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    put_text(c, "/a", "{\"v\":\"a\"}");
    struct gs_doc *d = must_get(c, "/a", GS_TTL_DIR, 0);
    gs_doc_ref(d);
    gs_cache_free(c);
    gs_doc_unref(d);
    CHECK(strcmp(cJSON_GetObjectItem(d->json, "v")->valuestring, "a") == 0);
    gs_doc_unref(d);
    fake_destroy(&f);
}

int main(void)
{
    test_generation_rules();
    test_put_rules();
    test_invalidate();
    test_invalidate_prefix();
    test_remove();
    test_doc_outlives_cache();
    return 0;
}

/* Bounded memory: least recently used dropped first, never a held doc; and a
 * table of tenant size. */
#include <errno.h>
#include <string.h>

#include "tests/unit/cache/fake.h"

static void put_text(struct gs_cache *c, const char *key, const char *text)
{
    cJSON *j = cJSON_Parse(text);
    CHECK(j);
    CHECK_INT(gs_cache_put(c, key, GS_TTL_DOC, j, NULL), ==, 0);
    cJSON_Delete(j);
}

static int cached(struct gs_cache *c, const char *key)
{
    return gs_cache_is_fresh(c, key);
}

static void touch(struct gs_cache *c, const char *key)
{
    gs_doc_unref(must_get(c, key, GS_TTL_DOC, GS_GET_CACHED_ONLY));
}

static struct gs_cache_stats stats(struct gs_cache *c)
{
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    return st;
}

#define DOC "{\"v\":\"xxxxxxxxxxxxxxxx\"}"

/* The estimate of one entry of the shape used below. */
static size_t entry_bytes(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    put_text(c, "/k0", DOC);
    size_t b = stats(c).bytes;
    CHECK(b > strlen("/k0") + strlen(DOC) - 1);
    gs_cache_free(c);
    fake_destroy(&f);
    return b;
}

static void test_lru_and_held_docs(void)
{
    size_t b = entry_bytes();
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 3 * b + b / 2);
    put_text(c, "/k0", DOC);
    put_text(c, "/k1", DOC);
    put_text(c, "/k2", DOC);
    CHECK_INT(stats(c).bytes, ==, 3 * b);
    CHECK_INT(stats(c).evictions, ==, 0);

    touch(c, "/k0"); /* order, oldest first: k1 k2 k0 */
    put_text(c, "/k3", DOC);
    CHECK(!cached(c, "/k1"));
    CHECK(cached(c, "/k0") && cached(c, "/k2") && cached(c, "/k3"));
    CHECK_INT(stats(c).evictions, ==, 1);
    CHECK_INT(stats(c).entries, ==, 3);
    CHECK_INT(stats(c).bytes, ==, 3 * b);

    /* a held doc is never dropped, even when it is the oldest */
    struct gs_doc *held2 = must_get(c, "/k2", GS_TTL_DOC, 0);
    touch(c, "/k0");
    touch(c, "/k3"); /* k2(held) k0 k3 */
    put_text(c, "/k4", DOC);
    CHECK(cached(c, "/k2") && !cached(c, "/k0"));
    CHECK_INT(stats(c).evictions, ==, 2);

    /* everything held: the bound is exceeded rather than a held doc dropped */
    struct gs_doc *held3 = must_get(c, "/k3", GS_TTL_DOC, 0);
    struct gs_doc *held4 = must_get(c, "/k4", GS_TTL_DOC, 0);
    fake_answer(&f, "/k5", DOC);
    struct gs_doc *held5 = must_get(c, "/k5", GS_TTL_DOC, 0);
    CHECK_INT(stats(c).evictions, ==, 2);
    CHECK_INT(stats(c).entries, ==, 4);
    CHECK_INT(stats(c).bytes, ==, 4 * b);
    CHECK(strcmp(held2->key, "/k2") == 0 && cJSON_IsString(cJSON_GetObjectItem(held2->json, "v")));

    /* once released, the next store brings the cache back within bounds, oldest first */
    gs_doc_unref(held2);
    gs_doc_unref(held3);
    gs_doc_unref(held4);
    gs_doc_unref(held5); /* k2 k3 k4 k5 */
    put_text(c, "/k6", DOC);
    CHECK(!cached(c, "/k2") && !cached(c, "/k3"));
    CHECK(cached(c, "/k4") && cached(c, "/k5") && cached(c, "/k6"));
    CHECK_INT(stats(c).evictions, ==, 4);
    CHECK_INT(stats(c).bytes, ==, 3 * b);
    /* eviction is not a change */
    CHECK_INT(fake_total_changes(&f), ==, 0);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_entry_larger_than_bound(void)
{
    size_t b = entry_bytes();
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 2 * b);
    char big[4096];
    memset(big, 'y', sizeof(big));
    memcpy(big, "{\"v\":\"", 6);
    memcpy(big + sizeof(big) - 3, "\"}", 3);
    fake_answer(&f, "/big", big);
    put_text(c, "/k0", DOC);
    struct gs_doc *d = must_get(c, "/big", GS_TTL_DOC, 0);
    CHECK_INT(stats(c).entries, ==, 1); /* k0 made room; big is held */
    CHECK_INT(strlen(cJSON_GetObjectItem(d->json, "v")->valuestring), ==, sizeof(big) - 9);
    gs_doc_unref(d);
    put_text(c, "/k1", DOC);
    CHECK(!cached(c, "/big") && cached(c, "/k1"));
    CHECK_INT(stats(c).bytes, ==, b);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* A tenant scan holds thousands of listings while the cache is over its
 * bound: each store looks at a bounded number of held entries, not at every
 * one (before, a 50,000-listing scan spent its time walking the recency list:
 * quadratic); once released, they are evicted again. */
static void test_held_entries_do_not_make_stores_quadratic(void)
{
    size_t b = entry_bytes();
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 10 * b);
    enum { HELD = 3000, MORE = 1000 };
    static struct gs_doc *held[HELD];
    char key[64];
    for (int i = 0; i < HELD; i++) {
        snprintf(key, sizeof(key), "/h%d", i);
        cJSON *j = cJSON_Parse(DOC);
        CHECK(j);
        CHECK_INT(gs_cache_put_since_ref(c, key, GS_TTL_DIR, j, NULL, gs_cache_mark(c), &held[i]), ==, 0);
        cJSON_Delete(j);
    }
    for (int i = 0; i < MORE; i++) {
        snprintf(key, sizeof(key), "/m%d", i);
        put_text(c, key, DOC);
    }
    CHECK(stats(c).evict_looked < (uint64_t)(HELD + MORE) * 300);
    CHECK_INT(stats(c).entries, <=, HELD + 10);
    for (int i = 0; i < HELD; i++)
        gs_doc_unref(held[i]);
    put_text(c, "/last", DOC);
    CHECK_INT(stats(c).bytes, <=, 10 * b);
    CHECK(cached(c, "/last"));
    gs_cache_free(c);
    fake_destroy(&f);
}

/* A tenant-sized table: 30,000 keys, each found again without a fetch. */
static void test_many_keys(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, (size_t)1 << 30);
    char key[96];
    for (int i = 0; i < 30000; i++) {
        snprintf(key, sizeof(key), "/servicePrincipals/%08d-0000/synchronization/jobs", i);
        put_text(c, key, "{\"value\":[]}");
    }
    CHECK_INT(stats(c).entries, ==, 30000);
    for (int i = 29999; i >= 0; i--) {
        snprintf(key, sizeof(key), "/servicePrincipals/%08d-0000/synchronization/jobs", i);
        struct gs_doc *d = must_get(c, key, GS_TTL_DIR, 0);
        gs_doc_unref(d);
    }
    CHECK_INT(stats(c).hits, ==, 30000);
    CHECK_INT(fake_total_fetches(&f), ==, 0);
    gs_cache_remove(c, "/servicePrincipals/00000007-0000/synchronization/jobs");
    CHECK_INT(stats(c).entries, ==, 29999);
    CHECK(!cached(c, "/servicePrincipals/00000007-0000/synchronization/jobs"));
    CHECK(cached(c, "/servicePrincipals/00000008-0000/synchronization/jobs"));
    gs_cache_free(c);
    fake_destroy(&f);
}

static void put_ahead(struct gs_cache *c, const char *key)
{
    cJSON *j = cJSON_Parse(DOC);
    CHECK(j);
    CHECK_INT(gs_cache_put_since(c, key, GS_TTL_DOC, j, NULL, gs_cache_mark(c)), ==, 0);
    cJSON_Delete(j);
}

/* What a batch read ahead stays until read, before what was read: least
 * recently used is what a walk reads next. Before, /a0 and /a1 were dropped
 * as soon as later answers came (test failed), and the walk read them with
 * single GETs. Beyond 1.25 times the bound, the oldest unread goes too. */
static void test_read_ahead_kept_until_read(void)
{
    size_t b = entry_bytes();
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 4 * b);
    put_ahead(c, "/a0");
    put_ahead(c, "/a1");
    put_text(c, "/r0", DOC);
    put_text(c, "/r1", DOC); /* a0 a1 (unread) r0 r1 */
    put_ahead(c, "/a2");    /* over the bound: r0 goes, not a0 */
    CHECK(cached(c, "/a0") && cached(c, "/a1") && cached(c, "/a2") && !cached(c, "/r0"));
    touch(c, "/a0");        /* read: it may go now */
    put_ahead(c, "/a3");
    CHECK(!cached(c, "/r1") && cached(c, "/a0") && cached(c, "/a1"));
    put_ahead(c, "/a4");    /* r1 gone; a0 was read: it goes */
    CHECK(!cached(c, "/a0") && cached(c, "/a1") && cached(c, "/a4"));
    /* all unread: up to 1.25 times the bound (5 entries), then the oldest */
    put_ahead(c, "/a5");
    CHECK_INT(stats(c).entries, ==, 5);
    put_ahead(c, "/a6");
    CHECK(!cached(c, "/a1") && cached(c, "/a2") && cached(c, "/a6"));
    CHECK_INT(stats(c).entries, ==, 5);
    gs_cache_free(c);
    fake_destroy(&f);
}

int main(void)
{
    test_read_ahead_kept_until_read();
    test_lru_and_held_docs();
    test_entry_larger_than_bound();
    test_many_keys();
    test_held_entries_do_not_make_stores_quadratic();
    return 0;
}

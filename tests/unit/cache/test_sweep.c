/* The sweep gives back what expired: fresh entries, entries stored or read
 * less than min_age ago and held docs stay; of the expired ones, only the most recently
 * used share of max_bytes (GS_CACHE_STALE_SHARE) is kept for stale serving. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache/cache_internal.h"
#include "tests/unit/cache/fake.h"

static void put(struct gs_cache *c, const char *key, enum gs_ttl_class cls)
{
    cJSON *j = cJSON_Parse("{\"value\":[{\"id\":\"0123456789abcdef\"}]}");
    CHECK(j);
    CHECK_INT(gs_cache_put(c, key, cls, j, NULL), ==, 0);
    cJSON_Delete(j);
}

static struct gs_cache_stats stats(struct gs_cache *c)
{
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    return st;
}

/* The table's buckets follow its entries down: a scan of 50,000 keys grew
 * them to 1 MiB, which stayed once everything it fetched had been swept. */
static void test_buckets_shrink_after_a_sweep(struct fake *f)
{
    struct gs_cache_config cfg = {.ttl = {60, 5, 300}, .max_bytes = 64 << 20, .max_stale = 60};
    struct gs_cache *c = NULL;
    CHECK(gs_cache_new_with_fetcher(&cfg, fake_fetch, f, fake_on_change, f, &c) == 0);
    gs_cache_set_clock(c, fake_clock, f);
    size_t initial = c->table.nbuckets;
    char key[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "/jobs/%05d", i);
        put(c, key, GS_TTL_STATUS);
    }
    CHECK(c->table.nbuckets >= 20000);
    fake_advance(f, 3600 * 24 * 10); /* past every time-to-live and max_stale */
    CHECK(gs_cache_sweep(c, 5) > 0);
    CHECK_INT(stats(c).entries, ==, 0);
    CHECK_INT(c->table.nbuckets, ==, initial);
    /* it still finds and grows */
    put(c, "/jobs/again", GS_TTL_STATUS);
    struct gs_doc *d = NULL;
    CHECK_INT(gs_cache_peek(c, "/jobs/again", &d), ==, 0);
    gs_doc_unref(d);
    gs_cache_free(c);
}

int main(void)
{
    struct fake f;
    fake_init(&f);
    /* room for a few hundred entries; expired ones kept: max_bytes / 64 */
    struct gs_cache_config cfg = {.ttl = {60, 5, 300}, .max_bytes = 64 * 4096, .max_stale = 3600};
    struct gs_cache *c = NULL;
    CHECK(gs_cache_new_with_fetcher(&cfg, fake_fetch, &f, fake_on_change, &f, &c) == 0);
    gs_cache_set_clock(c, fake_clock, &f);

    char key[32];
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof(key), "/jobs/%03d", i);
        put(c, key, GS_TTL_STATUS);
    }
    put(c, "/listing", GS_TTL_DIR);
    size_t one = stats(c).bytes / 101;
    CHECK(one > 0);

    /* nothing expired yet: nothing goes */
    CHECK_INT(gs_cache_sweep(c, 0), ==, 0);
    CHECK_INT(stats(c).entries, ==, 101);

    /* the statuses expired, but are younger than min_age: they stay */
    fake_advance(&f, 10);
    CHECK_INT(gs_cache_sweep(c, 30), ==, 0);

    /* a held doc stays whatever its age */
    struct gs_doc *held = NULL;
    CHECK_INT(gs_cache_peek(c, "/jobs/000", &held), ==, 0);

    /* an expired entry read just now is in use (a walk reads the expired
     * listing for its names): it stays */
    struct gs_doc *used = NULL;
    CHECK_INT(gs_cache_get(c, "/jobs/050", GS_TTL_STATUS, GS_GET_CACHED_ONLY, &used, NULL), ==, 0);
    gs_doc_unref(used);

    struct gs_doc *before = NULL;
    CHECK_INT(gs_cache_peek(c, "/jobs/099", &before), ==, 0);
    uint64_t generation = before->generation;
    char *text = cJSON_PrintUnformatted(before->json);
    gs_doc_unref(before);

    /* past min_age: all but the most recently used 4096 bytes go; the
     * fresh listing stays; what is kept moved to new memory, unchanged */
    CHECK(gs_cache_sweep(c, 5) > 0);
    struct gs_cache_stats st = stats(c);
    CHECK(gs_cache_is_fresh(c, "/listing"));
    CHECK_INT(st.entries, <=, 3 + 4096 / one);
    CHECK_INT(st.entries, >=, 2);
    CHECK_INT(st.bytes, <=, one * 3 + 4096);
    struct gs_doc *d = NULL;
    CHECK_INT(gs_cache_peek(c, "/jobs/000", &d), ==, 0); /* held */
    gs_doc_unref(d);
    CHECK_INT(gs_cache_peek(c, "/jobs/099", &d), ==, 0); /* most recent: kept as stale */
    CHECK_INT(d->generation, ==, generation);
    char *after = cJSON_PrintUnformatted(d->json);
    CHECK(strcmp(after, text) == 0);
    CHECK(strcmp(d->key, "/jobs/099") == 0);
    free(after);
    free(text);
    gs_doc_unref(d);
    CHECK_INT(gs_cache_peek(c, "/jobs/001", &d), ==, -ENOENT); /* oldest: gone */
    CHECK_INT(gs_cache_peek(c, "/jobs/050", &d), ==, 0); /* in use */
    gs_doc_unref(d);
    gs_doc_unref(held);

    /* past the stale limit: nothing expired is kept */
    fake_advance(&f, 3600 + 60);
    gs_cache_sweep(c, 5);
    CHECK_INT(stats(c).entries, ==, 0);
    CHECK_INT(stats(c).bytes, ==, 0);
    CHECK(stats(c).swept >= 101);

    gs_cache_free(c);
    test_buckets_shrink_after_a_sweep(&f);
    fake_destroy(&f);
    printf("test_sweep: ok\n");
    return 0;
}

/* The statistics count exactly what happened. */
#include <errno.h>
#include <string.h>

#include "tests/unit/cache/fake.h"

static void check_stats(struct gs_cache *c, unsigned long long hits, unsigned long long misses,
                        unsigned long long fetches, size_t entries)
{
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    CHECK_INT(st.hits, ==, hits);
    CHECK_INT(st.misses, ==, misses);
    CHECK_INT(st.fetches, ==, fetches);
    CHECK_INT(st.entries, ==, entries);
    CHECK_INT(st.coalesced, ==, 0);
    CHECK_INT(st.evictions, ==, 0);
}

int main(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    struct gs_error err = {0};
    check_stats(c, 0, 0, 0, 0);

    fake_answer(&f, "/a", "{\"v\":\"a\"}");
    gs_doc_unref(must_get(c, "/a", GS_TTL_DOC, 0));
    check_stats(c, 0, 1, 1, 1);
    gs_doc_unref(must_get(c, "/a", GS_TTL_DOC, 0));
    gs_doc_unref(must_get(c, "/a", GS_TTL_DOC, GS_GET_CACHED_ONLY));
    check_stats(c, 2, 1, 1, 1);

    CHECK_INT(must_fail(c, "/b", GS_TTL_DOC, GS_GET_CACHED_ONLY, &err), ==, -ENOENT);
    gs_error_clear(&err);
    check_stats(c, 2, 2, 1, 1);
    CHECK_INT(must_fail(c, "/b", GS_TTL_DOC, 0, &err), ==, -ENOENT);
    gs_error_clear(&err);
    check_stats(c, 2, 3, 2, 1);

    struct gs_cache_stats one;
    gs_cache_get_stats(c, &one);
    fake_answer(&f, "/b", "{\"v\":\"b\"}");
    gs_doc_unref(must_get(c, "/b", GS_TTL_DOC, 0));
    check_stats(c, 2, 4, 3, 2);
    struct gs_cache_stats two;
    gs_cache_get_stats(c, &two);
    CHECK_INT(two.bytes, ==, 2 * one.bytes); /* same key and body lengths */

    fake_advance(&f, 301);
    gs_doc_unref(must_get(c, "/a", GS_TTL_DOC, 0));
    check_stats(c, 2, 5, 4, 2);
    gs_cache_invalidate(c, "/a");
    gs_doc_unref(must_get(c, "/a", GS_TTL_DOC, 0));
    check_stats(c, 2, 6, 5, 2);
    gs_cache_remove(c, "/a");
    check_stats(c, 2, 6, 5, 1);
    gs_cache_get_stats(c, &two);
    CHECK_INT(two.bytes, ==, one.bytes);
    CHECK_INT(fake_total_fetches(&f), ==, 5);
    gs_cache_free(c);
    fake_destroy(&f);
    return 0;
}

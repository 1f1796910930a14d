/* GS_GET_STALE_OK serves an expired entry while Graph is unreachable, but
 * not longer than max_stale past its time-to-live. */
#include <errno.h>

#include "tests/unit/cache/fake.h"

int main(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache_config cfg = {.ttl = {60, 5, 300}, .max_stale = 100};
    struct gs_cache *c = NULL;
    CHECK(gs_cache_new_with_fetcher(&cfg, fake_fetch, &f, fake_on_change, &f, &c) == 0);
    gs_cache_set_clock(c, fake_clock, &f);
    fake_answer(&f, "/k", "{\"a\":1}");
    struct gs_doc *d = NULL;
    CHECK(gs_cache_get(c, "/k", GS_TTL_STATUS, 0, &d, NULL) == 0);
    gs_doc_unref(d);
    fake_fail(&f, "/k", -ETIMEDOUT, 0);
    fake_advance(&f, 5 + 99); /* within ttl + max_stale */
    CHECK(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK, &d, NULL) == 0);
    gs_doc_unref(d);
    fake_advance(&f, 2);      /* past it */
    struct gs_error err = {0};
    CHECK_INT(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK, &d, &err), ==, -ETIMEDOUT);
    gs_error_clear(&err);
    gs_cache_free(c);

    /* no limit when max_stale is 0 */
    cfg.max_stale = 0;
    CHECK(gs_cache_new_with_fetcher(&cfg, fake_fetch, &f, fake_on_change, &f, &c) == 0);
    gs_cache_set_clock(c, fake_clock, &f);
    fake_answer(&f, "/k", "{\"a\":1}");
    CHECK(gs_cache_get(c, "/k", GS_TTL_STATUS, 0, &d, NULL) == 0);
    gs_doc_unref(d);
    fake_fail(&f, "/k", -EHOSTUNREACH, 0);
    fake_advance(&f, 1e6);
    CHECK(gs_cache_get(c, "/k", GS_TTL_STATUS, GS_GET_STALE_OK, &d, NULL) == 0);
    gs_doc_unref(d);
    gs_cache_free(c);
    fake_destroy(&f);
    printf("test_stale_limit: ok\n");
    return 0;
}

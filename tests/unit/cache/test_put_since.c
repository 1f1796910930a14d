/* Content fetched outside the cache (a $batch) does not overwrite an
 * invalidation made while it was in flight. */
#include "tests/unit/cache/fake.h"

int main(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    cJSON *old = cJSON_Parse("{\"code\":\"Paused\"}");
    CHECK(gs_cache_put(c, "/jobs/j", GS_TTL_STATUS, old, NULL) == 0);

    uint64_t mark = gs_cache_mark(c);     /* the batch starts */
    gs_cache_invalidate(c, "/jobs/j");    /* `touch start` meanwhile */
    CHECK(gs_cache_put_since(c, "/jobs/j", GS_TTL_STATUS, old, "r1", mark) == 0);
    CHECK(!gs_cache_is_fresh(c, "/jobs/j")); /* the next read asks Graph */

    mark = gs_cache_mark(c);              /* a batch with nothing in between */
    CHECK(gs_cache_put_since(c, "/jobs/j", GS_TTL_STATUS, old, "r2", mark) == 0);
    CHECK(gs_cache_is_fresh(c, "/jobs/j"));

    mark = gs_cache_mark(c);              /* a key never cached, removed meanwhile */
    gs_cache_remove(c, "/jobs/k");
    CHECK(gs_cache_put_since(c, "/jobs/k", GS_TTL_STATUS, old, "r3", mark) == 0);
    cJSON_Delete(old);
    gs_cache_free(c);
    fake_destroy(&f);
    printf("test_put_since: ok\n");
    return 0;
}

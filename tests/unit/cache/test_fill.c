/* GS_GET_FILL_ITEMS: one listing serves later reads of each of its items. */
#include <errno.h>
#include <string.h>

#include "tests/unit/cache/fake.h"

#define JOBS "/servicePrincipals/sp1/synchronization/jobs"
#define ITEM_A JOBS "/Job.One.x"
#define ITEM_B JOBS "/a%20b%2Fc" /* id "a b/c", escaped as one segment */
#define FILL (GS_GET_COLLECTION | GS_GET_FILL_ITEMS)

static const char *listing_v1 =
    "{\"value\":[{\"id\":\"Job.One.x\",\"status\":{\"code\":\"Active\"}},"
    "{\"id\":\"a b/c\",\"x\":1},{\"noid\":true},{\"id\":5},{\"id\":\"\"}]}";
static const char *listing_v2 =
    "{\"value\":[{\"id\":\"Job.One.x\",\"status\":{\"code\":\"Active\"}},"
    "{\"id\":\"a b/c\",\"x\":2},{\"noid\":true},{\"id\":5},{\"id\":\"\"}]}";

static size_t entries(struct gs_cache *c)
{
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    return st.entries;
}

static void test_listing_fills_items(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, JOBS, listing_v1);
    struct gs_doc *list = must_get(c, JOBS, GS_TTL_DIR, FILL);
    CHECK(f.last_flags & GS_GET_COLLECTION);
    CHECK_INT(entries(c), ==, 3);

    struct gs_doc *a = must_get(c, ITEM_A, GS_TTL_DIR, 0);
    struct gs_doc *b = must_get(c, ITEM_B, GS_TTL_DIR, 0);
    CHECK_INT(fake_total_fetches(&f), ==, 1);
    CHECK(cJSON_Compare(a->json, cJSON_GetArrayItem(cJSON_GetObjectItem(list->json, "value"), 0), 1));
    CHECK_INT(cJSON_GetObjectItem(b->json, "x")->valueint, ==, 1);
    CHECK(strcmp(a->request_id, list->request_id) == 0);
    CHECK(a->fetched_at.tv_sec == list->fetched_at.tv_sec);
    CHECK(a->generation != b->generation && a->generation != list->generation);

    /* the refreshed listing reports the item that changed, and only it */
    fake_advance(&f, 61);
    fake_answer(&f, JOBS, listing_v2);
    struct gs_doc *list2 = must_get(c, JOBS, GS_TTL_DIR, FILL);
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    CHECK_INT(fake_change_count(&f, JOBS), ==, 1);
    CHECK_INT(fake_change_count(&f, ITEM_B), ==, 1);
    CHECK_INT(fake_change_count(&f, ITEM_A), ==, 0);
    CHECK_INT(fake_total_changes(&f), ==, 2);
    struct gs_doc *a2 = must_get(c, ITEM_A, GS_TTL_DIR, 0);
    struct gs_doc *b2 = must_get(c, ITEM_B, GS_TTL_DIR, 0);
    CHECK_INT(fake_total_fetches(&f), ==, 2);
    CHECK_INT(a2->generation, ==, a->generation);
    CHECK(b2->generation > b->generation);
    CHECK_INT(cJSON_GetObjectItem(b2->json, "x")->valueint, ==, 2);
    CHECK_INT(cJSON_GetObjectItem(b->json, "x")->valueint, ==, 1);

    gs_doc_unref(list);
    gs_doc_unref(list2);
    gs_doc_unref(a);
    gs_doc_unref(b);
    gs_doc_unref(a2);
    gs_doc_unref(b2);
    gs_cache_free(c);
    fake_destroy(&f);
}

static void test_without_fill_flag(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, JOBS, listing_v1);
    gs_doc_unref(must_get(c, JOBS, GS_TTL_DIR, GS_GET_COLLECTION));
    CHECK_INT(entries(c), ==, 1);
    CHECK(!gs_cache_is_fresh(c, ITEM_A));
    gs_cache_free(c);
    fake_destroy(&f);
}

struct lister {
    struct gs_cache *cache;
    struct gs_doc *doc;
};

static void *list_thread(void *arg)
{
    struct lister *l = arg;
    l->doc = must_get(l->cache, JOBS, GS_TTL_DIR, FILL);
    return NULL;
}

/* An item invalidated while the listing is fetched stays expired; a listing
 * invalidated while it is fetched fills no items. */
static void test_invalidation_during_listing_fetch(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, JOBS, listing_v1);
    gs_doc_unref(must_get(c, JOBS, GS_TTL_DIR, FILL));
    fake_advance(&f, 61);

    struct lister l = {.cache = c};
    pthread_t t;
    fake_gate(&f, 1);
    CHECK(pthread_create(&t, NULL, list_thread, &l) == 0);
    fake_wait_in_fetch(&f, 1);
    gs_cache_invalidate(c, ITEM_A);
    fake_gate(&f, 0);
    CHECK(pthread_join(t, NULL) == 0);
    gs_doc_unref(l.doc);
    CHECK(gs_cache_is_fresh(c, JOBS));
    CHECK(gs_cache_is_fresh(c, ITEM_B));
    CHECK(!gs_cache_is_fresh(c, ITEM_A));

    gs_cache_remove(c, ITEM_A);
    gs_cache_remove(c, ITEM_B);
    gs_cache_invalidate(c, JOBS);
    fake_gate(&f, 1);
    CHECK(pthread_create(&t, NULL, list_thread, &l) == 0);
    fake_wait_in_fetch(&f, 1);
    gs_cache_invalidate(c, JOBS);
    fake_gate(&f, 0);
    CHECK(pthread_join(t, NULL) == 0);
    gs_doc_unref(l.doc);
    CHECK(!gs_cache_is_fresh(c, JOBS));
    CHECK_INT(entries(c), ==, 1);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* gs_cache_put_item_of: an item stored long after its listing is as old as
 * the listing: fresh for everyone only while the listing is, and served to a
 * scan that began while the listing was fresh (gs_cache_get_fresh_since) */
static void test_item_of_an_older_listing(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, "/sps", "{\"value\":[{\"id\":\"s1\",\"n\":1}]}");
    double walk = gs_cache_now(c);
    struct gs_doc *list = must_get(c, "/sps", GS_TTL_DIR, GS_GET_COLLECTION);
    const cJSON *item = cJSON_GetArrayItem(cJSON_GetObjectItem(list->json, "value"), 0);

    fake_advance(&f, 50); /* stored 50 s after the listing: fresh 10 s more, not 60 */
    CHECK_INT(gs_cache_put_item_of(c, "/sps/s1", GS_TTL_DIR, item, list), ==, 0);
    CHECK(gs_cache_is_fresh(c, "/sps/s1"));
    struct gs_doc *d = NULL;
    CHECK_INT(gs_cache_get(c, "/sps/s1", GS_TTL_DIR, GS_GET_CACHED_ONLY, &d, NULL), ==, 0);
    CHECK(d && d->fetched_at.tv_sec == list->fetched_at.tv_sec);
    CHECK(d && strcmp(d->request_id, list->request_id) == 0);
    gs_doc_unref(d);
    fake_advance(&f, 11);
    CHECK(!gs_cache_is_fresh(c, "/sps/s1"));

    /* past the listing's time-to-live: expired for everyone at once, served to the walk */
    gs_cache_remove(c, "/sps/s1");
    CHECK_INT(gs_cache_put_item_of(c, "/sps/s1", GS_TTL_DIR, item, list), ==, 0);
    CHECK(!gs_cache_is_fresh(c, "/sps/s1"));
    CHECK_INT(gs_cache_get_fresh_since(c, "/sps/s1", walk, &d), ==, 0);
    gs_doc_unref(d);
    CHECK_INT(gs_cache_get_fresh_since(c, "/sps/s1", gs_cache_now(c), &d), ==, -ENOENT);

    /* a newer copy (fetched on its own) is not replaced by the listing's */
    fake_answer(&f, "/sps/s1", "{\"id\":\"s1\",\"n\":2}");
    struct gs_doc *own = must_get(c, "/sps/s1", GS_TTL_DIR, 0);
    CHECK_INT(gs_cache_put_item_of(c, "/sps/s1", GS_TTL_DIR, item, list), ==, 0);
    CHECK_INT(gs_cache_get(c, "/sps/s1", GS_TTL_DIR, GS_GET_CACHED_ONLY, &d, NULL), ==, 0);
    CHECK(d == own);
    gs_doc_unref(d);
    gs_doc_unref(own);

    /* a listing the cache no longer holds at its key tells nothing of its age */
    fake_answer(&f, "/sps", "{\"value\":[]}");
    struct gs_doc *list2 = must_get(c, "/sps", GS_TTL_DIR, GS_GET_COLLECTION);
    CHECK_INT(gs_cache_put_item_of(c, "/sps/s2", GS_TTL_DIR, item, list), ==, -ESTALE);
    gs_doc_unref(list2);
    gs_doc_unref(list);
    gs_cache_free(c);
    fake_destroy(&f);
}

int main(void)
{
    test_item_of_an_older_listing();
    test_listing_fills_items();
    test_without_fill_flag();
    test_invalidation_during_listing_fetch();
    return 0;
}

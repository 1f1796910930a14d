/* What a cached listing costs per item (issue 14, item 5: 50,000 service
 * principals held 56 MB, 1.1 KB each for 450 bytes of text), and that the
 * packed documents (api/json_pack.h) show the same content as the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_pack.h"
#include "tests/unit/cache/fake.h"

#define SPS "/servicePrincipals?$select=id,appId,displayName&$top=999"
#define JOBS "/servicePrincipals/sp1/synchronization/jobs"
#define NSP 1000

/* A listing as Graph answers the mount's $select: ids, names, tags. */
static char *sp_listing(void)
{
    size_t cap = NSP * 512 + 64, len = 0;
    char *s = malloc(cap);
    CHECK(s != NULL);
    len += (size_t)snprintf(s + len, cap - len, "{\"value\":[");
    for (int i = 0; i < NSP; i++)
        len += (size_t)snprintf(s + len, cap - len,
            "%s{\"id\":\"%08d-8693-4564-a72c-548ce788389e\",\"appId\":\"%08d-fa90-433c-9376-5b52c52bd3f8\","
            "\"displayName\":\"Salesforce EMEA %05d\",\"appDisplayName\":\"Salesforce EMEA %05d\","
            "\"servicePrincipalType\":\"Application\",\"accountEnabled\":true,"
            "\"appOwnerOrganizationId\":\"0e3b4d8e-5d2c-4c4e-9b0a-2f1c6f1d2e3f\","
            "\"tags\":[\"WindowsAzureActiveDirectoryIntegratedApp\",\"WindowsAzureActiveDirectoryGalleryApplicationPrimaryV1\"]}",
            i ? "," : "", i, i, i, i);
    snprintf(s + len, cap - len, "]}");
    return s;
}

static char *printed(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    char *p = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return p;
}

/* The listing's doc holds under 900 bytes per service principal (its text
 * is 420): before, each item's dozen nodes and four strings were
 * allocations of their own, 1,100 bytes with malloc's headers. */
static void test_listing_costs_under_900_bytes_an_item(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    char *text = sp_listing();
    fake_answer(&f, SPS, text);
    struct gs_doc *d = must_get(c, SPS, GS_TTL_DIR, GS_GET_COLLECTION);
    struct gs_cache_stats st;
    gs_cache_get_stats(c, &st);
    printf("listing of %d: %zu bytes, %zu an item; text %zu an item\n", NSP, st.bytes, st.bytes / NSP,
           strlen(text) / NSP);
    CHECK_INT(st.bytes / NSP, <, 900);
    /* the same content, in the same order */
    char *want = printed(text), *got = doc_text(d);
    CHECK(want && got && strcmp(want, got) == 0);
    /* an ordinary copy of it, the same again */
    cJSON *dup = cJSON_Duplicate(d->json, 1);
    char *dup_text = dup ? cJSON_PrintUnformatted(dup) : NULL;
    CHECK(dup_text && strcmp(dup_text, want) == 0);
    cJSON_Delete(dup);
    free(dup_text);
    free(want);
    free(got);
    free(text);
    gs_doc_unref(d);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* A listing's items stored on their own, and put copies, read back the same. */
static void test_items_and_puts_read_back_the_same(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    const char *jobs = "{\"value\":[{\"id\":\"j1\",\"status\":{\"code\":\"Active\",\"n\":[1,2.5,null,true]},"
                       "\"s\":[{\"name\":\"a\",\"value\":\"\"}]}]}";
    fake_answer(&f, JOBS, jobs);
    struct gs_doc *l = must_get(c, JOBS, GS_TTL_STATUS, GS_GET_COLLECTION | GS_GET_FILL_ITEMS);
    struct gs_doc *it = must_get(c, JOBS "/j1", GS_TTL_STATUS, 0);
    CHECK(cJSON_Compare(it->json, cJSON_GetArrayItem(cJSON_GetObjectItem(l->json, "value"), 0), 1));
    CHECK(gs_cache_put(c, "/k", GS_TTL_DOC, it->json, NULL) == 0);
    struct gs_doc *k = must_get(c, "/k", GS_TTL_DOC, GS_GET_CACHED_ONLY);
    CHECK(cJSON_Compare(k->json, it->json, 1));
    char *t = doc_text(k);
    CHECK(t && strcmp(t, "{\"id\":\"j1\",\"status\":{\"code\":\"Active\",\"n\":[1,2.5,null,true]},"
                         "\"s\":[{\"name\":\"a\",\"value\":\"\"}]}") == 0);
    free(t);
    gs_doc_unref(k);
    gs_doc_unref(it);
    gs_doc_unref(l);
    gs_cache_free(c);
    fake_destroy(&f);
}

/* A listing's items stored on their own are the listing's items, not
 * copies (a tenant scan's 2,500 job listings held every job twice: 12 MiB
 * at 50,000), and each shows itself alone, not its siblings; an item
 * outlives its listing. */
static void test_items_are_their_listings_items(void)
{
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = fake_cache(&f, 60, 5, 300, 0);
    fake_answer(&f, JOBS, "{\"value\":[{\"id\":\"j1\",\"n\":1},{\"id\":\"j2\",\"n\":2}]}");
    struct gs_doc *l = must_get(c, JOBS, GS_TTL_STATUS, GS_GET_COLLECTION | GS_GET_FILL_ITEMS);
    struct gs_doc *a = must_get(c, JOBS "/j1", GS_TTL_STATUS, GS_GET_CACHED_ONLY);
    struct gs_doc *b = must_get(c, JOBS "/j2", GS_TTL_STATUS, GS_GET_CACHED_ONLY);
    const cJSON *v = cJSON_GetObjectItem(l->json, "value");
    CHECK(a->json == cJSON_GetArrayItem(v, 0));
    CHECK(b->json == cJSON_GetArrayItem(v, 1));
    char *ta = doc_text(a), *tb = doc_text(b);
    CHECK(ta && strcmp(ta, "{\"id\":\"j1\",\"n\":1}") == 0);
    CHECK(tb && strcmp(tb, "{\"id\":\"j2\",\"n\":2}") == 0);
    free(tb);
    /* the same listing again: neither item changed */
    fake_advance(&f, 6);
    gs_doc_unref(must_get(c, JOBS, GS_TTL_STATUS, GS_GET_COLLECTION | GS_GET_FILL_ITEMS));
    CHECK_INT(fake_total_changes(&f), ==, 0);
    /* stored by a batch: the same */
    cJSON *j = cJSON_Parse("{\"value\":[{\"id\":\"j3\",\"n\":3}]}");
    struct gs_doc *l2 = NULL;
    CHECK(gs_cache_put_listing_since(c, JOBS "2", GS_TTL_STATUS, j, "rid", gs_cache_mark(c), &l2) == 0);
    struct gs_doc *d = must_get(c, JOBS "2/j3", GS_TTL_STATUS, GS_GET_CACHED_ONLY);
    CHECK(d->json == cJSON_GetArrayItem(cJSON_GetObjectItem(l2->json, "value"), 0));
    CHECK(strcmp(d->request_id, "rid") == 0);
    /* the listings go, their items stay readable */
    gs_cache_remove(c, JOBS);
    gs_cache_remove(c, JOBS "2");
    gs_doc_unref(l);
    gs_doc_unref(l2);
    char *ta2 = doc_text(a), *td = doc_text(d);
    CHECK(ta2 && strcmp(ta2, ta) == 0 && td && strcmp(td, "{\"id\":\"j3\",\"n\":3}") == 0);
    free(ta);
    free(ta2);
    free(td);
    gs_doc_unref(a);
    gs_doc_unref(b);
    gs_doc_unref(d);
    gs_cache_free(c);
    fake_destroy(&f);
}

int main(void)
{
    test_listing_costs_under_900_bytes_an_item();
    test_items_and_puts_read_back_the_same();
    test_items_are_their_listings_items();
    return 0;
}

/* The index of the service-principal listing: the names servicePrincipals/,
 * by-name/ and by-appId/ show, found by name, rebuilt per generation. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache/doc_impl.h"
#include "tests/unit/check.h"
#include "fs/views/sp_index.h"

/* A listing doc {"value": items} of this generation. */
static struct gs_doc *doc_of(cJSON *items, uint64_t generation)
{
    cJSON *j = cJSON_CreateObject();
    struct gs_doc_impl *d = NULL;
    struct timespec ts = {0};
    if (!j || !cJSON_AddItemToObject(j, "value", items) ||
        gs_doc_create("/servicePrincipals", j, "req-1", &ts, &d) != 0) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    d->pub.generation = generation;
    return &d->pub;
}

static struct gs_doc *listing(const char *json, uint64_t generation)
{
    cJSON *j = cJSON_Parse(json);
    if (!j) {
        fprintf(stderr, "bad test JSON\n");
        exit(2);
    }
    return doc_of(j, generation);
}

static void expect_find(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *l,
                        const char *name, const char *want_id)
{
    char *id = NULL;
    int r = gs_sp_index_find(x, kind, l, name, &id);
    if (want_id) {
        CHECK(r == 0);
        CHECK_STR(id, want_id);
    } else {
        CHECK(r == -ENOENT);
        CHECK(id == NULL);
    }
    free(id);
}

static void test_three_directories(void)
{
    struct gs_sp_index *x = NULL;
    CHECK(gs_sp_index_new(&x) == 0);
    struct gs_doc *j = listing("["
        "{\"id\":\"a1\",\"appId\":\"app-1\",\"displayName\":\"Salesforce\"},"
        "{\"id\":\"b2\",\"appId\":\"app-2\",\"displayName\":\"Workday\"},"
        "{\"id\":\"c3\",\"appId\":\"app-3\",\"displayName\":\"Salesforce\"},"
        "{\"id\":\"d/4\",\"appId\":\"app-4\",\"displayName\":\"unsafe id\"},"
        "{\"id\":\"e5\",\"displayName\":\"HR/Payroll\"}]", 1);
    expect_find(x, GS_K_SPS, j, "a1", "a1");
    expect_find(x, GS_K_SPS, j, "d/4", NULL);
    expect_find(x, GS_K_SPS, j, "zz", NULL);
    /* equal display names: both get their id, neither keeps the bare name */
    expect_find(x, GS_K_BYNAME, j, "Salesforce", NULL);
    expect_find(x, GS_K_BYNAME, j, "Salesforce~a1", "a1");
    expect_find(x, GS_K_BYNAME, j, "Salesforce~c3", "c3");
    expect_find(x, GS_K_BYNAME, j, "Workday", "b2");
    expect_find(x, GS_K_BYNAME, j, "HR\xef\xbc\x8fPayroll", "e5");
    expect_find(x, GS_K_BYNAME, j, "unsafe id", NULL);
    expect_find(x, GS_K_BYAPPID, j, "app-2", "b2");
    expect_find(x, GS_K_BYAPPID, j, "app-4", NULL);

    struct gs_sp_name *v = NULL;
    size_t n = 0;
    CHECK(gs_sp_index_list(x, GS_K_BYNAME, j, &v, &n) == 0);
    CHECK(n == 4);
    if (n == 4) {
        /* listing order */
        CHECK_STR(v[0].name, "Salesforce~a1");
        CHECK_STR(v[1].name, "Workday");
        CHECK_STR(v[2].name, "Salesforce~c3");
        CHECK_STR(v[3].id, "e5");
    }
    gs_sp_names_free(v, n);
    CHECK(gs_sp_index_list(x, GS_K_BYAPPID, j, &v, &n) == 0);
    CHECK(n == 3); /* e5 has no appId */
    gs_sp_names_free(v, n);
    char *id = NULL;
    CHECK(gs_sp_index_find(x, GS_K_SP, j, "a1", &id) == -EINVAL);
    /* servicePrincipal.json's content: a copy of the item */
    cJSON *item = gs_sp_index_item(x, j, "b2");
    CHECK(item && strcmp(cJSON_GetObjectItem(item, "displayName")->valuestring, "Workday") == 0);
    cJSON_Delete(item);
    CHECK(gs_sp_index_item(x, j, "zz") == NULL);
    /* the index keeps the listing it was built from alive */
    gs_doc_unref(j);
    expect_find(x, GS_K_SPS, j, "a1", "a1");
    gs_sp_index_free(x);
}

/* A new listing generation is indexed again; the same generation is not. */
static void test_generation(void)
{
    struct gs_sp_index *x = NULL;
    CHECK(gs_sp_index_new(&x) == 0);
    struct gs_doc *one = listing("[{\"id\":\"a1\",\"displayName\":\"Alpha\"}]", 7);
    struct gs_doc *same = listing("[{\"id\":\"a1\",\"displayName\":\"Alpha\"},"
                                  "{\"id\":\"b2\",\"displayName\":\"Alpha\"}]", 7);
    struct gs_doc *two = listing("[{\"id\":\"a1\",\"displayName\":\"Alpha\"},"
                                 "{\"id\":\"b2\",\"displayName\":\"Alpha\"}]", 8);
    expect_find(x, GS_K_BYNAME, one, "Alpha", "a1");
    /* same generation: the index built from it answers, whatever is passed */
    expect_find(x, GS_K_BYNAME, same, "Alpha", "a1");
    expect_find(x, GS_K_BYNAME, two, "Alpha", NULL);
    expect_find(x, GS_K_BYNAME, two, "Alpha~b2", "b2");
    expect_find(x, GS_K_SPS, two, "b2", "b2");
    gs_doc_unref(one);
    gs_doc_unref(same);
    gs_doc_unref(two);
    gs_sp_index_free(x);
}

/* The look-up libfuse's thread makes (gs_tree_lookup_cached): only an index
 * built for this generation answers; it never builds one. */
static void test_find_built(void)
{
    struct gs_sp_index *x = NULL;
    CHECK(gs_sp_index_new(&x) == 0);
    struct gs_doc *one = listing("[{\"id\":\"a1\",\"displayName\":\"Alpha\"}]", 3);
    struct gs_doc *two = listing("[{\"id\":\"b2\",\"displayName\":\"Beta\"}]", 4);
    char *id = NULL;
    CHECK(gs_sp_index_find_built(x, GS_K_SPS, one, "a1", &id) == -EWOULDBLOCK);
    CHECK(id == NULL);
    expect_find(x, GS_K_SPS, one, "a1", "a1"); /* builds it */
    CHECK(gs_sp_index_find_built(x, GS_K_SPS, one, "a1", &id) == 0);
    CHECK_STR(id, "a1");
    free(id);
    id = NULL;
    CHECK(gs_sp_index_find_built(x, GS_K_SPS, one, "zz", &id) == -ENOENT);
    /* another directory's index, another generation: not built */
    CHECK(gs_sp_index_find_built(x, GS_K_BYNAME, one, "Alpha", &id) == -EWOULDBLOCK);
    CHECK(gs_sp_index_find_built(x, GS_K_SPS, two, "b2", &id) == -EWOULDBLOCK);
    CHECK(gs_sp_index_find_built(x, GS_K_SP, one, "a1", &id) == -EINVAL);
    CHECK(id == NULL);
    gs_doc_unref(one);
    gs_doc_unref(two);
    gs_sp_index_free(x);
}

/* What a glob reads next: the ids after one in name order, not listing order. */
static void test_following(void)
{
    struct gs_sp_index *x = NULL;
    CHECK(gs_sp_index_new(&x) == 0);
    struct gs_doc *l = listing("[{\"id\":\"c3\"},{\"id\":\"a1\"},{\"id\":\"e5\"},"
                               "{\"id\":\"b2\"},{\"id\":\"d4\"}]", 3);
    char **v = NULL;
    size_t n = 0;
    CHECK(gs_sp_index_following(x, l, "b2", 2, &v, &n) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(v[0], "c3");
        CHECK_STR(v[1], "d4");
    }
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    CHECK(gs_sp_index_following(x, l, "d4", 10, &v, &n) == 0);
    CHECK(n == 1 && strcmp(v[0], "e5") == 0);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    CHECK(gs_sp_index_following(x, l, "e5", 10, &v, &n) == 0);
    CHECK(n == 0);
    free(v);
    CHECK(gs_sp_index_following(x, l, "zz", 10, &v, &n) == -ENOENT);
    gs_doc_unref(l);
    gs_sp_index_free(x);
}

/* A tenant-sized listing: every name found, duplicates resolved (this took
 * quadratic time before the index). */
static void test_large(void)
{
    enum { N = 20000 };
    struct gs_sp_index *x = NULL;
    CHECK(gs_sp_index_new(&x) == 0);
    cJSON *arr = cJSON_CreateArray();
    char id[32], dn[32];
    for (int i = 0; i < N; i++) {
        cJSON *o = cJSON_CreateObject();
        snprintf(id, sizeof(id), "sp-%05d", i);
        snprintf(dn, sizeof(dn), "App %d", i % (N / 2)); /* every name twice */
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "displayName", dn);
        cJSON_AddItemToArray(arr, o);
    }
    struct gs_doc *l = doc_of(arr, 1);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        char name[64], *got = NULL;
        snprintf(id, sizeof(id), "sp-%05d", i);
        snprintf(name, sizeof(name), "App %d~%s", i % (N / 2), id);
        if (gs_sp_index_find(x, GS_K_BYNAME, l, name, &got) != 0 || strcmp(got, id) != 0)
            bad++;
        free(got);
    }
    CHECK(bad == 0);
    gs_doc_unref(l);
    gs_sp_index_free(x);
}

int main(void)
{
    test_three_directories();
    test_generation();
    test_find_built();
    test_following();
    test_large();
    return check_report("test_sp_index");
}

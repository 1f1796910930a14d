/* The index of the service-principal listing: the names servicePrincipals/,
 * by-name/ and by-appId/ show, found by name, rebuilt per generation. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fs/sp_index.h"

static cJSON *listing(const char *json)
{
    cJSON *j = cJSON_Parse(json);
    if (!j) {
        fprintf(stderr, "bad test JSON\n");
        exit(2);
    }
    return j;
}

static void expect_find(struct gs_sp_index *x, enum gs_kind kind, uint64_t gen, const cJSON *items,
                        const char *name, const char *want_id)
{
    char *id = NULL;
    int r = gs_sp_index_find(x, kind, gen, items, name, &id);
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
    cJSON *j = listing("["
        "{\"id\":\"a1\",\"appId\":\"app-1\",\"displayName\":\"Salesforce\"},"
        "{\"id\":\"b2\",\"appId\":\"app-2\",\"displayName\":\"Workday\"},"
        "{\"id\":\"c3\",\"appId\":\"app-3\",\"displayName\":\"Salesforce\"},"
        "{\"id\":\"d/4\",\"appId\":\"app-4\",\"displayName\":\"unsafe id\"},"
        "{\"id\":\"e5\",\"displayName\":\"HR/Payroll\"}]");
    expect_find(x, GS_K_SPS, 1, j, "a1", "a1");
    expect_find(x, GS_K_SPS, 1, j, "d/4", NULL);
    expect_find(x, GS_K_SPS, 1, j, "zz", NULL);
    /* equal display names: both get their id, neither keeps the bare name */
    expect_find(x, GS_K_BYNAME, 1, j, "Salesforce", NULL);
    expect_find(x, GS_K_BYNAME, 1, j, "Salesforce~a1", "a1");
    expect_find(x, GS_K_BYNAME, 1, j, "Salesforce~c3", "c3");
    expect_find(x, GS_K_BYNAME, 1, j, "Workday", "b2");
    expect_find(x, GS_K_BYNAME, 1, j, "HR\xef\xbc\x8fPayroll", "e5");
    expect_find(x, GS_K_BYNAME, 1, j, "unsafe id", NULL);
    expect_find(x, GS_K_BYAPPID, 1, j, "app-2", "b2");
    expect_find(x, GS_K_BYAPPID, 1, j, "app-4", NULL);

    struct gs_sp_name *v = NULL;
    size_t n = 0;
    CHECK(gs_sp_index_list(x, GS_K_BYNAME, 1, j, &v, &n) == 0);
    CHECK(n == 4);
    if (n == 4) {
        /* listing order */
        CHECK_STR(v[0].name, "Salesforce~a1");
        CHECK_STR(v[1].name, "Workday");
        CHECK_STR(v[2].name, "Salesforce~c3");
        CHECK_STR(v[3].id, "e5");
    }
    gs_sp_names_free(v, n);
    CHECK(gs_sp_index_list(x, GS_K_BYAPPID, 1, j, &v, &n) == 0);
    CHECK(n == 3); /* e5 has no appId */
    gs_sp_names_free(v, n);
    char *id = NULL;
    CHECK(gs_sp_index_find(x, GS_K_SP, 1, j, "a1", &id) == -EINVAL);
    cJSON_Delete(j);
    gs_sp_index_free(x);
}

/* A new listing generation is indexed again; the same generation is not. */
static void test_generation(void)
{
    struct gs_sp_index *x = NULL;
    CHECK(gs_sp_index_new(&x) == 0);
    cJSON *one = listing("[{\"id\":\"a1\",\"displayName\":\"Alpha\"}]");
    cJSON *two = listing("[{\"id\":\"a1\",\"displayName\":\"Alpha\"},"
                         "{\"id\":\"b2\",\"displayName\":\"Alpha\"}]");
    expect_find(x, GS_K_BYNAME, 7, one, "Alpha", "a1");
    /* same generation: the index built from it answers, whatever is passed */
    expect_find(x, GS_K_BYNAME, 7, two, "Alpha", "a1");
    expect_find(x, GS_K_BYNAME, 8, two, "Alpha", NULL);
    expect_find(x, GS_K_BYNAME, 8, two, "Alpha~b2", "b2");
    expect_find(x, GS_K_SPS, 8, two, "b2", "b2");
    cJSON_Delete(one);
    cJSON_Delete(two);
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
    int bad = 0;
    for (int i = 0; i < N; i++) {
        char name[64], *got = NULL;
        snprintf(id, sizeof(id), "sp-%05d", i);
        snprintf(name, sizeof(name), "App %d~%s", i % (N / 2), id);
        if (gs_sp_index_find(x, GS_K_BYNAME, 1, arr, name, &got) != 0 || strcmp(got, id) != 0)
            bad++;
        free(got);
    }
    CHECK(bad == 0);
    cJSON_Delete(arr);
    gs_sp_index_free(x);
}

int main(void)
{
    test_three_directories();
    test_generation();
    test_large();
    return check_report("test_sp_index");
}

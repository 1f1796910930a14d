/* The bytes of the mount's JSON files. */
#include <stdlib.h>
#include <string.h>

#include "fs/model/json_render.h"
#include "tests/unit/check.h"

/* Parses in, renders it, compares with want (and the reported length). */
static void expect_render(const char *in, const char *want)
{
    cJSON *j = cJSON_Parse(in);
    CHECK(j != NULL);
    if (!j) {
        fprintf(stderr, "cannot parse: %s\n", in);
        return;
    }
    size_t len = 0;
    char *out = gs_json_render(j, &len);
    CHECK_STR(out, want);
    if (out)
        CHECK_INT(len, strlen(out));
    /* a file's size without rendering it (getattr, readdirplus) */
    CHECK_INT(gs_json_rendered_len(j), strlen(want));
    free(out);
    cJSON_Delete(j);
}

static void test_document(void)
{
    /* key order kept, annotations gone at every depth, 2-space indent */
    expect_render(
        "{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#x\",\"zeta\":1,"
        "\"alpha\":\"a\",\"schedule\":{\"expiration\":null,\"interval\":\"PT40M\",\"state\":"
        "\"Active\"},\"progress\":[],\"quarantine\":{},\"settings\":[{\"name\":\"Q\",\"value\":"
        "\"500\",\"@odata.type\":\"#microsoft.graph.keyValuePair\"}],\"props\":{\"value@odata.type\":"
        "\"#Collection(String)\",\"value\":[\"x\",true,false]},\"onlyAnnotations\":{\"@odata.id\":"
        "\"y\"},\"@odata.nextLink\":\"https://next\"}",
        "{\n"
        "  \"zeta\": 1,\n"
        "  \"alpha\": \"a\",\n"
        "  \"schedule\": {\n"
        "    \"expiration\": null,\n"
        "    \"interval\": \"PT40M\",\n"
        "    \"state\": \"Active\"\n"
        "  },\n"
        "  \"progress\": [],\n"
        "  \"quarantine\": {},\n"
        "  \"settings\": [\n"
        "    {\n"
        "      \"name\": \"Q\",\n"
        "      \"value\": \"500\"\n"
        "    }\n"
        "  ],\n"
        "  \"props\": {\n"
        "    \"value\": [\n"
        "      \"x\",\n"
        "      true,\n"
        "      false\n"
        "    ]\n"
        "  },\n"
        "  \"onlyAnnotations\": {}\n"
        "}\n");
}

static void test_numbers(void)
{
    expect_render("[0,-0,42,-17,1714557600,9007199254740992,-9007199254740992,1234567890123]",
                  "[\n  0,\n  0,\n  42,\n  -17,\n  1714557600,\n  9007199254740992,\n"
                  "  -9007199254740992,\n  1234567890123\n]\n");
    /* integers written with a fraction or exponent are still integers */
    expect_render("[1.0,5e2,2E1]", "[\n  1,\n  500,\n  20\n]\n");
    /* non-integers: shortest text that reads back the same */
    expect_render("[0.1,1.5,-2.25,3.14159,1e-07,0.30000000000000004,1e300]",
                  "[\n  0.1,\n  1.5,\n  -2.25,\n  3.14159,\n  1e-07,\n  0.30000000000000004,\n"
                  "  1e+300\n]\n");
    /* beyond 2^53 doubles are not exact: %.17g */
    expect_render("[18446744073709551616]", "[\n  1.8446744073709552e+19\n]\n");
}

static void test_strings(void)
{
    /* escapes as JSON needs them, UTF-8 kept as is, '/' not escaped */
    expect_render("[\"q\\\" b\\\\ n\\n r\\r t\\t f\\f b\\b c\\u0001 d\\u001f / \\u00e9 "
                  "\\u2713 \xc3\xbc \\ud83d\\ude00 del\\u007f\"]",
                  "[\n  \"q\\\" b\\\\ n\\n r\\r t\\t f\\f b\\b c\\u0001 d\\u001f / \xc3\xa9 "
                  "\xe2\x9c\x93 \xc3\xbc \xf0\x9f\x98\x80 del\x7f\"\n]\n");
    /* keys are escaped too */
    expect_render("{\"a\\\"b\":\"\",\"\\u00e9\":1}", "{\n  \"a\\\"b\": \"\",\n  \"\xc3\xa9\": 1\n}\n");
}

static void test_tops(void)
{
    expect_render("{}", "{}\n");
    expect_render("[]", "[]\n");
    expect_render("\"text\"", "\"text\"\n");
    expect_render("null", "null\n");
    expect_render("{\"@odata.context\":\"x\"}", "{}\n");
    expect_render("[[],[{}],[[1]]]", "[\n  [],\n  [\n    {}\n  ],\n  [\n    [\n      1\n    ]\n  ]\n]\n");
    size_t len = 99;
    char *out = gs_json_render(NULL, &len);
    CHECK_STR(out, "null\n");
    CHECK_INT(len, 5);
    free(out);
    /* the length is optional */
    cJSON *j = cJSON_CreateTrue();
    out = gs_json_render(j, NULL);
    CHECK_STR(out, "true\n");
    free(out);
    cJSON_Delete(j);
}

/* Deeper than one run of indentation spaces: the size still matches the bytes. */
static void test_deep(void)
{
    char in[256] = "", want[4096] = "";
    for (int i = 0; i < 24; i++)
        strcat(in, "[");
    for (int i = 0; i < 24; i++)
        strcat(in, "]");
    for (int i = 0; i < 23; i++) {
        strcat(want, "[\n");
        for (int k = 0; k <= i; k++)
            strcat(want, "  ");
    }
    strcat(want, "[]");
    for (int i = 22; i >= 0; i--) {
        strcat(want, "\n");
        for (int k = 0; k < i; k++)
            strcat(want, "  ");
        strcat(want, "]");
    }
    strcat(want, "\n");
    expect_render(in, want);
    CHECK_INT(gs_json_rendered_len(NULL), 5); /* "null\n" */
}

static void test_annotation_names(void)
{
    CHECK(gs_json_is_annotation("@odata.context"));
    CHECK(gs_json_is_annotation("@odata.nextLink"));
    CHECK(gs_json_is_annotation("value@odata.type"));
    CHECK(gs_json_is_annotation("members@odata.bind"));
    CHECK(!gs_json_is_annotation("odata"));
    CHECK(!gs_json_is_annotation("@odata"));
    CHECK(!gs_json_is_annotation("id"));
    CHECK(!gs_json_is_annotation("email@example.com"));
    CHECK(!gs_json_is_annotation(""));
    CHECK(!gs_json_is_annotation(NULL));
}

int main(void)
{
    test_document();
    test_numbers();
    test_strings();
    test_tops();
    test_deep();
    test_annotation_names();
    return check_report("test_json_render");
}

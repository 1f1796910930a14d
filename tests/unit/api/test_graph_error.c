/* The errno mapping of DESIGN.md section 6 and Graph error bodies: code,
 * message (nested sync-service JSON unwrapped), ids. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/graph_error.h"
#include "api/permissions.h"
#include "tests/unit/check.h"
#include "tests/unit/api/data_file.h"

static const char *data_dir;

static void test_status_mapping(void)
{
    static const struct {
        long status;
        int err;
    } table[] = {
        {200, 0},           {201, 0},           {202, 0},           {204, 0},
        {301, -EIO},        {400, -EINVAL},     {401, -EKEYREJECTED}, {403, -EPERM},
        {404, -ENOENT},     {405, -EOPNOTSUPP}, {409, -EBUSY},      {410, -EIO},
        {412, -ESTALE},     {413, -EFBIG},      {415, -EIO},        {424, -EIO},
        {429, -EAGAIN},     {500, -EIO},        {501, -EOPNOTSUPP}, {502, -EIO},
        {503, -EIO},        {504, -ETIMEDOUT},  {507, -EIO},        {0, -EIO},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        int got = gs_errno_for_status(table[i].status);
        if (got != table[i].err) {
            fprintf(stderr, "status %ld maps to %d, want %d\n", table[i].status, got, table[i].err);
            check_failures++;
        }
    }
}

static void expect_parse(const char *body, int want_r, const char *want_code, const char *want_msg)
{
    char *code = (char *)"untouched", *msg = (char *)"untouched";
    int r = gs_error_parse_body(body, strlen(body), &code, &msg);
    CHECK_INT(r, want_r);
    CHECK_STR(code, want_code);
    CHECK_STR(msg, want_msg);
    free(code);
    free(msg);
}

/* graph-sync-api.md 3.11: PATCH on a schema, passed through from the sync service */
static const char patch_schema_body[] =
    "{\"error\":{\"code\":\"UnknownError\",\"message\":\"{\\\"Message\\\":\\\"No HTTP resource "
    "was found that matches the request URI 'https://syncfabric.windowsazure.com/api/"
    "servicePrincipals('60443998-8cf7-4e61-b05c-a53b658cb5e1')/synchronization/jobs("
    "'scim.e4bbf44533ea4eabb17027f3a92e92aa')/schema?api-version=2.0'.\\\"}\",\"innerError\":{"
    "\"date\":\"2021-03-02T10:11:12\",\"request-id\":\"0f1e2d3c-aaaa-bbbb-cccc-000000000001\","
    "\"client-request-id\":\"0f1e2d3c-aaaa-bbbb-cccc-000000000002\"}}}";

/* graph-sync-api.md 8.4 */
static const char throttled_body[] =
    "{\"error\": {\"code\": \"TooManyRequests\",\n"
    "  \"innerError\": {\"code\": \"429\", \"date\": \"2020-08-18T12:51:51\", \"message\": "
    "\"Please retry after\",\n"
    "                 \"request-id\": \"94fb3b52-452a-4535-a601-69e0a90e3aa2\", \"status\": "
    "\"429\"},\n"
    "  \"message\": \"Please retry again later.\"}}";

static void test_parse_inline(void)
{
    expect_parse(patch_schema_body, 0, "UnknownError",
                 "No HTTP resource was found that matches the request URI "
                 "'https://syncfabric.windowsazure.com/api/servicePrincipals("
                 "'60443998-8cf7-4e61-b05c-a53b658cb5e1')/synchronization/jobs("
                 "'scim.e4bbf44533ea4eabb17027f3a92e92aa')/schema?api-version=2.0'.");
    expect_parse(throttled_body, 0, "TooManyRequests", "Please retry again later.");
    /* the message only inside innerError (deepest one wins) */
    expect_parse("{\"error\":{\"code\":\"generalException\",\"innerError\":{\"message\":\"outer "
                 "inner\",\"innerError\":{\"message\":\"deepest\"}}}}",
                 0, "generalException", "deepest");
    /* a code only inside innerError */
    expect_parse("{\"error\":{\"message\":\"m\",\"innererror\":{\"code\":\"InnerCode\"}}}", 0,
                 "InnerCode", "m");
    /* Graph-shaped JSON nested in the message */
    expect_parse("{\"error\":{\"code\":\"BadRequest\",\"message\":\"{\\\"error\\\":{\\\"code\\\":"
                 "\\\"X\\\",\\\"message\\\":\\\"deep text\\\"}}\"}}",
                 0, "BadRequest", "deep text");
    /* lower-case "message" key from the sync service, with spaces before it */
    expect_parse("{\"error\":{\"code\":\"UnknownError\",\"message\":\"  {\\\"message\\\":\\\"low\\\"}\"}}",
                 0, "UnknownError", "low");
    /* braces that are not JSON stay as they are */
    expect_parse("{\"error\":{\"code\":\"C\",\"message\":\"{oops} not json\"}}", 0, "C",
                 "{oops} not json");
    /* an OAuth error body */
    expect_parse("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
                 "client secret provided.\"}",
                 0, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    /* code without a message */
    expect_parse("{\"error\":{\"code\":\"accessDenied\"}}", 0, "accessDenied", NULL);
    /* not Graph error bodies */
    expect_parse("<html><body>Bad Gateway</body></html>", -EINVAL, NULL, NULL);
    expect_parse("{\"value\":[]}", -EINVAL, NULL, NULL);
    expect_parse("{\"error\":{}}", -EINVAL, NULL, NULL);
    expect_parse("{\"error\":42}", -EINVAL, NULL, NULL);
    expect_parse("[1,2]", -EINVAL, NULL, NULL);
    char *code = (char *)"x", *msg = (char *)"x";
    CHECK_INT(gs_error_parse_body("", 0, &code, &msg), -EINVAL);
    CHECK(code == NULL && msg == NULL);
    CHECK_INT(gs_error_parse_body(NULL, 0, &code, &msg), -EINVAL);
    /* the length is honoured: a truncated body is not parsed past it */
    CHECK_INT(gs_error_parse_body(throttled_body, 20, &code, &msg), -EINVAL);
}

static void test_parse_files(void)
{
    static const struct {
        const char *file;
        const char *code;
        const char *message;
        const char *request_id;
        const char *client_request_id;
    } files[] = {
        {"error-not-found.json", "Request_ResourceNotFound",
         "Resource '00000000-0000-0000-0000-000000000000' does not exist or one of its queried "
         "reference-property objects are not present.",
         "b7dee9ee-d85b-4e7a-8686-74852cbfd85b", "b7dee9ee-d85b-4e7a-8686-74852cbfd85b"},
        {"error-provision-on-demand-bad-rule.json", "RequestParameterInvalid",
         "The request identified this synchronization job: scim.e4bbf44533ea4eabb17027f3a92e92aa."
         "  The request also identified this synchronization rule: .  However, the job does not "
         "include the rule.",
         "2a8c1d5e-5032-4dfd-9c7b-e76127483dfa", "93a8c1d5-5032-4dfd-9c7b-e76127483dfa"},
        {"error-throttled-429.json", "TooManyRequests", "Please retry again later.",
         "94fb3b52-452a-4535-a601-69e0a90e3aa2", NULL},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len = 0;
        char *body = read_data_file(data_dir, files[i].file, &len);
        CHECK(body != NULL);
        if (!body)
            continue;
        char *code = NULL, *msg = NULL;
        CHECK_INT(gs_error_parse_body(body, len, &code, &msg), 0);
        CHECK_STR(code, files[i].code);
        CHECK_STR(msg, files[i].message);
        free(code);
        free(msg);

        /* no ids in the headers: taken from innerError */
        struct gs_error e = {0};
        gs_error_set_http(&e, "GET", "https://graph.microsoft.com/v1.0/x", 404, body, len, NULL, "");
        CHECK_STR(e.request_id, files[i].request_id);
        CHECK_STR(e.client_request_id, files[i].client_request_id);
        CHECK_STR(e.code, files[i].code);
        CHECK_INT(e.err, -ENOENT);
        /* header ids win over the body's */
        gs_error_set_http(&e, "GET", "https://graph.microsoft.com/v1.0/x", 429, body, len,
                          "hdr-request-id", "hdr-client-id");
        CHECK_STR(e.request_id, "hdr-request-id");
        CHECK_STR(e.client_request_id, "hdr-client-id");
        CHECK_INT(e.err, -EAGAIN);
        gs_error_clear(&e);
        free(body);
    }
}

static void test_set_and_copy(void)
{
    struct gs_error e = {0};
    gs_error_set_http(&e, "PATCH", "https://graph.microsoft.com/v1.0/servicePrincipals/a/x", 404,
                      patch_schema_body, strlen(patch_schema_body), "rid-1", "crid-1");
    CHECK_STR(e.method, "PATCH");
    CHECK_STR(e.url, "https://graph.microsoft.com/v1.0/servicePrincipals/a/x");
    CHECK_INT(e.http_status, 404);
    CHECK_INT(e.err, -ENOENT);
    CHECK_STR(e.code, "UnknownError");
    CHECK(e.message && strncmp(e.message, "No HTTP resource was found", 26) == 0);
    CHECK(e.when > 0);
    CHECK_INT(e.outcome_unknown, 0);

    struct gs_error copy = {0};
    e.outcome_unknown = 1;
    gs_error_copy(&copy, &e);
    CHECK(copy.url != e.url && copy.message != e.message);
    CHECK_STR(copy.url, e.url);
    CHECK_STR(copy.code, e.code);
    CHECK_STR(copy.message, e.message);
    CHECK_STR(copy.request_id, "rid-1");
    CHECK_STR(copy.client_request_id, "crid-1");
    CHECK_STR(copy.method, "PATCH");
    CHECK_INT(copy.err, -ENOENT);
    CHECK_INT(copy.http_status, 404);
    CHECK_INT(copy.outcome_unknown, 1);
    CHECK(copy.when == e.when);

    /* a gateway's HTML page: its title, said to come from a gateway */
    const char *html = "\n<html>\r\n<head><title>502 Bad  Gateway</title></head><body>x</body></html>";
    gs_error_set_http(&e, "GET", "u", 502, html, strlen(html), NULL, NULL);
    CHECK_INT(e.err, -EIO);
    CHECK(e.code == NULL && e.needs == NULL);
    CHECK_STR(e.message, "an HTML page instead of a Graph error (from a gateway or proxy in front of "
                         "Graph): 502 Bad Gateway");
    CHECK(e.request_id == NULL && e.client_request_id == NULL);
    /* HTML without a title: its text without tags */
    const char *bare = "<html><b>503</b>\n<i>Service  Unavailable</i></html>";
    gs_error_set_http(&e, "GET", "u", 503, bare, strlen(bare), NULL, NULL);
    CHECK_STR(e.message, "an HTML page instead of a Graph error (from a gateway or proxy in front of "
                         "Graph): 503 Service Unavailable");
    /* long bodies are cut */
    char big[1000];
    memset(big, 'x', sizeof(big));
    gs_error_set_http(&e, "GET", "u", 500, big, sizeof(big), NULL, NULL);
    CHECK(e.message && strncmp(e.message, "not a Graph error body: xxx", 27) == 0);
    CHECK(e.message && strlen(e.message) == 24 + 300 + 3 && strcmp(e.message + 324, "...") == 0);
    /* no body at all */
    gs_error_set_http(&e, "GET", "u", 504, NULL, 0, NULL, NULL);
    CHECK_INT(e.err, -ETIMEDOUT);
    CHECK(e.code == NULL && e.message && strstr(e.message, "the answer had no body"));
    /* 403: a missing permission, "Operation not permitted"; needs says which */
    gs_error_set_http(&e, "GET", "https://graph.microsoft.com/v1.0/servicePrincipals?$top=5", 403, NULL, 0,
                      NULL, NULL);
    CHECK_INT(e.err, -EPERM);
    CHECK_STR(e.needs, "Application.Read.All or Directory.Read.All");
    /* a 401 that is not about the token is a missing permission too */
    gs_error_set_http(&e, "GET", "https://graph.microsoft.com/v1.0/servicePrincipals", 401, NULL, 0, NULL, NULL);
    CHECK_INT(e.err, -EPERM);

    gs_error_set_local(&e, "POST", "https://h/v1.0/j/start", -ETIMEDOUT, "Timeout", "too slow");
    CHECK_INT(e.http_status, 0);
    CHECK_INT(e.err, -ETIMEDOUT);
    CHECK_STR(e.code, "Timeout");
    CHECK_STR(e.message, "too slow");
    CHECK_STR(e.method, "POST");
    CHECK(e.request_id == NULL);
    /* a positive errno is taken as the negative one */
    gs_error_set_local(&e, "GET", NULL, EHOSTUNREACH, NULL, NULL);
    CHECK_INT(e.err, -EHOSTUNREACH);
    CHECK(e.url == NULL && e.code == NULL && e.message == NULL);
    /* an over-long method is cut, not overflowed */
    gs_error_set_local(&e, "VERYLONGMETHOD", "u", -EIO, NULL, NULL);
    CHECK_STR(e.method, "VERYLON");

    gs_error_clear(&copy);
    gs_error_clear(&e);
    CHECK(e.url == NULL && e.err == 0 && e.method[0] == '\0');
    gs_error_clear(&e); /* twice is harmless */
}

/* Real tenants answer a missing permission on the synchronization endpoints
 * with 401 UnknownError and an empty message (issue 18). */
static void test_permission_refusals(void)
{
    struct gs_error e = {0};
    const char *empty401 = "{\"error\":{\"code\":\"UnknownError\",\"message\":\"\",\"innerError\":{"
                           "\"date\":\"2024-05-01T10:00:00\",\"request-id\":\"r\",\"client-request-id\":\"c\"}}}";
    gs_error_set_http(&e, "GET", "https://graph.microsoft.com/v1.0/servicePrincipals/s/synchronization/jobs",
                      401, empty401, strlen(empty401), NULL, NULL);
    CHECK_INT(e.err, -EPERM);
    CHECK_STR(e.code, "UnknownError");
    CHECK(e.message && strstr(e.message, "not an expired token"));
    CHECK_STR(e.needs, "Synchronization.Read.All or Synchronization.ReadWrite.All (application or delegated)");
    char *text = gs_error_format(&e);
    CHECK(text && strstr(text, "\nneeds: Synchronization.Read.All or Synchronization.ReadWrite.All"));
    free(text);
    struct gs_error copy = {0};
    gs_error_copy(&copy, &e);
    CHECK(copy.needs == e.needs);
    gs_error_clear(&copy);

    static const struct {
        const char *method, *url, *needs;
    } table[] = {
        {"POST", "https://h/v1.0/servicePrincipals/s/synchronization/jobs/j/start",
         "Synchronization.ReadWrite.All (application or delegated)"},
        {"GET", "https://h/beta/servicePrincipals/s/synchronization/jobs/j/schema/functions",
         "Synchronization.ReadWrite.All (application or delegated)"},
        {"GET", "https://h/v1.0/servicePrincipals/s/synchronization/secrets",
         "Synchronization.ReadWrite.All (application or delegated)"},
        {"GET", "https://h/v1.0/servicePrincipals/s/synchronization/templates?$top=1",
         "Synchronization.Read.All or Synchronization.ReadWrite.All (application or delegated)"},
        {"POST", "https://h/v1.0/servicePrincipals/s/synchronization/jobs/j/bulkUpload",
         "SynchronizationData-User.Upload (application)"},
        {"POST", "https://h/v1.0/servicePrincipals/s/synchronization/jobs/j/schema/directories/d/discover",
         "Directory.ReadWrite.All"},
        {"GET", "https://h/v1.0/auditLogs/provisioning?$filter=jobId eq 'j'",
         "AuditLog.Read.All (and Directory.Read.All to list provisioning logs)"},
        {"GET", "https://h/v1.0/servicePrincipals/s", "Application.Read.All or Directory.Read.All"},
        {"GET", "/servicePrincipals/s/synchronization/jobs",
         "Synchronization.Read.All or Synchronization.ReadWrite.All (application or delegated)"},
    };
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        CHECK_STR(gs_permissions_needed(table[i].method, table[i].url), table[i].needs);

    /* an expired or bad token is not a missing permission: no needs line */
    const char *bad = "{\"error\":{\"code\":\"InvalidAuthenticationToken\",\"message\":\"Lifetime "
                      "validation failed, the token is expired.\"}}";
    gs_error_set_http(&e, "GET", "https://h/v1.0/servicePrincipals/s/synchronization/jobs", 401, bad,
                      strlen(bad), NULL, NULL);
    CHECK(e.needs == NULL);
    CHECK_STR(e.message, "Lifetime validation failed, the token is expired.");
    text = gs_error_format(&e);
    CHECK(text && !strstr(text, "needs:"));
    free(text);
    gs_error_clear(&e);
}

int main(int argc, char **argv)
{
    data_dir = argc > 1 ? argv[1] : "tests/unit/api/data";
    test_status_mapping();
    test_parse_inline();
    test_parse_files();
    test_set_and_copy();
    test_permission_refusals();
    return check_report("test_graph_error");
}

/* Token answers of the token endpoint, managed identity and az; OAuth error
 * bodies; the refresh-ahead and expiry rules; form encoding. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth/internal.h"
#include "tests/unit/check.h"

#define NOW 1700000000.0

static int parse(const char *body, struct gs_token_response *r)
{
    return gs_token_response_parse(body, strlen(body), NOW, r);
}

static void test_client_credentials_answer(void)
{
    /* graph-examples/token-client-credentials-response.json */
    struct gs_token_response r;
    CHECK_INT(parse("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,"
                    "\"access_token\":\"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig\"}",
                    &r),
              0);
    CHECK_STR(r.access_token, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig");
    CHECK(r.refresh_token == NULL);
    CHECK_INT(r.expires, NOW + 3598);
    CHECK_STR(r.error, "");
    struct gs_token t = {0};
    gs_token_response_take(&r, NOW, &t);
    CHECK(r.access_token == NULL);
    CHECK_STR(t.value, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig");
    CHECK_INT(t.obtained, NOW);
    CHECK_INT(t.expires, NOW + 3598);
    gs_token_clear(&t);
    gs_token_response_clear(&r);
}

static void test_refresh_token_and_scope(void)
{
    struct gs_token_response r;
    CHECK_INT(parse("{\"token_type\":\"Bearer\",\"scope\":\"x offline_access\",\"expires_in\":4,"
                    "\"access_token\":\"at\",\"refresh_token\":\"rt\"}",
                    &r),
              0);
    CHECK_STR(r.refresh_token, "rt");
    CHECK_INT(r.expires, NOW + 3);
    gs_token_response_clear(&r);
}

static void test_managed_identity_strings(void)
{
    struct gs_token_response r;
    /* IMDS: numbers as strings */
    CHECK_INT(parse("{\"access_token\":\"at\",\"expires_in\":\"3599\",\"expires_on\":\"1700003599\","
                    "\"resource\":\"https://graph.microsoft.com\",\"token_type\":\"Bearer\"}",
                    &r),
              0);
    CHECK_INT(r.expires, NOW + 3598);
    gs_token_response_clear(&r);
    /* App Service 2019-08-01: expires_on only */
    CHECK_INT(parse("{\"access_token\":\"at\",\"expires_on\":\"1700001000\",\"token_type\":\"Bearer\"}",
                    &r),
              0);
    CHECK_INT(r.expires, 1700001000);
    gs_token_response_clear(&r);
}

static void test_az_answer(void)
{
    struct gs_token_response r;
    CHECK_INT(parse("{\"accessToken\":\"at\",\"expiresOn\":\"2023-11-14 23:13:20.000000\","
                    "\"expires_on\":1700003000,\"tenant\":\"t\",\"tokenType\":\"Bearer\"}",
                    &r),
              0);
    CHECK_STR(r.access_token, "at");
    CHECK_INT(r.expires, 1700003000);
    gs_token_response_clear(&r);
    /* older az: local time only */
    struct tm tm = {.tm_year = 2023 - 1900, .tm_mon = 10, .tm_mday = 15, .tm_hour = 10,
                    .tm_isdst = -1};
    time_t want = mktime(&tm);
    CHECK_INT(parse("{\"accessToken\":\"at\",\"expiresOn\":\"2023-11-15 10:00:00.123456\","
                    "\"tokenType\":\"Bearer\"}",
                    &r),
              0);
    CHECK_INT(r.expires, want);
    gs_token_response_clear(&r);
}

static void test_expiry_from_jwt_or_unknown(void)
{
    struct gs_token_response r;
    /* claims {"exp":1700000600,"iat":1700000000} */
    CHECK_INT(parse("{\"access_token\":\"eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDA2MDAsImlhdCI6MTcwMDAwMDAwMH0.c2ln\"}",
                    &r),
              0);
    CHECK_INT(r.expires, 1700000600);
    gs_token_response_clear(&r);
    CHECK_INT(parse("{\"access_token\":\"opaque\"}", &r), 0);
    CHECK_INT(r.expires, 0);
    gs_token_response_clear(&r);
}

static void test_oauth_errors(void)
{
    struct gs_token_response r;
    /* graph-examples/token-error-authorization-pending.json, shortened */
    CHECK_INT(parse("{\"error\":\"authorization_pending\",\"error_description\":\"AADSTS70016: "
                    "The provided request has not yet been authorized.\\r\\nTrace ID: x\","
                    "\"error_codes\":[70016]}",
                    &r),
              -EAGAIN);
    CHECK_STR(r.error, "authorization_pending");
    CHECK_STR(r.description, "AADSTS70016: The provided request has not yet been authorized.");
    CHECK(r.access_token == NULL);
    CHECK_INT(parse("{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid "
                    "client secret provided.\"}",
                    &r),
              -EACCES);
    CHECK_STR(r.error, "invalid_client");
    CHECK_INT(parse("{\"error\":\"invalid_scope\",\"error_description\":\"AADSTS70011: bad\"}", &r),
              -EINVAL);
    CHECK_INT(parse("{\"error\":\"invalid_grant\"}", &r), -EACCES);
    CHECK_STR(r.description, "");
    /* managed identity error shapes */
    CHECK_INT(parse("{\"error\":\"invalid_request\",\"error_description\":\"Identity not found\"}", &r),
              -EINVAL);
    CHECK_STR(r.description, "Identity not found");
    CHECK_INT(parse("{\"statusCode\":400,\"message\":\"No managed identity\"}", &r), -EACCES);
    CHECK_STR(r.description, "No managed identity");
    CHECK_INT(parse("{\"error\":{\"code\":\"Forbidden\",\"message\":\"no\"}}", &r), -EIO);
    CHECK_STR(r.error, "Forbidden");
    /* control characters from the server are not echoed */
    CHECK_INT(parse("{\"error\":\"x\\u001b[31m\",\"error_description\":\"a\\u0007b\"}", &r), -EIO);
    CHECK_STR(r.error, "x?[31m");
    CHECK_STR(r.description, "a?b");
}

static void test_not_token_answers(void)
{
    struct gs_token_response r;
    CHECK_INT(parse("not json", &r), -EPROTO);
    CHECK_INT(parse("[1,2]", &r), -EPROTO);
    CHECK_INT(parse("{\"expires_in\":10}", &r), -EPROTO);
    CHECK_INT(parse("{\"access_token\":\"a b\"}", &r), -EPROTO);
    CHECK_INT(parse("{\"access_token\":\"ab\\r\\nX-Evil: 1\"}", &r), -EPROTO);
    CHECK_INT(parse("{\"access_token\":\"\"}", &r), -EPROTO);
    CHECK_INT(parse("{\"access_token\":\"ab\",\"token_type\":\"pop\"}", &r), -EPROTO);
    CHECK(r.access_token == NULL);
    CHECK_INT(parse("{\"access_token\":\"ab\",\"token_type\":\"bearer\"}", &r), 0);
    gs_token_response_clear(&r);
}

static void test_take_past_expiry(void)
{
    struct gs_token_response r;
    CHECK_INT(parse("{\"access_token\":\"at\",\"expires_on\":\"1600000000\"}", &r), 0);
    struct gs_token t = {0};
    gs_token_response_take(&r, NOW, &t);
    CHECK_INT(t.expires, 0); /* clock skew: kept until refused */
    gs_token_clear(&t);
}

static void test_expiry_rules(void)
{
    char v[] = "tok";
    /* one hour: refresh 5 minutes before, usable until 30 s before */
    struct gs_token t = {.value = v, .obtained = NOW, .expires = NOW + 3600};
    CHECK(gs_token_fresh(&t, NOW));
    CHECK(gs_token_fresh(&t, NOW + 3299));
    CHECK(!gs_token_fresh(&t, NOW + 3301));
    CHECK(gs_token_usable(&t, NOW + 3569));
    CHECK(!gs_token_usable(&t, NOW + 3571));
    /* ten seconds: refresh when 1 s is left, usable until 0.5 s */
    t.expires = NOW + 10;
    CHECK(gs_token_fresh(&t, NOW + 8.9));
    CHECK(!gs_token_fresh(&t, NOW + 9.1));
    CHECK(gs_token_usable(&t, NOW + 9.4));
    CHECK(!gs_token_usable(&t, NOW + 9.6));
    /* unknown expiry: kept */
    t.expires = 0;
    CHECK(gs_token_fresh(&t, NOW + 1e6));
    CHECK(gs_token_usable(&t, NOW + 1e6));
    /* nonsense lifetimes and no token */
    t.expires = NOW - 1;
    CHECK(!gs_token_fresh(&t, NOW) && !gs_token_usable(&t, NOW));
    t.value = NULL;
    t.expires = NOW + 3600;
    CHECK(!gs_token_fresh(&t, NOW) && !gs_token_usable(&t, NOW));
}

static void test_token_check(void)
{
    CHECK_INT(gs_token_check("eyJ.abc-_~+/=.x"), 0);
    CHECK(gs_token_check("") < 0);
    CHECK(gs_token_check(NULL) < 0);
    CHECK(gs_token_check("a b") < 0);
    CHECK(gs_token_check("a\nb") < 0);
    CHECK(gs_token_check("a\x7f") < 0);
    CHECK(gs_token_check("caf\xc3\xa9") < 0);
}

static void test_oauth_errno(void)
{
    CHECK_INT(gs_oauth_errno("invalid_client"), -EACCES);
    CHECK_INT(gs_oauth_errno("authorization_declined"), -EACCES);
    CHECK_INT(gs_oauth_errno("expired_token"), -EACCES);
    CHECK_INT(gs_oauth_errno("unsupported_grant_type"), -EINVAL);
    CHECK_INT(gs_oauth_errno("slow_down"), -EAGAIN);
    CHECK_INT(gs_oauth_errno("server_error"), -EIO);
    CHECK_INT(gs_oauth_errno(""), -EIO);
}

static void test_form(void)
{
    char *e = gs_form_escape("https://graph.microsoft.com/.default offline_access");
    CHECK_STR(e, "https%3A%2F%2Fgraph.microsoft.com%2F.default%20offline_access");
    free(e);
    e = gs_form_escape("a+b&c=d~e\xc3\xa9");
    CHECK_STR(e, "a%2Bb%26c%3Dd~e%C3%A9");
    free(e);
    struct gs_form f = {0};
    CHECK(gs_form_done(&f) < 0); /* empty form */
    gs_form_add(&f, "client_id", "id");
    gs_form_add(&f, "scope", "s p");
    for (int i = 0; i < 50; i++) /* grows past the first buffer */
        gs_form_add(&f, "k", "0123456789");
    CHECK_INT(gs_form_done(&f), 0);
    CHECK(strncmp(f.buf, "client_id=id&scope=s%20p&k=0123456789&k=", 40) == 0);
    CHECK_INT(f.len, strlen(f.buf));
    gs_form_clear(&f);
    CHECK(f.buf == NULL);
}

int main(void)
{
    test_client_credentials_answer();
    test_refresh_token_and_scope();
    test_managed_identity_strings();
    test_az_answer();
    test_expiry_from_jwt_or_unknown();
    test_oauth_errors();
    test_not_token_answers();
    test_take_past_expiry();
    test_expiry_rules();
    test_token_check();
    test_oauth_errno();
    test_form();
    return check_report("test_token_response");
}

/* base64url, JWT header and claims, JWT expiry, random GUIDs. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"
#include "tests/unit/check.h"

static void test_b64url_vectors(void)
{
    /* RFC 4648 test vectors, in the url alphabet, without padding */
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char *e = gs_b64url_encode(plain[i], strlen(plain[i]));
        CHECK_STR(e, enc[i]);
        unsigned char *d = NULL;
        size_t n = 0;
        CHECK_INT(gs_b64url_decode(enc[i], strlen(enc[i]), &d, &n), 0);
        CHECK_INT(n, strlen(plain[i]));
        CHECK_STR((char *)d, plain[i]);
        free(e);
        free(d);
    }
}

static void test_b64url_alphabet(void)
{
    const unsigned char bytes[] = {0xfb, 0xff, 0xbf};
    char *e = gs_b64url_encode(bytes, sizeof(bytes));
    CHECK_STR(e, "-_-_");
    free(e);
    unsigned char *d = NULL;
    size_t n = 0;
    /* the standard alphabet and padding are accepted too */
    CHECK_INT(gs_b64url_decode("+/+/", 4, &d, &n), 0);
    CHECK_INT(n, 3);
    CHECK(d && memcmp(d, bytes, 3) == 0);
    free(d);
    CHECK_INT(gs_b64url_decode("Zg==", 4, &d, &n), 0);
    CHECK_INT(n, 1);
    free(d);
    CHECK(gs_b64url_decode("Zm9v!", 5, &d, &n) < 0);
    CHECK(gs_b64url_decode("Z", 1, &d, &n) < 0);
}

static void test_jwt_header(void)
{
    char *h = gs_jwt_header("PS256", "abc", "def");
    CHECK_STR(h, "{\"alg\":\"PS256\",\"typ\":\"JWT\",\"x5t\":\"abc\",\"x5t#S256\":\"def\"}");
    free(h);
    h = gs_jwt_header("RS256", "abc", NULL);
    CHECK_STR(h, "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5t\":\"abc\"}");
    free(h);
}

static void test_jwt_claims(void)
{
    char *c = gs_jwt_claims("https://login.example/t/oauth2/v2.0/token", "cid", "jti-1",
                            1700000000L, 600);
    cJSON *j = cJSON_Parse(c);
    CHECK(j != NULL);
    CHECK_STR(cJSON_GetObjectItem(j, "aud")->valuestring,
              "https://login.example/t/oauth2/v2.0/token");
    CHECK_STR(cJSON_GetObjectItem(j, "iss")->valuestring, "cid");
    CHECK_STR(cJSON_GetObjectItem(j, "sub")->valuestring, "cid");
    CHECK_STR(cJSON_GetObjectItem(j, "jti")->valuestring, "jti-1");
    CHECK_INT(cJSON_GetObjectItem(j, "nbf")->valuedouble, 1700000000L);
    CHECK_INT(cJSON_GetObjectItem(j, "iat")->valuedouble, 1700000000L);
    CHECK_INT(cJSON_GetObjectItem(j, "exp")->valuedouble, 1700000600L);
    /* integers, not 1.7e+09 */
    CHECK(strstr(c, "\"exp\":1700000600") != NULL);
    cJSON_Delete(j);
    free(c);
}

static void test_signing_input_and_times(void)
{
    char *in = gs_jwt_signing_input("{\"alg\":\"none\"}", "{\"exp\":1700000600,\"iat\":1700000000}");
    CHECK_STR(in, "eyJhbGciOiJub25lIn0.eyJleHAiOjE3MDAwMDA2MDAsImlhdCI6MTcwMDAwMDAwMH0");
    char *tok = NULL;
    CHECK(asprintf(&tok, "%s.c2ln", in) > 0);
    double exp = 0, iat = 0;
    CHECK_INT(gs_jwt_times(tok, &exp, &iat), 0);
    CHECK_INT(exp, 1700000600L);
    CHECK_INT(iat, 1700000000L);
    free(tok);
    free(in);
    /* not JWTs, or no exp */
    CHECK(gs_jwt_times("opaque-token", &exp, NULL) < 0);
    CHECK(gs_jwt_times("a..c", &exp, NULL) < 0);
    CHECK(gs_jwt_times("e30.e30.sig", &exp, NULL) < 0);       /* {} claims */
    CHECK(gs_jwt_times("e30.!!!.sig", &exp, NULL) < 0);
    /* the example token of graph-examples: claims {} */
    CHECK(gs_jwt_times("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig", &exp, NULL) < 0);
}

static void test_guid(void)
{
    char a[37], b[37];
    CHECK_INT(gs_auth_guid(a), 0);
    CHECK_INT(gs_auth_guid(b), 0);
    CHECK_INT(strlen(a), 36);
    CHECK(strcmp(a, b) != 0);
    CHECK(a[8] == '-' && a[13] == '-' && a[18] == '-' && a[23] == '-');
    CHECK(a[14] == '4');
    CHECK(strchr("89ab", a[19]) != NULL);
}

int main(void)
{
    test_b64url_vectors();
    test_b64url_alphabet();
    test_jwt_header();
    test_jwt_claims();
    test_signing_input_and_times();
    test_guid();
    return check_report("test_b64_jwt");
}

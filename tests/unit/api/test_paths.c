/* gs_path escaping and gs_client_url. */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/graph_client.h"
#include "tests/unit/check.h"

static void expect_path(char *got, const char *want)
{
    CHECK_STR(got, want);
    free(got);
}

static void test_gs_path(void)
{
    expect_path(gs_path("/servicePrincipals/%s/synchronization/jobs/%s",
                        "60443998-8cf7-4e61-b05c-a53b658cb5e1",
                        "SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa"),
                "/servicePrincipals/60443998-8cf7-4e61-b05c-a53b658cb5e1/synchronization/jobs/"
                "SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa");
    /* rule ids carry '#'; ids never split a path or start a query */
    expect_path(gs_path("/r/%s", "33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2"),
                "/r/33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8%23V2");
    expect_path(gs_path("/x/%s/y", "a b/c?d%e&f=g+h'(i)"), "/x/a%20b%2Fc%3Fd%25e%26f%3Dg%2Bh%27%28i%29/y");
    expect_path(gs_path("/u/%s", "~keep-._~"), "/u/~keep-._~");
    /* non-ASCII as its UTF-8 bytes */
    expect_path(gs_path("/n/%s", "Jos\xc3\xa9 \xe2\x9c\x93"), "/n/Jos%C3%A9%20%E2%9C%93");
    /* dot segments would be removed by URL normalisation */
    expect_path(gs_path("/a/%s/b", ".."), "/a/%2E%2E/b");
    expect_path(gs_path("/a/%s/b", "."), "/a/%2E/b");
    expect_path(gs_path("/a/%s/b", "a..b"), "/a/a..b/b");
    expect_path(gs_path("/a/%s", ""), "/a/");
    /* the format's own text is kept: queries, '$', literal %% */
    expect_path(gs_path("/servicePrincipals/%s?$select=id,appId", "x y"),
                "/servicePrincipals/x%20y?$select=id,appId");
    expect_path(gs_path("/p%%20q/%s", "z"), "/p%20q/z");
    expect_path(gs_path("/static"), "/static");
    /* anything else is refused */
    errno = 0;
    CHECK(gs_path("/a/%d", 5) == NULL);
    CHECK_INT(errno, EINVAL);
    CHECK(gs_path("/a/%s", (const char *)NULL) == NULL);
    CHECK(gs_path("/a/%", "x") == NULL);
}

static struct gs_client *client(const char *url, const char *version)
{
    struct gs_client_config cfg = {.graph_url = url, .api_version = version, .retries = -1};
    struct gs_client *c = NULL;
    int r = gs_client_new(&cfg, &c);
    CHECK_INT(r, 0);
    return c;
}

static int fake_token(void *ctx, int force, char **out)
{
    (void)ctx;
    (void)force;
    *out = NULL;
    return 0;
}

static void test_client_url(void)
{
    struct gs_client *c = client("https://graph.microsoft.com/", "beta");
    if (c) {
        expect_path(gs_client_url(c, "/servicePrincipals"),
                    "https://graph.microsoft.com/beta/servicePrincipals");
        expect_path(gs_client_url(c, "servicePrincipals"),
                    "https://graph.microsoft.com/beta/servicePrincipals");
        expect_path(gs_client_url(c, "/servicePrincipals?$filter=appId eq 'x'"),
                    "https://graph.microsoft.com/beta/servicePrincipals?$filter=appId%20eq%20'x'");
        /* nextLinks are absolute: as they are */
        expect_path(gs_client_url(c, "https://graph.microsoft.com/beta/servicePrincipals?$skiptoken=X1"),
                    "https://graph.microsoft.com/beta/servicePrincipals?$skiptoken=X1");
        expect_path(gs_client_url(c, "HTTP://127.0.0.1:5/v1.0/x"), "HTTP://127.0.0.1:5/v1.0/x");
        CHECK(gs_client_url(c, NULL) == NULL);
        gs_client_free(c);
    }
    c = client("http://127.0.0.1:8080", NULL);
    if (c) {
        expect_path(gs_client_url(c, "/$batch"), "http://127.0.0.1:8080/v1.0/$batch");
        gs_client_free(c);
    }
    CHECK(gs_client_url(NULL, "/x") == NULL);
}

static void test_client_config(void)
{
    struct gs_client *c = (struct gs_client *)1;
    struct gs_client_config cfg = {.graph_url = "ftp://example.com"};
    CHECK_INT(gs_client_new(&cfg, &c), -EINVAL);
    CHECK(c == NULL);
    cfg.graph_url = "not a url";
    CHECK_INT(gs_client_new(&cfg, &c), -EINVAL);
    cfg.graph_url = NULL;
    CHECK_INT(gs_client_new(&cfg, &c), -EINVAL);
    CHECK_INT(gs_client_new(NULL, &c), -EINVAL);
    cfg.graph_url = "https://graph.microsoft.com";
    cfg.api_version = "v1.0/../beta";
    CHECK_INT(gs_client_new(&cfg, &c), -EINVAL);
    cfg.api_version = NULL;

    /* a token never travels over plain http, except to this machine */
    cfg.graph_url = "http://graph.example.com";
    cfg.token_fn = fake_token;
    CHECK_INT(gs_client_new(&cfg, &c), -EINVAL);
    cfg.graph_url = "http://127.0.0.1:9";
    CHECK_INT(gs_client_new(&cfg, &c), 0);
    gs_client_free(c);
    cfg.graph_url = "http://localhost:9";
    CHECK_INT(gs_client_new(&cfg, &c), 0);
    gs_client_free(c);
    cfg.graph_url = "http://[::1]:9";
    CHECK_INT(gs_client_new(&cfg, &c), 0);
    gs_client_free(c);
    /* without a token (the emulator, auth=none) any http host is fine */
    cfg.token_fn = NULL;
    cfg.graph_url = "http://graph.example.com";
    CHECK_INT(gs_client_new(&cfg, &c), 0);
    gs_client_free(c);
    gs_client_free(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_gs_path();
    test_client_url();
    test_client_config();
    curl_global_cleanup();
    return check_report("test_paths");
}

/* The Graph fetcher behind gs_cache_new, over a small loopback HTTP server:
 * GET, collections with nextLink, a body that is not JSON, a 404. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/graph_client.h"
#include "tests/unit/cache/fake.h"

struct server {
    int fd;
    int port;
    pthread_t thread;
    int requests;
};

static void reply(int fd, int status, const char *body)
{
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nrequest-id: rid-%d\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status, strlen(body));
    CHECK(write(fd, head, (size_t)n) == n);
    CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
}

static void *serve(void *arg)
{
    struct server *s = arg;
    for (;;) {
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        char req[4096];
        size_t len = 0;
        while (len < sizeof(req) - 1 && !memmem(req, len, "\r\n\r\n", 4)) {
            ssize_t r = read(fd, req + len, sizeof(req) - 1 - len);
            if (r <= 0)
                break;
            len += (size_t)r;
        }
        req[len] = '\0';
        char next[128];
        snprintf(next, sizeof(next),
                 "{\"value\":[{\"id\":\"x\"}],\"@odata.nextLink\":\"http://127.0.0.1:%d/v1.0/list2\"}",
                 s->port);
        __atomic_add_fetch(&s->requests, 1, __ATOMIC_RELAXED);
        if (strncmp(req, "GET /v1.0/ok ", 13) == 0)
            reply(fd, 200, "{\"a\":1}");
        else if (strncmp(req, "GET /v1.0/bad ", 14) == 0)
            reply(fd, 200, "{\"a\":");
        else if (strncmp(req, "GET /v1.0/list ", 15) == 0)
            reply(fd, 200, next);
        else if (strncmp(req, "GET /v1.0/list2 ", 16) == 0)
            reply(fd, 200, "{\"value\":[{\"id\":\"y\"}]}");
        else
            reply(fd, 404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}");
        close(fd);
    }
}

static void server_start(struct server *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    CHECK(bind(s->fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    CHECK(listen(s->fd, 16) == 0);
    CHECK(getsockname(s->fd, (struct sockaddr *)&a, &alen) == 0);
    s->port = ntohs(a.sin_port);
    CHECK(pthread_create(&s->thread, NULL, serve, s) == 0);
}

static void server_stop(struct server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

int main(void)
{
    struct server srv;
    server_start(&srv);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", srv.port);
    struct gs_client_config cc = {
        .graph_url = url, .api_version = "v1.0", .timeout_ms = 5000,
        .connect_timeout_ms = 2000, .retries = 0, .max_conns = 2,
    };
    struct gs_client *client = NULL;
    CHECK(gs_client_new(&cc, &client) == 0);
    struct fake f;
    fake_init(&f);
    struct gs_cache *c = NULL;
    CHECK_INT(gs_cache_new(NULL, NULL, NULL, NULL, &c), ==, -EINVAL);
    CHECK(gs_cache_new(client, NULL, fake_on_change, &f, &c) == 0);

    struct gs_doc *d = must_get(c, "/ok", GS_TTL_DOC, 0);
    CHECK_INT(cJSON_GetObjectItem(d->json, "a")->valueint, ==, 1);
    CHECK(strcmp(d->request_id, "rid-200") == 0);
    gs_doc_unref(d);

    struct gs_error err = {0};
    CHECK_INT(must_fail(c, "/bad", GS_TTL_DOC, GS_GET_STALE_OK, &err), ==, -EIO);
    CHECK(err.code && strcmp(err.code, "InvalidJson") == 0);
    CHECK_INT(err.http_status, ==, 200);
    CHECK(err.url && strstr(err.url, "/v1.0/bad"));
    gs_error_clear(&err);

    d = must_get(c, "/list", GS_TTL_DIR, GS_GET_COLLECTION | GS_GET_FILL_ITEMS);
    char *t = doc_text(d);
    CHECK(strcmp(t, "{\"value\":[{\"id\":\"x\"},{\"id\":\"y\"}]}") == 0);
    free(t);
    gs_doc_unref(d);
    int before = __atomic_load_n(&srv.requests, __ATOMIC_RELAXED);
    gs_doc_unref(must_get(c, "/list/y", GS_TTL_DIR, 0));
    CHECK_INT(__atomic_load_n(&srv.requests, __ATOMIC_RELAXED), ==, before);

    CHECK_INT(must_fail(c, "/gone", GS_TTL_DOC, 0, &err), ==, -ENOENT);
    CHECK_INT(err.http_status, ==, 404);
    gs_error_clear(&err);

    gs_cache_free(c);
    gs_client_free(client);
    server_stop(&srv);
    fake_destroy(&f);
    return 0;
}

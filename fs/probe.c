/* The mount-time probe of Graph (fs/probe.h). */
#include "fs/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/graph_error.h"

static double seconds(long ms)
{
    return (double)ms / 1000.0;
}

/* Words for a failure without an HTTP answer, from the client's transport
 * code (api/http_request.c), never libcurl's own text. */
static void describe_transport(const struct gs_client_config *cc, const struct gs_error *err,
                               char *out, size_t cap)
{
    const char *code = err->code ? err->code : "";
    const char *msg = err->message ? err->message : "";
    const char *url = cc->graph_url;
    if (strcmp(code, "Timeout") == 0)
        snprintf(out, cap, "Graph at %s did not answer within %g seconds "
                 "(connect_timeout=%g plus timeout=%g)", url,
                 seconds(cc->connect_timeout_ms + cc->timeout_ms),
                 seconds(cc->connect_timeout_ms), seconds(cc->timeout_ms));
    else if (strcmp(code, "HostNotFound") == 0)
        snprintf(out, cap, "cannot find the host of %s (the name does not resolve)", url);
    else if (strcmp(code, "ConnectFailed") == 0 && err->err == -ECONNREFUSED)
        snprintf(out, cap, "Graph at %s refused the connection (nothing listens there)", url);
    else if (strcmp(code, "ConnectFailed") == 0)
        snprintf(out, cap, "cannot connect to Graph at %s (no route to it, or no answer "
                 "within connect_timeout=%g seconds)", url, seconds(cc->connect_timeout_ms));
    else if (strcmp(code, "TlsError") == 0)
        snprintf(out, cap, "the secure connection to %s failed: its certificate or TLS "
                 "setup was refused", url);
    else if (strcmp(code, "ConnectionLost") == 0)
        snprintf(out, cap, "Graph at %s closed the connection without an answer", url);
    else
        snprintf(out, cap, "cannot reach Graph at %s: %s", url, msg[0] ? msg : strerror(-err->err));
}

void gs_probe_describe(const struct gs_client_config *cc, int r, const struct gs_error *err,
                       char *out, size_t cap)
{
    if (!err->http_status && err->code) {
        describe_transport(cc, err, out, cap);
        return;
    }
    /* Graph answered: its status, code and message say why */
    int n = snprintf(out, cap, "cannot reach Graph at %s/%s: %s", cc->graph_url, cc->api_version,
                     strerror(-r));
    if (n >= 0 && (size_t)n < cap && err->http_status)
        n += snprintf(out + n, cap - (size_t)n, " (HTTP %ld%s%s)", err->http_status,
                      err->code ? " " : "", err->code ? err->code : "");
    if (n >= 0 && (size_t)n < cap && err->message)
        snprintf(out + n, cap - (size_t)n, ": %s", err->message);
    /* one line, whatever Graph's message holds */
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int gs_probe_graph(const struct gs_client_config *cc)
{
    struct gs_client *c = NULL;
    int r = gs_client_new(cc, &c);
    if (r < 0) {
        fprintf(stderr, "graphsyncfs: cannot start the Graph client: %s\n", strerror(-r));
        return r;
    }
    struct gs_request req = {.method = "GET", .path = "/servicePrincipals?$top=1&$select=id"};
    struct gs_error err = {0};
    r = gs_client_request_within(c, &req, seconds(cc->connect_timeout_ms + cc->timeout_ms),
                                 NULL, &err);
    if (r < 0) {
        char why[1024];
        gs_probe_describe(cc, r, &err, why, sizeof(why));
        fprintf(stderr, "graphsyncfs: %s\n", why);
    }
    gs_error_clear(&err);
    gs_client_free(c);
    return r;
}

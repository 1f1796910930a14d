/* The text of `cat last_error`: every key on its own line, in a fixed order. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/graph_error.h"
#include "tests/unit/check.h"

static void test_http_error(void)
{
    struct gs_error e = {0};
    const char *body = "{\"error\":{\"code\":\"UnknownError\",\"message\":\"{\\\"Message\\\":"
                       "\\\"No HTTP resource was found.\\\"}\"}}";
    gs_error_set_http(&e, "PATCH",
                      "https://graph.microsoft.com/v1.0/servicePrincipals/sp1/synchronization/jobs/j.1/schema",
                      404, body, strlen(body), "b7dee9ee-d85b-4e7a-8686-74852cbfd85b",
                      "93a8c1d5-5032-4dfd-9c7b-e76127483dfa");
    e.when = 1714557600; /* 2024-05-01T10:00:00Z */
    char *text = gs_error_format(&e);
    CHECK_STR(text,
              "time: 2024-05-01T10:00:00Z\n"
              "method: PATCH\n"
              "url: https://graph.microsoft.com/v1.0/servicePrincipals/sp1/synchronization/jobs/j.1/schema\n"
              "status: 404 Not Found\n"
              "errno: ENOENT (No such file or directory)\n"
              "code: UnknownError\n"
              "message: No HTTP resource was found.\n"
              "request-id: b7dee9ee-d85b-4e7a-8686-74852cbfd85b\n"
              "client-request-id: 93a8c1d5-5032-4dfd-9c7b-e76127483dfa\n");
    free(text);
    gs_error_clear(&e);
}

static void test_unknown_outcome(void)
{
    struct gs_error e = {0};
    gs_error_set_local(&e, "POST", "http://127.0.0.1:1/v1.0/x/start", -EIO, "ConnectionLost",
                       "Empty reply from server;\nnot resent");
    e.client_request_id = strdup("0b2f5e38-6a6d-4f1e-9b9c-3a1c2f6d7e11");
    e.outcome_unknown = 1;
    e.when = 0;
    char *text = gs_error_format(&e);
    CHECK_STR(text,
              "time: -\n"
              "method: POST\n"
              "url: http://127.0.0.1:1/v1.0/x/start\n"
              "status: none (no HTTP answer)\n"
              "errno: EIO (Input/output error)\n"
              "code: ConnectionLost\n"
              "message: Empty reply from server; not resent\n"
              "request-id: -\n"
              "client-request-id: 0b2f5e38-6a6d-4f1e-9b9c-3a1c2f6d7e11\n"
              "outcome: unknown: the request was sent but no complete answer came back; Graph may "
              "or may not have carried it out, so it was not resent\n");
    free(text);
    gs_error_clear(&e);
}

static void test_errno_names(void)
{
    static const struct {
        int err;
        long status;
        const char *line;
    } cases[] = {
        {-EAGAIN, 429, "errno: EAGAIN (Resource temporarily unavailable)\n"},
        {-ETIMEDOUT, 504, "errno: ETIMEDOUT (Connection timed out)\n"},
        {-EHOSTUNREACH, 0, "errno: EHOSTUNREACH (No route to host)\n"},
        {-EOPNOTSUPP, 405, "errno: EOPNOTSUPP (Operation not supported)\n"},
        {-ESTALE, 412, "errno: ESTALE (Stale file handle)\n"},
        {-EBUSY, 409, "errno: EBUSY (Device or resource busy)\n"},
        {-EFBIG, 413, "errno: EFBIG (File too large)\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct gs_error e = {0};
        gs_error_set_local(&e, "GET", "u", cases[i].err, NULL, NULL);
        e.http_status = cases[i].status;
        char *text = gs_error_format(&e);
        CHECK(text && strstr(text, cases[i].line) != NULL);
        if (text && !strstr(text, cases[i].line))
            fprintf(stderr, "missing \"%s\" in:\n%s", cases[i].line, text);
        /* an empty code and message read "-" */
        CHECK(text && strstr(text, "\ncode: -\nmessage: -\n") != NULL);
        free(text);
        gs_error_clear(&e);
    }
    struct gs_error e = {0};
    gs_error_set_local(&e, "GET", "u", -EIO, NULL, NULL);
    e.http_status = 599;
    char *text = gs_error_format(&e);
    CHECK(text && strstr(text, "\nstatus: 599\n") != NULL);
    free(text);
    gs_error_clear(&e);
}

int main(void)
{
    test_http_error();
    test_unknown_outcome();
    test_errno_names();
    return check_report("test_error_format");
}

"""The Graph client's HTTP behaviour (api/), end to end through gs-api-probe.

Each test starts its own scripted HTTP server on 127.0.0.1 (port 0), scripts
the exact sequence of answers, runs the probe once and asserts the outcome and
every request the server saw (count, method, path, headers, body).

The probe is $GS_BUILD_DIR/tests/unit/api/gs-api-probe; GS_BUILD_DIR defaults
to <repo>/build. Run: GS_BUILD_DIR=build-api /usr/bin/python3 -m pytest tests/unit/api
"""

import json
import os
import re
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BUILD = Path(os.environ.get("GS_BUILD_DIR", REPO / "build"))
if not BUILD.is_absolute():
    BUILD = REPO / BUILD
PROBE = BUILD / "tests" / "unit" / "api" / "gs-api-probe"

pytestmark = pytest.mark.skipif(
    not os.access(PROBE, os.X_OK),
    reason=f"{PROBE} is not built (set GS_BUILD_DIR to a meson build directory)")

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
THROTTLED = {"error": {"code": "TooManyRequests", "message": "Please retry again later.",
                       "innerError": {"code": "429", "message": "Please retry after",
                                      "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
                                      "status": "429"}}}
BAD_TOKEN = {"error": {"code": "InvalidAuthenticationToken",
                       "message": "Access token has expired or is not yet valid."}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def handle_any(self):
        srv = self.server.scripted
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        entry = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                 "body": body, "time": time.monotonic()}
        with srv.lock:
            srv.requests.append(entry)
            action = srv.actions.pop(0) if srv.actions else {
                "status": 599, "body": {"error": {"code": "Unscripted", "message": "no answer scripted"}}}
            if callable(action):  # decided under the lock: callables may keep state
                action = action(srv, entry)
        if action.get("drop"):
            # the request was read; the connection goes without an answer
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if "stall" in action:
            srv.stop.wait(action["stall"])
            self.close_connection = True
            return
        payload = action.get("body")
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload).encode()
        elif isinstance(payload, str):
            payload = payload.encode()
        payload = payload or b""
        self.send_response(action["status"])
        headers = {"request-id": f"rid-{len(srv.requests)}"}
        if payload:
            headers["Content-Type"] = "application/json"
        headers.update(action.get("headers", {}))
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any


class Scripted:
    """A loopback HTTP server answering from a script, recording every request."""

    def __init__(self):
        self.actions, self.requests = [], []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.scripted = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def script(self, *actions):
        self.actions.extend(actions)

    def close(self):
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)

    def seen(self):
        """(method, path) of every request so far, after letting in-flight ones land."""
        time.sleep(0.2)
        with self.lock:
            return [(r["method"], r["path"]) for r in self.requests]


@pytest.fixture
def server():
    s = Scripted()
    yield s
    s.close()


def probe(url, *args, retries=3, timeout_ms=5000, extra=(), expect_stderr_clean=True):
    cmd = [str(PROBE), "--url", url, "--retries", str(retries), "--timeout-ms", str(timeout_ms),
           *extra, *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"{cmd} exited {p.returncode}: {p.stderr}"
    out = json.loads(p.stdout)
    out["stderr"] = p.stderr
    return out


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def answer(status, body=None, **headers):
    return {"status": status, "body": body, "headers": {k.replace("_", "-"): v for k, v in headers.items()}}


# --- retries of single requests --------------------------------------------------------

# 0.7 s is longer than any first backoff (< 0.5 s): it shows the header is used
@pytest.mark.parametrize("retry_after", ["0.2", "0.7"])
def test_429_with_fractional_retry_after_then_200(server, retry_after):
    server.script(answer(429, THROTTLED, Retry_After=retry_after), answer(200, {"id": "sp1"}))
    out = probe(server.url, "GET", "/servicePrincipals/sp1")
    assert out["rc"] == 0 and out["errno"] == "OK"
    assert out["status"] == 200 and json.loads(out["body"]) == {"id": "sp1"}
    assert out["attempts"] == 2
    assert out["request_id"] == "rid-2"
    assert server.seen() == [("GET", "/v1.0/servicePrincipals/sp1")] * 2
    r1, r2 = server.requests
    assert r2["time"] - r1["time"] >= float(retry_after) - 0.01, "Retry-After was not honoured"
    # one logical request: one client-request-id for every attempt
    assert GUID.match(r1["headers"]["client-request-id"])
    assert r1["headers"]["client-request-id"] == r2["headers"]["client-request-id"] == out["client_request_id"]
    assert r1["headers"]["User-Agent"] == "graphsyncfs/0.1.0"
    assert r1["headers"]["Accept"] == "application/json"
    assert "Authorization" not in r1["headers"]


def test_503_storm_exhausts_retries_eio(server):
    server.script(*[answer(503, {"error": {"code": "serviceNotAvailable", "message": "busy"}},
                           Retry_After="0.05")] * 3)
    out = probe(server.url, "GET", "/servicePrincipals", retries=2)
    assert out["errno"] == "EIO" and out["status"] == 503 and out["attempts"] == 3
    assert server.seen() == [("GET", "/v1.0/servicePrincipals")] * 3
    assert out["error"]["code"] == "serviceNotAvailable"
    assert "status: 503 Service Unavailable" in out["last_error"]


def test_429_storm_exhausts_retries_eagain(server):
    server.script(*[answer(429, THROTTLED, Retry_After="0.05")] * 4)
    out = probe(server.url, "GET", "/servicePrincipals", retries=3)
    assert out["errno"] == "EAGAIN" and out["status"] == 429 and out["attempts"] == 4
    assert len(server.seen()) == 4
    assert out["error"]["code"] == "TooManyRequests"
    assert out["error"]["message"] == "Please retry again later."
    assert out["retry_after"] == pytest.approx(0.05)


def test_503_without_retry_after_backs_off(server):
    server.script(answer(503), answer(503), answer(200, {"ok": True}))
    out = probe(server.url, "GET", "/x", retries=3)
    assert out["rc"] == 0 and out["attempts"] == 3
    assert len(server.seen()) == 3
    t = [r["time"] for r in server.requests]
    # 0.5 s then 1 s, each times a jitter in [0.5, 1)
    assert t[1] - t[0] >= 0.24 and t[2] - t[1] >= 0.49


def test_retry_after_beyond_the_deadline_gives_up_at_once(server):
    server.script(answer(429, THROTTLED, Retry_After="30"), answer(200, {}))
    out = probe(server.url, "GET", "/x", retries=3, timeout_ms=1000)
    assert out["errno"] == "EAGAIN" and out["attempts"] == 1
    assert out["elapsed"] < 3
    assert len(server.seen()) == 1


def test_504_is_etimedout_after_retries(server):
    server.script(answer(504), answer(504))
    out = probe(server.url, "DELETE", "/servicePrincipals/s/synchronization/jobs/j", retries=1)
    assert out["errno"] == "ETIMEDOUT" and out["attempts"] == 2
    assert server.seen() == [("DELETE", "/v1.0/servicePrincipals/s/synchronization/jobs/j")] * 2


@pytest.mark.parametrize("status,errno_name", [
    (400, "EINVAL"), (401, "EPERM"), (403, "EPERM"), (404, "ENOENT"), (405, "EOPNOTSUPP"), (409, "EBUSY"),
    (412, "ESTALE"), (413, "EFBIG"), (501, "EOPNOTSUPP")])
def test_status_errno_not_retried(server, status, errno_name):
    server.script(answer(status, {"error": {"code": f"C{status}", "message": "m"}}))
    out = probe(server.url, "GET", "/x")
    assert out["errno"] == errno_name and out["status"] == status and out["attempts"] == 1
    assert len(server.seen()) == 1
    assert out["error"]["code"] == f"C{status}"


def test_get_500_and_502_from_a_gateway_are_retried(server):
    """Gateways answer transient faults with 500 and 502 (issue 18); a GET is safe to resend."""
    server.script(answer(500, {"error": {"code": "generalException", "message": "m"}}),
                  answer(502, "<html><head><title>502 Bad Gateway</title></head></html>",
                         Content_Type="text/html"),
                  answer(200, {"id": "sp1"}))
    out = probe(server.url, "GET", "/servicePrincipals/sp1", retries=3)
    assert out["rc"] == 0 and out["status"] == 200 and out["attempts"] == 3
    assert server.seen() == [("GET", "/v1.0/servicePrincipals/sp1")] * 3


def test_get_502_storm_stays_within_the_retry_budget(server):
    server.script(*[answer(502, "")] * 5)
    out = probe(server.url, "GET", "/x", retries=2)
    assert out["errno"] == "EIO" and out["status"] == 502 and out["attempts"] == 3
    assert len(server.seen()) == 3
    assert "the answer had no body" in out["error"]["message"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_unsafe_500_is_not_retried(server, method):
    """PUT and DELETE are idempotent, not safe: a 500 may come after Graph acted."""
    server.script(answer(500), answer(204))
    out = probe(server.url, method, "/s/synchronization/secrets", *(['{"value":[]}'] if method != "DELETE" else []))
    assert out["errno"] == "EIO" and out["attempts"] == 1
    assert len(server.seen()) == 1


def test_gateway_html_error_gives_its_title(server):
    page = ("<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
            "<body><h1>503</h1></body></html>")
    server.script(*[answer(503, page, Content_Type="text/html")] * 2)
    out = probe(server.url, "GET", "/x", retries=1)
    assert out["errno"] == "EIO" and out["attempts"] == 2
    assert out["error"]["code"] is None
    assert out["error"]["message"] == ("an HTML page instead of a Graph error (from a gateway or proxy in "
                                       "front of Graph): 503 Service Unavailable")


def test_401_unknown_error_is_a_missing_permission(server):
    """Real tenants: 401 UnknownError with an empty message on the synchronization endpoints.
    Not an expired token: no refresh, no retry; last_error names the permissions the call needs."""
    body = {"error": {"code": "UnknownError", "message": "",
                      "innerError": {"date": "2024-05-01T10:00:00", "request-id": "r", "client-request-id": "c"}}}
    server.script(answer(401, body), answer(200, {}))
    out = probe(server.url, "POST", "/servicePrincipals/s/synchronization/jobs/j/pause", extra=["--token", "tok-A"])
    assert out["errno"] == "EPERM" and out["attempts"] == 1 and out["token_forced"] == 0
    assert len(server.seen()) == 1
    assert out["error"]["code"] == "UnknownError"
    assert "not an expired token" in out["error"]["message"]
    assert "\nneeds: Synchronization.ReadWrite.All (application or delegated)\n" in out["last_error"]


def test_not_found_error_and_last_error(server):
    body = json.loads((Path(__file__).parent / "data" / "error-not-found.json").read_text())
    server.script(answer(404, body, request_id="b7dee9ee-d85b-4e7a-8686-74852cbfd85b"))
    out = probe(server.url, "GET", "/servicePrincipals/00000000-0000-0000-0000-000000000000")
    assert out["errno"] == "ENOENT" and out["status"] == 404
    e = out["error"]
    assert e["code"] == "Request_ResourceNotFound"
    assert e["request_id"] == "b7dee9ee-d85b-4e7a-8686-74852cbfd85b"
    assert e["client_request_id"] == out["client_request_id"]
    lines = out["last_error"].splitlines()
    assert lines[1:5] == ["method: GET",
                          f"url: {server.url}/v1.0/servicePrincipals/00000000-0000-0000-0000-000000000000",
                          "status: 404 Not Found", "errno: ENOENT (No such file or directory)"]
    assert "request-id: b7dee9ee-d85b-4e7a-8686-74852cbfd85b" in lines
    assert len(server.seen()) == 1


def test_patch_schema_unknown_error_is_unwrapped(server):
    inner = {"Message": "No HTTP resource was found that matches the request URI "
                        "'https://syncfabric.windowsazure.com/api/x'."}
    server.script(answer(404, {"error": {"code": "UnknownError", "message": json.dumps(inner)}}))
    out = probe(server.url, "PATCH", "/servicePrincipals/s/synchronization/jobs/j/schema", "{}")
    assert out["errno"] == "ENOENT" and out["attempts"] == 1
    assert out["error"]["code"] == "UnknownError"
    assert out["error"]["message"] == inner["Message"]


# --- POST actions: resent only when provably not processed ------------------------------

def test_post_dropped_after_read_is_not_resent(server):
    server.script({"drop": True}, answer(204))
    out = probe(server.url, "POST", "/servicePrincipals/s/synchronization/jobs/j/start", retries=3)
    assert out["errno"] == "EIO" and out["outcome_unknown"] == 1 and out["attempts"] == 1
    assert out["status"] == 0
    assert server.seen() == [("POST", "/v1.0/servicePrincipals/s/synchronization/jobs/j/start")]
    assert out["error"]["code"] == "ConnectionLost"
    assert "outcome: unknown" in out["last_error"]
    assert "not resent" in out["error"]["message"]


def test_get_dropped_after_read_is_retried(server):
    server.script({"drop": True}, answer(200, {"value": []}))
    out = probe(server.url, "GET", "/x")
    assert out["rc"] == 0 and out["attempts"] == 2
    assert len(server.seen()) == 2


def test_safe_post_dropped_is_retried(server):
    server.script({"drop": True}, answer(200, {"parsingSucceeded": True}))
    out = probe(server.url, "POST", "/s/schema/parseExpression", '{"expression":"[x]"}',
                extra=["--safe"])
    assert out["rc"] == 0 and out["attempts"] == 2
    assert len(server.seen()) == 2
    assert server.requests[0]["body"] == server.requests[1]["body"] == b'{"expression":"[x]"}'


def test_post_refused_at_connect_is_retried_then_econnrefused():
    url = f"http://127.0.0.1:{closed_port()}"
    out = probe(url, "POST", "/servicePrincipals/s/synchronization/jobs/j/pause", retries=2)
    # "Connection refused", the words of what happened, not "No route to host"
    assert out["errno"] == "ECONNREFUSED" and out["status"] == 0
    # nothing can have been processed: every retry was made
    assert out["attempts"] == 3 and out["outcome_unknown"] == 0
    assert out["error"]["code"] == "ConnectFailed"
    assert out["elapsed"] < 15


@pytest.mark.parametrize("first", [429, 503])
def test_post_throttled_is_retried(server, first):
    server.script(answer(first, THROTTLED, Retry_After="0.05"), answer(204))
    out = probe(server.url, "POST", "/j/restart", '{"criteria":{"resetScope":"Full"}}')
    assert out["rc"] == 0 and out["status"] == 204 and out["attempts"] == 2
    assert server.seen() == [("POST", "/v1.0/j/restart")] * 2
    assert server.requests[1]["body"] == b'{"criteria":{"resetScope":"Full"}}'


@pytest.mark.parametrize("status,errno_name", [(504, "ETIMEDOUT"), (500, "EIO"), (502, "EIO")])
def test_post_after_ambiguous_status_is_not_retried(server, status, errno_name):
    server.script(answer(status), answer(204))
    out = probe(server.url, "POST", "/j/start")
    assert out["errno"] == errno_name and out["attempts"] == 1
    assert len(server.seen()) == 1


def test_put_504_is_retried_patch_is_not(server):
    server.script(answer(504), answer(204))
    out = probe(server.url, "PUT", "/s/synchronization/secrets", '{"value":[]}')
    assert out["rc"] == 0 and out["attempts"] == 2
    assert len(server.seen()) == 2
    server.requests.clear()
    server.script(answer(504), answer(204))
    out = probe(server.url, "PATCH", "/j", '{}')
    assert out["errno"] == "ETIMEDOUT" and out["attempts"] == 1
    assert len(server.seen()) == 1


def test_stall_times_out_within_the_bound(server):
    server.script({"stall": 60}, {"stall": 60})
    out = probe(server.url, "GET", "/x", retries=1, timeout_ms=1000)
    assert out["errno"] == "ETIMEDOUT" and out["attempts"] == 2
    assert out["error"]["code"] == "Timeout"
    # bound: timeout * (retries + 1) = 2 s, plus process start and a backoff sleep cut short
    assert 0.9 <= out["elapsed"] < 6
    assert len(server.seen()) == 2


def test_post_stall_is_not_resent(server):
    server.script({"stall": 60}, answer(204))
    out = probe(server.url, "POST", "/j/start", retries=3, timeout_ms=1000)
    assert out["errno"] == "ETIMEDOUT" and out["attempts"] == 1 and out["outcome_unknown"] == 1
    assert len(server.seen()) == 1


# --- tokens --------------------------------------------------------------------------------

def test_401_invalid_token_refreshes_once_and_retries(server):
    server.script(answer(401, BAD_TOKEN), answer(200, {"id": "j"}))
    out = probe(server.url, "GET", "/j", extra=["--token", "tok-A"])
    assert out["rc"] == 0 and out["attempts"] == 2
    assert out["token_forced"] == 1
    assert [r["headers"]["Authorization"] for r in server.requests] == [
        "Bearer tok-A", "Bearer tok-A-refreshed-1"]
    assert len(server.seen()) == 2


def test_401_twice_is_ekeyrejected_after_exactly_one_retry(server):
    server.script(answer(401, BAD_TOKEN), answer(401, BAD_TOKEN), answer(200, {}))
    out = probe(server.url, "POST", "/j/start", extra=["--token", "tok-A"])
    assert out["errno"] == "EKEYREJECTED" and out["status"] == 401 and out["attempts"] == 2
    assert out["token_forced"] == 1
    assert len(server.seen()) == 2


def test_401_other_code_is_not_retried(server):
    server.script(answer(401, {"error": {"code": "Authorization_IdentityNotFound", "message": "m"}}),
                  answer(200, {}))
    out = probe(server.url, "GET", "/j", extra=["--token", "tok-A"])
    # not about the token: a missing permission, "Operation not permitted"
    assert out["errno"] == "EPERM" and out["attempts"] == 1 and out["token_forced"] == 0
    assert len(server.seen()) == 1


def test_http_debug_never_logs_the_token(server):
    server.script(answer(429, THROTTLED, Retry_After="0"), answer(200, {}))
    out = probe(server.url, "GET", "/j", extra=["--token", "s3cr3t-token-value", "--http-debug"])
    assert out["rc"] == 0
    trace = [line for line in out["stderr"].splitlines() if line.startswith("graphsyncfs: http: ")]
    assert len(trace) == 2
    assert trace[0].startswith(f"graphsyncfs: http: GET {server.url}/v1.0/j -> 429 in ")
    assert "request-id rid-1" in trace[0] and out["client_request_id"] in trace[0]
    assert "s3cr3t" not in out["stderr"]
    assert server.requests[0]["headers"]["Authorization"] == "Bearer s3cr3t-token-value"


# --- bodies and headers --------------------------------------------------------------------

def test_bodies_and_content_types(server):
    server.script(answer(204), answer(202, None, Location="https://x/auditLogs"), answer(204))
    out = probe(server.url, "PUT", "/s/synchronization/jobs/j/schema", '{"version":"1"}')
    assert out["rc"] == 0 and out["status"] == 204 and out["body"] == ""
    out = probe(server.url, "POST", "/j/bulkUpload", '{"schemas":[]}',
                extra=["--content-type", "application/scim+json"])
    assert out["rc"] == 0 and out["status"] == 202 and out["location"] == "https://x/auditLogs"
    out = probe(server.url, "POST", "/j/start")
    assert out["rc"] == 0
    put, bulk, start = server.requests
    assert put["method"] == "PUT" and put["body"] == b'{"version":"1"}'
    assert put["headers"]["Content-Type"] == "application/json"
    assert bulk["headers"]["Content-Type"] == "application/scim+json"
    # a bodiless POST still says how long it is (Graph answers 411 otherwise)
    assert start["headers"]["Content-Length"] == "0" and start["body"] == b""
    assert "Content-Type" not in start["headers"]
    assert "Expect" not in put["headers"]
    assert len(server.seen()) == 3


# --- paging ---------------------------------------------------------------------------------

def page(items, next_query=None):
    def act(srv, entry):
        body = {"@odata.context": "x", "value": [{"id": i} for i in items]}
        if next_query:
            body["@odata.nextLink"] = f"{srv.url}/v1.0/servicePrincipals?{next_query}"
        return answer(200, body)
    return act


def test_next_link_paging_across_three_pages(server):
    server.script(page(["a", "b"], "$top=2&$skiptoken=p2"), page(["c", "d"], "$top=2&$skiptoken=p3"),
                  page(["e"]))
    out = probe(server.url, "--collection", "/servicePrincipals?$top=2")
    assert out["rc"] == 0 and out["count"] == 5
    assert [i["id"] for i in out["items"]] == ["a", "b", "c", "d", "e"]
    assert out["request_id"] == "rid-1"
    assert server.seen() == [("GET", "/v1.0/servicePrincipals?$top=2"),
                             ("GET", "/v1.0/servicePrincipals?$top=2&$skiptoken=p2"),
                             ("GET", "/v1.0/servicePrincipals?$top=2&$skiptoken=p3")]


def test_next_link_loop_is_stopped(server):
    server.script(page(["a"], "$skiptoken=p2"), page(["b"], "$skiptoken=p2"), page(["c"]))
    out = probe(server.url, "--collection", "/servicePrincipals")
    assert out["errno"] == "EIO" and out["items"] is None
    assert out["error"]["code"] == "PagingLoop"
    assert len(server.seen()) == 2


def test_next_link_to_another_host_is_not_followed(server):
    server.script(answer(200, {"value": [{"id": "a"}],
                               "@odata.nextLink": "http://192.0.2.1/v1.0/servicePrincipals?$skiptoken=x"}))
    out = probe(server.url, "--collection", "/servicePrincipals", extra=["--token", "t"])
    assert out["errno"] == "EIO" and out["error"]["code"] == "ForeignNextLink"
    assert len(server.seen()) == 1


def test_collection_errors(server):
    server.script(page(["a"], "$skiptoken=2"), answer(404, {"error": {"code": "Request_ResourceNotFound",
                                                                      "message": "gone"}}))
    out = probe(server.url, "--collection", "/servicePrincipals")
    assert out["errno"] == "ENOENT" and out["error"]["code"] == "Request_ResourceNotFound"
    assert len(server.seen()) == 2
    server.requests.clear()
    server.script(answer(200, {"id": "not a collection"}))
    out = probe(server.url, "--collection", "/servicePrincipals")
    assert out["errno"] == "EIO" and out["error"]["code"] == "InvalidCollection"
    assert len(server.seen()) == 1


# --- $batch ---------------------------------------------------------------------------------

def batch_file(tmp_path, items):
    f = tmp_path / "batch.json"
    f.write_text(json.dumps(items))
    return str(f)


JOBS = [{"method": "GET", "path": f"/servicePrincipals/sp{i}/synchronization/jobs"} for i in (1, 2, 3)]


def test_batch_with_one_throttled_item_retried_alone(server, tmp_path):
    server.script(answer(200, {"responses": [
        {"id": "3", "status": 200, "headers": {"request-id": "item-3"}, "body": {"value": [{"id": "j3"}]}},
        {"id": "2", "status": 429, "headers": {"Retry-After": "0.7"}, "body": THROTTLED},
        {"id": "1", "status": 200, "headers": {"request-id": "item-1"}, "body": {"value": []}}]}),
        answer(200, {"value": [{"id": "j2"}]}))
    out = probe(server.url, "--batch", batch_file(tmp_path, JOBS))
    assert out["rc"] == 0
    assert server.seen() == [("POST", "/v1.0/$batch"), ("GET", "/v1.0/servicePrincipals/sp2/synchronization/jobs")]
    sent = json.loads(server.requests[0]["body"])
    assert sent == {"requests": [{"id": str(i), "method": "GET", "url": f"/servicePrincipals/sp{i}/synchronization/jobs"}
                                 for i in (1, 2, 3)]}
    assert server.requests[0]["headers"]["Content-Type"] == "application/json"
    # the item's own Retry-After (longer than any backoff)
    assert server.requests[1]["time"] - server.requests[0]["time"] >= 0.69
    items = out["items"]
    assert [i["status"] for i in items] == [200, 200, 200]
    assert [i["errno"] for i in items] == ["OK"] * 3
    assert [json.loads(i["body"]) for i in items] == [{"value": []}, {"value": [{"id": "j2"}]},
                                                      {"value": [{"id": "j3"}]}]
    assert [i["request_id"] for i in items] == ["item-1", "rid-2", "item-3"]


# The read-ahead batches throttled items again itself: a last one goes as a $batch of one
# (before: a plain GET, which retried its 429 alone behind the read-ahead's back).
def test_batch_keep_throttled_sends_a_single_item_as_a_batch(server, tmp_path):
    server.script(answer(200, {"responses": [
        {"id": "1", "status": 429, "headers": {"Retry-After": "3"}, "body": THROTTLED}]}))
    out = probe(server.url, "--batch-keep-throttled", batch_file(tmp_path, JOBS[:1]))
    assert out["rc"] == 0
    assert server.seen() == [("POST", "/v1.0/$batch")]
    assert [(i["status"], i["retry_after"]) for i in out["items"]] == [(429, 3)]


def test_batch_refused_as_a_whole_falls_back_to_single_requests(server, tmp_path):
    server.script(answer(400, {"error": {"code": "BadRequest", "message": "batch not supported"}}),
                  answer(200, {"value": ["1"]}), answer(404, {"error": {"code": "Request_ResourceNotFound",
                                                                        "message": "no sp2"}}),
                  answer(200, {"value": ["3"]}))
    out = probe(server.url, "--batch", batch_file(tmp_path, JOBS))
    assert out["rc"] == 0
    assert server.seen() == [("POST", "/v1.0/$batch")] + [
        ("GET", f"/v1.0/servicePrincipals/sp{i}/synchronization/jobs") for i in (1, 2, 3)]
    items = out["items"]
    assert [i["status"] for i in items] == [200, 404, 200]
    assert [i["errno"] for i in items] == ["OK", "ENOENT", "OK"]
    assert items[1]["error"]["code"] == "Request_ResourceNotFound"
    assert [i["request_id"] for i in items] == ["rid-2", "rid-3", "rid-4"]


def test_batch_item_errors_and_bodies(server, tmp_path):
    reqs = JOBS[:2] + [{"method": "POST", "path": "/servicePrincipals/sp3/synchronization/jobs/j/pause",
                        "body": {}}]
    server.script(answer(200, {"responses": [
        {"id": "1", "status": 404, "headers": {}, "body": {"error": {"code": "Request_ResourceNotFound",
                                                                     "message": "no sp1"}}},
        {"id": "2", "status": 200, "headers": {}, "body": {"value": []}},
        {"id": "3", "status": 204, "headers": {}}]}))
    out = probe(server.url, "--batch", batch_file(tmp_path, reqs))
    assert server.seen() == [("POST", "/v1.0/$batch")]
    sent = json.loads(server.requests[0]["body"])["requests"]
    assert sent[2] == {"id": "3", "method": "POST", "url": "/servicePrincipals/sp3/synchronization/jobs/j/pause",
                       "headers": {"Content-Type": "application/json"}, "body": {}}
    items = out["items"]
    assert [(i["status"], i["errno"]) for i in items] == [(404, "ENOENT"), (200, "OK"), (204, "OK")]
    assert items[0]["error"]["code"] == "Request_ResourceNotFound"
    assert items[0]["error"]["url"] == f"{server.url}/v1.0/servicePrincipals/sp1/synchronization/jobs"
    assert items[2]["body"] == ""
    # no item request-id: the batch's own
    assert items[1]["request_id"] == "rid-1"


# The read-ahead stores a 2xx answer as the tree the $batch envelope was parsed into
# (want_json): not printed to text and parsed again. Errors, and an item that went alone,
# still come as text.
def test_batch_answers_wanted_as_json_come_parsed(server, tmp_path):
    reqs = [dict(r, want_json=True) for r in JOBS] + [
        {"method": "GET", "path": "/servicePrincipals/sp4/synchronization/jobs"}]
    server.script(answer(200, {"responses": [
        {"id": "1", "status": 200, "headers": {}, "body": {"value": [{"id": "j1", "n": 1.5}]}},
        {"id": "2", "status": 404, "headers": {}, "body": {"error": {"code": "Request_ResourceNotFound",
                                                                     "message": "no sp2"}}},
        {"id": "3", "status": 429, "headers": {"Retry-After": "0"}, "body": THROTTLED},
        {"id": "4", "status": 200, "headers": {}, "body": {"value": []}}]}),
        answer(200, {"value": [{"id": "j3"}]}))
    out = probe(server.url, "--batch", batch_file(tmp_path, reqs))
    assert out["rc"] == 0
    items = out["items"]
    assert [(i["status"], i["errno"]) for i in items] == [(200, "OK"), (404, "ENOENT"), (200, "OK"), (200, "OK")]
    assert items[0]["json"] == {"value": [{"id": "j1", "n": 1.5}]} and items[0]["json_is_root"] is True
    assert (items[0]["body"], items[0]["body_len"]) == ("", 0)
    assert "json" not in items[1] and items[1]["error"]["code"] == "Request_ResourceNotFound"
    assert "json" not in items[2] and json.loads(items[2]["body"]) == {"value": [{"id": "j3"}]}
    assert "json" not in items[3] and json.loads(items[3]["body"]) == {"value": []}


def test_batch_unanswered_post_item_is_not_resent(server, tmp_path):
    reqs = [JOBS[0], {"method": "POST", "path": "/j/start"}, JOBS[2]]
    server.script(answer(200, {"responses": [
        {"id": "3", "status": 200, "headers": {}, "body": {"value": []}}]}),
        answer(200, {"value": ["again"]}))
    out = probe(server.url, "--batch", batch_file(tmp_path, reqs))
    # the unanswered GET goes alone, the unanswered POST has an unknown outcome
    assert server.seen() == [("POST", "/v1.0/$batch"), ("GET", "/v1.0/servicePrincipals/sp1/synchronization/jobs")]
    items = out["items"]
    assert [(i["status"], i["errno"]) for i in items] == [(200, "OK"), (0, "EIO"), (200, "OK")]
    assert items[1]["outcome_unknown"] == 1


def test_batch_of_gets_dropped_is_resent_but_not_with_a_post(server, tmp_path):
    ok = answer(200, {"responses": [{"id": str(i), "status": 200, "headers": {}, "body": {}} for i in (1, 2)]})
    server.script({"drop": True}, ok)
    out = probe(server.url, "--batch", batch_file(tmp_path, JOBS[:2]))
    assert [i["errno"] for i in out["items"]] == ["OK", "OK"]
    assert server.seen() == [("POST", "/v1.0/$batch")] * 2

    server.requests.clear()
    server.script({"drop": True}, ok)
    out = probe(server.url, "--batch", batch_file(tmp_path, [JOBS[0], {"method": "POST", "path": "/j/start"}]))
    assert server.seen() == [("POST", "/v1.0/$batch")]
    items = out["items"]
    assert [i["errno"] for i in items] == ["EIO", "EIO"]
    assert [i["outcome_unknown"] for i in items] == [0, 1]


def test_batch_throttled_item_without_time_left_keeps_its_429(server, tmp_path):
    server.script(answer(200, {"responses": [
        {"id": "1", "status": 200, "headers": {}, "body": {}},
        {"id": "2", "status": 429, "headers": {"Retry-After": "60"}, "body": THROTTLED}]}))
    out = probe(server.url, "--batch", batch_file(tmp_path, JOBS[:2]), retries=1, timeout_ms=1000)
    assert server.seen() == [("POST", "/v1.0/$batch")]
    items = out["items"]
    assert [(i["status"], i["errno"]) for i in items] == [(200, "OK"), (429, "EAGAIN")]
    assert items[1]["error"]["code"] == "TooManyRequests"


def test_batch_bad_arguments(server, tmp_path):
    out = probe(server.url, "--batch", batch_file(tmp_path, JOBS * 7))
    assert out["errno"] == "EINVAL" and out["items"] == []
    assert server.seen() == []


# --- one client, many threads ---------------------------------------------------------------

def test_concurrent_requests_share_one_client(server):
    n = 24
    first_seen = []

    def act(srv, entry):
        # the first attempt of every third logical request is throttled once
        cid = entry["headers"]["client-request-id"]
        if cid in first_seen:
            return answer(200, {"ok": "retry"})
        first_seen.append(cid)
        if len(first_seen) % 3 == 0:
            return answer(429, THROTTLED, Retry_After="0.05")
        return answer(200, {"ok": len(first_seen)})

    server.script(*[act] * (n + n // 3))
    out = probe(server.url, "GET", "/servicePrincipals", extra=["--threads", str(n)])
    assert out["started"] == n
    assert [r["errno"] for r in out["results"]] == ["OK"] * n
    assert sorted(r["attempts"] for r in out["results"]) == [1] * (n - n // 3) + [2] * (n // 3)
    assert len(set(first_seen)) == n
    assert server.seen() == [("GET", "/v1.0/servicePrincipals")] * (n + n // 3)

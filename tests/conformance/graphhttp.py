"""Raw HTTP helpers for the conformance tests.

The tests talk to the emulator with http.client directly (not through the Emulator class's own
helpers) so that they see exactly what a client sees: status line, every header, raw body bytes.
"""

import http.client
import json
import re
import socket
import time
import urllib.parse
import uuid
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "conformance" / "graph-examples"  # copied from shared/graph-examples

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# Graph's innerError.date: "2024-05-01T10:00:00" (no zone, no fraction)
INNER_DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
# DateTimeOffset as Graph writes it
DTO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?(Z|[+-]\d\d:\d\d)$")
# job ids: {templateId}.{32 hex}[.{guid}]
JOB_ID_RE = re.compile(r"^[^./]+\.[0-9a-f]{32}(\.[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$")

SP_SEGMENT = "servicePrincipals"


def example(name):
    return json.loads((EXAMPLES / name).read_text())


def q(s):
    """Percent-encode one path segment (ids may hold '#', which must not end the path)."""
    return urllib.parse.quote(s, safe="")


class Resp:
    def __init__(self, status, reason, headers, body, elapsed):
        self.status = status
        self.reason = reason
        self.headers = headers  # http.client.HTTPMessage: case-insensitive .get()
        self.body = body
        self.elapsed = elapsed

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        text = self.body[:600].decode("utf-8", "replace")
        return f"<Resp {self.status} {self.reason} headers={dict(self.headers)} body={text!r}>"


class GraphHTTP:
    """Sends requests to http://127.0.0.1:PORT. `path` is relative to the version root unless it
    starts with '/_' or is absolute (starts with http) or `root=True`."""

    def __init__(self, url, version="v1.0", token=None, timeout=20):
        parts = urllib.parse.urlsplit(url)
        self.base = url.rstrip("/")
        self.host = parts.hostname
        self.port = parts.port
        self.version = version
        self.token = token
        self.timeout = timeout

    def with_version(self, version):
        return GraphHTTP(self.base, version=version, token=self.token, timeout=self.timeout)

    def full_path(self, path, root=False):
        # spaces are not allowed on the request line; clients send them as %20
        path = path.replace(" ", "%20")
        if path.startswith("http://") or path.startswith("https://"):
            parts = urllib.parse.urlsplit(path)
            return parts.path + ("?" + parts.query if parts.query else "")
        if root or path.startswith("/_"):
            return path
        if not path.startswith("/"):
            path = "/" + path
        return f"/{self.version}{path}"

    def request(self, method, path, body=None, headers=None, root=False, content_type=None,
                timeout=None, raw_body=None):
        hdrs = {}
        if self.token:
            hdrs["Authorization"] = f"Bearer {self.token}"
        data = None
        if raw_body is not None:
            data = raw_body if isinstance(raw_body, bytes) else raw_body.encode()
        elif body is not None:
            data = json.dumps(body).encode()
            hdrs["Content-Type"] = "application/json"
        if content_type is not None:
            hdrs["Content-Type"] = content_type
        if headers:
            for k, v in headers.items():
                if v is None:
                    for existing in list(hdrs):
                        if existing.lower() == k.lower():
                            del hdrs[existing]
                else:
                    hdrs[k] = v
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        t0 = time.monotonic()
        try:
            conn.request(method, self.full_path(path, root), body=data, headers=hdrs)
            r = conn.getresponse()
            payload = r.read()
            return Resp(r.status, r.reason, r.headers, payload, time.monotonic() - t0)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def form(self, path, fields, headers=None, timeout=None):
        """POST application/x-www-form-urlencoded to a root path (OAuth endpoints)."""
        data = urllib.parse.urlencode(fields)
        return self.request("POST", path, raw_body=data, root=True, headers=headers, timeout=timeout,
                            content_type="application/x-www-form-urlencoded")


def graph_error(resp, status, code=None):
    """Asserts a Graph error response (§8.2) and returns its `error` object."""
    assert resp.status == status, resp
    ctype = resp.header("Content-Type") or ""
    assert ctype.split(";")[0].strip() == "application/json", resp
    body = resp.json()
    assert list(body) == ["error"], body
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], body
    assert isinstance(err.get("message"), str), body
    if code is not None:
        assert err["code"] == code, body
    inner = err.get("innerError")
    assert isinstance(inner, dict), body
    assert isinstance(inner.get("date"), str) and INNER_DATE_RE.match(inner["date"]), body
    assert inner.get("request-id") == resp.header("request-id"), (inner, dict(resp.headers))
    assert "client-request-id" in inner, body
    assert inner.get("client-request-id") == resp.header("client-request-id"), (inner, dict(resp.headers))
    return err


def assert_empty_204(resp):
    assert resp.status == 204, resp
    assert resp.body == b"", resp
    rid = resp.header("request-id")
    assert rid and GUID_RE.match(rid), resp


def raw_exchange(host, port, data, timeout=5.0):
    """Sends raw bytes and returns whatever comes back before EOF (b'' if closed at once).
    Raises socket.timeout when nothing arrives within `timeout`."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                c = s.recv(65536)
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)


def new_client_request_id():
    return str(uuid.uuid4())

"""The HTTP server: one request at a time per connection (HTTP/1.1 keep-alive), many connections
at once. It decodes the request, applies faults and latency, checks the token, dispatches to the
control API, the OAuth endpoints or Graph, adds Graph's envelope headers and logs the exchange."""

import gzip
import http.server
import json
import socket
import struct
import threading
import time
import urllib.parse

from tests.emulator import request_log, transport
from tests.emulator.credentials import SECRET_KEYS
from tests.emulator.envelope import GraphError, Ids, Response, error_response, from_exception
from tests.emulator.tokens import throttle_headers

AGS_DIAGNOSTIC = json.dumps({"ServerInfo": {"DataCenter": "Local Emulator", "Slice": "E", "Ring": "5",
                                            "ScaleUnit": "000", "RoleInstance": "EMULATOR"}}, separators=(",", ":"))



_BOMBS = {}
_BOMBS_LOCK = threading.Lock()


def _bomb(mb):
    """A gzip body that inflates to about mb MiB of {"value":[{},{},...]}: tiny on the wire,
    millions of JSON values once decompressed (made once per size)."""
    with _BOMBS_LOCK:
        if mb not in _BOMBS:
            n = max(1, int(mb * 2**20 / 3))
            _BOMBS[mb] = gzip.compress(b'{"value":[' + b"{}," * n + b"{}]}", 9)
        return _BOMBS[mb]

class Request:
    """A decoded request. `path` is percent-decoded; `segments` are decoded one by one."""

    def __init__(self, method, target, headers, body, base_url):
        self.method = method.upper()
        raw_path, _, self.query = target.partition("?")
        if raw_path.startswith("http://") or raw_path.startswith("https://"):
            raw_path = "/" + raw_path.split("/", 3)[3] if raw_path.count("/") >= 3 else "/"
        self.raw_path = raw_path
        self.path = urllib.parse.unquote(raw_path)
        self.segments = [urllib.parse.unquote(s) for s in raw_path.split("/")[1:]]
        if self.segments and self.segments[-1] == "" and len(self.segments) > 1:
            self.segments.pop()   # optional trailing slash
        self.params = {}
        for k, v in urllib.parse.parse_qsl(self.query, keep_blank_values=True):
            self.params[k] = v
        self.headers = headers
        self.body = body
        self.base_url = base_url
        self.batch_item = False

    def header(self, name, default=None):
        v = self.headers.get(name)
        return default if v is None else v

    def option(self, name):
        """An OData system query option ($top, $select...), case-insensitive."""
        for k, v in self.params.items():
            if k.lower() == name.lower() or k.lower() == name.lower().lstrip("$"):
                return v
        return None

    def content_type(self):
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def text(self):
        return self.body.decode("utf-8", "replace") if self.body else None

    def json(self, required=True):
        """The JSON body; GraphError 400 when it does not parse (or is absent and required)."""
        if not self.body or not self.body.strip():
            if required:
                raise GraphError(400, "BadRequest", "Empty Payload. JSON content expected.")
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise GraphError(400, "BadRequest", f"Unable to read JSON request payload. Please ensure Content-Type "
                             f"header is set and payload is of valid JSON format. ({e.__class__.__name__})")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = 1 << 16          # one write per answer (headers and body), flushed by the base class
    server_version = "Microsoft-HTTPAPI/2.0"

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        if not self.server.app.quiet:
            super().log_message(fmt, *args)

    def _any(self):
        app = self.server.app
        try:
            body = self._read_body()
        except ValueError:
            self.send_error(400, "Bad request body")
            return
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        # the URLs the emulator writes (discovery, nextLink, Location) use the scheme the client used:
        # https on the TLS listener (tls_front.py) or behind a TLS front that says so
        forwarded = (self.headers.get("X-Forwarded-Proto") or "").strip().lower()
        scheme = forwarded if forwarded in ("http", "https") else self.server.scheme
        req = Request(self.command, self.path, self.headers, body, f"{scheme}://{host}")
        if req.path.startswith("/_emulator"):
            self._send(app.control.handle(req), None)
            return
        kind = "oauth" if app.oauth.owns(req) else "graph"
        entry = self._log(req, kind)
        ids = Ids(req.header("client-request-id"))
        fault = app.faults.pick(req.method, req.path)
        if fault and fault.action == "reset":
            app.log.finish(entry, None, fault="reset")
            self._reset()
            return
        if fault and fault.action == "stall":
            app.log.finish(entry, None, fault="stall")
            self._stall(fault.stall_s)
            return
        if kind == "graph":
            delay = app.settings.latency_ms + (fault.latency_ms if fault and fault.action == "latency" else 0)
            if delay > 0:
                time.sleep(delay / 1000.0)
        elif fault and fault.action == "latency":
            time.sleep(fault.latency_ms / 1000.0)
        resp = self._answer(app, req, kind, ids, fault)
        if resp.status == 429 and kind == "graph":
            resp.headers = dict(throttle_headers(app.tokens, req), **resp.headers)
        if fault and fault.action == "reset_after":
            # Graph carried the request out; the answer is lost on the way back
            app.log.finish(entry, None, fault="reset_after")
            self._reset()
            return
        if fault and fault.action == "bomb":
            resp = Response(200, _bomb(fault.bomb_mb), {"Content-Encoding": "gzip"}, "application/json")
        if fault and fault.action == "malformed":
            payload = resp.payload() or b'{"value":[{"id":"'
            resp = Response(200, payload[:max(1, len(payload) // 2)], {}, "application/json")
        app.log.finish(entry, resp.status)
        self._send(resp, ids if kind == "graph" else None, transport.choose(app.settings, fault))

    def _answer(self, app, req, kind, ids, fault):
        if fault and fault.action == "status":
            return fault_response(ids, fault, kind)
        if fault and fault.action == "expire_token" and kind == "graph":
            return app.tokens.expired_response(ids)
        if kind == "oauth":
            return app.oauth.handle(req)
        try:
            denied = app.tokens.check(req, ids)
            if denied is not None:
                return denied
            return app.graph.handle(req, ids)
        except GraphError as e:
            return from_exception(ids, e)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _any

    # ---------------------------------------------------------------- plumbing

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(n) if n else b""

    def _send(self, resp, ids, encodings=()):
        payload, encoded_headers, chunked = transport.encode(resp.payload(), encodings, self.headers)
        if self.command == "HEAD":
            payload_len, payload = len(payload), b""
        else:
            payload_len = len(payload)
        self.send_response(resp.status)
        if payload_len or resp.status not in (204, 304):
            if payload_len:
                self.send_header("Content-Type", resp.content_type + ("; charset=utf-8" if resp.content_type.endswith("json") else ""))
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(payload_len))
        for k, v in encoded_headers.items():
            self.send_header(k, v)
        if ids is not None:
            self.send_header("Cache-Control", "no-cache")
            if payload_len and resp.content_type == "application/json":
                self.send_header("OData-Version", "4.0")
            self.send_header("Strict-Transport-Security", "max-age=31536000")
            self.send_header("request-id", ids.request_id)
            self.send_header("client-request-id", ids.client_request_id)
            self.send_header("x-ms-ags-diagnostic", AGS_DIAGNOSTIC)
            self.send_header("x-ms-resource-unit", "1")
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.end_headers()
        if payload and chunked:
            transport.write_chunked(self.wfile, payload)
        elif payload:
            self.wfile.write(payload)

    def _reset(self):
        """Closes the connection with a TCP reset and no answer."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def _stall(self, seconds):
        """Reads nothing more and answers nothing until `seconds` pass or the server stops."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not self.server.stopping.is_set():
            self.server.stopping.wait(min(0.2, deadline - time.monotonic()))
        self.close_connection = True

    def _log(self, req, kind):
        return self.server.app.log.add(log_entry(req, kind))


def log_entry(req, kind, **extra):
    """The request-log entry of a request (secret values redacted), status not yet known."""
    body = req.text()
    if body is not None:
        if kind == "oauth":
            body = request_log.redact_form(body)
        elif req.path.rstrip("/").endswith(("/secrets", "/validateCredentials", "/acquireAccessToken")):
            body = request_log.redact_credentials_json(body, SECRET_KEYS)
    return request_log.make_entry(kind, req.method, req.path, req.query, None, body, req.header("Content-Type"),
                                  request_log.redact_headers(dict(req.headers.items())), **extra)


def fault_response(ids, fault, kind):
    headers = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    if kind == "oauth":
        from tests.emulator.oauth import aad_error
        return aad_error(fault.status, fault.code or "temporarily_unavailable",
                         fault.message or "The service is temporarily unavailable.", 50196, headers)
    if fault.body != "graph":
        reason = http.server.BaseHTTPRequestHandler.responses.get(fault.status, ("Error",))[0]
        payload, ctype = transport.gateway_body(fault.body, fault.status, reason)
        return Response(fault.status, payload, headers, ctype)
    return error_response(ids, fault.status, fault.code, fault.message, headers)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, app, port, tls=None):
        self.app = app
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", port), Handler)
        self.scheme = "http"
        if tls is not None:
            # the handshake happens in the handler's thread, on its first read, so that a client
            # that never completes it cannot hold up accept()
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
            self.scheme = "https"

    def stop(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()

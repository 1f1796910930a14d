"""How an answer travels: Content-Length or chunked, identity or gzip (issue 18: real Graph answers
are often chunked and gzip-encoded), and the bodies gateways send instead of Graph's JSON errors
(HTML pages, nothing at all) on 502/503/504.

The encodings come from the settings `chunked` and `gzip` (both off by default; the environment
variable GS_EMULATOR_TRANSPORT="chunked,gzip" turns them on at start, so the whole test suite can
run that way) or, for matching requests only, from a fault rule with action `encode` and
`encoding` ("chunked", "gzip" or both). gzip is used only when the request's Accept-Encoding
allows it, as a real server does."""

import gzip
import os

CHUNK = 4096
ENV = "GS_EMULATOR_TRANSPORT"
WORDS = {"chunked", "gzip"}

GATEWAY_HTML = ("<!DOCTYPE html>\r\n<html><head><title>{status} {reason}</title></head>\r\n"
                "<body><h1>{status} {reason}</h1><p>The gateway did not receive a timely or valid response "
                "from the upstream server.</p><hr><address>Microsoft-Azure-Application-Gateway/v2</address>"
                "</body></html>\r\n")


def parse_words(text, what):
    """{"chunked", "gzip"} subset named by a comma/space separated text; ValueError otherwise."""
    words = {w for w in text.replace(",", " ").split()}
    if words - WORDS:
        raise ValueError(f"{what}: unknown encoding(s) {sorted(words - WORDS)} (use chunked, gzip)")
    return words


def env_defaults():
    """Settings from GS_EMULATOR_TRANSPORT (the test harness sets it for whole-suite runs)."""
    words = parse_words(os.environ.get(ENV, ""), ENV)
    return {w: True for w in words}


def accepts_gzip(headers):
    for part in (headers.get("Accept-Encoding") or "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


def choose(settings, fault):
    """The encodings of this answer: a fault rule's `encode` wins over the settings."""
    if fault is not None and fault.action == "encode":
        return fault.encoding
    return {w for w in WORDS if getattr(settings, w)}


def encode(payload, words, request_headers):
    """(payload, extra headers, chunked?) for an answer body."""
    headers = {}
    if payload and "gzip" in words and accepts_gzip(request_headers):
        payload = gzip.compress(payload, mtime=0)
        headers["Content-Encoding"] = "gzip"
        headers["Vary"] = "Accept-Encoding"
    return payload, headers, bool(payload) and "chunked" in words


def write_chunked(wfile, payload):
    for i in range(0, len(payload), CHUNK):
        piece = payload[i:i + CHUNK]
        wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
    wfile.write(b"0\r\n\r\n")


def gateway_body(kind, status, reason):
    """(bytes, content type) of a gateway's error page: kind `html` or `empty`."""
    if kind == "html":
        return GATEWAY_HTML.format(status=status, reason=reason).encode(), "text/html"
    return b"", "text/plain"

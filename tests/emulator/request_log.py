"""The request log that tests and benchmarks read (GET /_emulator/requests)."""

import json
import threading
import time
import urllib.parse

# form fields of OAuth requests whose values are never kept
SECRET_FORM_FIELDS = {"client_secret", "client_assertion", "refresh_token", "device_code", "code",
                      "assertion", "password"}
# synchronizationSecret keys whose values are never kept (see secrets.py for the same list)
REDACTED = "<redacted>"


class RequestLog:
    def __init__(self, log_file=None, max_entries=2_000_000):
        self.lock = threading.Lock()
        self.entries = []
        self.seq = 0
        self.max_entries = max_entries
        self.log_file = open(log_file, "a", encoding="utf-8") if log_file else None

    def add(self, entry):
        """Records a request when it arrives (so the log is in arrival order); `finish` it once
        its status is known."""
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if len(self.entries) > self.max_entries:
                del self.entries[: len(self.entries) - self.max_entries]
        return entry

    def finish(self, entry, status, **extra):
        with self.lock:
            entry["status"] = status
            entry.update(extra)
            if self.log_file:
                self.log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self.log_file.flush()

    def since(self, seq=0):
        with self.lock:
            return [dict(e) for e in self.entries if e["seq"] > seq]

    def clear(self):
        with self.lock:
            self.entries = []


def redact_headers(headers):
    out = {}
    for k, v in headers.items():
        if k.lower() == "authorization":
            scheme = v.split(" ", 1)[0] if v else ""
            v = f"{scheme} {REDACTED}" if scheme else REDACTED
        elif k.lower() in ("x-identity-header",):
            v = REDACTED
        out[k] = v
    return out


def redact_form(text):
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    return urllib.parse.urlencode([(k, REDACTED if k in SECRET_FORM_FIELDS else v) for k, v in pairs])


def redact_credentials_json(text, secret_keys):
    """Secret values inside a secrets PUT / validateCredentials / acquireAccessToken body."""
    try:
        doc = json.loads(text)
    except ValueError:
        return text
    if not isinstance(doc, dict):
        return text
    changed = False
    for field in ("value", "credentials"):
        items = doc.get(field)
        if isinstance(items, list):
            for kv in items:
                if isinstance(kv, dict) and str(kv.get("key", "")).lower() in secret_keys and kv.get("value"):
                    kv["value"] = REDACTED
                    changed = True
    return json.dumps(doc, ensure_ascii=False) if changed else text


def make_entry(kind, method, path, query, status, body, content_type, headers, **extra):
    e = {"time": time.time(), "kind": kind, "method": method, "path": path, "query": query,
         "status": status, "body": body, "content_type": content_type, "headers": headers}
    e.update(extra)
    return e

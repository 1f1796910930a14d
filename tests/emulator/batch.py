"""JSON batching: POST /{version}/$batch (graph-sync-api.md §8.6, §9.16)."""

import json
import sys
import urllib.parse

from tests.emulator.envelope import GraphError, Ids, Response, error_response, from_exception
from tests.emulator.server import Request, fault_response, log_entry
from tests.emulator.tokens import throttle_headers

MAX_REQUESTS = 20


class _ItemHeaders(dict):
    """Case-insensitive header lookup for a batch item (like http.client's message)."""

    def get(self, name, default=None):
        for k, v in self.items():
            if k.lower() == name.lower():
                return v
        return default


def _bad(message):
    return GraphError(400, "BadRequest", message)


class Batch:
    def __init__(self, app):
        self.app = app

    def validate(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            raise _bad("Invalid batch payload format.")
        items = body["requests"]
        if not items:
            raise _bad("Invalid batch payload format: 'requests' is empty.")
        if len(items) > MAX_REQUESTS:
            raise _bad("Number of requests inside batch exceeds the limit.")
        seen = set()
        for it in items:
            if not isinstance(it, dict):
                raise _bad("Invalid batch payload format.")
            rid = it.get("id")
            if not isinstance(rid, str) or not rid:
                raise _bad("Invalid request: each request must have an 'id' (string).")
            if rid.lower() in seen:
                raise _bad("Batch request contains duplicate Ids.")
            seen.add(rid.lower())
            if not isinstance(it.get("method"), str) or not it["method"]:
                raise _bad(f"Invalid request: request id '{rid}' has no 'method'.")
            if not isinstance(it.get("url"), str) or not it["url"]:
                raise _bad(f"Invalid request: request id '{rid}' has no 'url'.")
            headers = it.get("headers") or {}
            if not isinstance(headers, dict):
                raise _bad(f"Invalid request: the headers of request id '{rid}' must be an object.")
            if "body" in it and it["body"] is not None and not any(k.lower() == "content-type" for k in headers):
                raise _bad(f"Write request id : {rid} does not contain Content-Type header or body.")
            deps = it.get("dependsOn") or []
            if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
                raise _bad(f"Invalid request: 'dependsOn' of request id '{rid}' must be a list of ids.")
        ids = {it["id"].lower() for it in items}
        for it in items:
            for d in it.get("dependsOn") or []:
                if d.lower() not in ids:
                    raise _bad(f"Request id '{it['id']}' depends on request id '{d}', which is not in the batch.")
        return items

    def order(self, items):
        """A topological order of the items (dependencies first); 400 for a cycle."""
        by_id = {it["id"].lower(): it for it in items}
        done, out, visiting = set(), [], set()

        def visit(it):
            k = it["id"].lower()
            if k in done:
                return
            if k in visiting:
                raise _bad("The batch has a dependsOn cycle.")
            visiting.add(k)
            for d in it.get("dependsOn") or []:
                visit(by_id[d.lower()])
            visiting.discard(k)
            done.add(k)
            out.append(it)
        for it in items:
            visit(it)
        return out

    def handle(self, req, ids, version):
        items = self.order(self.validate(req.json()))
        results = {}
        for it in items:
            failed = [d for d in it.get("dependsOn") or [] if results[d.lower()]["status"] >= 400]
            if failed:
                iids = Ids(None)
                err = error_response(iids, 424, "FailedDependency",
                                     f"The request '{it['id']}' depends on the request '{failed[0]}', which failed.")
                results[it["id"].lower()] = self.item_response(it["id"], err)
                continue
            results[it["id"].lower()] = self.run_item(req, version, it)
        responses = [results[it["id"].lower()] for it in req_items_in_request_order(req, items)]
        return Response(200, {"responses": responses})

    def run_item(self, outer, version, it):
        url = it["url"]
        if url.startswith("http://") or url.startswith("https://"):
            parts = urllib.parse.urlsplit(url)
            url = parts.path + ("?" + parts.query if parts.query else "")
            if url.startswith(f"/{version}/"):
                url = url[len(version) + 1:]
        if not url.startswith("/"):
            url = "/" + url
        headers = _ItemHeaders(it.get("headers") or {})
        for name in ("Authorization", "ConsistencyLevel"):
            if headers.get(name) is None and outer.header(name) is not None:
                headers[name] = outer.header(name)
        body = it.get("body")
        raw = b""
        if body is not None:
            raw = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        sub = Request(it["method"], f"/{version}{url}", headers, raw, outer.base_url)
        sub.batch_item = True
        iids = Ids(headers.get("client-request-id"))
        app = self.app
        entry = app.log.add(log_entry(sub, "graph", batch_item=True))
        fault = app.faults.pick(sub.method, sub.path, batch_item=True)
        if fault is None:
            warning = app.faults.missed_batch_item(sub.method, sub.path)
            if warning:
                print(f"emulator: {warning}", file=sys.stderr, flush=True)
        if fault and fault.action in ("status", "reset", "stall", "malformed"):
            resp = fault_response(iids, fault, "graph") if fault.action == "status" else \
                error_response(iids, 500, "generalException", "The request failed.")
        elif fault and fault.action == "expire_token":
            resp = app.tokens.expired_response(iids)
        else:
            try:
                resp = app.tokens.check(sub, iids) or app.graph.handle(sub, iids)
            except GraphError as e:
                resp = from_exception(iids, e)
        if resp.status == 429:
            resp.headers = dict(throttle_headers(app.tokens, sub), **resp.headers)
        app.log.finish(entry, resp.status)
        return self.item_response(it["id"], resp)

    @staticmethod
    def item_response(item_id, resp):
        headers = {}
        if resp.body is not None:
            headers["Content-Type"] = resp.content_type + ("; charset=utf-8" if resp.content_type.endswith("json") else "")
            headers["Cache-Control"] = "no-cache"
        headers.update(resp.headers)
        out = {"id": item_id, "status": resp.status, "headers": headers}
        if resp.body is not None:
            out["body"] = resp.body if not isinstance(resp.body, (bytes, bytearray)) else resp.body.decode("utf-8", "replace")
        return out


def req_items_in_request_order(req, ordered):
    """The items in the order the client sent them (responses may come in any order; this one is stable)."""
    body = json.loads(req.body.decode("utf-8"))
    pos = {it["id"].lower(): i for i, it in enumerate(body["requests"])}
    return sorted(ordered, key=lambda it: pos[it["id"].lower()])

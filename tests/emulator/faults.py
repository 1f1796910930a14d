"""Fault rules (README "Fault rules"): which requests fail, and how."""

import random
import re
import threading
import time

from tests.emulator import transport

ACTIONS = {"status", "reset", "reset_after", "stall", "malformed", "bomb", "expire_token", "latency", "encode"}
BODIES = ("graph", "html", "empty")


class FaultRule:
    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault rule is a JSON object")
        unknown = set(spec) - {"method", "path", "status", "retry_after", "rate", "count", "latency_ms",
                               "action", "batch_item", "code", "message", "stall_s", "body", "encoding", "bomb_mb",
                                  "once"}
        if unknown:
            raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
        self.method = (spec.get("method") or "").upper() or None
        self.path_text = spec.get("path")
        self.path = re.compile(self.path_text) if self.path_text else None
        self.action = spec.get("action") or ("status" if "status" in spec else None)
        if self.action is None:
            raise ValueError("a fault rule needs 'action' or 'status'")
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}")
        self.status = int(spec.get("status", 500))
        if self.action == "status" and not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status")
        ra = spec.get("retry_after")
        self.retry_after = None if ra is None else str(ra)
        self.rate = float(spec.get("rate", 1.0))
        self.count = None if spec.get("count") is None else int(spec["count"])
        self.latency_ms = float(spec.get("latency_ms", 0))
        self.stall_s = float(spec.get("stall_s", 3600))
        self.bomb_mb = float(spec.get("bomb_mb", 60))
        self.batch_item = bool(spec.get("batch_item", False))
        self.code = spec.get("code")
        self.message = spec.get("message")
        self.body = spec.get("body", "graph")    # status answers: Graph's JSON error, a gateway's HTML, nothing
        if self.body not in BODIES:
            raise ValueError(f"body must be one of {BODIES}")
        self.encoding = transport.parse_words(str(spec.get("encoding", "")), "encoding")
        if self.action == "encode" and not self.encoding:
            raise ValueError("action 'encode' needs 'encoding' (chunked, gzip or both)")
        # once: Graph's throttling as a client meets it: a request the rule throttled (method and
        # path) is served when it comes back after its Retry-After; earlier, it is throttled again
        # and counted in `early` (a client sending faster than Retry-After allows)
        self.once = bool(spec.get("once", False))
        if self.once and (self.retry_after is None or self.action != "status"):
            raise ValueError("'once' needs action 'status' and 'retry_after'")
        self.early = 0
        self.hits = 0
        self.batched = 0         # $batch items this rule would have hit had it been batch_item (below)

    def matches(self, method, path, batch_item):
        if self.batch_item != batch_item:
            return False
        if self.method and self.method != method.upper():
            return False
        if self.path and not self.path.search(path):
            return False
        return True


class Faults:
    def __init__(self, seed=1):
        self.lock = threading.Lock()
        self.rules = []
        self.rng = random.Random(f"faults/{seed}")
        self.throttled = {}      # (method, path) -> (until, rule) of the `once` rule that throttled it

    def replace(self, specs):
        rules = [FaultRule(s) for s in specs]  # raises ValueError before anything changes
        with self.lock:
            self.rules = rules
            self.throttled = {}

    def clear(self):
        with self.lock:
            self.rules = []
            self.throttled = {}

    def _once_seen(self, key, batch_item):
        """For a request a `once` rule throttled before: that rule when it came back too early,
        else False (served: no `once` rule hits it again). None for a request never throttled."""
        seen = self.throttled.get(key)
        if seen is None:
            return None
        until, rule = seen
        if time.monotonic() < until and rule in self.rules and rule.batch_item == batch_item:
            rule.early += 1
            rule.hits += 1
            return rule
        return False

    def pick(self, method, path, batch_item=False):
        """The first matching rule that hits this request (counting the hit), or None."""
        with self.lock:
            key = (method.upper(), path)
            seen = self._once_seen(key, batch_item) if self.throttled else None
            if seen:
                return seen
            for r in self.rules:
                if not r.matches(method, path, batch_item) or (r.once and seen is False):
                    continue
                if r.count is not None and r.hits >= r.count:
                    continue
                if r.rate < 1.0 and self.rng.random() >= r.rate:
                    continue
                r.hits += 1
                if r.once:
                    self.throttled[key] = (time.monotonic() + float(r.retry_after), r)
                return r
        return None

    def missed_batch_item(self, method, path):
        """A $batch item arrived that a rule without `batch_item` matches: that rule can never
        hit it (the client batches these requests), which makes fault tests easy to write wrong.
        Counts it on the rule (`batched` in GET /_emulator/faults) and returns a warning for the
        emulator's log the first time per rule, else None."""
        with self.lock:
            for r in self.rules:
                if r.matches(method, path, False):
                    r.batched += 1
                    if r.batched == 1:
                        return (f"warning: fault rule {r.method or '*'} {r.path_text or '*'} ({r.action}) matches "
                                f"{method} {path}, which came inside a $batch: the rule has no \"batch_item\": "
                                "true, so it never hits batched requests")
        return None

    def describe(self):
        with self.lock:
            return [{"method": r.method, "path": r.path_text, "action": r.action, "status": r.status,
                     "hits": r.hits, "count": r.count, "rate": r.rate, "batch_item": r.batch_item,
                     "batched": r.batched, "once": r.once, "early": r.early}
                    for r in self.rules]

"""GET /auditLogs/provisioning: $filter (eq, contains, gt, lt, and, or, not, parentheses; values
compared case-sensitively), $orderby (activityDateTime), $top, $skiptoken paging with
@odata.nextLink, the reports throttle (5 requests per 10 s per application and tenant, settings
log_rate_limit / log_rate_window_s) and the permission and licence checks
(provisioning-admin-needs.md §3.2)."""

import base64
import datetime
import json
import math
import re
import threading
import time
import urllib.parse

from tests.emulator import odata_filter
from tests.emulator.envelope import GraphError, Response, context_url, throttle_inner
from tests.emulator.odata_filter import invalid
from tests.emulator.provisioning_log import for_version

DEFAULT_PAGE = 50
MAX_PAGE = 1000
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<date>\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d))"
                    r"|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_/]*)|(?P<punct>[(),]))")
_DATE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def date_key(text):
    """A sortable key of a DateTimeOffset in UTC: (seconds text, fraction padded), or None."""
    m = _DATE.match(text or "")
    if not m:
        return None
    base = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    if m.group(3) != "Z":
        sign = 1 if m.group(3)[0] == "+" else -1
        base -= sign * datetime.timedelta(hours=int(m.group(3)[1:3]), minutes=int(m.group(3)[4:6]))
    return (base.strftime("%Y%m%d%H%M%S"), (m.group(2) or "").ljust(7, "0")[:7])


def tokenize(text):
    return odata_filter.tokenize(text, _TOKEN)


def lookup(event, path):
    """The value at a property path like `provisioningStatusInfo/status`; KeyError if not a property.
    Property names match in any case (bulkUpload's Location header writes `jobid`); values do not."""
    cur = event
    for part in path.split("/"):
        if isinstance(cur, list):        # servicePrincipal is typed as a collection in the docs
            cur = cur[0] if cur else {}
        if cur is None:
            return None
        key = next((k for k in cur if k.lower() == part.lower()), None) if isinstance(cur, dict) else None
        if key is None:
            raise KeyError(path)
        cur = cur[key]
    return cur


class Filter:
    """A parsed $filter; `matches(event)`."""

    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.tree = self._or()
        if self.i != len(self.toks):
            raise invalid(f"Syntax error at '{self.toks[self.i][1]}' in '{text}'.")

    def _peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def _take(self, kind=None, value=None):
        t = self._peek()
        if t[0] is None or (kind and t[0] != kind) or (value and t[1] != value):
            raise invalid(f"Syntax error: expected {value or kind or 'a token'} in '{self.text}'.")
        self.i += 1
        return t

    def _or(self):
        left = self._and()
        while self._peek() == ("name", "or"):
            self._take()
            left = ("or", left, self._and())
        return left

    def _and(self):
        left = self._unary()
        while self._peek() == ("name", "and"):
            self._take()
            left = ("and", left, self._unary())
        return left

    def _unary(self):
        t = self._peek()
        if t == ("name", "not"):
            self._take()
            return ("not", self._unary())
        if t == ("punct", "("):
            self._take()
            e = self._or()
            self._take("punct", ")")
            return e
        if t == ("name", "contains") and self.toks[self.i + 1:self.i + 2] == [("punct", "(")]:
            self._take()
            self._take("punct", "(")
            prop = self._take("name")[1]
            self._take("punct", ",")
            value = self._take("str")[1]
            self._take("punct", ")")
            return ("contains", prop, value)
        prop = self._take("name")[1]
        op = self._take("name")[1]
        if op not in ("eq", "ne", "gt", "lt", "ge", "le"):
            raise invalid(f"Unsupported operator '{op}' in '{self.text}'.")
        kind, value = self._take()
        if kind == "name" and value in ("null", "true", "false"):
            value = {"null": None, "true": True, "false": False}[value]
        elif kind == "num":
            value = int(value)
        elif kind not in ("str", "date"):
            raise invalid(f"Syntax error: expected a literal after '{op}' in '{self.text}'.")
        return ("cmp", prop, op, value)

    def matches(self, event):
        return self._eval(self.tree, event)

    def _eval(self, node, e):
        kind = node[0]
        if kind == "and":
            return self._eval(node[1], e) and self._eval(node[2], e)
        if kind == "or":
            return self._eval(node[1], e) or self._eval(node[2], e)
        if kind == "not":
            return not self._eval(node[1], e)
        actual = self._value(e, node[1])
        if kind == "contains":
            return isinstance(actual, str) and node[2] in actual
        _, prop, op, want = node
        if prop.lower() == "activitydatetime":
            a, w = date_key(actual), date_key(want if isinstance(want, str) else "")
            if w is None:
                raise invalid(f"'{want}' is not a DateTimeOffset in '{self.text}'.")
        else:
            a, w = actual, want
        if op in ("eq", "ne"):
            return (a == w) == (op == "eq")
        if a is None or w is None or type(a) is not type(w):
            return False
        return {"gt": a > w, "lt": a < w, "ge": a >= w, "le": a <= w}[op]

    def _value(self, e, prop):
        try:
            return lookup(e, prop)
        except KeyError:
            raise GraphError(400, "BadRequest", f"Could not find a property named '{prop.split('/')[-1]}' on "
                             "type 'microsoft.graph.provisioningObjectSummary'.")


class Throttle:
    """Sliding window of request times per (application, tenant); `lock` guards `times`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.times = {}

    def check(self, key, limit, window_s):
        now = time.monotonic()
        with self.lock:
            times = self.times.setdefault(key, [])
            while times and now - times[0] >= window_s:
                times.pop(0)
            if len(times) >= limit:
                wait = max(window_s - (now - times[0]), 0.001)
                raise GraphError(429, "TooManyRequests", "Too many requests.",
                                 {"Retry-After": str(max(1, math.ceil(wait)))}, throttle_inner(429))
            times.append(now)


def _skiptoken(position):
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def _position(token):
    try:
        pos = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not (isinstance(pos, list) and len(pos) == 2 and isinstance(pos[1], int)):
            raise ValueError
        return pos
    except ValueError:
        raise GraphError(400, "BadRequest", "The $skiptoken is not valid.")


def _order(req):
    text = (req.option("$orderby") or "activityDateTime desc").strip()   # newest first unless asked
    parts = text.split()
    if not parts or parts[0] != "activityDateTime" or len(parts) > 2 or \
            (len(parts) == 2 and parts[1] not in ("asc", "desc")):
        raise GraphError(400, "BadRequest", f"$orderby is supported on activityDateTime only, got '{text}'.")
    return len(parts) == 2 and parts[1] == "desc"


def _top(req):
    text = req.option("$top")
    if text is None:
        return DEFAULT_PAGE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise GraphError(400, "BadRequest", f"Invalid $top value '{text}': 1 to {MAX_PAGE}.")
    return int(text)


def app_key(app, req):
    auth = req.header("Authorization") or ""
    claims = app.tokens.claims(auth.partition(" ")[2].strip()) if auth.lower().startswith("bearer ") else None
    return ((claims or {}).get("appid") or "anonymous", app.tenant.id)


def check_access(app):
    access = app.settings.audit_log_access
    if access == "denied":
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    if access == "unlicensed":
        raise GraphError(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                         "Neither tenant is B2C or tenant doesn't have premium license")


def list_provisioning(app, req, version):
    check_access(app)
    s = app.settings
    app.log_throttle.check(app_key(app, req), s.log_rate_limit, s.log_rate_window_s)
    text = req.option("$filter")
    flt = Filter(text) if text and text.strip() else None
    desc = _order(req)
    top = min(_top(req), max(1, s.log_page_max))   # server-driven paging: fewer than $top
    rows = [(i, t, e) for i, (t, e) in enumerate(app.provisioning_log.snapshot()) if flt is None or flt.matches(e)]
    rows.sort(key=lambda r: (r[1], r[0]), reverse=desc)
    token = req.option("$skiptoken")
    if token:
        after = _position(token)
        rows = [r for r in rows if ((r[1].isoformat(), r[0]) < tuple(after)) == desc
                and (r[1].isoformat(), r[0]) != tuple(after)]
    page, more = rows[:top], len(rows) > top
    body = {"@odata.context": context_url(version, "auditLogs/provisioning")}
    if more:
        last = page[-1]
        query = [(k, v) for k, v in urllib.parse.parse_qsl(req.query, keep_blank_values=True) if k != "$skiptoken"]
        query.append(("$skiptoken", _skiptoken([last[1].isoformat(), last[0]])))
        body["@odata.nextLink"] = (f"{req.base_url}/{version}/auditLogs/provisioning?"
                                   + urllib.parse.urlencode(query, quote_via=urllib.parse.quote, safe="$'/,:"))
    body["value"] = [for_version(e, version) for _, _, e in page]
    return Response(200, body)

"""$filter for /servicePrincipals: a small OData expression parser and matcher.

Supported (as Graph supports them on servicePrincipal by default): eq, ne, ge, le, in, not,
and, or, parentheses, startswith(); on displayName, appId, id, appDisplayName,
servicePrincipalType, accountEnabled, appOwnerOrganizationId; the lambda `tags/any(t:t eq 'x')`
(also with startswith(t,'x')) on the tags collection. Advanced queries (ConsistencyLevel:
eventual and $count=true) add endswith(); without them endswith is refused as Graph refuses it.
Strings compare case-insensitively.
"""

import re

from tests.emulator.envelope import GraphError

PROPERTIES = {"displayname": "displayName", "appid": "appId", "id": "id", "appdisplayname": "appDisplayName",
              "serviceprincipaltype": "servicePrincipalType", "accountenabled": "accountEnabled",
              "appownerorganizationid": "appOwnerOrganizationId"}
COLLECTIONS = {"tags": "tags"}   # string collections usable in any()
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_/]*)"
                    r"|(?P<punct>[(),:]))")
ADVANCED_ONLY = ("Operator 'endsWith' is not supported because the required parameters might be missing. Try adding "
                 "$count=true query parameter and ConsistencyLevel:eventual header. Refer to "
                 "https://aka.ms/graph-aad-query-advanced for more information")


def invalid(detail):
    return GraphError(400, "BadRequest", f"Invalid filter clause: {detail}")


def unsupported(prop):
    return GraphError(400, "Request_UnsupportedQuery",
                      f"Unsupported or invalid query filter clause specified for property '{prop}' of resource "
                      "'ServicePrincipal'.")


def tokenize(text, token=_TOKEN):
    """OData $filter tokens; `token` is the pattern of the endpoint's own words."""
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = token.match(text, pos)
        if not m or m.end() == pos:
            raise invalid(f"Syntax error at position {pos} in '{text}'.")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = val[1:-1].replace("''", "'")
        out.append((kind, val))
    return out


class _Parser:
    def __init__(self, text, advanced):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.advanced = advanced
        self.var = None           # the range variable inside any(...)

    def peek(self, n=0):
        return self.toks[self.i + n] if self.i + n < len(self.toks) else (None, None)

    def take(self, kind=None, value=None):
        t = self.peek()
        if t[0] is None or (kind and t[0] != kind) or (value and str(t[1]).lower() != value):
            want = value or kind or "a token"
            raise invalid(f"Syntax error: expected {want} in '{self.text}'.")
        self.i += 1
        return t

    def parse(self):
        e = self.or_expr()
        if self.peek()[0] is not None:
            raise invalid(f"Syntax error at '{self.peek()[1]}' in '{self.text}'.")
        return e

    def or_expr(self):
        left = self.and_expr()
        while self.peek()[0] == "name" and self.peek()[1].lower() == "or":
            self.take()
            right = self.and_expr()
            left = ("or", left, right)
        return left

    def and_expr(self):
        left = self.unary()
        while self.peek()[0] == "name" and self.peek()[1].lower() == "and":
            self.take()
            right = self.unary()
            left = ("and", left, right)
        return left

    def unary(self):
        t = self.peek()
        if t[0] == "name" and t[1].lower() == "not":
            self.take()
            return ("not", self.unary())
        if t == ("punct", "("):
            self.take()
            e = self.or_expr()
            self.take("punct", ")")
            return e
        if t[0] == "name" and self.peek(1) == ("punct", "("):
            return self.call()
        return self.comparison()

    def prop(self):
        t = self.take("name")
        if self.var is not None and t[1] == self.var:
            return ("var",)
        p = PROPERTIES.get(t[1].lower())
        if p is None:
            raise unsupported(t[1])
        return p

    def literal(self):
        t = self.take()
        if t[0] == "str":
            return t[1]
        if t[0] == "num":
            return t[1]
        if t[0] == "name" and t[1].lower() in ("true", "false"):
            return t[1].lower() == "true"
        if t[0] == "name" and t[1].lower() == "null":
            return None
        raise invalid(f"Syntax error: a literal was expected in '{self.text}'.")

    def call(self):
        name = self.take("name")[1].lower()
        self.take("punct", "(")
        if name.endswith("/any"):
            return self.any_lambda(name[:-4])
        if name == "endswith" and not self.advanced:
            raise GraphError(400, "Request_UnsupportedQuery", ADVANCED_ONLY)
        if name not in ("startswith", "endswith"):
            raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported Query: the function '{name}' is not "
                             "supported on resource 'ServicePrincipal'.")
        p = self.prop()
        self.take("punct", ",")
        lit = self.literal()
        self.take("punct", ")")
        return (name, p, lit)

    def any_lambda(self, collection):
        """tags/any(t:t eq 'x') or tags/any(t:startswith(t,'x')); the "(" is taken."""
        coll = COLLECTIONS.get(collection.lower())
        if coll is None:
            raise unsupported(collection)
        if self.var is not None:
            raise invalid(f"nested any() in '{self.text}'.")
        self.var = self.take("name")[1]
        self.take("punct", ":")
        body = self.call() if self.peek(1) == ("punct", "(") else self.comparison()
        self.take("punct", ")")
        self.var = None
        return ("any", coll, body)

    def comparison(self):
        p = self.prop()
        op = self.take("name")[1].lower()
        if op == "in":
            self.take("punct", "(")
            vals = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take()
                vals.append(self.literal())
            self.take("punct", ")")
            return ("in", p, vals)
        if op not in ("eq", "ne", "ge", "le"):
            raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported Query: operator '{op}' is not supported "
                             f"for property '{p}'.")
        return (op, p, self.literal())


def parse(text, advanced=False):
    """The expression tree; `advanced`: the request is an advanced query (ConsistencyLevel:
    eventual and $count=true)."""
    if not text or not text.strip():
        raise invalid("the filter is empty.")
    return _Parser(text, advanced).parse()


def _norm(v):
    return v.lower() if isinstance(v, str) else v


def matches(node, get):
    """`get(property)` gives the value of a property of the candidate."""
    op = node[0]
    if op == "and":
        return matches(node[1], get) and matches(node[2], get)
    if op == "or":
        return matches(node[1], get) or matches(node[2], get)
    if op == "not":
        return not matches(node[1], get)
    if op == "any":
        values = get(node[1]) or []
        return any(matches(node[2], lambda p, x=x: x if p == ("var",) else get(p)) for x in values)
    v = get(node[1])
    if op == "startswith":
        return isinstance(v, str) and isinstance(node[2], str) and v.lower().startswith(node[2].lower())
    if op == "endswith":
        return isinstance(v, str) and isinstance(node[2], str) and v.lower().endswith(node[2].lower())
    if op == "in":
        return _norm(v) in [_norm(x) for x in node[2]]
    lit = node[2]
    a, b = _norm(v), _norm(lit)
    if op == "eq":
        return a == b
    if op == "ne":
        return a != b
    if a is None or b is None:
        return False
    if op == "ge":
        return str(a) >= str(b)
    if op == "le":
        return str(a) <= str(b)
    return False

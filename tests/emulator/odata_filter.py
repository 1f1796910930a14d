"""$filter for /servicePrincipals: a small OData expression parser and matcher.

Supported (as Graph supports them on servicePrincipal by default): eq, ne, ge, le, in, not,
and, or, parentheses, startswith(); on displayName, appId, id, appDisplayName,
servicePrincipalType, accountEnabled, appOwnerOrganizationId. Strings compare case-insensitively.
"""

import re

from tests.emulator.envelope import GraphError

PROPERTIES = {"displayname": "displayName", "appid": "appId", "id": "id", "appdisplayname": "appDisplayName",
              "serviceprincipaltype": "servicePrincipalType", "accountenabled": "accountEnabled",
              "appownerorganizationid": "appOwnerOrganizationId"}
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_/]*)"
                    r"|(?P<punct>[(),]))")


def invalid(detail):
    return GraphError(400, "BadRequest", f"Invalid filter clause: {detail}")


def unsupported(prop):
    return GraphError(400, "Request_UnsupportedQuery",
                      f"Unsupported or invalid query filter clause specified for property '{prop}' of resource "
                      "'ServicePrincipal'.")


def tokenize(text):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
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
    def __init__(self, text):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

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
        if name not in ("startswith",):
            raise GraphError(400, "Request_UnsupportedQuery", f"Unsupported Query: the function '{name}' is not "
                             "supported on resource 'ServicePrincipal'.")
        p = self.prop()
        self.take("punct", ",")
        lit = self.literal()
        self.take("punct", ")")
        return ("startswith", p, lit)

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


def parse(text):
    if not text or not text.strip():
        raise invalid("the filter is empty.")
    return _Parser(text).parse()


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
    v = get(node[1])
    if op == "startswith":
        return isinstance(v, str) and isinstance(node[2], str) and v.lower().startswith(node[2].lower())
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

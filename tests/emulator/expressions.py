"""The attribute-mapping expression language: parser into Graph's attributeMappingSource tree,
and an evaluator for parseExpression's testInputObject (graph-sync-api.md §3.13, §4.16).

    expression := function | "[" attribute "]" | "\"" constant "\"" | number
    function   := Name "(" [slot ("," slot)*] ")"      a slot may be empty: "Replace([a], , ,)"
"""

import base64
import datetime
import random
import re
import string
import unicodedata
import uuid

from tests.emulator.functions import BY_NAME


class ParseError(Exception):
    def __init__(self, message, position):
        super().__init__(message)
        self.position = position


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def ws(self):
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def fail(self, message):
        raise ParseError(f"{message} at position {self.pos}.", self.pos)

    def parse(self):
        self.ws()
        if not self.peek():
            self.fail("The expression is empty")
        node = self.expr()
        self.ws()
        if self.pos != len(self.text):
            self.fail(f"Unexpected character '{self.peek()}'")
        return node

    def expr(self):
        self.ws()
        c = self.peek()
        start = self.pos
        if c == "[":
            end = self.attribute_end()
            name = self.text[self.pos + 1:end]
            if not name.strip():
                self.fail("Empty attribute name")
            self.pos = end + 1
            return {"type": "Attribute", "name": name, "expression": self.text[start:self.pos], "parameters": []}
        if c == '"':
            self.pos += 1
            out = []
            while True:
                if self.pos >= len(self.text):
                    self.pos = start
                    self.fail("Unterminated string constant")
                ch = self.text[self.pos]
                if ch == "\\" and self.pos + 1 < len(self.text):
                    out.append(self.text[self.pos + 1])
                    self.pos += 2
                    continue
                if ch == '"':
                    self.pos += 1
                    break
                out.append(ch)
                self.pos += 1
            return {"type": "Constant", "name": "".join(out), "expression": self.text[start:self.pos], "parameters": []}
        m = re.compile(r"-?\d+(\.\d+)?").match(self.text, self.pos)
        if m:
            self.pos = m.end()
            return {"type": "Constant", "name": m.group(0), "expression": m.group(0), "parameters": []}
        m = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.text, self.pos)
        if not m:
            self.fail("Expected a function, an [attribute] or a \"constant\"" if c else "Unexpected end of the expression")
        name = m.group(0)
        self.pos = m.end()
        self.ws()
        if self.peek() != "(":
            self.fail(f"Expected '(' after '{name}'")
        known = BY_NAME.get(name.lower())
        if known is None:
            self.pos = start
            self.fail(f"Unknown function '{name}'")
        self.pos += 1
        slots = self.slots()
        node = {"type": "Function", "name": known[0], "expression": self.text[start:self.pos].strip(),
                "parameters": self.bind(known[0], known[1], slots, start)}
        return node

    def attribute_end(self):
        """Index of the ']' closing the attribute at self.pos; names may hold brackets and quotes,
        as in [addresses[type eq "work"].locality]."""
        depth, i, quoted = 0, self.pos, False
        while i < len(self.text):
            c = self.text[i]
            if quoted:
                quoted = c != '"'
            elif c == '"':
                quoted = True
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth == 0:
                    return i
            i += 1
        self.fail("Missing ']' after an attribute name")

    def slots(self):
        """Arguments up to the closing ')': a list with None for empty slots."""
        slots = []
        self.ws()
        if self.peek() == ")":
            self.pos += 1
            return slots
        while True:
            self.ws()
            if self.peek() in (",", ")"):
                slots.append(None)
            else:
                slots.append(self.expr())
                self.ws()
            c = self.peek()
            if c == ",":
                self.pos += 1
                continue
            if c == ")":
                self.pos += 1
                return slots
            self.fail("Expected ',' or ')'" if c else "Missing ')'")

    def bind(self, fname, params, slots, where):
        """Names each non-empty slot with the function's parameter name; the trailing parameters
        that allow multiple occurrences repeat as a group."""
        names = []
        fixed = [p for p in params if not p[3]]
        repeat = [p for p in params if p[3]]
        for i in range(len(slots)):
            if i < len(params) and (i < len(fixed) or not repeat):
                names.append(params[i])
            elif repeat:
                k = (i - len(fixed)) % len(repeat)
                names.append(repeat[k])
            else:
                self.pos = where
                self.fail(f"Too many parameters for function '{fname}' (it takes {len(params)})")
        for i, p in enumerate(params):
            filled = i < len(slots) and slots[i] is not None
            if p[2] and not filled and not (p[3] and any(s is not None for j, s in enumerate(slots)
                                                          if j >= i and names[j][0] == p[0])):
                self.pos = where
                self.fail(f"Function '{fname}' requires its parameter '{p[0]}'")
        return [{"key": names[i][0], "value": s} for i, s in enumerate(slots) if s is not None]


def parse(text):
    """The attributeMappingSource tree of `text`; raises ParseError."""
    if not isinstance(text, str):
        raise ParseError("The expression must be a string.", 0)
    return _Parser(text).parse()


# ---------------------------------------------------------------- evaluation

class EvalError(Exception):
    pass


def _first(v):
    if isinstance(v, list):
        return v[0] if v else None
    return v


def _text(v):
    v = _first(v)
    return None if v is None else str(v)


def _bool(v):
    v = _text(v)
    if v is None:
        return False
    if v.lower() in ("true", "1", "yes"):
        return True
    try:
        return float(v) != 0
    except ValueError:
        return False


def _b(x):
    return "True" if x else "False"


def _int(v, what):
    try:
        return int(float(_text(v)))
    except (TypeError, ValueError):
        raise EvalError(f"'{_text(v)}' is not a valid {what}.")


_NET_FORMAT = [("yyyy", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dddd", "%A"),
               ("ddd", "%a"), ("dd", "%d"), ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"),
               ("fffffff", "%f0"), ("ffffff", "%f"), ("fff", "%f"), ("tt", "%p"), ("zzz", "%z"), ("K", "%z")]


def _net_to_py(fmt):
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "'":
            j = fmt.find("'", i + 1)
            j = len(fmt) if j < 0 else j
            out.append(fmt[i + 1:j].replace("%", "%%"))
            i = j + 1
            continue
        for net, py in _NET_FORMAT:
            if fmt.startswith(net, i):
                out.append(py)
                i += len(net)
                break
        else:
            out.append("%%" if fmt[i] == "%" else fmt[i])
            i += 1
    return "".join(out)


def _parse_date(v):
    s = _text(v)
    if s is None:
        return None
    for f in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%Y%m%d%H%M%S.0Z",
              "%m/%d/%Y", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            d = datetime.datetime.strptime(s, f)
            return d if d.tzinfo else d.replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    raise EvalError(f"'{s}' is not a valid date.")


_FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)
_DIACRITIC_EXTRA = {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L",
                    "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH"}


def _replace(a):
    src, find, pattern, group, repl, repl_attr, template = (a.get(k) for k in (
        "source", "Find", "RegexPattern", "RegexGroupName", "Replacement", "ReplacementAttributeName", "Template"))
    if repl is None and repl_attr is not None:
        repl = repl_attr
    s, repl = _text(src), _text(repl)
    if template is not None and find is not None:
        return _text(template).replace(_text(find), s or "")
    if s is None:
        return None
    if find is not None:
        return s.replace(_text(find), repl or "")
    if pattern is not None:
        rx = re.compile(_text(pattern))
        if group is not None:
            def sub(m):
                whole = m.group(0)
                g = _text(group)
                try:
                    st, en = m.span(g)
                except (IndexError, error_type):
                    return whole
                return whole[:st - m.start()] + (repl or "") + whole[en - m.start():]
            error_type = re.error
            return rx.sub(sub, s)
        return rx.sub((repl or "").replace("\\", "\\\\"), s)
    return s


def _switch(args):
    src = _text(args[0][1]) if args else None
    default = None
    rest = []
    for k, v in args[1:]:
        if k == "defaultValue":
            default = v
        else:
            rest.append((k, v))
    for i in range(0, len(rest) - 1, 2):
        if _text(rest[i][1]) == src:
            return rest[i + 1][1]
    return default


class Evaluator:
    def __init__(self, properties, default_domain="contoso.com"):
        self.props = {}
        for kv in properties or []:
            if isinstance(kv, dict) and "key" in kv:
                self.props[str(kv["key"]).lower()] = kv.get("value")
        self.default_domain = default_domain

    def eval(self, node):
        t = node.get("type")
        if t == "Constant":
            return node.get("name")
        if t == "Attribute":
            return self.props.get(str(node.get("name", "")).lower())
        args = [(p["key"], self.eval(p["value"])) for p in node.get("parameters", [])]
        return self.call(node["name"], args)

    def call(self, name, args):
        a = {}
        for k, v in args:
            a.setdefault(k, v)
        many = lambda key: [v for k, v in args if k == key]  # noqa: E731
        t = lambda key: _text(a.get(key))  # noqa: E731
        n = name
        if n == "Append":
            return (t("source") or "") + (t("suffix") or "") if t("source") is not None else None
        if n in ("AppRoleAssignments", "AppRoleAssignmentsComplex"):
            v = a.get("source")
            return v if isinstance(v, list) else ([] if v is None else [v])
        if n == "SingleAppRoleAssignment":
            return _first(a.get("source"))
        if n == "AssertionIssuer":
            return "https://sts.windows.net/"
        if n == "BitAnd":
            return str(_int(a.get("value1"), "integer") & _int(a.get("value2"), "integer"))
        if n == "CBool":
            return _b(_bool(a.get("Expression")))
        if n == "CDate":
            d = _parse_date(a.get("Expression"))
            return None if d is None else d.strftime("%Y-%m-%dT%H:%M:%SZ")
        if n == "CStr":
            return t("value")
        if n == "Coalesce":
            for v in many("source"):
                if _text(v) not in (None, ""):
                    return v
            return None
        if n == "ConvertToBase64":
            return None if t("source") is None else base64.b64encode(t("source").encode("utf-16-le")).decode()
        if n == "ConvertToUTF8Hex":
            return None if t("source") is None else t("source").encode("utf-8").hex().upper()
        if n == "Count":
            v = a.get("attribute")
            return str(len(v) if isinstance(v, list) else (0 if v is None else 1))
        if n == "DateAdd":
            d = _parse_date(a.get("dateTime"))
            if d is None:
                return None
            units = {"yyyy": 525600, "m": 43200, "d": 1440, "h": 60, "n": 1, "s": 1 / 60.0, "ww": 10080}
            unit = (t("interval") or "d").lower()
            if unit not in units:
                raise EvalError(f"Unknown interval '{t('interval')}'.")
            d += datetime.timedelta(minutes=units[unit] * _int(a.get("value"), "integer"))
            return d.strftime("%Y-%m-%dT%H:%M:%SZ")
        if n == "DateDiff":
            d1, d2 = _parse_date(a.get("date1")), _parse_date(a.get("date2"))
            if d1 is None or d2 is None:
                return None
            secs = (d2 - d1).total_seconds()
            per = {"yyyy": 31536000, "m": 2592000, "d": 86400, "h": 3600, "n": 60, "s": 1, "ww": 604800}
            return str(int(secs // per.get((t("interval") or "d").lower(), 86400)))
        if n == "DateFromNum":
            ticks = _int(a.get("value"), "integer")
            return (_FILETIME_EPOCH + datetime.timedelta(microseconds=ticks // 10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        if n == "NumFromDate":
            d = _parse_date(a.get("value"))
            return None if d is None else str(int((d - _FILETIME_EPOCH).total_seconds() * 10_000_000))
        if n == "DefaultDomain":
            return self.default_domain
        if n == "FormatDateTime":
            s = t("source")
            if s is None:
                return None
            try:
                d = datetime.datetime.strptime(s, _net_to_py(t("inputFormat") or ""))
            except ValueError:
                raise EvalError(f"The value '{s}' does not match the input format '{t('inputFormat')}'.")
            return d.strftime(_net_to_py(t("outputFormat") or ""))
        if n == "Guid":
            return str(uuid.uuid4())
        if n == "IgnoreFlowIfNullOrEmpty":
            v = a.get("expression")
            return None if _text(v) in (None, "") else v
        if n == "IIF":
            return a.get("valueIfTrue") if _bool(a.get("condition")) else a.get("valueIfFalse")
        if n == "InStr":
            v1, v2 = t("value1"), t("value2")
            if v1 is None or v2 is None:
                return None
            start = _int(a["start"], "integer") if a.get("start") is not None else 1
            if (t("compareType") or "").lower() == "text":
                v1, v2 = v1.lower(), v2.lower()
            return str(v1.find(v2, max(start - 1, 0)) + 1)
        if n == "IsNull":
            return _b(a.get("Expression") is None)
        if n == "IsNullOrEmpty":
            return _b(_text(a.get("Expression")) in (None, ""))
        if n == "IsPresent":
            return _b(_text(a.get("Expression")) not in (None, ""))
        if n == "IsString":
            return _b(isinstance(_first(a.get("Expression")), str))
        if n == "Item":
            v = a.get("attribute")
            v = v if isinstance(v, list) else ([] if v is None else [v])
            i = _int(a.get("index"), "integer")
            return v[i] if 0 <= i < len(v) else None
        if n == "Join":
            sep = t("separator") or ""
            parts = []
            for v in many("source"):
                if isinstance(v, list):
                    parts.extend(str(x) for x in v)
                elif v is not None:
                    parts.append(str(v))
            return sep.join(parts)
        if n == "Left":
            s = t("String")
            return None if s is None else s[:max(_int(a.get("NumChars"), "integer"), 0)]
        if n == "Mid":
            s = t("source")
            if s is None:
                return None
            start = _int(a.get("start"), "integer")
            return s[max(start - 1, 0):max(start - 1, 0) + max(_int(a.get("length"), "integer"), 0)]
        if n == "NormalizeDiacritics":
            s = t("source")
            if s is None:
                return None
            s = "".join(_DIACRITIC_EXTRA.get(c, c) for c in s)
            return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
        if n == "Not":
            return _b(not _bool(a.get("source")))
        if n == "Now":
            return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        if n == "PCase":
            s = t("source")
            if s is None:
                return None
            seps = t("wordSeparators") or " "
            out, up = [], True
            for c in s:
                out.append(c.upper() if up else c.lower())
                up = c in seps
            return "".join(out)
        if n == "RandomString":
            length = _int(a.get("Length"), "integer")
            avoid = set(t("CharactersToAvoid") or "")
            pool = [c for c in string.ascii_letters + string.digits + "!#$%&*+-=?@^_" if c not in avoid]
            return "".join(random.choice(pool) for _ in range(max(length, 0)))
        if n == "Redact":
            return None if a.get("source") is None else "*****"
        if n == "RemoveDuplicates":
            v = a.get("attribute")
            if not isinstance(v, list):
                return v
            seen, out = set(), []
            for x in v:
                if str(x).lower() not in seen:
                    seen.add(str(x).lower())
                    out.append(x)
            return out
        if n == "Replace":
            return _replace(a)
        if n == "SelectUniqueValue":
            for v in many("uniqueValueRule"):
                if _text(v) not in (None, ""):
                    return v
            return None
        if n == "Split":
            s = t("source")
            return None if s is None else s.split(t("delimiter") or ",")
        if n == "StripSpaces":
            s = t("source")
            return None if s is None else s.replace(" ", "")
        if n == "Switch":
            return _switch(args)
        if n == "ToLower":
            s = t("source")
            return None if s is None else s.lower()
        if n == "ToUpper":
            s = t("source")
            return None if s is None else s.upper()
        if n == "Trim":
            s = t("source")
            return None if s is None else s.strip()
        if n == "Word":
            s = t("String")
            if s is None:
                return None
            words = [w for w in re.split("[" + re.escape(t("Delimiters") or " ") + "]", s) if w]
            i = _int(a.get("WordNumber"), "integer")
            return words[i - 1] if 1 <= i <= len(words) else None
        raise EvalError(f"The function '{name}' cannot be evaluated.")


def as_result(value):
    """evaluationResult (String[]) of a value."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def parse_expression_response(body, default_domain="contoso.com"):
    """parseExpressionResponse for a parseExpression request body."""
    expression = body.get("expression")
    try:
        tree = parse(expression)
    except ParseError as e:
        return {"error": {"code": "ExpressionParsingFailed", "message": str(e), "target": "expression",
                          "details": [], "innerError": None},
                "evaluationResult": None, "evaluationSucceeded": False, "parsedExpression": None,
                "parsingSucceeded": False}
    test = body.get("testInputObject")
    result, ok, error = None, False, None
    if isinstance(test, dict):
        try:
            result = as_result(Evaluator(test.get("properties"), default_domain).eval(tree))
            ok = True
        except EvalError as e:
            error = {"code": "ExpressionEvaluationFailed", "message": str(e), "target": "testInputObject",
                     "details": [], "innerError": None}
    return {"error": error, "evaluationSucceeded": ok, "evaluationResult": result, "parsingSucceeded": True,
            "parsedExpression": tree}

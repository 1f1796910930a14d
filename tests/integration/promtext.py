"""A strict reader of the Prometheus text exposition format (version 0.0.4), with the lint
rules of `promtool check metrics` (promlint), for tests where promtool is not installed.

parse(text) -> {family: {"type", "help", "samples": [(name, {label: value}, float)]}}, raising
PromTextError on anything the format or the lint forbids:
  - lines: `# HELP name text`, `# TYPE name type`, other `#` comments, blank lines, samples
    `name{label="value",...} value [timestamp]`; the text ends with a line feed
  - names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* not starting "__",
    label values with only the escapes \\\\ \\" \\n, values Go floats (NaN, +Inf, -Inf)
  - TYPE at most once per family and before its samples; HELP at most once; a family's
    samples contiguous; no series twice (same name and labels)
  - lint: every family has HELP; counters end in _total and others do not; no camelCase in
    metric or label names; no ':'; no abbreviated units; no type name in the metric name;
    _count/_sum/_bucket and le/quantile only for summaries and histograms
"""

import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN)")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}
CAMEL = re.compile(r"[a-z][A-Z]")
ABBREVIATIONS = ["GB", "MB", "KB", "TB", "PB", "B", "b", "kb", "mb", "gb", "tb", "pb", "m", "h",
                 "d", "s", "ms", "us", "ns", "sec"]


class PromTextError(ValueError):
    pass


def _labels(s, lineno):
    """Parses `label="value",...}` (s starts after '{'); returns (dict, rest after '}')."""
    out = {}
    i = 0
    while True:
        if s[i:i + 1] == "}":
            return out, s[i + 1:]
        m = LABEL.match(s, i)
        if not m:
            raise PromTextError("line %d: bad label name at %r" % (lineno, s[i:i + 20]))
        name = m.group(0)
        if name.startswith("__"):
            raise PromTextError("line %d: reserved label name %s" % (lineno, name))
        if name in out:
            raise PromTextError("line %d: label %s twice" % (lineno, name))
        i = m.end()
        if s[i:i + 2] != '="':
            raise PromTextError("line %d: expected =\" after %s" % (lineno, name))
        i += 2
        value = []
        while True:
            if i >= len(s):
                raise PromTextError("line %d: unterminated label value" % lineno)
            c = s[i]
            if c == "\\":
                esc = s[i + 1:i + 2]
                if esc not in ('\\', '"', 'n'):
                    raise PromTextError("line %d: bad escape \\%s" % (lineno, esc))
                value.append("\n" if esc == "n" else esc)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                value.append(c)
                i += 1
        out[name] = "".join(value)
        if s[i:i + 1] == ",":
            i += 1
        elif s[i:i + 1] != "}":
            raise PromTextError("line %d: expected , or } after a label" % lineno)


def _value(s, lineno):
    if not FLOAT.fullmatch(s):
        raise PromTextError("line %d: bad value %r" % (lineno, s))
    return float(s.replace("Inf", "inf"))


def _family_of(name, families):
    for suffix in ("_bucket", "_count", "_sum"):
        base = name[:-len(suffix)] if name.endswith(suffix) else None
        if base and families.get(base, {}).get("type") in ("histogram", "summary"):
            return base
    return name


def _comment(line, lineno, families, seen_samples):
    parts = line.split(" ", 3)
    if len(parts) < 3 or parts[1] not in ("HELP", "TYPE"):
        return  # an ordinary comment
    kind, name = parts[1], parts[2]
    if not NAME.fullmatch(name):
        raise PromTextError("line %d: bad metric name %r" % (lineno, name))
    fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
    text = parts[3] if len(parts) > 3 else ""
    if kind == "HELP":
        if fam["help"] is not None:
            raise PromTextError("line %d: second HELP for %s" % (lineno, name))
        if re.search(r"\\[^\\n]", text.replace("\\\\", "")):
            raise PromTextError("line %d: bad escape in HELP" % lineno)
        fam["help"] = text
    else:
        if fam["type"] is not None:
            raise PromTextError("line %d: second TYPE for %s" % (lineno, name))
        if name in seen_samples:
            raise PromTextError("line %d: TYPE of %s after its samples" % (lineno, name))
        if text not in TYPES:
            raise PromTextError("line %d: unknown type %r" % (lineno, text))
        fam["type"] = text


def parse(text):
    if text and not text.endswith("\n"):
        raise PromTextError("the text does not end with a line feed")
    families, series, seen_samples, order = {}, set(), set(), []
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line.strip() == "":
            continue
        if line.startswith("#"):
            _comment(line, lineno, families, seen_samples)
            continue
        m = NAME.match(line)
        if not m:
            raise PromTextError("line %d: bad metric name" % lineno)
        name, rest = m.group(0), line[m.end():]
        labels = {}
        if rest.startswith("{"):
            labels, rest = _labels(rest[1:], lineno)
        fields = rest.split(" ")
        if fields[0] != "" or len(fields) not in (2, 3):
            raise PromTextError("line %d: expected ' value [timestamp]'" % lineno)
        value = _value(fields[1], lineno)
        if len(fields) == 3 and not re.fullmatch(r"-?\d+", fields[2]):
            raise PromTextError("line %d: bad timestamp %r" % (lineno, fields[2]))
        fam_name = _family_of(name, families)
        if order and order[-1] != fam_name and fam_name in order:
            raise PromTextError("line %d: samples of %s are not together" % (lineno, fam_name))
        if not order or order[-1] != fam_name:
            order.append(fam_name)
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise PromTextError("line %d: series %s%s twice" % (lineno, name, labels))
        series.add(key)
        seen_samples.add(fam_name)
        fam = families.setdefault(fam_name, {"type": None, "help": None, "samples": []})
        fam["samples"].append((name, labels, value))
    for name, fam in families.items():
        _lint(name, fam)
    return families


def _lint(name, fam):
    problems = []
    typ = fam["type"] or "untyped"
    if fam["help"] is None:
        problems.append("no help text")
    if typ == "counter" and not name.endswith("_total"):
        problems.append('counter metrics should have "_total" suffix')
    if typ != "counter" and name.endswith("_total"):
        problems.append('non-counter metrics should not have "_total" suffix')
    if CAMEL.search(name):
        problems.append("metric names should be written in 'snake_case' not 'camelCase'")
    if ":" in name:
        problems.append("metric names should not contain ':'")
    low = name.lower()
    for t in ("counter", "gauge", "summary", "histogram"):
        if "_%s_" % t in low or low.endswith("_" + t):
            problems.append("metric name should not include type '%s'" % t)
    for a in ABBREVIATIONS:
        if "_%s_" % a.lower() in low or low.endswith("_" + a.lower()):
            problems.append("metric names should not contain abbreviated units")
            break
    for sample, labels, _ in fam["samples"]:
        for label in labels:
            if CAMEL.search(label):
                problems.append("label names should be written in 'snake_case' not 'camelCase'")
        if typ != "histogram" and (sample.endswith("_bucket") or "le" in labels):
            problems.append('non-histogram metrics should not have "_bucket" suffix or "le" label')
        if typ not in ("summary", "histogram") and (sample.endswith("_count") or sample.endswith("_sum")
                                                   or "quantile" in labels):
            problems.append('non-summary metrics should not have "_count"/"_sum" suffix or "quantile" label')
    if problems:
        raise PromTextError("%s: %s" % (name, "; ".join(sorted(set(problems)))))


def is_nan(v):
    return math.isnan(v)

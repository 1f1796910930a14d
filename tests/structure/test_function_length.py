"""No function of the product (common/, api/, cache/, fs/) is longer than MAX_LINES lines,
from its opening line to its closing brace, unless it is listed in LONG below with the
reason it stays whole (HACKING.md, "How we write code" in the project guide).

A function is found by the project's layout: its body opens with "{" alone at column 0."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 60

# path:function -> why it stays one function
LONG = {
    "fs/views/tenant.c:each_job":
        "the tenant scan; issues 13-19 rework it (scale, honesty under failure): split there",
    "api/auth/file.c:read_file":
        "one sequence of checks on one open descriptor (stat, type, owner, mode, size, read), "
        "in the order that keeps the file from changing between them",
    "api/collection.c:gs_client_get_collection":
        "the paging loop and its guards (same origin, a link seen twice, the page limit)",
    "api/auth/http.c:attempt": "libcurl's setup of one token request: one option a line",
    "api/auth/exec.c:gs_exec_split": "a quoting state machine over one string",
    "api/auth/device.c:gs_auth_device_setup":
        "the device-code login's checks in the order the user meets them",
    "fs/actions/backup.c:gs_backup_save": "64 lines: directories, a unique name, an atomic write",
    "api/auth/response.c:gs_token_response_parse": "61 lines: one member of the answer each",
}

NAME = re.compile(r"([A-Za-z_]\w*)\(")


def functions(path):
    """(name, first line number, length in lines) of each function definition in path: the
    body opens with a "{" alone at column 0 and closes with the next "}" alone at column 0;
    the definition starts at the last line before it that begins at column 0 with a name."""
    lines = path.read_text(errors="replace").split("\n")
    for i, line in enumerate(lines):
        if line != "{":
            continue
        start = i - 1
        while start > 0 and (lines[start][:1] in (" ", "\t") or lines[start] == ""):
            start -= 1
        m = NAME.search(lines[start])
        end = next((j for j in range(i + 1, len(lines)) if lines[j] == "}"), None)
        if m and end is not None:
            yield m.group(1), start + 1, end - start + 1


def long_functions():
    out = []
    for top in ("common", "api", "cache", "fs"):
        for p in sorted((ROOT / top).rglob("*.c")):
            rel = p.relative_to(ROOT).as_posix()
            for name, line, n in functions(p):
                if n > MAX_LINES:
                    out.append(("%s:%s" % (rel, name), line, n))
    return out


def test_no_function_is_longer_than_the_limit_without_a_reason():
    too_long = ["%s (line %d): %d lines" % (k, line, n)
                for k, line, n in long_functions() if k not in LONG]
    assert not too_long, "functions over %d lines (split them, or list them in LONG with the " \
                         "reason):\n  %s" % (MAX_LINES, "\n  ".join(too_long))


def test_every_listed_long_function_still_exists_and_is_long():
    found = {k for k, _, _ in long_functions()}
    stale = sorted(set(LONG) - found)
    assert not stale, "listed in LONG but not (or no longer) over the limit: %s" % stale

"""The code's map as a test (HACKING.md): every #include points down the layers, and no
two source files include each other, directly or through others.

Layers, lowest first; a file may include its own layer and any lower one:
    common  <  api/auth = api  <  cache  <  fs/model  <  fs/fetch  <  fs/actions
            <  fs/views  <  fs/kernel  <  fs/ (filesystem.c, main.c: the assembly)
api/ and api/auth/ are one layer in two rooms: the client calls the token provider through
a callback (gs_client_config.token_fn), and the provider uses the client's helpers.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAYERS = [
    ("common/",),
    ("api/",),
    ("cache/",),
    ("fs/model/",),
    ("fs/fetch/",),
    ("fs/actions/",),
    ("fs/views/",),
    ("fs/kernel/",),
    ("fs/",),  # the assembly: fs/filesystem.c, fs/main.c
]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    for top in ("common", "api", "cache", "fs"):
        for p in sorted((ROOT / top).rglob("*")):
            if p.suffix in (".c", ".h"):
                yield p.relative_to(ROOT).as_posix()


def layer_of(path):
    best = None
    for i, prefixes in enumerate(LAYERS):
        for pre in prefixes:
            if path.startswith(pre) and (best is None or len(pre) > best[1]):
                best = (i, len(pre))
    assert best is not None, f"{path} is in no layer"
    return best[0]


def includes(path):
    text = (ROOT / path).read_text()
    return [inc for inc in INCLUDE.findall(text) if (ROOT / inc).is_file()]


def test_every_include_points_down_or_sideways():
    upward = []
    for src in sources():
        for inc in includes(src):
            if layer_of(inc) > layer_of(src):
                upward.append(f"{src} includes {inc}")
    assert not upward, "includes that point up a layer:\n" + "\n".join(upward)


def _module(path):
    """A .c and its .h are one module."""
    return re.sub(r"\.[ch]$", "", path)


def _reach(header, seen=None):
    """The modules a header-only file (an internal header shared by the files of one
    room, with no .c of its own) stands for: the ones it includes, transitively."""
    seen = set() if seen is None else seen
    out = set()
    for inc in includes(header):
        if inc in seen:
            continue
        seen.add(inc)
        if (ROOT / (_module(inc) + ".c")).is_file():
            out.add(_module(inc))
        else:
            out |= _reach(inc, seen)
    return out


def test_no_include_cycle_between_modules():
    graph = {}
    for src in sources():
        if not (ROOT / (_module(src) + ".c")).is_file():
            continue  # header-only: stands for what it includes (_reach)
        m = _module(src)
        graph.setdefault(m, set())
        for inc in includes(src):
            deps = {_module(inc)} if (ROOT / (_module(inc) + ".c")).is_file() else _reach(inc)
            graph[m] |= deps - {m}
    # Tarjan's strongly connected components: any component of two or more is a cycle
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not out, "modules that include each other in a circle: " + "; ".join(
        " <-> ".join(c) for c in out)


def test_the_layer_table_is_exercised():
    """Guards the test itself: each layer holds sources, so a renamed folder cannot make
    the checks above pass vacuously."""
    seen = {layer_of(s) for s in sources()}
    assert seen == set(range(len(LAYERS)))

"""Checks JSON payloads against Microsoft's own Graph type definitions with the TypeScript
compiler (tests/conformance/test_microsoft_types.py).

Microsoft publishes the Graph model as TypeScript interfaces generated from the service's CSDL:
`@microsoft/microsoft-graph-types` (v1.0) and `@microsoft/microsoft-graph-types-beta` (beta),
pinned in tests/js/package.json. Each payload becomes one declaration

    export const p3: MicrosoftGraph.SynchronizationJob = { ...the JSON... };

in a generated .ts file. An object literal assigned to a typed variable gets TypeScript's
excess-property check at every depth, so a property the type does not have, a wrong JSON type, or
an enum member outside the type's string union is a compile error, which tsc reports with the
line; the line maps back to the payload and the JSON path.

Annotations (`@odata.context`, `@odata.nextLink`, `value@odata.type`, ...) are OData instance
annotations, not properties: the types do not model them and they are dropped before the check.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

JS = Path(__file__).resolve().parents[1] / "js"
NODE = "/usr/bin/node"
PACKAGES = {"v1.0": "@microsoft/microsoft-graph-types", "beta": "@microsoft/microsoft-graph-types-beta"}
TSC = JS / "node_modules" / "typescript" / "bin" / "tsc"


def ensure_installed():
    """npm ci in tests/js when the packages are missing; returns an error text or None."""
    if not os.access(NODE, os.X_OK) or shutil.which("npm") is None:
        return f"node ({NODE}) or npm not installed"
    wanted = [JS / "node_modules" / p for p in PACKAGES.values()] + [TSC]
    if all(p.exists() for p in wanted):
        return None
    r = subprocess.run([shutil.which("npm"), "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True,
                       text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError(f"npm ci failed in {JS}:\n{r.stdout}\n{r.stderr}")
    return None


def package_version(version):
    return json.loads((JS / "node_modules" / PACKAGES[version] / "package.json").read_text())["version"]


def strip_annotations(value):
    """The payload without OData instance annotations (keys containing '@')."""
    if isinstance(value, dict):
        return {k: strip_annotations(v) for k, v in value.items() if "@" not in k}
    if isinstance(value, list):
        return [strip_annotations(v) for v in value]
    return value


def _literal(value, indent, lines, origins, path):
    """Writes `value` as a TypeScript literal, one property per line, recording the JSON path of
    every line so a compiler message can name it."""
    pad = "    " * indent
    if isinstance(value, dict) and value:
        lines[-1] += "{"
        for k, v in value.items():
            lines.append(f"{pad}    {json.dumps(k)}: ")
            origins.append(f"{path}.{k}")
            _literal(v, indent + 1, lines, origins, f"{path}.{k}")
            lines[-1] += ","
        lines.append(pad + "}")
        origins.append(path)
    elif isinstance(value, list) and value:
        lines[-1] += "["
        for i, v in enumerate(value):
            lines.append(pad + "    ")
            origins.append(f"{path}[{i}]")
            _literal(v, indent + 1, lines, origins, f"{path}[{i}]")
            lines[-1] += ","
        lines.append(pad + "]")
        origins.append(path)
    else:
        lines[-1] += json.dumps(value)


def render(checks, version):
    """checks: [(name, type, payload)]. Returns (source text, [(payload name, json path)] by line)."""
    lines = [f'import type * as MicrosoftGraph from "{PACKAGES[version]}";']
    origins = [("", "")]
    for i, (name, type_name, payload) in enumerate(checks):
        lines.append(f"// {name}")
        origins.append((name, "$"))
        lines.append(f"export const p{i}: MicrosoftGraph.{type_name} = ")
        paths = ["$"]
        _literal(strip_annotations(payload), 0, lines, paths, "$")
        lines[-1] += ";"
        origins += [(name, p) for p in paths]
    return "\n".join(lines) + "\n", origins


_DIAG = re.compile(r"^(?P<file>[^(]+)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+): (?P<msg>.*)$")


def compile_checks(checks, version, workdir):
    """Type-checks every payload; returns a list of "payload: json path: tsc message" strings."""
    source, origins = render(checks, version)
    ts = Path(workdir) / f"payloads-{version.replace('.', '_')}.ts"
    ts.write_text(source)
    args = [NODE, str(TSC), "--noEmit", "--strict", "--target", "es2020", "--module", "commonjs",
            "--moduleResolution", "node", "--typeRoots", str(JS / "node_modules" / "@types"),
            "--baseUrl", str(JS / "node_modules"), str(ts)]
    r = subprocess.run(args, cwd=JS, capture_output=True, text=True, timeout=300)
    problems, pending = [], None
    for line in r.stdout.splitlines():
        m = _DIAG.match(line)
        if m:
            name, path = origins[int(m["line"]) - 1]
            pending = f"{name}: {path}: {m['code']} {m['msg']}"
            problems.append(pending)
        elif pending is not None and line.startswith(" "):
            problems[-1] += " " + line.strip()
    if r.returncode != 0 and not problems:
        problems.append(f"tsc failed without diagnostics ({r.returncode}): {r.stdout}{r.stderr}")
    return problems

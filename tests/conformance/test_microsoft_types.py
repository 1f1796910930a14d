"""Every payload the emulator produces, checked against Microsoft's published Graph types
(@microsoft/microsoft-graph-types for /v1.0, -beta for /beta; tests/js/package.json pins them) by
the TypeScript compiler with excess-property checks (tests/conformance/ms_types.py).

This is the check against Graph itself rather than against our own reading of the docs: the types
are generated from the CSDL Graph serves ($metadata), the same source as msgraph-metadata.

Adding a payload is one line in PAYLOADS (as the provisioning log entries of /auditLogs/provisioning,
type ProvisioningObjectSummary, did): (name, Microsoft type, method, path, body, pick).
`path` is relative to the version root and may use the placeholders of `_context` ({sp}, {job},
{job_Active}, {template}, {dir}, {app} ...); `pick` takes one member of the answer (`value` for
collections); `config` holds emulator settings for that request only; `status` is the status
expected when it is not 2xx (error bodies). Both versions are checked
unless `versions` says otherwise.

Where Microsoft's docs and types disagree, the emulator follows what Graph sends (the docs'
examples, graph-sync-api.md) when that still fits the types, and this list records the choice:
- functions and filterOperators: the docs' examples (copies of real answers, graph-sync-api.md
  §3.12) carry `name`; the types (attributeMappingFunctionSchema, filterOperatorSchema) derive from
  entity and have only `id`. The emulator follows the docs and sends `name` (what the portal and
  the answers pasted in public issues show).
- Error bodies: Graph's envelope (docs, every answer pasted in public issues) has
  innerError {date, request-id, client-request-id}; the types' publicInnerError has code,
  details, message, target. The emulator sends what Graph sends.
  KNOWN_DISAGREEMENTS lists each such property with its place; they are removed from the payload
  before the check (so they cannot hide anything else), the payload must hold them (the list
  stays true), and a separate check proves the types still refuse them (the test fails when the
  types change).
- synchronizationSchema: the docs' GET example has no `id`; the type derives from entity, so `id`
  is allowed; the emulator sends none (as Graph's example).
- Enumerations: the types spell synchronization enums in PascalCase (`NotConfigured`,
  `FlowWhenChanged`), matching Graph's answers, unlike most of Graph (camelCase); a flags value
  with several members (`"Add, Update"`) is not in the types' union, so flags members are checked
  by tests/conformance/test_types.py instead and replaced here by their first member.
- provisionOnDemand answers a stringKeyStringValuePair whose `key` and `value` are strings holding
  JSON (or the .NET type name in the second real shape); the types cannot see inside them, so the
  decoded contents are checked by test_shapes.py and test_transport.py.
- OData annotations (`@odata.context`, `@odata.nextLink`, `@odata.count`, `...@odata.type`) are
  not properties and are dropped before the check.
"""

import json
import re
from collections import namedtuple

import pytest

from tests.conformance import ms_types
from tests.conformance.conftest import DemoTenant, start_emulator, stop_emulator
from tests.conformance.graphhttp import GraphHTTP, example, q

Payload = namedtuple("Payload", "name type method path body pick versions config status",
                     defaults=(None, None, ("v1.0", "beta"), None, None))

STATUSES = ("NotConfigured", "NotRun", "Active", "Paused", "Quarantine")
PARSE_OK = {"expression": 'Join(" ", [givenName], [surname])', "targetAttributeDefinition": None,
            "testInputObject": {"definition": None, "properties": [{"key": "givenName", "value": "Ada"},
                                                                   {"key": "surname", "value": "Lovelace"}]}}
PARSE_FAILED = {"expression": "NoSuchFunction([givenName])", "testInputObject": None}

PAYLOADS = [
    Payload("service principals", "ServicePrincipal[]", "GET", "/servicePrincipals", pick="value"),
    Payload("service principals $select", "ServicePrincipal[]", "GET",
            "/servicePrincipals?$select=id,appId,displayName,tags", pick="value"),
    Payload("service principal", "ServicePrincipal", "GET", "/servicePrincipals/{sp}"),
    Payload("provisioning logs", "ProvisioningObjectSummary[]", "GET",
            "/auditLogs/provisioning?$top=200", pick="value"),
    Payload("application", "Application", "GET", "/applications/{app}"),
    Payload("synchronization", "Synchronization", "GET", "{sp_path}/synchronization"),
    Payload("jobs", "SynchronizationJob[]", "GET", "{sp_path}/synchronization/jobs", pick="value"),
    *[Payload(f"job {s}", "SynchronizationJob", "GET", f"{{job_{s}}}") for s in STATUSES],
    Payload("job during its first cycle", "SynchronizationJob", "GET", "{job_started}"),
    Payload("job created", "SynchronizationJob", "POST", "{sp_new_path}/synchronization/jobs",
            {"templateId": "{template_new}"}),
    Payload("job schema", "SynchronizationSchema", "GET", "{job}/schema"),
    Payload("directories", "DirectoryDefinition[]", "GET", "{job}/schema/directories", pick="value"),
    Payload("directory", "DirectoryDefinition", "GET", "{job}/schema/directories/{dir}"),
    Payload("discover", "DirectoryDefinition", "POST", "{job}/schema/directories/{dir}/discover"),
    Payload("functions", "AttributeMappingFunctionSchema[]", "GET", "{job}/schema/functions", pick="value"),
    Payload("filterOperators", "FilterOperatorSchema[]", "GET", "{job}/schema/filterOperators", pick="value"),
    Payload("parseExpression", "ParseExpressionResponse", "POST", "{job}/schema/parseExpression", PARSE_OK),
    Payload("parseExpression example", "ParseExpressionResponse", "POST", "{job}/schema/parseExpression",
            example("parse-expression-request.json")),
    Payload("parseExpression failed", "ParseExpressionResponse", "POST", "{job}/schema/parseExpression",
            PARSE_FAILED),
    Payload("templates", "SynchronizationTemplate[]", "GET", "{sp_path}/synchronization/templates", pick="value"),
    Payload("template", "SynchronizationTemplate", "GET", "{sp_path}/synchronization/templates/{template}"),
    Payload("templates via application", "SynchronizationTemplate[]", "GET",
            "/applications/{app}/synchronization/templates", pick="value"),
    Payload("jobs via application", "SynchronizationJob[]", "GET", "/applications/{app}/synchronization/jobs",
            pick="value"),
    Payload("template schema", "SynchronizationSchema", "GET",
            "/applications/{app}/synchronization/templates/{template}/schema"),
    Payload("secrets", "SynchronizationSecretKeyStringValuePair[]", "GET", "{sp_path}/synchronization/secrets",
            pick="value"),
    Payload("provisionOnDemand", "StringKeyStringValuePair", "POST", "{job}/provisionOnDemand", "{pod_body}"),
    Payload("provisionOnDemand again", "StringKeyStringValuePair", "POST", "{job}/provisionOnDemand",
            "{pod_body}"),
    Payload("provisionOnDemand bad credentials", "StringKeyStringValuePair", "POST",
            "{job_Quarantine}/provisionOnDemand", "{pod_body_quarantine}"),
    Payload("error: unknown job", "PublicErrorResponse", "GET", "{sp_path}/synchronization/jobs/nope", status=404),
    Payload("error: bad filter", "PublicErrorResponse", "GET", "/servicePrincipals?$filter=colour eq 'red'",
            status=400),
    Payload("error: rule not in the job", "PublicErrorResponse", "POST", "{job}/provisionOnDemand",
            {"parameters": [{"ruleId": "nope", "subjects": [{"objectId": "x", "objectTypeName": "User"}]}]},
            status=400),
    Payload("provisionOnDemand StatusInfo shape", "StringKeyStringValuePair", "POST", "{job}/provisionOnDemand",
            "{pod_body}", config={"pod_answer_shape": "statusInfo"}),
]


def _fill(value, ctx):
    """Placeholders replaced in strings (a whole-string placeholder may stand for any value)."""
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ctx:
            return ctx[value[1:-1]]
        return value.format_map(ctx) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, ctx) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ctx) for v in value]
    return value


def _pod_body(g, job_path):
    rule = g.get(job_path + "/schema").json()["synchronizationRules"][0]
    source = rule["objectMappings"][0]["sourceObjectName"]
    return {"parameters": [{"ruleId": rule["id"], "subjects": [
        {"objectId": "66e4a8cc-1b7b-435e-95f8-f06cea133828", "objectTypeName": source}]}]}


def _context(emu, g):
    demo = DemoTenant(emu, g)
    ctx = {}
    for s in STATUSES:
        hit = demo.job_with_status(s)
        assert hit is not None, f"the demo tenant has no job in status {s}"
        ctx[f"job_{s}"] = demo.job_path(hit[0], hit[1])
    sp_id, job_id = demo.any_job()
    sp = demo.sp(sp_id)
    ctx.update(sp=q(sp_id), sp_path=f"/servicePrincipals/{q(sp_id)}", job=demo.job_path(sp_id, job_id),
               template=q(sp["templates"][0]))
    ctx["app"] = q(g.get(f"/servicePrincipals/{q(sp_id)}?$select=appId").json()["appId"])
    app_obj = g.get(f"/applications(appId='{ctx['app']}')?$select=id").json()
    ctx["app"] = q(app_obj["id"])
    ctx["dir"] = q(g.get(ctx["job"] + "/schema").json()["directories"][-1]["id"])
    new_sp = demo.sp_with_templates(with_jobs=False)
    ctx.update(sp_new_path=f"/servicePrincipals/{q(new_sp['id'])}", template_new=new_sp["templates"][0])
    ctx["pod_body"] = _pod_body(g, ctx["job"])
    ctx["pod_body_quarantine"] = _pod_body(g, ctx["job_Quarantine"])
    stopped = demo.job_with_status("Paused")
    r = g.post(demo.job_path(stopped[0], stopped[1]) + "/start")
    assert r.status == 204, r
    ctx["job_started"] = demo.job_path(stopped[0], stopped[1])
    return ctx


def _flags_to_first_member(value):
    """Flags enums ("Add, Update") are outside the types' unions: keep their first member."""
    if isinstance(value, dict):
        return {k: (v.split(", ")[0] if k in FLAGS and isinstance(v, str) else _flags_to_first_member(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_flags_to_first_member(v) for v in value]
    return value


FLAGS = {"objectFlowTypes", "flowTypes", "discoverabilities"}

# Docs and types disagree; the emulator follows the docs (see the docstring):
# (Microsoft type of the payload, path of the property: keys, "*" for every array element)
KNOWN_DISAGREEMENTS = [
    ("AttributeMappingFunctionSchema[]", ("*", "name")),
    ("FilterOperatorSchema[]", ("*", "name")),
    ("PublicErrorResponse", ("error", "innerError", "date")),
    ("PublicErrorResponse", ("error", "innerError", "request-id")),
    ("PublicErrorResponse", ("error", "innerError", "client-request-id")),
]


def _without(value, path):
    """(value without the property at path, how many were removed)."""
    if not path:
        return value, 0
    head, rest = path[0], path[1:]
    if head == "*":
        if not isinstance(value, list):
            return value, 0
        out = [_without(v, rest) for v in value]
        return [v for v, _ in out], sum(n for _, n in out)
    if not isinstance(value, dict) or head not in value:
        return value, 0
    if not rest:
        return {k: v for k, v in value.items() if k != head}, 1
    inner, n = _without(value[head], rest)
    return dict(value, **{head: inner}), n


def _strip_known(type_name, payload):
    """The payload without the known disagreements of its type; the (type, path) pairs found."""
    found = set()
    for typ, path in KNOWN_DISAGREEMENTS:
        if typ == type_name:
            payload, n = _without(payload, path)
            if n:
                found.add((typ, path))
    return payload, found


def _minimal(path):
    """The smallest literal holding just the property at path."""
    head, rest = path[0], path[1:]
    if head == "*":
        return [_minimal(rest)]
    return {head: _minimal(rest) if rest else "x"}


def _summary(problems):
    """One line per payload, path pattern and message (array indices collapsed), with a count."""
    counts = {}
    for p in problems:
        key = re.sub(r"\[\d+\]", "[*]", p)
        counts[key] = counts.get(key, 0) + 1
    return "\n".join(f"{k} (x{n})" if n > 1 else k for k, n in counts.items())


@pytest.fixture(scope="module")
def npm_types():
    problem = ms_types.ensure_installed()
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="module")
def payloads():
    emu = start_emulator(tenant="demo", time_scale=60.0, config={"pod_rate_limit": 100})
    try:
        g = GraphHTTP(emu.url)
        ctx = _context(emu, g)
        out = {"v1.0": [], "beta": []}
        for p in PAYLOADS:
            for version in p.versions:
                gv = g.with_version(version)
                if p.config:
                    before = emu.config()
                    emu.config(**p.config)
                r = gv.request(p.method, _fill(p.path, ctx), body=_fill(p.body, ctx))
                if p.config:
                    emu.config(**{k: before[k] for k in p.config})
                assert (r.status == p.status) if p.status else (200 <= r.status < 300), (p.name, version, r)
                body = r.json()
                if p.pick:
                    body = body[p.pick]
                out[version].append((p.name, p.type, _flags_to_first_member(body)))
        yield out
    finally:
        stop_emulator(emu)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_payloads_match_microsoft_types(npm_types, payloads, version, tmp_path):
    checks, found = [], set()
    for name, type_name, payload in payloads[version]:
        payload, seen = _strip_known(type_name, payload)
        found |= seen
        checks.append((name, type_name, payload))
    assert len(checks) >= len(PAYLOADS)
    problems = ms_types.compile_checks(checks, version, tmp_path)
    where = f"{ms_types.PACKAGES[version]}@{ms_types.package_version(version)}"
    assert not problems, f"{len(problems)} difference(s) from {where}:\n" + _summary(problems)
    assert found == set(KNOWN_DISAGREEMENTS), f"no payload holds {set(KNOWN_DISAGREEMENTS) - found}"


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_known_disagreements_are_still_disagreements(npm_types, version, tmp_path):
    checks = [(f"{typ} {'.'.join(path)}", typ, _minimal(path)) for typ, path in KNOWN_DISAGREEMENTS]
    problems = ms_types.compile_checks(checks, version, tmp_path)
    for (name, typ, _), (_, path) in zip(checks, KNOWN_DISAGREEMENTS):
        assert any(p.startswith(name + ":") and f"'\"{path[-1]}\"' does not exist" in p for p in problems), \
            (f"the types now accept {path[-1]} in {typ}: drop it from KNOWN_DISAGREEMENTS", problems)


def test_the_check_catches_excess_and_wrong_types(npm_types, tmp_path):
    """The check itself: an excess property, a wrong type and an enum value outside the union
    are each reported with the payload and the JSON path."""
    # (tsc reports an excess property only when the rest of that literal fits: one fault each)
    checks = [("bad enum", "SynchronizationJob", {"id": "x", "status": {"code": "Running"}}),
              ("bad type", "SynchronizationJob", {"id": "x", "schedule": {"interval": 5}}),
              ("excess", "SynchronizationJob", {"id": "x", "status": {"code": "Active", "colour": "red"}}),
              ("good", "SynchronizationJob", {"id": "x", "status": {"code": "Active"}}),
              ("function with name", "AttributeMappingFunctionSchema[]", [{"id": "Join", "name": "Join"}])]
    problems = ms_types.compile_checks(checks, "v1.0", tmp_path)
    text = "\n".join(problems)
    assert "bad enum: $.status.code" in text, text
    assert "bad type: $.schedule.interval" in text, text
    assert "excess: $.status.colour" in text, text
    assert "good:" not in text, text
    assert "function with name: $[0].name" in text, text
    assert json.dumps(strip := ms_types.strip_annotations({"a@odata.type": 1, "b": [{"@odata.x": 2}]})) \
        == '{"b": [{}]}', strip

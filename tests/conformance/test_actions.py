"""provisionOnDemand (§3.9, §9.10), parseExpression (§3.13), functions/filterOperators (§3.12,
§9.11), discover (§3.14)."""

import copy
import json

import pytest

from tests.conformance.graphhttp import DTO_RE, example, graph_error, q

VERSIONS = ["v1.0", "beta"]
OBJECT_ID = "9bb0f679-a883-4a6f-8260-35b491b8b8c8"


def _rule_ids(g, jp):
    return [r["id"] for r in g.get(jp + "/schema").json()["synchronizationRules"]]


@pytest.mark.parametrize("version", VERSIONS)
def test_provision_on_demand_double_encoded_key_value(fresh_demo, version):
    g = fresh_demo.g.with_version(version)
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    rule_id = _rule_ids(g, jp)[0]
    r = g.post(jp + "/provisionOnDemand", {"parameters": [{"ruleId": rule_id, "subjects": [
        {"objectId": OBJECT_ID, "objectTypeName": "User"}]}]})
    assert r.status == 200, r
    body = r.json()
    assert set(body) - {"@odata.context"} == {"key", "value"}, body
    ctx = body.get("@odata.context")
    if ctx is not None:
        assert ctx.endswith("$metadata#microsoft.graph.stringKeyStringValuePair"), ctx
        assert f"/{version}/" in ctx, ctx
    assert isinstance(body["key"], str) and isinstance(body["value"], str)
    key = json.loads(body["key"])
    value = json.loads(body["value"])
    assert isinstance(key, dict) and isinstance(value, dict)
    assert key["result"] in ("Success", "Skipped", "Failure"), key
    assert isinstance(key["details"], dict), key
    for k in ("action", "changeId", "startTime", "endTime", "modifiedProperties", "provisioningSteps",
              "reportableIdentifier", "statusInfo", "sourceIdentity", "sourceSystem", "targetIdentity",
              "targetSystem"):
        assert k in value, (k, value)
    assert isinstance(value["provisioningSteps"], list) and value["provisioningSteps"], value
    for step in value["provisioningSteps"]:
        assert {"name", "type", "status", "description", "timestamp", "details"} <= set(step), step
    assert isinstance(value["modifiedProperties"], list)
    assert value["sourceIdentity"]["id"] == OBJECT_ID, value["sourceIdentity"]


def test_provision_on_demand_unknown_rule_is_request_parameter_invalid(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    r = g.post(jp + "/provisionOnDemand", {"parameters": [{"ruleId": "00000000-aaaa-bbbb-cccc-000000000000",
                                                           "subjects": [{"objectId": OBJECT_ID,
                                                                         "objectTypeName": "User"}]}]})
    err = graph_error(r, 400, "RequestParameterInvalid")
    assert "However, the job does not include the rule." in err["message"], err
    assert job_id in err["message"], err


def test_provision_on_demand_rule_id_with_hash(fresh_demo):
    """§9.12: rule ids may contain '#' (e.g. ...#V2); it travels in the JSON body."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    schema = g.get(jp + "/schema").json()
    schema.pop("@odata.context", None)
    schema.pop("version", None)
    rid = "33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2"
    if rid not in [r["id"] for r in schema["synchronizationRules"]]:
        rule = copy.deepcopy(schema["synchronizationRules"][0])
        rule["id"] = rid
        rule["priority"] = 99
        schema["synchronizationRules"].append(rule)
        assert g.put(jp + "/schema", schema).status == 204
    body = example("provision-on-demand-group-request.json")
    assert body["parameters"][0]["ruleId"] == rid
    r = g.post(jp + "/provisionOnDemand", body)
    assert r.status == 200, r
    json.loads(r.json()["key"])
    json.loads(r.json()["value"])


def test_provision_on_demand_without_parameters_is_400(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/provisionOnDemand", {"subjects": []})
    graph_error(r, 400)


@pytest.mark.parametrize("version", VERSIONS)
def test_parse_expression_documented_example(demo, g, version):
    gv = g.with_version(version)
    sp_id, job_id = demo.any_job()
    r = gv.post(demo.job_path(sp_id, job_id) + "/schema/parseExpression", example("parse-expression-request.json"))
    assert r.status == 200, r
    got = r.json()
    got.pop("@odata.context", None)
    want = example("parse-expression-response.json")
    assert got["parsingSucceeded"] is True
    assert got["evaluationSucceeded"] is True
    assert got["evaluationResult"] == ["EN_US"]
    assert got["error"] is None
    assert got["parsedExpression"] == want["parsedExpression"]
    assert got == want


def test_parse_expression_on_template_path(demo, g):
    sp = demo.sp_with_templates()
    r = g.post(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(sp['templates'][0])}"
               "/schema/parseExpression", example("parse-expression-request.json"))
    assert r.status == 200, r
    assert r.json()["evaluationResult"] == ["EN_US"]


def test_parse_expression_nested_function_and_attribute(demo, g):
    sp_id, job_id = demo.any_job()
    body = {"expression": "Append([mail], \"x\")", "testInputObject": {"definition": None, "properties": [
        {"key": "mail", "value": "a@b"}]}, "targetAttributeDefinition": None}
    r = g.post(demo.job_path(sp_id, job_id) + "/schema/parseExpression", body)
    assert r.status == 200, r
    got = r.json()
    assert got["parsingSucceeded"] is True
    pe = got["parsedExpression"]
    assert pe["type"] == "Function" and pe["name"] == "Append"
    assert pe["expression"] == "Append([mail], \"x\")"
    assert pe["parameters"] == [
        {"key": "source", "value": {"type": "Attribute", "name": "mail", "expression": "[mail]", "parameters": []}},
        {"key": "suffix", "value": {"type": "Constant", "name": "x", "expression": "\"x\"", "parameters": []}},
    ], pe
    assert got["evaluationResult"] == ["a@bx"]


def test_parse_expression_syntax_error_is_200_with_error(demo, g):
    """parseExpressionResponse carries parsingSucceeded false and a publicError (§4.20)."""
    sp_id, job_id = demo.any_job()
    r = g.post(demo.job_path(sp_id, job_id) + "/schema/parseExpression", {"expression": "Replace([a], \"-\""})
    assert r.status in (200, 400), r
    if r.status == 200:
        got = r.json()
        assert got["parsingSucceeded"] is False
        assert got["evaluationSucceeded"] is False
        assert isinstance(got["error"], dict) and isinstance(got["error"].get("code"), str), got
    else:
        graph_error(r, 400)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("what", ["functions", "filterOperators"])
def test_functions_and_filter_operators_both_spellings(demo, g, version, what):
    gv = g.with_version(version)
    sp_id, job_id = demo.any_job()
    base = demo.job_path(sp_id, job_id) + "/schema/" + what
    a = gv.get(base)
    b = gv.get(base + "()")
    assert a.status == 200, a
    assert b.status == 200, b
    va, vb = a.json()["value"], b.json()["value"]
    assert va == vb
    assert va, "empty list"
    names = [x["name"] for x in va]
    assert len(names) == len(set(names))
    if what == "functions":
        assert {"Append", "Replace", "Not"} <= set(names), names
        for f in va:
            assert isinstance(f["parameters"], list)
            for p in f["parameters"]:
                assert isinstance(p["allowMultipleOccurrences"], bool)
                assert isinstance(p["required"], bool)
                assert p["type"] in {"String", "Integer", "Reference", "Binary", "Boolean", "DateTime"}
                assert isinstance(p["name"], str)
        append = next(f for f in va if f["name"] == "Append")
        assert append["parameters"] == [
            {"allowMultipleOccurrences": False, "name": "source", "required": True, "type": "String"},
            {"allowMultipleOccurrences": False, "name": "suffix", "required": True, "type": "String"}]
        ctx = a.json().get("@odata.context")
        assert ctx is None or ctx.endswith("$metadata#functions"), ctx
    else:
        assert "EQUALS" in names
        for o in va:
            assert o["arity"] in ("Binary", "Unary")
            assert o["multivaluedComparisonType"] in ("All", "Any")
            assert isinstance(o["supportedAttributeTypes"], list)
        eq = next(o for o in va if o["name"] == "EQUALS")
        assert eq["arity"] == "Binary" and eq["multivaluedComparisonType"] == "All"
    for x in va:
        if "id" in x:
            assert x["id"] == x["name"], x


def test_functions_on_template_path(demo, g):
    sp = demo.sp_with_templates()
    base = f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(sp['templates'][0])}/schema"
    for what in ("functions", "functions()", "filterOperators", "filterOperators()"):
        r = g.get(f"{base}/{what}")
        assert r.status == 200, (what, r)
        assert r.json()["value"], what


def test_discover_refreshes_directory(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    schema = g.get(jp + "/schema").json()
    d = schema["directories"][-1]
    r = g.post(jp + f"/schema/directories/{q(d['id'])}/discover")
    assert r.status == 200, r
    got = r.json()
    assert got["id"] == d["id"] and got["name"] == d["name"]
    assert DTO_RE.match(got["discoveryDateTime"]), got
    assert isinstance(got["objects"], list) and got["objects"]
    assert isinstance(got["discoverabilities"], str)
    assert isinstance(got["version"], str) and got["version"]


def test_discover_unknown_directory_is_404(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/schema/directories/00000000-1111-2222-3333-444444444444/discover")
    graph_error(r, 404)


def test_validate_credentials_collection_bound(fresh_demo):
    """§2 #8b (csdl): POST SP/jobs/validateCredentials with templateId + credentials -> 204 (inferred)."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    tid = fresh_demo.get_job(sp_id, job_id)["templateId"]
    r = g.post(f"/servicePrincipals/{q(sp_id)}/synchronization/jobs/validateCredentials",
               {"templateId": tid, "useSavedCredentials": False,
                "credentials": [{"key": "BaseAddress", "value": "https://scim.example.com/scim/v2"},
                                {"key": "SecretToken", "value": "token-value"}]})
    assert r.status == 204, r


def test_schema_directories_list_and_get(demo, g):
    """§2 #17b (csdl/SDK): GET J/schema/directories and J/schema/directories/{id} (inferred 200)."""
    sp_id, job_id = demo.any_job()
    jp = demo.job_path(sp_id, job_id)
    dirs = g.get(jp + "/schema").json()["directories"]
    r = g.get(jp + "/schema/directories")
    assert r.status == 200, r
    assert [d["id"] for d in r.json()["value"]] == [d["id"] for d in dirs]
    r = g.get(jp + f"/schema/directories/{q(dirs[0]['id'])}")
    assert r.status == 200, r
    got = r.json()
    got.pop("@odata.context", None)
    assert got == dirs[0]


def test_application_template_paths(demo, g):
    """§2 #11, #14, #15, #18, #19 through /applications(appId='...')."""
    sp = demo.sp_with_templates()
    base = f"/applications(appId='{sp['appId']}')/synchronization/templates"
    tid = sp["templates"][0]
    for path in (base, f"{base}/{q(tid)}", f"{base}/{q(tid)}/schema", f"{base}/{q(tid)}/schema/functions",
                 f"{base}/{q(tid)}/schema/filterOperators()"):
        r = g.get(path)
        assert r.status == 200, (path, r)


def test_provision_on_demand_rate_limit(fresh_demo):
    """§3.9 / §8.4: provisionOnDemand is limited to 5 requests per 10 seconds (doc): a burst of
    8 gets at least one 429 TooManyRequests with Retry-After."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    rule_id = _rule_ids(g, jp)[0]
    body = {"parameters": [{"ruleId": rule_id, "subjects": [{"objectId": OBJECT_ID, "objectTypeName": "User"}]}]}
    rs = [g.post(jp + "/provisionOnDemand", body) for _ in range(8)]
    statuses = [r.status for r in rs]
    assert statuses[:5] == [200] * 5, statuses
    assert 429 in statuses, statuses
    throttled = next(r for r in rs if r.status == 429)
    graph_error(throttled, 429, "TooManyRequests")
    assert float(throttled.header("Retry-After")) > 0

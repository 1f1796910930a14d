"""/users/{id | userPrincipalName} (the source objects expression tests read) and the
parseExpression shapes the rules tree relies on (graph-sync-api.md §3.13, §4.16)."""

import pytest

from tests.conformance.graphhttp import graph_error, q


def _users(emu):
    return emu.tenant()["users"]


def test_user_by_id_and_by_upn_is_the_same_object(emu, g):
    u = _users(emu)[0]
    by_id = g.get(f"/users/{q(u['id'])}?$select=id,userPrincipalName,department").json()
    by_upn = g.get(f"/users/{q(u['userPrincipalName'])}?$select=id,userPrincipalName,department").json()
    assert by_id == by_upn
    assert by_id["id"] == u["id"] and by_id["department"]
    assert by_id["@odata.context"].endswith("$metadata#users(id,userPrincipalName,department)/$entity")


def test_user_default_properties_without_select(emu, g):
    u = _users(emu)[0]
    body = g.get(f"/users/{q(u['id'])}").json()
    assert "department" not in body          # not in Graph's default set
    assert body["userPrincipalName"] == u["userPrincipalName"]


def test_user_unknown_property_and_unknown_user(emu, g):
    u = _users(emu)[0]
    graph_error(g.get(f"/users/{q(u['id'])}?$select=IsSoftDeleted"), 400)
    graph_error(g.get("/users/nobody@contoso.onmicrosoft.com"), 404)


def _parse(demo, g, expression, props=None):
    sp_id, job_id = demo.any_job()
    body = {"expression": expression}
    if props is not None:
        body["testInputObject"] = {"definition": None,
                                   "properties": [{"key": k, "value": v} for k, v in props.items()]}
    r = g.post(demo.job_path(sp_id, job_id) + "/schema/parseExpression", body)
    assert r.status == 200, r
    return r.json()


def test_join_repeats_its_source_parameter(demo, g):
    got = _parse(demo, g, 'Join("@", [mailNickname], "contoso.com")', {"mailNickname": "adele"})
    pe = got["parsedExpression"]
    assert [p["key"] for p in pe["parameters"]] == ["separator", "source", "source"]
    assert pe["expression"] == 'Join("@", [mailNickname], "contoso.com")'
    assert got["evaluationResult"] == ["adele@contoso.com"]


def test_nested_function_keeps_each_node_text(demo, g):
    text = 'ToLower(Join(".", [givenName], [surname]))'
    pe = _parse(demo, g, text)["parsedExpression"]
    inner = pe["parameters"][0]["value"]
    assert pe["expression"] == text
    assert inner["expression"] == 'Join(".", [givenName], [surname])'
    assert inner["type"] == "Function" and inner["name"] == "Join"


def test_unknown_function_fails_parsing(demo, g):
    got = _parse(demo, g, "Frobnicate([mail])")
    assert got["parsingSucceeded"] is False and got["parsedExpression"] is None
    assert "Frobnicate" in got["error"]["message"]


@pytest.mark.parametrize("job_index", range(3))
def test_every_demo_mapping_source_is_what_parse_expression_gives(emu, demo, g, job_index):
    """The demo schemas are built from expression texts: each source tree equals Graph's parse of
    its own expression, so a tree read back from a schema round-trips through its text."""
    jobs = [(sp["id"], j) for sp in emu.tenant()["servicePrincipals"] for j in sp["jobs"]]
    sp_id, job_id = jobs[job_index * 3 % len(jobs)]
    schema = g.get(demo.job_path(sp_id, job_id) + "/schema").json()
    for rule in schema["synchronizationRules"]:
        for om in rule["objectMappings"]:
            for m in om["attributeMappings"]:
                if m["source"] is None:
                    continue
                pe = _parse(demo, g, m["source"]["expression"])["parsedExpression"]
                assert pe == m["source"], m["targetAttributeName"]

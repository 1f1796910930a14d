"""Unit checks of the emulator's parsers (no server): expressions, $filter, reset scopes, schema
normalisation. Run: /usr/bin/python3 -m pytest -q tests/emulator"""

import json
from pathlib import Path

import pytest

from tests.emulator import catalog, expressions, odata_filter
from tests.emulator.envelope import GraphError
from tests.emulator.lifecycle import BadScope, parse_reset_scope
from tests.emulator.schemas import normalize_schema

EXAMPLES = Path(__file__).resolve().parents[1] / "conformance" / "graph-examples"  # copied from shared/graph-examples


def test_documented_parse_expression_example():
    req = json.loads((EXAMPLES / "parse-expression-request.json").read_text())
    want = json.loads((EXAMPLES / "parse-expression-response.json").read_text())
    assert expressions.parse_expression_response(req) == want


@pytest.mark.parametrize("expr, props, result", [
    ('Append([mail], "x")', {"mail": "a@b"}, ["a@bx"]),
    ('Join(" ", [givenName], [sn])', {"givenName": "Ann", "sn": "Lee"}, ["Ann Lee"]),
    ('Switch([IsSoftDeleted], , "False", "True", "True", "False")', {"IsSoftDeleted": "True"}, ["False"]),
    ('IIF(IsPresent([upn]), [upn], "none")', {}, ["none"]),
    ('Coalesce([a], [b], "z")', {"b": "y"}, ["y"]),
    ('Mid("abcdef", "2", "3")', {}, ["bcd"]),
    ('ToUpper(Trim("  zürich "))', {}, ["ZÜRICH"]),
    ('NormalizeDiacritics("Zürich Straße")', {}, ["Zurich Strasse"]),
    ('Not([flag])', {"flag": "False"}, ["True"]),
    ('Replace([x], , "\\\\d+", , "#", , )', {"x": "a1b22"}, ["a#b#"]),
    ('Split([x], ",")', {"x": "a,b"}, ["a", "b"]),
    ('[addresses[type eq "work"].locality]', {'addresses[type eq "work"].locality': "Bern"}, ["Bern"]),
])
def test_evaluation(expr, props, result):
    body = {"expression": expr, "testInputObject": {"properties": [{"key": k, "value": v} for k, v in props.items()]}}
    got = expressions.parse_expression_response(body)
    assert got["parsingSucceeded"] and got["evaluationSucceeded"], got
    assert got["evaluationResult"] == result


@pytest.mark.parametrize("expr", ['Replace([a], "-"', "Foo([a])", "Append([mail])", '"open', "[a", "Not([a], [b])", ""])
def test_parse_errors(expr):
    got = expressions.parse_expression_response({"expression": expr})
    assert got["parsingSucceeded"] is False and got["error"]["code"] == "ExpressionParsingFailed"


def test_empty_slots_give_no_parameter():
    tree = expressions.parse('Replace([a], , , , "_", , )')
    assert [p["key"] for p in tree["parameters"]] == ["source", "Replacement"]


def test_every_catalog_template_schema_builds():
    for t in catalog.TEMPLATES.values():
        s = t.schema()
        names = {d["name"] for d in s["directories"]}
        for r in s["synchronizationRules"]:
            assert r["sourceDirectoryName"] in names and r["targetDirectoryName"] in names
        assert normalize_schema(s, lambda: "x") == {"directories": s["directories"],
                                                    "synchronizationRules": s["synchronizationRules"]}


def test_filter():
    tree = odata_filter.parse("startswith(displayName, 'sal') and appId ne 'x' or id in ('1', '2')")
    get = {"displayName": "Salesforce", "appId": "y", "id": "3"}.get
    assert odata_filter.matches(tree, get)
    assert odata_filter.matches(odata_filter.parse("displayName eq 'O''Brien'"), {"displayName": "o'brien"}.get)
    with pytest.raises(GraphError) as e:
        odata_filter.parse("nope eq 'x'")
    assert e.value.code == "Request_UnsupportedQuery"
    with pytest.raises(GraphError):
        odata_filter.parse("startswith(displayName,")


def test_reset_scope():
    assert parse_reset_scope("") == parse_reset_scope(None) == 2 | 4 | 8
    assert parse_reset_scope("Full") == 15
    assert parse_reset_scope("watermark, Escrows") == 6
    with pytest.raises(BadScope):
        parse_reset_scope("Everything")


def test_schema_normalisation_fills_defaults_and_refuses_bad_enums():
    s = normalize_schema({"directories": [{"name": "d", "objects": [{"name": "User", "attributes": [
        {"name": "a", "type": "string"}]}]}], "synchronizationRules": []}, lambda: "new-id")
    a = s["directories"][0]["objects"][0]["attributes"][0]
    assert a["type"] == "String" and a["mutability"] == "ReadWrite" and a["anchor"] is False
    assert s["directories"][0]["id"] == "new-id"
    with pytest.raises(GraphError):
        normalize_schema({"directories": [{"name": "d", "objects": [{"name": "U", "attributes": [
            {"name": "a", "type": "Text"}]}]}]}, lambda: "x")


def test_a_once_rule_serves_a_request_that_waited_its_retry_after(monkeypatch):
    from tests.emulator import faults as faults_mod
    clock = [100.0]
    monkeypatch.setattr(faults_mod.time, "monotonic", lambda: clock[0])
    f = faults_mod.Faults()
    f.replace([{"batch_item": True, "status": 429, "retry_after": "1", "once": True, "path": "/jobs$"}])
    assert f.pick("GET", "/sp/1/jobs", batch_item=True) is not None
    clock[0] += 0.5
    early = f.pick("GET", "/sp/1/jobs", batch_item=True)  # before its Retry-After: throttled again
    assert early is not None and f.describe()[0]["early"] == 1
    clock[0] += 0.6
    assert f.pick("GET", "/sp/1/jobs", batch_item=True) is None  # waited: served
    assert f.pick("GET", "/sp/1/jobs", batch_item=True) is None  # and not throttled again
    assert f.pick("GET", "/sp/2/jobs", batch_item=True) is not None
    assert f.describe()[0]["early"] == 1
    with pytest.raises(ValueError):
        f.replace([{"status": 429, "once": True}])


def test_json_copy_is_deep_and_equal_and_takes_what_marshal_does_not():
    from tests.emulator.util import json_copy
    schema = catalog.TEMPLATES["salesforce"].schema()
    copied = json_copy(schema)
    assert copied == schema
    copied["synchronizationRules"][0]["name"] = "changed"
    assert schema["synchronizationRules"][0]["name"] != "changed"

    class Odd(dict):
        pass
    odd = {"a": [Odd(b=1)]}
    assert json_copy(odd) == odd and json_copy(odd)["a"][0] is not odd["a"][0]

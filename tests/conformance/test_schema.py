"""graph-sync-api.md §9.2 (PUT schema replaces everything, version bumps, directories inline,
PATCH -> 404 UnknownError), §9.3 (DELETE schema resets), §3.11, and §7 (partial attribute
objects in a PUT)."""

import copy

import pytest

from tests.conformance.graphhttp import assert_empty_204, example, graph_error, q


def _schema(g, path):
    r = g.get(path)
    assert r.status == 200, r
    s = r.json()
    s.pop("@odata.context", None)
    return s


@pytest.fixture
def job_schema(fresh_demo):
    sp_id, job_id = fresh_demo.any_job()
    return fresh_demo.g, fresh_demo.job_path(sp_id, job_id) + "/schema"


def test_get_schema_has_directories_inline_and_version(demo, g):
    sp_id, job_id = demo.any_job()
    s = _schema(g, demo.job_path(sp_id, job_id) + "/schema")
    assert isinstance(s["version"], str) and s["version"]
    assert isinstance(s["directories"], list) and s["directories"], s
    for d in s["directories"]:
        assert isinstance(d["id"], str) and isinstance(d["name"], str)
        assert isinstance(d["objects"], list) and d["objects"], d
    assert isinstance(s["synchronizationRules"], list)
    names = {d["name"] for d in s["directories"]}
    for rule in s["synchronizationRules"]:
        assert rule["sourceDirectoryName"] in names, rule
        assert rule["targetDirectoryName"] in names, rule


def test_put_schema_replaces_everything_and_bumps_version(job_schema):
    g, path = job_schema
    before = _schema(g, path)
    new = copy.deepcopy(example("schema.json"))
    new.pop("version")
    assert_empty_204(g.put(path, new))
    after = _schema(g, path)
    assert after["version"] != before["version"]
    # whatever is in the body is the schema; nothing of the old one survives
    assert after["directories"] == new["directories"]
    assert after["synchronizationRules"] == new["synchronizationRules"]

    # omit the second directory's object attributes and the only rule's last mapping
    smaller = copy.deepcopy(after)
    smaller.pop("version")
    smaller["directories"][1]["objects"][0]["attributes"] = smaller["directories"][1]["objects"][0]["attributes"][:2]
    om = smaller["synchronizationRules"][0]["objectMappings"][0]
    om["attributeMappings"] = om["attributeMappings"][:1]
    assert_empty_204(g.put(path, smaller))
    again = _schema(g, path)
    assert again["version"] not in (before["version"], after["version"])
    assert again["directories"] == smaller["directories"]
    assert again["synchronizationRules"] == smaller["synchronizationRules"]

    # empty rules: the rules disappear
    empty = copy.deepcopy(smaller)
    empty["synchronizationRules"] = []
    assert_empty_204(g.put(path, empty))
    assert _schema(g, path)["synchronizationRules"] == []


def test_put_schema_with_partial_attributes_fills_defaults(job_schema):
    """§7.1/§7.2: attributes sent as only name + type are accepted; other fields take defaults and
    non-nullable fields are present on GET (§9.8)."""
    g, path = job_schema
    s = _schema(g, path)
    s.pop("version")
    obj = s["directories"][0]["objects"][0]
    obj["attributes"].append({"name": "extension_9d98asdfl15980a_Nickname", "type": "String"})
    assert_empty_204(g.put(path, s))
    got = _schema(g, path)
    attr = next(a for a in got["directories"][0]["objects"][0]["attributes"]
                if a["name"] == "extension_9d98asdfl15980a_Nickname")
    assert attr["type"] == "String"
    assert attr["anchor"] is False
    assert attr["multivalued"] is False
    assert attr["required"] is False
    assert attr["caseExact"] is False
    assert attr["flowNullValues"] is False
    assert attr["mutability"] == "ReadWrite"


def test_delete_schema_resets_to_template_default(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    job = fresh_demo.get_job(sp_id, job_id)
    path = fresh_demo.job_path(sp_id, job_id) + "/schema"
    template = _schema(g, f"/servicePrincipals/{q(sp_id)}/synchronization/templates/{q(job['templateId'])}/schema")
    s = _schema(g, path)
    s.pop("version")
    s["synchronizationRules"] = []
    assert_empty_204(g.put(path, s))
    v_put = _schema(g, path)["version"]
    assert_empty_204(g.delete(path))
    after = g.get(path)
    assert after.status == 200, after  # reset, not deleted
    reset = after.json()
    assert reset["version"] != v_put
    assert reset["synchronizationRules"] == template["synchronizationRules"]
    assert reset["directories"] == template["directories"]


def test_patch_schema_is_404_unknown_error(job_schema):
    """§9.2 / §3.11: PATCH on schema -> 404 UnknownError (real behaviour), not 405."""
    g, path = job_schema
    before = _schema(g, path)
    r = g.patch(path, {"synchronizationRules": []})
    err = graph_error(r, 404, "UnknownError")
    assert "No HTTP resource was found" in err["message"], err
    assert _schema(g, path) == before


def test_template_schema_get(demo, g):
    sp = demo.sp_with_templates()
    for tid in sp["templates"]:
        s = _schema(g, f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(tid)}/schema")
        assert isinstance(s["directories"], list) and isinstance(s["synchronizationRules"], list)


def test_template_schema_delete_resets_to_factory_default(fresh_demo):
    """§9.3: DELETE of a template schema (through the application) resets it to the factoryTag
    default; GET still answers 200."""
    g = fresh_demo.g
    sp = fresh_demo.sp_with_templates()
    tid = sp["templates"][0]
    app = f"/applications(appId='{sp['appId']}')/synchronization/templates/{q(tid)}/schema"
    original = _schema(g, f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(tid)}/schema")
    changed = copy.deepcopy(original)
    changed.pop("version", None)
    changed["synchronizationRules"] = []
    assert_empty_204(g.put(app, changed))
    assert _schema(g, app)["synchronizationRules"] == []
    assert_empty_204(g.delete(app))
    r = g.get(app)
    assert r.status == 200, r
    assert r.json()["synchronizationRules"] == original["synchronizationRules"]


def test_put_schema_with_malformed_json_is_400(job_schema):
    g, path = job_schema
    before = _schema(g, path)
    r = g.put(path, raw_body=b"{not json", content_type="application/json")
    graph_error(r, 400)
    assert _schema(g, path)["version"] == before["version"]


def test_put_schema_documented_flow_partial_mapping_and_lowercase_type(job_schema):
    """§7.1 step 5 verbatim (attribute {"name", "type"} and mapping {"source": {"name", "type"},
    "targetAttributeName"}), plus the v1.0 doc's lower-case "type": "string" (§5 note: output
    must be PascalCase). GET shows every non-nullable field with its default (§4.12, §4.15)."""
    g, path = job_schema
    s = _schema(g, path)
    s.pop("version")
    rule = s["synchronizationRules"][0]
    src = next(d for d in s["directories"] if d["name"] == rule["sourceDirectoryName"])
    tgt = next(d for d in s["directories"] if d["name"] == rule["targetDirectoryName"])
    om = rule["objectMappings"][0]
    src_obj = next(o for o in src["objects"] if o["name"] == om["sourceObjectName"])
    tgt_obj = next(o for o in tgt["objects"] if o["name"] == om["targetObjectName"])
    src_obj["attributes"].append({"name": "extension_9d98asdfl15980a_Nickname", "type": "string"})
    tgt_obj["attributes"].append({"name": "officeCode", "type": "String"})  # §7.2's custom target
    assert "officeCode" not in [a["targetAttributeName"] for a in om["attributeMappings"]]
    om["attributeMappings"].append({"source": {"name": "extension_9d98asdfl15980a_Nickname", "type": "Attribute"},
                                    "targetAttributeName": "officeCode"})
    assert_empty_204(g.put(path, s))
    got = _schema(g, path)
    gsrc = next(d for d in got["directories"] if d["name"] == rule["sourceDirectoryName"])
    attr = next(a for o in gsrc["objects"] if o["name"] == om["sourceObjectName"]
                for a in o["attributes"] if a["name"] == "extension_9d98asdfl15980a_Nickname")
    assert attr["type"] == "String", attr
    gom = got["synchronizationRules"][0]["objectMappings"][0]
    m = next(a for a in gom["attributeMappings"] if a["targetAttributeName"] == "officeCode")
    assert m["flowType"] == "Always", m
    assert m["flowBehavior"] == "FlowWhenChanged", m
    assert m["matchingPriority"] == 0, m
    assert m["exportMissingReferences"] is False, m
    assert m["defaultValue"] is None, m
    assert m["source"]["type"] == "Attribute" and m["source"]["name"] == "extension_9d98asdfl15980a_Nickname"

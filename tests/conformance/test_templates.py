"""Templates, graph-sync-api.md §2 #18-#20, §3.15, §9.19."""

import copy

import pytest

from tests.conformance.graphhttp import assert_empty_204, graph_error, q


def _app_templates(sp):
    return f"/applications(appId='{sp['appId']}')/synchronization/templates"


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_list_and_get_templates(demo, g, version):
    gv = g.with_version(version)
    sp = demo.sp_with_templates()
    r = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates")
    assert r.status == 200, r
    listed = r.json()["value"]
    assert [t["id"] for t in listed] == sp["templates"] or sorted(t["id"] for t in listed) == sorted(sp["templates"])
    for t in listed:
        one = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(t['id'])}")
        assert one.status == 200, one
        body = one.json()
        body.pop("@odata.context", None)
        assert body == t
    # the same through the application
    r = gv.get(_app_templates(sp))
    assert r.status == 200, r
    assert sorted(t["id"] for t in r.json()["value"]) == sorted(sp["templates"])


def test_unknown_template_is_404(demo, g):
    sp = demo.sp_with_templates()
    graph_error(g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/NoSuchTemplate"), 404)


def test_template_update_replaces_and_erases_omitted(fresh_demo):
    """§9.19: PATCH APP/templates/{id} with the template replaces it; omitted properties are erased."""
    g = fresh_demo.g
    sp = fresh_demo.sp_with_templates()
    tid = sp["templates"][0]
    path = f"{_app_templates(sp)}/{q(tid)}"
    t = g.get(path)
    assert t.status == 200, t
    t = t.json()
    t.pop("@odata.context", None)
    new = copy.deepcopy(t)
    new["description"] = "Changed by the conformance tests"
    new.pop("metadata", None)
    new.pop("schema", None)
    r = g.patch(path, new)
    assert_empty_204(r)
    got = g.get(path).json()
    assert got["description"] == "Changed by the conformance tests"
    assert got["id"] == tid
    assert got.get("metadata") in (None, []), got.get("metadata")
    # also visible through the service principal
    via_sp = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(tid)}").json()
    assert via_sp["description"] == "Changed by the conformance tests"

"""Gaps between the emulator and Graph closed by issue 18: the tags/any() lambda filter, advanced
endswith() (ConsistencyLevel: eventual with $count=true), @odata.count only in advanced queries,
and a second start on a running job (accepted, 204, and the cycle in progress goes on: Graph's
docs warn against calling start on a running job but describe no error)."""

import time
import urllib.parse

import pytest

from tests.conformance.graphhttp import assert_empty_204, graph_error
from tests.conformance.test_job_lifecycle import _job_ready_to_start

ADVANCED = {"ConsistencyLevel": "eventual"}


def sps(g, flt, headers=None, count=False):
    path = "/servicePrincipals?$select=id,displayName,tags&$filter=" + urllib.parse.quote(flt)
    return g.get(path + ("&$count=true" if count else ""), headers=headers)


def test_tags_any_lambda(demo, g):
    tag = "WindowsAzureActiveDirectoryGalleryApplicationPrimaryV1"
    want = sorted(s["id"] for s in demo.sps if tag in (g.get(f"/servicePrincipals/{s['id']}").json()["tags"]))
    assert want and len(want) < len(demo.sps)
    for flt in (f"tags/any(t:t eq '{tag}')", f"tags/any(x: x eq '{tag.lower()}')",
                "tags/any(t:startswith(t, 'WindowsAzureActiveDirectoryGallery'))"):
        r = sps(g, flt)
        assert r.status == 200, (flt, r)
        assert sorted(s["id"] for s in r.json()["value"]) == want, flt
    r = sps(g, f"not tags/any(t:t eq '{tag}') and startswith(displayName, 'Microsoft')")
    assert r.status == 200 and all(tag not in s["tags"] for s in r.json()["value"]), r
    graph_error(sps(g, "owners/any(o:o eq 'x')"), 400, "Request_UnsupportedQuery")
    graph_error(sps(g, "tags/any(t eq 'x')"), 400, "BadRequest")


def test_endswith_needs_an_advanced_query(demo, g):
    name = demo.sps[0]["displayName"]
    tail = name[-4:]
    want = sorted(s["id"] for s in demo.sps if s["displayName"].lower().endswith(tail.lower()))
    flt = f"endswith(displayName, '{tail}')"
    err = graph_error(sps(g, flt), 400, "Request_UnsupportedQuery")
    assert "ConsistencyLevel:eventual" in err["message"] and "$count=true" in err["message"]
    graph_error(sps(g, flt, headers=ADVANCED), 400, "Request_UnsupportedQuery")   # no $count
    graph_error(sps(g, flt, count=True), 400, "Request_UnsupportedQuery")         # no header
    r = sps(g, flt, headers=ADVANCED, count=True)
    assert r.status == 200, r
    body = r.json()
    assert sorted(s["id"] for s in body["value"]) == want
    assert body["@odata.count"] == len(want)


def test_odata_count_only_with_consistency_level(g):
    r = g.get("/servicePrincipals?$count=true&$top=2")
    assert r.status == 200 and "@odata.count" not in r.json(), r.json().keys()
    r = g.get("/servicePrincipals?$count=true&$top=2", headers=ADVANCED)
    assert r.json()["@odata.count"] >= 2


def test_second_start_on_a_running_job_is_accepted_and_changes_nothing(emu_factory):
    from tests.conformance.conftest import DemoTenant
    from tests.conformance.graphhttp import GraphHTTP
    emu = emu_factory(tenant="demo", time_scale=60.0)
    g = GraphHTTP(emu.url)
    demo = DemoTenant(emu, g)
    sp_id, job_id = _job_ready_to_start(demo)
    jp = demo.job_path(sp_id, job_id)
    assert_empty_204(g.post(jp + "/start"))
    deadline = time.monotonic() + 20
    first = demo.get_job(sp_id, job_id)
    while not first["status"].get("progress") and time.monotonic() < deadline:   # the first cycle has begun
        time.sleep(0.05)
        first = demo.get_job(sp_id, job_id)
    assert first["status"].get("progress"), first["status"]
    assert first["schedule"]["state"] == "Active" and first["status"]["code"] == "NotRun"
    assert_empty_204(g.post(jp + "/start"))
    again = demo.get_job(sp_id, job_id)
    assert again["schedule"] == first["schedule"]
    assert again["status"] == first["status"]       # the first cycle is not begun again
    emu.run_cycle(sp_id, job_id)
    done = demo.get_job(sp_id, job_id)["status"]
    assert done["code"] == "Active" and done["lastExecution"]
    assert_empty_204(g.post(jp + "/start"))
    assert demo.get_job(sp_id, job_id)["status"] == done


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_beta_names_service_principal_scopes_as_beta_does(g, version):
    sp = g.with_version(version).get("/servicePrincipals?$top=1").json()["value"][0]
    if version == "beta":
        assert "publishedPermissionScopes" in sp and "oauth2PermissionScopes" not in sp
        assert "resourceSpecificApplicationPermissions" not in sp
    else:
        assert "oauth2PermissionScopes" in sp and "publishedPermissionScopes" not in sp
    name = "publishedPermissionScopes" if version == "beta" else "oauth2PermissionScopes"
    other = "oauth2PermissionScopes" if version == "beta" else "publishedPermissionScopes"
    r = g.with_version(version).get(f"/servicePrincipals?$top=1&$select=id,{name}")
    assert r.status == 200 and set(r.json()["value"][0]) == {"id", name}, r
    graph_error(g.with_version(version).get(f"/servicePrincipals?$top=1&$select=id,{other}"), 400)

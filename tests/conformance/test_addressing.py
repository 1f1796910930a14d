"""Ids and addressing, graph-sync-api.md §9.12, §1 (appId alternate key), §3.3 (trailing slashes)."""

import pytest

from tests.conformance.graphhttp import JOB_ID_RE, graph_error, q


def test_job_ids_have_documented_format(demo):
    jobs = demo.all_jobs()
    assert jobs
    for _, job_id in jobs:
        assert JOB_ID_RE.match(job_id), job_id
    # the tenant id (without hyphens) is the second part
    tid = demo.tenant_id.replace("-", "").lower()
    for _, job_id in jobs:
        assert job_id.split(".")[1] == tid, (job_id, demo.tenant_id)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_app_id_alternate_key(demo, g, version):
    gv = g.with_version(version)
    sp = demo.sps_with_jobs()[0]
    by_id = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs").json()
    r = gv.get(f"/servicePrincipals(appId='{sp['appId']}')/synchronization/jobs")
    assert r.status == 200, r
    assert [j["id"] for j in r.json()["value"]] == [j["id"] for j in by_id["value"]]
    job_id = sp["jobs"][0]
    r = gv.get(f"/servicePrincipals(appId='{sp['appId']}')/synchronization/jobs/{q(job_id)}")
    assert r.status == 200, r
    assert r.json()["id"] == job_id


def test_app_id_alternate_key_unknown_is_404(g):
    r = g.get("/servicePrincipals(appId='00000000-0000-0000-0000-000000000000')/synchronization/jobs")
    graph_error(r, 404)


def test_trailing_slashes_are_accepted(demo, g):
    sp = demo.sps_with_jobs()[0]
    job_id = sp["jobs"][0]
    a = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs")
    b = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs/")
    assert a.status == 200 and b.status == 200, (a, b)
    assert [j["id"] for j in a.json()["value"]] == [j["id"] for j in b.json()["value"]]
    c = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs/{q(job_id)}/")
    assert c.status == 200, c
    assert c.json()["id"] == job_id


def test_job_id_with_dots_routes_to_job_not_to_a_subresource(demo, g):
    """Ids hold dots (and the last part may look like a file extension): the whole segment is the id."""
    sp_id, job_id = demo.all_jobs()[0]
    r = g.get(demo.job_path(sp_id, job_id))
    assert r.status == 200, r
    assert r.json()["id"] == job_id
    # a prefix of the id (up to the first dot) is not the job
    r = g.get(demo.job_path(sp_id, job_id.split(".")[0]))
    graph_error(r, 404)


def test_get_service_principal_by_id_and_by_app_id(demo, g):
    sp = demo.sps[0]
    r = g.get(f"/servicePrincipals/{q(sp['id'])}")
    assert r.status == 200, r
    body = r.json()
    assert (body["id"], body["appId"], body["displayName"]) == (sp["id"], sp["appId"], sp["displayName"])
    r = g.get(f"/servicePrincipals(appId='{sp['appId']}')")
    assert r.status == 200, r
    assert r.json()["id"] == sp["id"]

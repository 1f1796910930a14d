"""The Graph envelope: request-id / client-request-id headers on every response (§8.3, §9.14)
and the error body (§8.2)."""

import pytest

from tests.conformance.graphhttp import (GUID_RE, assert_empty_204, graph_error,
                                         new_client_request_id, q)


def _ids_ok(r, sent=None):
    rid = r.header("request-id")
    crid = r.header("client-request-id")
    assert rid and GUID_RE.match(rid), r
    assert crid, r
    if sent is None:
        assert crid == rid, r  # not sent: equals request-id (observed)
    else:
        assert crid == sent, r


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_request_id_on_200_and_404(demo, g, version):
    gv = g.with_version(version)
    sp = demo.sps_with_jobs()[0]
    _ids_ok(gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs"))
    _ids_ok(gv.get("/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs"))
    _ids_ok(gv.get("/servicePrincipals"))


def test_request_ids_are_unique(g):
    ids = {g.get("/servicePrincipals?$top=1").header("request-id") for _ in range(5)}
    assert len(ids) == 5


def test_client_request_id_is_echoed(demo, g):
    sp = demo.sps_with_jobs()[0]
    crid = new_client_request_id()
    r = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs", headers={"client-request-id": crid})
    assert r.status == 200
    _ids_ok(r, crid)
    assert r.header("request-id") != crid


def test_ids_on_204(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    crid = new_client_request_id()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/pause", headers={"client-request-id": crid})
    assert_empty_204(r)
    _ids_ok(r, crid)
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/start")
    assert_empty_204(r)
    _ids_ok(r)


def test_ids_on_errors_equal_inner_error(demo, g):
    crid = new_client_request_id()
    r = g.get("/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs",
              headers={"client-request-id": crid})
    err = graph_error(r, 404, "Request_ResourceNotFound")
    _ids_ok(r, crid)
    assert err["innerError"]["request-id"] == r.header("request-id")
    assert err["innerError"]["client-request-id"] == crid
    assert "00000000-0000-0000-0000-000000000000" in err["message"]

    r = g.get("/servicePrincipals?$top=1000")
    err = graph_error(r, 400, "Request_UnsupportedQuery")
    _ids_ok(r)


def test_unknown_path_is_an_error_with_envelope(g):
    r = g.get("/servicePrincipals/x/synchronization/nothingHere")
    assert 400 <= r.status < 500, r
    graph_error(r, r.status)
    _ids_ok(r)


def test_unknown_version_is_error_with_envelope(g):
    r = g.request("GET", "/v9.9/servicePrincipals", root=True)
    assert 400 <= r.status < 500, r
    _ids_ok(r)


def test_method_not_allowed_on_job(demo, g):
    """PUT on a job is not an operation of §2 (PATCH J is permissions-only); the answer is a Graph
    error (405 Request_BadRequest observed on directory endpoints, §8.2) with the envelope."""
    sp_id, job_id = demo.all_jobs()[0]
    r = g.put(demo.job_path(sp_id, job_id), {"templateId": "x"})
    assert r.status in (400, 404, 405), r
    graph_error(r, r.status)
    _ids_ok(r)


def test_malformed_json_body_is_400(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/restart", raw_body=b"{\"criteria\":",
               content_type="application/json")
    graph_error(r, 400)
    _ids_ok(r)


def test_json_content_type_on_json_responses(demo, g):
    sp = demo.sps_with_jobs()[0]
    r = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs")
    ct = r.header("Content-Type")
    assert ct and ct.split(";")[0].strip() == "application/json", ct
    assert int(r.header("Content-Length") or len(r.body)) == len(r.body)


def test_graph_diagnostic_headers(g):
    """§8.3: x-ms-ags-diagnostic (JSON with DataCenter/Slice/Ring/ScaleUnit/RoleInstance),
    Strict-Transport-Security, Date on every response; x-ms-resource-unit on identity paths."""
    import json as _json
    for r in (g.get("/servicePrincipals?$top=1"), g.get("/servicePrincipals/nope/synchronization/jobs")):
        diag = _json.loads(r.header("x-ms-ags-diagnostic"))
        info = diag.get("ServerInfo", diag)
        assert {"DataCenter", "Slice", "Ring", "ScaleUnit", "RoleInstance"} <= set(info), diag
        assert r.header("Strict-Transport-Security")
        assert r.header("Date")
    assert int(g.get("/servicePrincipals?$top=1").header("x-ms-resource-unit")) >= 1

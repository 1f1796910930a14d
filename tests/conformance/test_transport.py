"""How answers travel (issue 18): chunked and gzip-encoded answers (a setting, the
GS_EMULATOR_TRANSPORT environment variable, or a fault rule per request), gateway error pages
(HTML, empty), both provisionOnDemand shapes, and the warning for a fault rule that cannot hit
because the client batches the requests it names."""

import gzip
import json

import pytest

from tests.conformance.conftest import start_emulator, stop_emulator
from tests.conformance.graphhttp import GraphHTTP, q
from tests.emulator.pod_shapes import STATUS_INFO_KEY

GZIP = {"Accept-Encoding": "gzip, deflate"}


def decoded(r):
    assert r.header("Content-Encoding") == "gzip", r
    return json.loads(gzip.decompress(r.body))


def test_default_is_content_length_identity(fresh, fresh_g):
    r = fresh_g.get("/servicePrincipals?$top=2", headers=GZIP)
    assert r.status == 200
    assert r.header("Content-Length") == str(len(r.body)) and r.header("Transfer-Encoding") is None
    assert r.header("Content-Encoding") is None


def test_chunked_and_gzip_by_setting(fresh, fresh_g):
    plain = fresh_g.get("/servicePrincipals?$top=3").json()
    fresh.config(chunked=True, gzip=True)
    r = fresh_g.get("/servicePrincipals?$top=3", headers=GZIP)
    assert r.status == 200
    assert r.header("Transfer-Encoding") == "chunked" and r.header("Content-Length") is None
    assert r.header("Vary") == "Accept-Encoding"
    got = decoded(r)
    assert got["value"] == plain["value"]
    # gzip only when the client accepts it; chunked still
    r = fresh_g.get("/servicePrincipals?$top=3", headers={"Accept-Encoding": "identity"})
    assert r.header("Content-Encoding") is None and r.json()["value"] == plain["value"]
    assert r.header("Transfer-Encoding") == "chunked"
    # errors are encoded as well; 204 stays without a body
    r = fresh_g.get("/servicePrincipals/00000000-0000-0000-0000-000000000000", headers=GZIP)
    assert r.status == 404 and decoded(r)["error"]["code"] == "Request_ResourceNotFound"
    fresh.config(chunked=False, gzip=False)
    assert fresh_g.get("/servicePrincipals?$top=1", headers=GZIP).header("Content-Encoding") is None


def test_bad_transport_settings_are_refused(fresh):
    with pytest.raises(Exception):
        fresh.config(gzip="sometimes")
    with pytest.raises(Exception):
        fresh.config(pod_answer_shape="xml")
    with pytest.raises(Exception):
        fresh.set_faults([{"action": "encode", "encoding": "brotli"}])
    with pytest.raises(Exception):
        fresh.set_faults([{"status": 502, "body": "xml"}])


def test_encode_fault_rule_applies_per_request(fresh, fresh_g):
    fresh.set_faults([{"method": "GET", "path": "/jobs$", "action": "encode", "encoding": "gzip,chunked"}])
    sp = next(s for s in fresh.tenant()["servicePrincipals"] if s["jobs"])
    r = fresh_g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs", headers=GZIP)
    assert r.header("Transfer-Encoding") == "chunked"
    assert [j["id"] for j in decoded(r)["value"]] == sp["jobs"]
    r = fresh_g.get(f"/servicePrincipals/{q(sp['id'])}", headers=GZIP)
    assert r.header("Content-Encoding") is None and r.header("Content-Length")


def test_environment_variable_turns_both_on(monkeypatch):
    monkeypatch.setenv("GS_EMULATOR_TRANSPORT", "chunked,gzip")
    emu = start_emulator(tenant="demo")
    try:
        assert emu.config()["chunked"] is True and emu.config()["gzip"] is True
        r = GraphHTTP(emu.url).get("/servicePrincipals?$top=1", headers=GZIP)
        assert r.header("Transfer-Encoding") == "chunked" and len(decoded(r)["value"]) == 1
    finally:
        stop_emulator(emu)
    monkeypatch.setenv("GS_EMULATOR_TRANSPORT", "chunked,deflate")
    with pytest.raises(RuntimeError, match="deflate"):
        start_emulator(tenant="demo")


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_html_and_empty_error_bodies(fresh, fresh_g, status):
    fresh.set_faults([{"path": "/servicePrincipals$", "status": status, "body": "html", "count": 1},
                      {"path": "/servicePrincipals$", "status": status, "body": "empty", "count": 1}])
    r = fresh_g.get("/servicePrincipals")
    assert r.status == status
    assert r.header("Content-Type") == "text/html"
    assert r.body.startswith(b"<!DOCTYPE html>") and f"<title>{status} ".encode() in r.body
    r = fresh_g.get("/servicePrincipals")
    assert r.status == status and r.body == b"" and r.header("Content-Length") == "0"
    assert fresh_g.get("/servicePrincipals").status == 200


def test_provision_on_demand_status_info_shape(fresh, fresh_demo):
    """The second real answer shape: key is the .NET type name, value a JSON array of reports."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    rule = g.get(jp + "/schema").json()["synchronizationRules"][0]
    body = {"parameters": [{"ruleId": rule["id"], "subjects": [
        {"objectId": "5d6f4a51-0a1e-4c3b-8a6e-2c8f9b1d7e40",
         "objectTypeName": rule["objectMappings"][0]["sourceObjectName"]}]}]}
    first = g.post(jp + "/provisionOnDemand", body).json()
    assert json.loads(first["key"])["result"] == "Success"
    fresh.config(pod_answer_shape="statusInfo")
    r = g.post(jp + "/provisionOnDemand", body)
    assert r.status == 200, r
    got = r.json()
    assert set(got) == {"@odata.context", "key", "value"}
    assert got["key"] == STATUS_INFO_KEY
    reports = json.loads(got["value"])
    assert isinstance(reports, list) and len(reports) == 1
    assert reports[0]["statusInfo"]["status"] == "Skipped"      # provisioned by the first request
    assert reports[0]["sourceIdentity"]["id"] == "5d6f4a51-0a1e-4c3b-8a6e-2c8f9b1d7e40"
    assert {s["name"] for s in reports[0]["provisioningSteps"]} >= {"EntryImport"}


def test_fault_rule_that_batched_requests_never_hit_is_reported(fresh, fresh_demo):
    sp = fresh_demo.sps_with_jobs()[0]
    fresh.set_faults([{"method": "GET", "path": "/jobs$", "status": 503}])
    batch = {"requests": [{"id": "1", "method": "GET",
                           "url": f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs"}] * 1}
    for _ in range(2):
        r = fresh_demo.g.post("/$batch", batch)
        assert r.status == 200 and r.json()["responses"][0]["status"] == 200
    rule = GraphHTTP(fresh.url).get("/_emulator/faults").json()["rules"][0]
    assert rule["hits"] == 0 and rule["batched"] == 2
    warnings = [line for line in fresh.stderr().splitlines() if "inside a $batch" in line]
    assert len(warnings) == 1, fresh.stderr()
    assert "batch_item" in warnings[0] and "/jobs$" in warnings[0]
    # a batch_item rule hits and is not reported
    fresh.set_faults([{"method": "GET", "path": "/jobs$", "status": 503, "batch_item": True}])
    assert fresh_demo.g.post("/$batch", batch).json()["responses"][0]["status"] == 503
    assert GraphHTTP(fresh.url).get("/_emulator/faults").json()["rules"][0]["batched"] == 0


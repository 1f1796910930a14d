"""The emulator's control API and request log (tests/emulator/README.md)."""

import json
import urllib.request


from tests.conformance.graphhttp import GraphHTTP, graph_error, q


def test_request_log_entries(fresh, fresh_demo):
    g = GraphHTTP(fresh.url, token="secret-token-value")
    sp_id, job_id = fresh_demo.any_job()
    fresh.clear_requests()
    g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/jobs?$top=5")
    g.post(fresh_demo.job_path(sp_id, job_id) + "/restart", {"criteria": {"resetScope": "Full"}})
    g.get("/servicePrincipals/nope/synchronization/jobs")
    log = fresh.requests()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [
        ("GET", f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs", 200),
        ("POST", f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs/{job_id}/restart", 204),
        ("GET", "/v1.0/servicePrincipals/nope/synchronization/jobs", 404),
    ]
    for k in ("seq", "time", "method", "path", "query", "status", "body", "content_type", "headers"):
        assert all(k in e for e in log), k
    seqs = [e["seq"] for e in log]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert log[0]["query"] == "$top=5"
    assert log[0]["body"] is None
    assert json.loads(log[1]["body"]) == {"criteria": {"resetScope": "Full"}}
    assert log[1]["content_type"].startswith("application/json")
    auth = {k.lower(): v for k, v in log[0]["headers"].items()}["authorization"]
    assert auth == "Bearer <redacted>"
    assert "secret-token-value" not in json.dumps(log)
    # since=SEQ
    later = fresh.requests(since=log[1]["seq"])
    assert [e["seq"] for e in later] in ([log[2]["seq"]], [log[1]["seq"], log[2]["seq"]])
    # DELETE clears; control calls are not logged
    fresh.clear_requests()
    fresh.tenant()
    assert fresh.requests() == []


def test_request_log_over_http(fresh):
    with urllib.request.urlopen(f"{fresh.url}/_emulator/requests") as r:
        assert r.status == 200
        body = json.loads(r.read())
    assert isinstance(body["requests"], list)
    req = urllib.request.Request(f"{fresh.url}/_emulator/requests", method="DELETE")
    with urllib.request.urlopen(req) as r:
        assert r.status in (200, 204)
    with urllib.request.urlopen(f"{fresh.url}/_emulator/requests") as r:
        assert json.loads(r.read())["requests"] == []


def test_path_is_decoded(fresh, fresh_demo):
    sp_id, job_id = fresh_demo.any_job()
    fresh.clear_requests()
    fresh_demo.g.get(f"/servicePrincipals(appId='{fresh_demo.sp(sp_id)['appId']}')/synchronization/jobs/{q(job_id)}")
    e = fresh.requests()[-1]
    assert e["path"] == f"/v1.0/servicePrincipals(appId='{fresh_demo.sp(sp_id)['appId']}')/synchronization/jobs/{job_id}"


def test_tenant_summary(demo):
    s = demo.summary
    assert isinstance(s["tenantId"], str) and len(s["tenantId"]) == 36
    assert len(s["servicePrincipals"]) >= 6
    for sp in s["servicePrincipals"]:
        assert set(sp) >= {"id", "appId", "displayName", "templates", "jobs"}, sp
    # first-party apps with no jobs and no templates exist; Cloud Sync has two jobs
    assert demo.sps_without_jobs()
    assert any(len(sp["jobs"]) >= 2 for sp in s["servicePrincipals"])
    names = " ".join(sp["displayName"] for sp in s["servicePrincipals"]).lower()
    for app in ("salesforce", "servicenow", "slack"):
        assert app in names, names


def test_add_patch_delete_service_principal(fresh, fresh_g):
    entry = fresh.add_sp(displayName="Conformance App", template="Slack", jobs=1)
    assert entry["displayName"] == "Conformance App"
    assert len(entry["jobs"]) == 1
    r = fresh_g.get(f"/servicePrincipals/{q(entry['id'])}/synchronization/jobs")
    assert r.status == 200 and [j["id"] for j in r.json()["value"]] == entry["jobs"]
    assert r.json()["value"][0]["templateId"] in entry["templates"]
    fresh.patch_sp(entry["id"], {"displayName": "Renamed App"})
    assert fresh_g.get(f"/servicePrincipals/{q(entry['id'])}").json()["displayName"] == "Renamed App"
    fresh.delete_sp(entry["id"])
    graph_error(fresh_g.get(f"/servicePrincipals/{q(entry['id'])}/synchronization/jobs"), 404)
    assert entry["id"] not in [s["id"] for s in fresh.tenant()["servicePrincipals"]]


def test_patch_job_deep_merges(fresh, fresh_demo):
    sp_id, job_id = fresh_demo.any_job()
    before = fresh_demo.get_job(sp_id, job_id)
    fresh.patch_job(sp_id, job_id, {"status": {"countSuccessiveCompleteFailures": 4}})
    after = fresh_demo.get_job(sp_id, job_id)
    assert after["status"]["countSuccessiveCompleteFailures"] == 4
    rest_before = dict(before["status"], countSuccessiveCompleteFailures=None)
    rest_after = dict(after["status"], countSuccessiveCompleteFailures=None)
    assert rest_before == rest_after
    assert after["schedule"] == before["schedule"]


def test_set_schema_bumps_version(fresh, fresh_demo):
    sp_id, job_id = fresh_demo.any_job()
    path = fresh_demo.job_path(sp_id, job_id) + "/schema"
    s = fresh_demo.g.get(path).json()
    v = s["version"]
    s.pop("@odata.context", None)
    s["synchronizationRules"] = []
    fresh.set_schema(sp_id, job_id, s)
    got = fresh_demo.g.get(path).json()
    assert got["synchronizationRules"] == []
    assert got["version"] != v


def test_run_cycle_changes_last_execution(fresh, fresh_demo):
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    fresh_demo.g.post(jp + "/start")
    fresh.run_cycle(sp_id, job_id)
    a = fresh_demo.get_job(sp_id, job_id)["status"]["lastExecution"]
    fresh.run_cycle(sp_id, job_id)
    b = fresh_demo.get_job(sp_id, job_id)["status"]["lastExecution"]
    assert a is not None and b is not None
    assert a != b


def test_control_secrets_put(fresh, fresh_demo):
    sp_id, _ = fresh_demo.any_job()
    req = urllib.request.Request(f"{fresh.url}/_emulator/servicePrincipals/{q(sp_id)}/secrets", method="PUT",
                                 data=json.dumps({"value": [{"key": "SyncAll", "value": "true"}]}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        assert r.status in (200, 204)
    got = fresh_demo.g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets").json()["value"]
    assert got == [{"key": "SyncAll", "value": "true"}]


def test_port_file_and_loopback(fresh):
    assert fresh.url.startswith("http://127.0.0.1:")

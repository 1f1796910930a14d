"""graph-sync-api.md §9.1 (status codes), §9.4 (new job state), §9.6 (GET jobs vs GET job)."""

import pytest

from tests.conformance.graphhttp import (GUID_RE, JOB_ID_RE, assert_empty_204, example, graph_error,
                                         q)

VERSIONS = ["v1.0", "beta"]

MAX_INTERVAL = "P10675199DT2H48M5.4775807S"


def _create_job(g, sp_id, template_id):
    r = g.post(f"/servicePrincipals/{q(sp_id)}/synchronization/jobs", {"templateId": template_id})
    return r


@pytest.mark.parametrize("version", VERSIONS)
def test_create_job_is_201_with_new_job_state(fresh_demo, version):
    """§9.1 create job -> 201 + job body; §9.4 the new job's exact state."""
    g = fresh_demo.g.with_version(version)
    sp = fresh_demo.sp_with_templates()
    template_id = sp["templates"][0]
    r = _create_job(g, sp["id"], template_id)
    assert r.status == 201, r
    assert (r.header("Content-Type") or "").startswith("application/json"), r
    job = r.json()
    assert job["templateId"] == template_id
    assert JOB_ID_RE.match(job["id"]), job["id"]
    assert job["id"].startswith(template_id + "."), job["id"]
    assert job["schedule"] == {"expiration": None, "interval": MAX_INTERVAL, "state": "Disabled"}
    st = job["status"]
    assert st["code"] == "NotConfigured"
    assert st["countSuccessiveCompleteFailures"] == 0
    assert st["escrowsPruned"] is False
    assert st["synchronizedEntryCountByType"] == []
    assert st["lastExecution"] is None
    assert st["lastSuccessfulExecution"] is None
    assert st["lastSuccessfulExecutionWithExports"] is None
    assert st["steadyStateFirstAchievedTime"] == "0001-01-01T00:00:00Z"
    assert st["steadyStateLastAchievedTime"] == "0001-01-01T00:00:00Z"
    assert st["quarantine"] is None
    assert st["troubleshootingUrl"] is None
    assert "schema" not in job
    assert isinstance(job["synchronizationJobSettings"], list)
    for s in job["synchronizationJobSettings"]:
        assert set(s) == {"name", "value"}, s

    # the new job is listed and readable
    r2 = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs/{q(job['id'])}")
    assert r2.status == 200, r2
    got = r2.json()
    got.pop("@odata.context", None)
    job.pop("@odata.context", None)
    assert got == job


def test_new_job_schema_is_copied_from_template(fresh_demo):
    """§9.4: the schema of a new job is the template's schema."""
    g = fresh_demo.g
    sp = fresh_demo.sp_with_templates()
    template_id = sp["templates"][0]
    job = _create_job(g, sp["id"], template_id).json()
    tpl = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(template_id)}/schema")
    assert tpl.status == 200, tpl
    js = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs/{q(job['id'])}/schema")
    assert js.status == 200, js
    t, j = tpl.json(), js.json()
    assert j["synchronizationRules"] == t["synchronizationRules"]
    assert j["directories"] == t["directories"]


def test_create_job_with_unknown_template_is_refused(fresh_demo):
    """§3.2: templateId must match a template of that service principal."""
    g = fresh_demo.g
    sp = fresh_demo.sp_with_templates()
    r = _create_job(g, sp["id"], "NoSuchTemplate")
    assert 400 <= r.status < 500, r
    graph_error(r, r.status)
    jobs = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs").json()["value"]
    assert all(j["templateId"] != "NoSuchTemplate" for j in jobs)


@pytest.mark.parametrize("version", VERSIONS)
def test_start_pause_restart_delete_are_204_empty(fresh_demo, version):
    g = fresh_demo.g.with_version(version)
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    assert_empty_204(g.post(jp + "/start"))
    assert_empty_204(g.post(jp + "/pause"))
    assert_empty_204(g.post(jp + "/restart", {"criteria": {"resetScope": "Full"}}))
    assert_empty_204(g.delete(jp))
    gone = g.get(jp)
    graph_error(gone, 404)
    listed = g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/jobs").json()["value"]
    assert job_id not in [j["id"] for j in listed]


def test_validate_credentials_is_204(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/validateCredentials", {"useSavedCredentials": True})
    assert_empty_204(r)


def test_schema_put_and_delete_are_204(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    sp = fresh_demo.job_path(sp_id, job_id) + "/schema"
    schema = g.get(sp).json()
    schema.pop("@odata.context", None)
    assert_empty_204(g.put(sp, schema))
    assert_empty_204(g.delete(sp))


def test_secrets_put_is_204(fresh_demo):
    g = fresh_demo.g
    sp_id, _ = fresh_demo.any_job()
    assert_empty_204(g.put(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets",
                           example("secrets-put-request.json")))


def test_acquire_access_token_is_204_on_service_principal(fresh_demo):
    g = fresh_demo.g
    sp_id, _ = fresh_demo.any_job()
    r = g.post(f"/servicePrincipals/{q(sp_id)}/synchronization/acquireAccessToken",
               example("acquire-access-token-request.json"))
    assert_empty_204(r)


def test_acquire_access_token_is_204_on_application(fresh_demo):
    g = fresh_demo.g
    sp = fresh_demo.sps_with_jobs()[0]
    r = g.post(f"/applications(appId='{sp['appId']}')/synchronization/acquireAccessToken",
               example("acquire-access-token-request.json"))
    assert_empty_204(r)


def test_provision_on_demand_parse_discover_functions_are_200(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    schema = g.get(jp + "/schema").json()
    rule = schema["synchronizationRules"][0]
    r = g.post(jp + "/provisionOnDemand", {"parameters": [{"ruleId": rule["id"], "subjects": [
        {"objectId": "9bb0f679-a883-4a6f-8260-35b491b8b8c8", "objectTypeName": "User"}]}]})
    assert r.status == 200, r
    r = g.post(jp + "/schema/parseExpression", {"expression": "[mail]"})
    assert r.status == 200, r
    d = schema["directories"][0]
    r = g.post(jp + f"/schema/directories/{q(d['id'])}/discover")
    assert r.status == 200, r
    assert r.json()["id"] == d["id"]
    assert g.get(jp + "/schema/functions").status == 200
    assert g.get(jp + "/schema/filterOperators").status == 200


def test_list_jobs_and_get_job_agree(demo, g):
    """§9.6: list returns {"value": [...]} with @odata.context ending /synchronization/jobs; each
    item is the full job object, the same as GET job; neither inlines schema."""
    for sp in demo.sps_with_jobs():
        r = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs")
        assert r.status == 200, r
        body = r.json()
        assert isinstance(body["value"], list)
        ctx = body.get("@odata.context")
        assert isinstance(ctx, str) and ctx.endswith("/synchronization/jobs"), ctx
        assert f"servicePrincipals('{sp['id']}')" in ctx, ctx
        assert sorted(j["id"] for j in body["value"]) == sorted(sp["jobs"])
        for item in body["value"]:
            for k in ("id", "templateId", "schedule", "status", "synchronizationJobSettings"):
                assert k in item, (k, item)
            assert "schema" not in item
            one = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs/{q(item['id'])}").json()
            assert "schema" not in one
            one.pop("@odata.context", None)
            assert one == item


def test_unknown_service_principal_is_404(g):
    r = g.get("/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs")
    err = graph_error(r, 404)
    assert err["code"] == "Request_ResourceNotFound"


def test_unknown_job_is_404(demo, g):
    sp = demo.sps_with_jobs()[0]
    r = g.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs/Nope.0123456789abcdef0123456789abcdef")
    graph_error(r, 404)


def test_request_id_is_a_guid(g):
    r = g.get("/servicePrincipals")
    assert GUID_RE.match(r.header("request-id") or ""), r

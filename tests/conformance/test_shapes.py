"""Shape checks against /work/shared/graph-examples: for each response payload, the emulator's
corresponding response has the same keys and JSON types (extra keys only where Graph has them);
each request payload is accepted with the documented status."""

import copy
import json

import pytest

from tests.conformance.graphhttp import EXAMPLES, assert_empty_204, example, q
from tests.conformance.shapes import SYNC_PROPERTIES, assert_same_shape

ERROR_EXTRA = frozenset({"details", "target", "innererror", "code", "message", "status", "date",
                         "request-id", "client-request-id"})
VERSIONS = ["v1.0", "beta"]

# every example file must be covered by a test below
COVERED = {
    "acquire-access-token-request.json", "batch-request.json", "batch-response.json",
    "devicecode-response.json", "discover-response.json", "error-not-found.json",
    "error-provision-on-demand-bad-rule.json", "error-throttled-429.json",
    "filter-operators-response.json", "functions-response.json", "job-active.json",
    "job-create-request.json", "job-created-response.json", "jobs-list-response.json",
    "parse-expression-request.json", "parse-expression-response.json",
    "provision-on-demand-group-request.json", "provision-on-demand-request.json",
    "provision-on-demand-response.json", "restart-request.json", "schema.json",
    "secrets-put-request.json", "service-principals-select-filter-response.json",
    "status-quarantine.json", "template.json", "templates-list-response.json",
    "token-client-credentials-response.json", "token-error-authorization-pending.json",
    "validate-credentials-request.json",
    "provisioning-list-response.json",   # test_provisioning_logs.py
}
# covered in test_oauth.py (they need an emulator with a registered client)
ELSEWHERE = {"devicecode-response.json", "token-client-credentials-response.json",
             "token-error-authorization-pending.json"}


def test_every_example_is_covered():
    assert {p.name for p in EXAMPLES.glob("*.json")} == COVERED


def _job_of_status(demo, code):
    found = demo.job_with_status(code)
    assert found is not None, f"demo tenant has no {code} job"
    return found


@pytest.mark.parametrize("version", VERSIONS)
def test_job_active_shape(demo, g, version):
    sp_id, job_id, _ = _job_of_status(demo, "Active")
    r = g.with_version(version).get(demo.job_path(sp_id, job_id))
    assert r.status == 200
    assert_same_shape(example("job-active.json"), r.json())


@pytest.mark.parametrize("version", VERSIONS)
def test_jobs_list_shape(demo, g, version):
    sp_id, _, _ = _job_of_status(demo, "Active")
    r = g.with_version(version).get(f"/servicePrincipals/{q(sp_id)}/synchronization/jobs")
    assert r.status == 200
    body = r.json()
    assert_same_shape(example("jobs-list-response.json"), body)
    assert body["@odata.context"] == (f"https://graph.microsoft.com/{version}/$metadata#servicePrincipals('{sp_id}')"
                                      "/synchronization/jobs") or body["@odata.context"].endswith(
        f"/{version}/$metadata#servicePrincipals('{sp_id}')/synchronization/jobs"), body["@odata.context"]


def test_status_quarantine_shape(demo):
    _, _, job = _job_of_status(demo, "Quarantine")
    assert_same_shape(example("status-quarantine.json"), job["status"])


def test_job_create_request_and_created_response(fresh_demo):
    g = fresh_demo.g
    sp = fresh_demo.sp_with_templates()
    body = example("job-create-request.json")
    body["templateId"] = sp["templates"][0]
    r = g.post(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs", body)
    assert r.status == 201, r
    assert_same_shape(example("job-created-response.json"), r.json())


def test_schema_shape_and_put(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    path = fresh_demo.job_path(sp_id, job_id) + "/schema"
    r = g.get(path)
    assert r.status == 200
    assert_same_shape(example("schema.json"), r.json())
    # the example schema is accepted as a PUT body and read back in the same shape
    assert_empty_204(g.put(path, example("schema.json")))
    got = g.get(path).json()
    assert_same_shape(example("schema.json"), got)


@pytest.mark.parametrize("version", VERSIONS)
def test_template_and_templates_list_shape(demo, g, version):
    gv = g.with_version(version)
    sp = demo.sp_with_templates()
    r = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates")
    assert r.status == 200
    assert_same_shape(example("templates-list-response.json"), r.json())
    r = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates/{q(sp['templates'][0])}")
    assert r.status == 200
    assert_same_shape(example("template.json"), r.json())


def test_functions_and_filter_operators_shape(demo, g):
    sp_id, job_id = demo.any_job()
    base = demo.job_path(sp_id, job_id) + "/schema"
    assert_same_shape(example("functions-response.json"), g.get(base + "/functions").json())
    assert_same_shape(example("filter-operators-response.json"), g.get(base + "/filterOperators").json())


def test_discover_shape(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    d = g.get(jp + "/schema").json()["directories"][-1]
    r = g.post(jp + f"/schema/directories/{q(d['id'])}/discover")
    assert r.status == 200
    assert_same_shape(example("discover-response.json"), r.json())


def test_parse_expression_request_and_response_shape(demo, g):
    sp_id, job_id = demo.any_job()
    r = g.post(demo.job_path(sp_id, job_id) + "/schema/parseExpression", example("parse-expression-request.json"))
    assert r.status == 200
    assert_same_shape(example("parse-expression-response.json"), r.json())


@pytest.mark.parametrize("name", ["provision-on-demand-request.json", "provision-on-demand-group-request.json"])
def test_provision_on_demand_requests_and_response_shape(fresh_demo, name):
    """The example requests name rule ids of the example schema (plus the #V2 rule of the group
    example): put that schema on a job, then send the example verbatim."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    schema = example("schema.json")
    schema.pop("version")
    extra = copy.deepcopy(schema["synchronizationRules"][0])
    extra["id"] = "33f7c90d-bf71-41b1-bda6-aaf0ddbee5d8#V2"
    extra["priority"] = 2
    schema["synchronizationRules"].append(extra)
    assert_empty_204(g.put(jp + "/schema", schema))
    r = g.post(jp + "/provisionOnDemand", example(name))
    assert r.status == 200, r
    got = r.json()
    want = example("provision-on-demand-response.json")
    assert_same_shape(want, got)
    assert_same_shape(json.loads(want["key"]), json.loads(got["key"]), extra_ok=frozenset({"errorCode", "errorMessage"}))
    assert_same_shape(json.loads(want["value"]), json.loads(got["value"]),
                      extra_ok=frozenset({"errorCode", "errorMessage", "error", "details", "id", "type"}))


def test_error_not_found_shape(g):
    r = g.get("/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs")
    assert r.status == 404
    assert_same_shape(example("error-not-found.json"), r.json(), extra_ok=ERROR_EXTRA)


def test_error_bad_rule_shape(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/provisionOnDemand",
               {"parameters": [{"ruleId": "", "subjects": [{"objectId": "x", "objectTypeName": "User"}]}]})
    assert r.status == 400, r
    assert_same_shape(example("error-provision-on-demand-bad-rule.json"), r.json(), extra_ok=ERROR_EXTRA)
    msg = r.json()["error"]["message"]
    assert msg == (f"The request identified this synchronization job: {job_id}.  The request also identified "
                   "this synchronization rule: .  However, the job does not include the rule."), msg


def test_error_throttled_shape(fresh, fresh_g):
    fresh.set_faults([{"path": r"^/v1\.0/servicePrincipals$", "status": 429, "retry_after": "2"}])
    r = fresh_g.get("/servicePrincipals")
    assert r.status == 429
    assert_same_shape(example("error-throttled-429.json"), r.json(), extra_ok=ERROR_EXTRA)


def test_batch_request_and_response_shape(fresh, fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    body = example("batch-request.json")
    for it in body["requests"]:
        it["url"] = (it["url"].replace("60443998-8cf7-4e61-b05c-a53b658cb5e1", sp_id)
                     .replace("SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa", job_id))
    # item 3 throttled, as in the example response
    fresh.set_faults([{"path": "^/v1\\.0" + fresh_demo.job_path(sp_id, job_id).replace(".", "\\.") + "$",
                       "method": "GET", "status": 429, "retry_after": "3", "batch_item": True}])
    r = g.post("/$batch", body)
    assert r.status == 200, r
    got = r.json()
    want = example("batch-response.json")
    items = {i["id"]: i for i in got["responses"]}
    wants = {i["id"]: i for i in want["responses"]}
    assert set(items) == {"1", "2", "3"}
    assert [items[i]["status"] for i in ("1", "2", "3")] == [200, 204, 429]
    for i in ("1", "3"):
        assert_same_shape(wants[i]["body"], items[i]["body"], extra_ok=SYNC_PROPERTIES | ERROR_EXTRA)
        hdrs = {k.lower(): v for k, v in items[i]["headers"].items()}
        for k in wants[i]["headers"]:
            assert k.lower() in hdrs, (i, items[i]["headers"])
    assert items["2"].get("body") in (None, "", {})


def test_service_principals_select_filter_shape(emu_factory):
    from tests.conformance.graphhttp import GraphHTTP
    e = emu_factory(tenant="demo")
    g = GraphHTTP(e.url)
    names = [s["displayName"] for s in e.tenant()["servicePrincipals"]]
    # a prefix shared by at least two service principals, so that $top=1 gives a nextLink
    prefix = next(n[:1] for n in names if sum(m.lower().startswith(n[:1].lower()) for m in names) >= 2)
    r = g.get(f"/servicePrincipals?$select=id,appId,displayName&$filter=startswith(displayName,'{prefix}')&$top=1")
    assert r.status == 200, r
    body = r.json()
    assert_same_shape(example("service-principals-select-filter-response.json"), body)


def test_request_examples_documented_statuses(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    assert_empty_204(g.put(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets", example("secrets-put-request.json")))
    assert_empty_204(g.post(f"/servicePrincipals/{q(sp_id)}/synchronization/acquireAccessToken",
                            example("acquire-access-token-request.json")))
    assert_empty_204(g.post(jp + "/validateCredentials", example("validate-credentials-request.json")))
    assert_empty_204(g.post(jp + "/restart", example("restart-request.json")))

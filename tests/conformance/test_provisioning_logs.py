"""GET /auditLogs/provisioning (provisioning-admin-needs.md §3; the v1.0 reference of
provisioningObjectSummary and its list page): shape against the documented example, events of
cycles, provisionOnDemand and bulkUpload, $filter/$orderby/$top/$skiptoken, throttling,
permission."""

import json
import urllib.parse

import pytest

from tests.conformance.conftest import DemoTenant
from tests.conformance.graphhttp import DTO_RE, GraphHTTP, example, graph_error
from tests.conformance.shapes import assert_same_shape
from tests.conformance.test_bulk_upload import SCIM, bulk

VERSIONS = ["v1.0", "beta"]
PROPS = frozenset("""id activityDateTime tenantId jobId cycleId changeId provisioningAction durationInMilliseconds
provisioningStatusInfo status errorInformation errorCode errorCategory reason additionalDetails recommendedAction
provisioningSteps name provisioningStepType description details modifiedProperties displayName oldValue newValue
servicePrincipal sourceSystem targetSystem initiatedBy initiatorType sourceIdentity targetIdentity identityType
ReportableIdentifier ApplicationId ServicePrincipalId ServicePrincipalDisplayName SkipReason IsActive IsAssigned
action statusInfo""".split())
UNLIMITED = {"log_rate_limit": 100000}


@pytest.fixture(scope="module")
def logs_emu(tmp_path_factory):
    from tests.conformance.conftest import start_emulator, stop_emulator
    e = start_emulator(tenant="demo", time_scale=60.0, config=UNLIMITED)
    yield e
    stop_emulator(e)


def get_all(g, query):
    """Every page of a query; returns (events, number of pages)."""
    r = g.get("/auditLogs/provisioning" + ("?" + query if query else ""))
    assert r.status == 200, r
    body = r.json()
    out, pages = list(body["value"]), 1
    while "@odata.nextLink" in body:
        r = g.get(body["@odata.nextLink"])
        assert r.status == 200, r
        body = r.json()
        out += body["value"]
        pages += 1
    return out, pages


def fq(text):
    return "$filter=" + urllib.parse.quote(text, safe="")


@pytest.mark.parametrize("version", VERSIONS)
def test_shape_matches_documented_example(logs_emu, version):
    g = GraphHTTP(logs_emu.url, version=version)
    r = g.get("/auditLogs/provisioning?$top=40")
    assert r.status == 200, r
    body = r.json()
    assert body["@odata.context"] == f"https://graph.microsoft.com/{version}/$metadata#auditLogs/provisioning"
    assert body["value"], "the demo tenant has log history"
    assert_same_shape(example("provisioning-list-response.json"), body, extra_ok=PROPS)
    for e in body["value"]:
        assert DTO_RE.match(e["activityDateTime"]), e
        assert e["provisioningAction"] in ("create", "update", "delete", "stagedDelete", "disable", "other")
        assert e["provisioningStatusInfo"]["status"] in ("success", "failure", "skipped", "warning")
        for s in e["provisioningSteps"]:
            assert s["provisioningStepType"] in ("import", "scoping", "matching", "processing",
                                                 "referenceResolution", "export"), s
        if version == "beta":
            assert "action" in e and e["statusInfo"] is None
        else:
            assert "action" not in e and "statusInfo" not in e


def test_failures_carry_real_error_codes_and_skips_their_reason(logs_emu):
    events = logs_emu.provisioning_events()
    fails = [e for e in events if e["provisioningStatusInfo"]["status"] == "failure"]
    skips = [e for e in events if e["provisioningStatusInfo"]["status"] == "skipped"
             and e["provisioningAction"] == "other"]
    staged = [e for e in events if e["provisioningAction"] == "stagedDelete"]
    assert fails and skips and staged
    codes = {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in fails}
    assert "DuplicateTargetEntries" in codes
    assert {e["provisioningStatusInfo"]["errorInformation"]["errorCode"] for e in skips} == {"NotEffectivelyEntitled"}
    for e in fails:
        info = e["provisioningStatusInfo"]["errorInformation"]
        assert info["errorCategory"] in ("failure", "nonServiceFailure") and info["reason"], info


def test_filter_eq_and_is_case_sensitive(logs_emu):
    g = GraphHTTP(logs_emu.url)
    events = logs_emu.provisioning_events()
    job = next(e["jobId"] for e in events if e["provisioningStatusInfo"]["status"] == "failure")
    got, _ = get_all(g, fq(f"jobId eq '{job}' and provisioningStatusInfo/status eq 'failure'"))
    want = [e["id"] for e in events if e["jobId"] == job and e["provisioningStatusInfo"]["status"] == "failure"]
    assert sorted(e["id"] for e in got) == sorted(want) and want
    upper, _ = get_all(g, fq(f"jobId eq '{job}' and provisioningStatusInfo/status eq 'Failure'"))
    assert upper == []


def test_filter_contains_and_identity(logs_emu):
    g = GraphHTTP(logs_emu.url)
    events = logs_emu.provisioning_events()
    oid = events[0]["sourceIdentity"]["id"]
    got, _ = get_all(g, fq(f"sourceIdentity/id eq '{oid}'"))
    assert {e["id"] for e in got} == {e["id"] for e in events if e["sourceIdentity"]["id"] == oid}
    name = events[0]["sourceIdentity"]["displayName"]
    part = name.split()[0]
    got, _ = get_all(g, fq(f"contains(sourceIdentity/displayName, '{part}')"))
    assert {e["id"] for e in got} == {e["id"] for e in events if part in e["sourceIdentity"]["displayName"]}
    got, _ = get_all(g, fq(f"contains(sourceIdentity/displayName, '{part.upper()}')"))
    assert all(part.upper() in e["sourceIdentity"]["displayName"] for e in got)


def test_filter_gt_lt_on_time_and_orderby(logs_emu):
    g = GraphHTTP(logs_emu.url)
    events = logs_emu.provisioning_events()
    assert len(events) >= 6
    lo, hi = events[1]["activityDateTime"], events[-2]["activityDateTime"]
    got, _ = get_all(g, fq(f"activityDateTime gt {lo} and activityDateTime lt {hi}") + "&$orderby=activityDateTime%20asc")
    assert [e["id"] for e in got] == [e["id"] for e in events[2:-2]]
    desc, _ = get_all(g, fq(f"activityDateTime gt {lo}") + "&$orderby=activityDateTime%20desc")
    assert [e["id"] for e in desc] == [e["id"] for e in reversed(events[2:])]


def test_top_and_skiptoken_paging(logs_emu):
    g = GraphHTTP(logs_emu.url)
    events = logs_emu.provisioning_events()
    got, pages = get_all(g, "$top=7&$orderby=activityDateTime%20asc")
    assert [e["id"] for e in got] == [e["id"] for e in events[:len(got)]]
    assert len(got) >= len(events) and pages == -(-len(got) // 7)
    r = g.get("/auditLogs/provisioning?$top=7")
    link = r.json()["@odata.nextLink"]
    assert "$skiptoken=" in link and link.startswith(logs_emu.url + "/v1.0/auditLogs/provisioning?")
    bad = g.get("/auditLogs/provisioning?$top=0")
    graph_error(bad, 400, "BadRequest")


def test_bad_filter_is_400(logs_emu):
    g = GraphHTTP(logs_emu.url)
    graph_error(g.get("/auditLogs/provisioning?" + fq("nosuchProperty eq 'x'")), 400, "BadRequest")
    graph_error(g.get("/auditLogs/provisioning?" + fq("jobId eq")), 400, "BadRequest")


def test_cycle_writes_events(emu_factory):
    quiet = emu_factory(time_scale=60.0)      # no cycle of its own runs meanwhile
    demo = DemoTenant(quiet, GraphHTTP(quiet.url))
    sp_id, job_id, _ = demo.job_with_status("Active")
    before = {e["id"] for e in quiet.provisioning_events()}
    quiet.run_cycle(sp_id, job_id)
    new = [e for e in quiet.provisioning_events() if e["id"] not in before and e["jobId"] == job_id]
    assert new and {e["servicePrincipal"]["id"] for e in new} == {sp_id}
    assert len({e["cycleId"] for e in new}) == 1


def test_provision_on_demand_writes_its_event(fresh, fresh_demo):
    sp_id, job_id, _ = fresh_demo.job_with_status("Active")
    jp = fresh_demo.job_path(sp_id, job_id)
    rule = fresh_demo.g.get(jp + "/schema").json()["synchronizationRules"][0]["id"]
    oid = "9bb0f679-a883-4a6f-8260-35b491b8b8c8"
    r = fresh_demo.g.post(jp + "/provisionOnDemand", {"parameters": [{"ruleId": rule, "subjects": [
        {"objectId": oid, "objectTypeName": "User"}]}]})
    assert r.status == 200, r
    mine = [e for e in fresh.provisioning_events() if e["sourceIdentity"]["id"] == oid]
    assert len(mine) == 1
    e = mine[0]
    assert e["jobId"] == job_id and e["provisioningAction"] == "create"
    assert e["provisioningStatusInfo"] == {"status": "success", "errorInformation": None}
    assert e["initiatedBy"]["initiatorType"] == "application"
    assert e["targetIdentity"]["id"] == json.loads(r.json()["value"])["targetIdentity"]["id"]


def test_bulk_upload_location_lists_its_events(fresh, fresh_demo):
    fresh.config(log_rate_limit=100000)
    sp_id, job_id = fresh_demo.inbound_job()
    g = fresh_demo.g
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/bulkUpload", raw_body=json.dumps(bulk(3)), content_type=SCIM)
    assert r.status == 202, r
    got, _ = get_all(g, urllib.parse.urlsplit(r.header("Location")).query)
    users = {e["sourceIdentity"]["displayName"] for e in got if e["initiatedBy"]["initiatorType"] == "system"}
    assert {f"user{i}@contoso.com" for i in range(3)} <= users
    assert all(e["jobId"] == job_id for e in got)
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/bulkUpload", raw_body=json.dumps(bulk(1)), content_type=SCIM)
    again = [e for e in fresh.provisioning_events() if e["sourceIdentity"]["displayName"] == "user0@contoso.com"]
    assert [e["provisioningAction"] for e in again] == ["create", "update"]


def test_throttled_past_five_requests_per_ten_seconds(fresh):
    g = GraphHTTP(fresh.url)
    statuses = [g.get("/auditLogs/provisioning?$top=1").status for _ in range(6)]
    assert statuses[:5] == [200] * 5
    r = g.get("/auditLogs/provisioning?$top=1")
    err = graph_error(r, 429, "TooManyRequests")
    assert int(r.header("Retry-After")) >= 1, err


@pytest.mark.parametrize("access,code", [("denied", "Authorization_RequestDenied"),
                                         ("unlicensed", "Authentication_RequestFromNonPremiumTenantOrB2CTenant")])
def test_forbidden_without_permission_or_licence(fresh, access, code):
    fresh.config(audit_log_access=access)
    graph_error(GraphHTTP(fresh.url).get("/auditLogs/provisioning"), 403, code)


def test_app_token_needs_audit_log_read_all(emu_factory, tmp_path):
    from tests.conformance.test_oauth import CLIENT_ID, SECRET, token_path
    secret = tmp_path / "secret"
    secret.write_text(SECRET)
    secret.chmod(0o600)
    e = emu_factory(auth="required", clients=[f"{CLIENT_ID}:{secret}"])
    g = GraphHTTP(e.url)
    tenant = e.tenant()["tenantId"]
    tok = g.form(token_path(tenant), {"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                      "client_secret": SECRET, "scope": "https://graph.microsoft.com/.default"})
    assert tok.status == 200, tok
    claims = json.loads(__import__("base64").urlsafe_b64decode(tok.json()["access_token"].split(".")[1] + "=="))
    assert "AuditLog.Read.All" in claims["roles"]
    assert GraphHTTP(e.url, token=tok.json()["access_token"]).get("/auditLogs/provisioning?$top=1").status == 200
    dev = g.form(f"/{tenant}/oauth2/v2.0/devicecode", {"client_id": CLIENT_ID,
                                                        "scope": "https://graph.microsoft.com/Synchronization.Read.All"})
    assert dev.status == 200
    e.approve_device_code(dev.json()["user_code"])
    r = g.form(token_path(tenant), {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                                    "client_id": CLIENT_ID, "device_code": dev.json()["device_code"]})
    assert r.status == 200, r
    graph_error(GraphHTTP(e.url, token=r.json()["access_token"]).get("/auditLogs/provisioning"), 403,
                "Authorization_RequestDenied")


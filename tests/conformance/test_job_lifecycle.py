"""Job behaviour over time, graph-sync-api.md §9.5, §3.5-§3.7, §4.4, §4.7.

Uses the control calls `cycle` (POST .../cycle) and `patch_job` to move jobs through states,
and a slow time scale where a test must observe a state before the first cycle completes.
"""

import time

import pytest

from tests.conformance.conftest import DemoTenant
from tests.conformance.graphhttp import DTO_RE, GraphHTTP, assert_empty_204, graph_error, q

QUARANTINE = {
    "code": "Quarantine",
    "countSuccessiveCompleteFailures": 3,
    "quarantine": {
        "currentBegan": "2024-05-01T12:00:00Z", "nextAttempt": "2024-05-01T18:00:00Z",
        "reason": "EncounteredQuarantineException", "seriesBegan": "2024-05-01T11:00:00Z", "seriesCount": 2,
        "error": {"code": "SalesforceInvalidCredentials", "message": "Your Salesforce.com credentials are invalid.",
                  "tenantActionable": True}},
}

EXECUTION = {
    "activityIdentifier": "0b2f5e38-6a6d-4f1e-9b9c-3a1c2f6d7e11", "countEntitled": 42,
    "countEntitledForProvisioning": 40, "countEscrowed": 7, "countEscrowedRaw": 9, "countExported": 3,
    "countExports": 3, "countImported": 42, "countImportedDeltas": 5, "countImportedReferenceDeltas": 0,
    "error": None, "state": "EntryLevelErrors", "timeBegan": "2024-05-01T10:00:00Z",
    "timeEnded": "2024-05-01T10:02:13Z"}


@pytest.fixture
def slow(emu_factory):
    """A demo emulator whose minutes last 60 real seconds: nothing happens unless a test runs
    a cycle."""
    e = emu_factory(tenant="demo", time_scale=60.0)
    g = GraphHTTP(e.url)
    return e, g, DemoTenant(e, g)


def _job_ready_to_start(demo):
    """A job that is not running (Disabled/Paused/NotConfigured), with a non-empty schema."""
    for sp_id, job_id in demo.all_jobs():
        job = demo.get_job(sp_id, job_id)
        if job["schedule"]["state"] != "Active" and job["status"]["code"] != "Quarantine":
            r = demo.g.get(demo.job_path(sp_id, job_id) + "/schema")
            if r.json().get("synchronizationRules"):
                return sp_id, job_id
    raise AssertionError("demo tenant has no stopped job")


def _running_job(emu, demo):
    sp_id, job_id = demo.any_job()
    jp = demo.job_path(sp_id, job_id)
    assert_empty_204(demo.g.post(jp + "/start"))
    emu.run_cycle(sp_id, job_id)
    return sp_id, job_id, jp


def test_start_gives_active_schedule_and_notrun_until_a_cycle(slow):
    emu, g, demo = slow
    sp_id, job_id = _job_ready_to_start(demo)
    jp = demo.job_path(sp_id, job_id)
    assert_empty_204(g.post(jp + "/start"))
    job = demo.get_job(sp_id, job_id)
    assert job["schedule"]["state"] == "Active", job["schedule"]
    assert job["status"]["code"] == "NotRun", job["status"]
    assert job["status"]["quarantine"] is None
    assert job["schedule"]["interval"] != "P10675199DT2H48M5.4775807S", job["schedule"]

    emu.run_cycle(sp_id, job_id)
    job = demo.get_job(sp_id, job_id)
    assert job["schedule"]["state"] == "Active"
    assert job["status"]["code"] == "Active", job["status"]
    last = job["status"]["lastExecution"]
    assert isinstance(last, dict), job["status"]
    assert last["state"] in ("Succeeded", "EntryLevelErrors", "Failed")
    assert DTO_RE.match(last["timeBegan"]) and DTO_RE.match(last["timeEnded"]), last
    for k in ("countEntitled", "countEscrowed", "countExported", "countImported"):
        assert isinstance(last[k], int), (k, last)


def test_started_job_runs_cycles_by_itself(fresh, fresh_demo):
    """With time scaled down (0.01 s per Graph minute) a started job leaves NotRun by itself."""
    sp_id, job_id = _job_ready_to_start(fresh_demo)
    jp = fresh_demo.job_path(sp_id, job_id)
    assert_empty_204(fresh_demo.g.post(jp + "/start"))
    deadline = time.monotonic() + 15
    code = None
    while time.monotonic() < deadline:
        job = fresh_demo.get_job(sp_id, job_id)
        code = job["status"]["code"]
        if code == "Active" and job["status"]["lastExecution"]:
            break
        time.sleep(0.1)
    assert code == "Active", job["status"]


def test_pause_then_start_resumes(slow):
    emu, g, demo = slow
    sp_id, job_id, jp = _running_job(emu, demo)
    before = demo.get_job(sp_id, job_id)["status"]
    assert_empty_204(g.post(jp + "/pause"))
    job = demo.get_job(sp_id, job_id)
    assert job["schedule"]["state"] == "Paused"
    assert job["status"]["code"] == "Paused"
    # progress and history are kept
    assert job["status"]["lastExecution"] == before["lastExecution"]
    assert_empty_204(g.post(jp + "/start"))
    job = demo.get_job(sp_id, job_id)
    assert job["schedule"]["state"] == "Active"
    assert job["status"]["code"] in ("NotRun", "Active")
    assert job["status"]["lastExecution"] == before["lastExecution"]


def test_start_clears_quarantine(slow):
    emu, g, demo = slow
    sp_id, job_id, jp = _running_job(emu, demo)
    emu.patch_job(sp_id, job_id, {"status": QUARANTINE})
    job = demo.get_job(sp_id, job_id)
    assert job["status"]["code"] == "Quarantine"
    assert job["status"]["quarantine"]["reason"] == "EncounteredQuarantineException"
    assert_empty_204(g.post(jp + "/start"))
    job = demo.get_job(sp_id, job_id)
    assert job["status"]["quarantine"] is None, job["status"]
    assert job["status"]["code"] != "Quarantine"
    assert job["schedule"]["state"] == "Active"


@pytest.mark.parametrize("scope, clears_quarantine, clears_escrows", [
    ("QuarantineState", True, False),
    ("Escrows", False, True),
    ("Watermark, Escrows, QuarantineState", True, True),
    ("Full", True, True),
    ("", True, True),  # empty = the portal's restart = QuarantineState, Watermark, Escrows
    (None, True, True),  # no criteria at all: same
    ("ForceDeletes", False, False),
])
def test_restart_clears_what_reset_scope_names(slow, scope, clears_quarantine, clears_escrows):
    emu, g, demo = slow
    sp_id, job_id, jp = _running_job(emu, demo)
    status = dict(QUARANTINE, lastExecution=EXECUTION)
    emu.patch_job(sp_id, job_id, {"status": status})
    before = demo.get_job(sp_id, job_id)
    assert before["status"]["quarantine"] is not None
    assert before["status"]["lastExecution"]["countEscrowed"] == 7
    body = {} if scope is None else {"criteria": {"resetScope": scope}}
    assert_empty_204(g.post(jp + "/restart", body))
    after = demo.get_job(sp_id, job_id)
    st = after["status"]
    if clears_quarantine:
        assert st["quarantine"] is None, st
        assert st["code"] != "Quarantine", st
    else:
        assert st["quarantine"] is not None, st
        assert st["quarantine"]["reason"] == "EncounteredQuarantineException"
    last = st["lastExecution"]
    if clears_escrows:
        assert last is None or (last["countEscrowed"] == 0 and last["countEscrowedRaw"] == 0), last
    else:
        assert last["countEscrowed"] == 7, last
    # the job keeps running
    assert after["schedule"]["state"] == "Active", after["schedule"]


@pytest.mark.parametrize("scope, lifted", [("ForceDeletes", True), ("Escrows", False)])
def test_force_deletes_lifts_a_too_many_deletes_hold(slow, scope, lifted):
    """The portal's "Allow deletes" (restart ForceDeletes) ends a TooManyDeletes quarantine;
    other quarantines stay (the parametrized test above), and so does this one for other scopes."""
    emu, g, demo = slow
    sp_id, job_id, jp = _running_job(emu, demo)
    emu.patch_job(sp_id, job_id, {"status": dict(QUARANTINE, quarantine=dict(
        QUARANTINE["quarantine"], reason="TooManyDeletes"))})
    assert_empty_204(g.post(jp + "/restart", {"criteria": {"resetScope": scope}}))
    st = demo.get_job(sp_id, job_id)["status"]
    if lifted:
        assert st["quarantine"] is None and st["code"] != "Quarantine", st
    else:
        assert st["quarantine"]["reason"] == "TooManyDeletes" and st["code"] == "Quarantine", st


def test_restart_with_unknown_scope_is_400(slow):
    emu, g, demo = slow
    sp_id, job_id, jp = _running_job(emu, demo)
    before = demo.get_job(sp_id, job_id)
    r = g.post(jp + "/restart", {"criteria": {"resetScope": "Everything"}})
    graph_error(r, 400)
    assert demo.get_job(sp_id, job_id)["status"] == before["status"]


def test_restart_through_app_id_alternate_key(slow):
    """§2 #7: POST /servicePrincipals(appId='{appId}')/synchronization/jobs/{jobId}/restart."""
    emu, g, demo = slow
    sp_id, job_id, jp = _running_job(emu, demo)
    emu.patch_job(sp_id, job_id, {"status": QUARANTINE})
    app_id = demo.sp(sp_id)["appId"]
    r = g.post(f"/servicePrincipals(appId='{app_id}')/synchronization/jobs/{q(job_id)}/restart",
               {"criteria": {"resetScope": "QuarantineState"}})
    assert_empty_204(r)
    assert demo.get_job(sp_id, job_id)["status"]["quarantine"] is None


def test_quarantined_job_in_demo_tenant_has_full_quarantine(demo):
    """The demo tenant has jobs in every status; the quarantined one has every non-nullable
    quarantine field (§4.7)."""
    found = demo.job_with_status("Quarantine")
    assert found is not None, "demo tenant has no job in Quarantine"
    _, _, job = found
    qu = job["status"]["quarantine"]
    assert isinstance(qu, dict), job["status"]
    for k in ("currentBegan", "nextAttempt", "seriesBegan"):
        assert DTO_RE.match(qu[k]), (k, qu)
    assert isinstance(qu["seriesCount"], int)
    assert qu["reason"] in {"EncounteredBaseEscrowThreshold", "EncounteredTotalEscrowThreshold",
                            "EncounteredEscrowProportionThreshold", "EncounteredQuarantineException",
                            "Unknown", "QuarantinedOnDemand", "TooManyDeletes", "IngestionInterrupted"}
    assert qu["error"] is None or isinstance(qu["error"]["tenantActionable"], bool)


def test_demo_tenant_has_jobs_in_every_status(demo):
    codes = set(demo.jobs_by_status())
    assert {"NotConfigured", "NotRun", "Active", "Paused", "Quarantine"} <= codes, codes


BAD = [{"key": "BaseAddress", "value": "https://scim.example.com/scim/v2"}, {"key": "SecretToken", "value": "bad"}]
GOOD = [{"key": "BaseAddress", "value": "https://scim.example.com/scim/v2"}, {"key": "SecretToken", "value": "good-token-1"}]


def _scim_job(demo):
    """A job of a SCIM-style app (one whose secrets hold BaseAddress + SecretToken)."""
    for sp_id, job_id in demo.all_jobs():
        keys = [kv["key"] for kv in demo.g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets").json()["value"]]
        if "SecretToken" in keys and "BaseAddress" in keys:
            job = demo.get_job(sp_id, job_id)
            if job["status"]["code"] != "Quarantine":
                return sp_id, job_id
    raise AssertionError("demo tenant has no healthy SCIM job")


def test_bad_credentials_lead_to_quarantine_and_good_ones_recover(slow):
    """DESIGN §9: bad credentials lead to quarantine. "Bad" = credentials validateCredentials
    refuses (the emulator's README does not say which; SecretToken "bad" is refused)."""
    emu, g, demo = slow
    sp_id, job_id = _scim_job(demo)
    jp = demo.job_path(sp_id, job_id)
    r = g.post(jp + "/validateCredentials", {"useSavedCredentials": False, "credentials": BAD})
    err = graph_error(r, 400)
    assert_empty_204(g.post(jp + "/validateCredentials", {"useSavedCredentials": False, "credentials": GOOD}))

    assert_empty_204(g.put(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets", {"value": BAD}))
    assert_empty_204(g.post(jp + "/start"))
    emu.run_cycle(sp_id, job_id)
    st = demo.get_job(sp_id, job_id)["status"]
    assert st["code"] == "Quarantine", st
    qu = st["quarantine"]
    assert qu is not None and qu["error"] is not None, st
    assert qu["error"]["tenantActionable"] is True
    assert qu["reason"] == "EncounteredQuarantineException", qu
    assert st["lastExecution"]["state"] == "Failed", st["lastExecution"]
    assert st["countSuccessiveCompleteFailures"] >= 1
    # saved credentials are now bad: useSavedCredentials ignores the good ones in the body
    r = g.post(jp + "/validateCredentials", {"useSavedCredentials": True, "credentials": GOOD})
    graph_error(r, 400, err["code"])

    assert_empty_204(g.put(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets", {"value": GOOD}))
    assert_empty_204(g.post(jp + "/validateCredentials", {"useSavedCredentials": True, "credentials": BAD}))
    assert_empty_204(g.post(jp + "/restart", {"criteria": {"resetScope": "QuarantineState"}}))
    emu.run_cycle(sp_id, job_id)
    st = demo.get_job(sp_id, job_id)["status"]
    assert st["code"] == "Active", st
    assert st["quarantine"] is None
    assert st["countSuccessiveCompleteFailures"] == 0

"""Provisioning logs as files on a real mount (issue 15; man page PROVISIONING LOGS): each file
against the emulator's truth, the filters sent to Graph, lookup-only names, tail -f growth, the
shared rate limit, the permission error."""

import datetime
import errno
import json
import os
import subprocess
import threading
import time
import urllib.parse

import pytest

from tests.integration import mount_util as mu

# a Graph minute lasts a real minute: no cycle runs unless a test asks for one
QUIET = dict(time_scale=60.0)
ALLOW_DENIED = (r"warning: GET .*auditLogs/provisioning.*(Authorization_RequestDenied|"
                r"Authentication_RequestFromNonPremiumTenantOrB2CTenant|AuditLog\.Read\.All)",)
ALLOW_THROTTLE = (r"warning: GET .*auditLogs/provisioning.*(LogRateLimit|TooManyRequests)",)


def lines(path):
    return [json.loads(x) for x in mu.read_file(path).decode().splitlines()]


def parse_time(text):
    return datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc)


def in_window(events, hours=24):
    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=hours, seconds=5)
    return [e for e in events if parse_time(e["activityDateTime"]) > start]


def status(e):
    return e["provisioningStatusInfo"]["status"]


def log_requests(log):
    """The /auditLogs/provisioning requests of a RequestLog window, with their decoded $filter."""
    out = []
    for r in log.entries():
        if r["path"].endswith("/auditLogs/provisioning"):
            q = dict(urllib.parse.parse_qsl(r["query"]))
            out.append((r, q.get("$filter", ""), q.get("$orderby", "")))
    return out


def job_with(m, pred):
    """(sp, job, job dir) of the first job whose log history has an event matching pred."""
    events = m.emu.provisioning_events()
    for sp in m.tenant()["servicePrincipals"]:
        for job in sp["jobs"]:
            if any(e["jobId"] == job and pred(e) for e in events):
                return sp["id"], job, m / "servicePrincipals" / sp["id"] / "jobs" / job
    raise AssertionError("no job with such an event in the demo tenant's log history")


def tsv_row(e, owner=False):
    info = e["provisioningStatusInfo"].get("errorInformation") or {}
    cells = [e["activityDateTime"]]
    if owner:
        cells += [e["servicePrincipal"]["id"], e["servicePrincipal"]["displayName"], e["jobId"]]
    cells += [e["provisioningAction"], status(e), e["sourceIdentity"]["id"], e["sourceIdentity"]["displayName"],
              e["targetIdentity"]["id"], e["targetIdentity"]["displayName"], info.get("errorCode") or "",
              info.get("reason") or ""]
    return "\t".join(c.replace("\t", " ").replace("\n", " ") for c in cells)


@pytest.mark.mount(**QUIET)
def test_job_files_are_the_emulators_events_and_filters_go_to_graph(mnt):
    sp, job, jd = job_with(mnt, lambda e: status(e) == "failure")
    log = mnt.request_log()
    truth = in_window([e for e in mnt.emu.provisioning_events() if e["jobId"] == job])
    assert lines(jd / "logs" / "recent.jsonl") == truth
    assert lines(jd / "logs" / "failures.jsonl") == [e for e in truth if status(e) == "failure"] != []
    assert lines(jd / "logs" / "skipped.jsonl") == [e for e in truth if status(e) == "skipped"]
    assert lines(jd / "logs" / "staged-deletes.jsonl") == \
        [e for e in truth if e["provisioningAction"] == "stagedDelete"] != []
    tsv = mu.read_file(jd / "logs" / "recent.tsv").decode().splitlines()
    assert tsv[0].split("\t") == ["time", "action", "status", "source id", "source name", "target id",
                                  "target name", "error code", "reason"]
    assert tsv[1:] == [tsv_row(e) for e in truth]
    # one request per query (recent.tsv is recent.jsonl's), each filtered by Graph, oldest first
    reqs = log_requests(log)
    filters = sorted(f.split(" and activityDateTime gt ")[0] for _, f, _ in reqs)
    assert filters == sorted([f"jobId eq '{job}'", f"jobId eq '{job}' and provisioningStatusInfo/status eq 'failure'",
                              f"jobId eq '{job}' and provisioningStatusInfo/status eq 'skipped'",
                              f"jobId eq '{job}' and provisioningAction eq 'stagedDelete'"]), log.describe()
    assert all(o == "activityDateTime asc" and " and activityDateTime gt 20" in f for _, f, o in reqs)
    # the files are not listed anywhere with @odata annotations
    assert b"@odata" not in mu.read_file(jd / "logs" / "recent.jsonl")


@pytest.mark.mount(options=["log_window=1h"], **QUIET)
def test_log_window_option_limits_history(mnt):
    events = mnt.emu.provisioning_events()
    old = [e for e in events if parse_time(e["activityDateTime"]) <
           datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1, minutes=1)]
    assert old, "the demo history has events older than an hour"
    job = old[0]["jobId"]
    sp = old[0]["servicePrincipal"]["id"]
    got = lines(mnt / "servicePrincipals" / sp / "jobs" / job / "logs" / "recent.jsonl")
    assert got == in_window([e for e in events if e["jobId"] == job], hours=1)
    assert old[0] not in got


@pytest.mark.mount(**QUIET)
def test_lookup_only_names(mnt):
    sp, job, jd = job_with(mnt, lambda e: status(e) == "failure")
    logs = jd / "logs"
    log = mnt.request_log()
    subprocess.run(["ls", "-U", str(logs), str(mnt / "logs")], check=True, stdout=subprocess.DEVNULL)
    assert log_requests(log) == [], log.describe()      # listing logs/ costs no log request
    assert sorted(os.listdir(logs)) == ["by-id", "failures.jsonl", "recent.jsonl", "recent.tsv",
                                        "skipped.jsonl", "staged-deletes.jsonl"]
    assert "logs" in os.listdir(jd)
    assert os.listdir(logs / "by-id") == []
    assert sorted(os.listdir(mnt / "logs")) == ["by-user", "failures.tsv", "last_error"]
    assert os.listdir(mnt / "logs" / "by-user") == []
    fail = next(e for e in mnt.emu.provisioning_events() if e["jobId"] == job and status(e) == "failure")
    oid = fail["sourceIdentity"]["id"]
    truth = [e for e in in_window(mnt.emu.provisioning_events())
             if e["jobId"] == job and oid in (e["sourceIdentity"]["id"], e["targetIdentity"]["id"])]
    assert lines(logs / "by-id" / f"{oid}.jsonl") == truth
    txt = mu.read_file(logs / "by-id" / f"{oid}.txt").decode()
    last = truth[-1]
    info = last["provisioningStatusInfo"]["errorInformation"]
    assert f"status:             {status(last)}" in txt
    assert info["errorCode"] in txt and info["reason"] in txt
    step_lines = [x for x in txt.splitlines() if x.startswith("  ") and ": " in x and "->" not in x]
    assert [x.split()[0] for x in step_lines] == [s["provisioningStepType"] for s in last["provisioningSteps"]]
    if info.get("recommendedAction"):
        assert info["recommendedAction"] in txt
    for bad in ("nosuffix", f"{oid}.json", ".jsonl"):
        assert mu.os_error(os.stat, logs / "by-id" / bad) == errno.ENOENT
    # across every job of the tenant
    across = [e for e in in_window(mnt.emu.provisioning_events())
              if oid in (e["sourceIdentity"]["id"], e["targetIdentity"]["id"])]
    assert lines(mnt / "logs" / "by-user" / f"{oid}.jsonl") == across
    tsv = mu.read_file(mnt / "logs" / "failures.tsv").decode().splitlines()
    assert tsv[0].startswith("time\tservice principal id\tservice principal\tjob\taction\t")
    assert tsv[1:] == [tsv_row(e, owner=True) for e in in_window(mnt.emu.provisioning_events())
                       if status(e) == "failure"]


@pytest.mark.mount(**QUIET)
def test_by_user_upn_matches_bulk_upload_users(mnt):
    sp, job = next((s["id"], j) for s in mnt.tenant()["servicePrincipals"] for j in s["jobs"]
                   if j.startswith("API2AAD."))
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"method": "POST", "bulkId": "b1", "path": "/Users",
         "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "E1",
                  "userName": "ann.lee@contoso.com"}}]}
    r = mnt.emu.graph("POST", f"/servicePrincipals/{sp}/synchronization/jobs/{job}/bulkUpload",
                      raw=json.dumps(body).encode(), headers={"Content-Type": "application/scim+json"})
    assert r.status == 202, r
    got = lines(mnt / "logs" / "by-user" / "ann.lee@contoso.com.jsonl")
    assert [e["sourceIdentity"]["displayName"] for e in got] == ["ann.lee@contoso.com"]
    assert got[0]["jobId"] == job and got[0]["provisioningAction"] == "create"


@pytest.mark.mount(options=["log_poll=1"], **QUIET)
@pytest.mark.timeout(120)
def test_tail_f_follows_a_running_job(mnt):
    sp, job, jd = job_with(mnt, lambda e: True)
    path = jd / "logs" / "recent.jsonl"
    before = mu.read_file(path)
    size0 = os.stat(path).st_size
    assert size0 == len(before) > 0
    tail = subprocess.Popen(["tail", "-n", "+1", "-s", "0.5", "-f", str(path)], stdout=subprocess.PIPE)
    got = []
    reader = threading.Thread(target=lambda: got.extend(iter(tail.stdout.readline, b"")), daemon=True)
    reader.start()
    try:
        mnt.emu.run_cycle(sp, job)
        new_ids = {e["id"] for e in mnt.emu.provisioning_events() if e["jobId"] == job} - \
            {json.loads(x)["id"] for x in before.splitlines()}
        assert new_ids
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not new_ids <= {json.loads(x)["id"] for x in list(got)}:
            time.sleep(0.2)
        assert new_ids <= {json.loads(x)["id"] for x in list(got)}, "tail -f did not show the new events"
    finally:
        tail.terminate()
        tail.wait(10)
    after = mu.read_file(path)
    assert after.startswith(before) and len(after) > len(before)   # lines already read never change
    assert os.stat(path).st_size == len(after)
    assert b"".join(got) == after


@pytest.mark.mount(options=["log_rate=5/2"], config={"log_rate_window_s": 2.0}, **QUIET)
@pytest.mark.timeout(150)
def test_burst_of_50_reads_across_10_jobs_never_sees_429(mnt):
    jobs = [(s["id"], j) for s in mnt.tenant()["servicePrincipals"] for j in s["jobs"]]
    assert len(jobs) >= 10
    # the job files of many jobs together are served from one tenant-wide query
    # (test_logs_walk.py): each by-id/ name is a query of its own, 4 per job, plus the job's failures
    events = mnt.emu.provisioning_events()
    paths = []
    for sp, job in jobs[:10]:
        ids = sorted({e["sourceIdentity"]["id"] for e in events if e["jobId"] == job})
        ids = (ids + ["%08x-0000-4000-8000-%012x" % (i, len(paths)) for i in range(4)])[:4]
        logs = mnt / "servicePrincipals" / sp / "jobs" / job / "logs"
        paths += [logs / "by-id" / f"{oid}.jsonl" for oid in ids] + [logs / "failures.jsonl"]
    log = mnt.request_log()
    results = {}

    def read(p):
        try:
            results[p] = mu.read_file(p)
        except OSError as e:
            results[p] = e
    mu.run_threads([threading.Thread(target=read, args=(p,)) for p in paths], 120)
    failed = {str(p): r for p, r in results.items() if isinstance(r, OSError)}
    assert len(results) == 50 and not failed, failed
    reqs = log_requests(log)
    assert 40 <= len(reqs) <= 50, log.describe()    # the failures files may come from the window
    assert all(r["status"] == 200 for r, _, _ in reqs), log.describe()
    times = sorted(r["time"] for r, _, _ in reqs)
    assert all(times[i + 5] - times[i] >= 2.0 - 0.05 for i in range(len(times) - 5)), times


@pytest.mark.mount(**QUIET)
@pytest.mark.allow_stderr(*ALLOW_DENIED)
@pytest.mark.parametrize("access", ["denied", "unlicensed"])
def test_missing_permission_is_eacces_with_last_error(mnt, access):
    sp, job, jd = job_with(mnt, lambda e: True)
    mnt.emu.config(audit_log_access=access)
    assert mu.os_error(mu.read_file, jd / "logs" / "recent.jsonl") == errno.EPERM
    text = mu.read_file(jd / "last_error").decode()
    assert "AuditLog.Read.All" in text and "P1 or P2" in text and "403" in text and "EPERM" in text, text
    assert mu.os_error(mu.read_file, mnt / "logs" / "failures.tsv") == errno.EPERM
    assert "AuditLog.Read.All" in mu.read_file(mnt / "logs" / "last_error").decode()
    # granted again: the same file reads
    mnt.emu.config(audit_log_access="granted")
    assert lines(jd / "logs" / "recent.jsonl") == in_window(
        [e for e in mnt.emu.provisioning_events() if e["jobId"] == job])


# --- links from provisionOnDemand and bulkUpload (point 4) ------------------------------------

def pod_job(m):
    """(sp, job, job dir) of an Active job whose credentials are good (provisionOnDemand succeeds)."""
    for sp in m.tenant()["servicePrincipals"]:
        for job in sp["jobs"]:
            r = m.emu.get(f"/servicePrincipals/{sp['id']}/synchronization/jobs/{job}")
            if r.json()["status"]["code"] == "Active" and not job.startswith(("API2AAD", "AD2AAD")):
                return sp["id"], job, m / "servicePrincipals" / sp["id"] / "jobs" / job
    raise AssertionError("no Active job")


@pytest.mark.mount(**QUIET)
def test_provision_on_demand_result_names_its_log_details(mnt):
    sp, job, jd = pod_job(mnt)
    oid = "0b0e5f5a-4d53-4a8b-9a57-1c1f7d3f5e21"
    mu.write_file(jd / "provisionOnDemand", f"{oid} User\n".encode())
    result = json.loads(mu.read_file(jd / "provisionOnDemand"))
    assert list(result)[-1] == "logDetails" and result["logDetails"] == f"logs/by-id/{oid}.txt"
    txt = mu.read_file(jd / result["logDetails"]).decode()
    event = [e for e in mnt.emu.provisioning_events() if e["sourceIdentity"]["id"] == oid][-1]
    assert f"change:             {event['changeId']}" in txt
    assert "initiated by:       provisionOnDemand" in txt and "export     success" in txt


@pytest.mark.mount(**QUIET)
@pytest.mark.allow_stderr(r"warning: GET .*/users/nobody%40contoso\.com.*Request_ResourceNotFound")
def test_provision_on_demand_takes_a_user_principal_name(mnt):
    sp, job, jd = pod_job(mnt)
    event = next(e for e in mnt.emu.provisioning_events() if e["jobId"] == job)
    oid = event["sourceIdentity"]["id"]
    upn = next(s["details"]["ReportableIdentifier"] for s in event["provisioningSteps"]
               if "ReportableIdentifier" in s["details"])
    log = mnt.request_log()
    mu.write_file(jd / "provisionOnDemand", f"{upn}\n".encode())
    pods = [r for r in log.entries() if r["path"].endswith("/provisionOnDemand")]
    assert [r["path"] for r in log.entries() if "/users/" in r["path"]] == [f"/v1.0/users/{upn}"]
    assert json.loads(pods[0]["body"])["parameters"][0]["subjects"] == [{"objectId": oid, "objectTypeName": "User"}]
    assert json.loads(mu.read_file(jd / "provisionOnDemand"))["value"]["sourceIdentity"]["id"] == oid
    # an unknown one: ENOENT, no provisionOnDemand request, last_error says why
    log = mnt.request_log()
    with pytest.raises(OSError) as e:
        mu.write_file(jd / "provisionOnDemand", b"nobody@contoso.com\n")
    assert e.value.errno == errno.ENOENT
    assert not [r for r in log.entries() if r["path"].endswith("/provisionOnDemand")]
    assert "nobody@contoso.com" in mu.read_file(jd / "last_error").decode()


@pytest.mark.mount(**QUIET)
def test_provision_on_demand_picks_the_rule_of_the_subjects_type(mnt):
    sp, job, jd = pod_job(mnt)
    schema = mnt.emu.get(f"/servicePrincipals/{sp}/synchronization/jobs/{job}/schema").json()
    user_rule = schema["synchronizationRules"][0]
    groups_rule = json.loads(json.dumps(user_rule))
    groups_rule["id"] = user_rule["id"] + ".groups"
    groups_rule["objectMappings"] = [dict(m, sourceObjectName="Group", name="Provision groups")
                                     for m in user_rule["objectMappings"][:1]]
    for m in user_rule["objectMappings"]:
        m["enabled"] = m["sourceObjectName"].lower() == "user" or m["enabled"]
    mnt.emu.set_schema(sp, job, {"directories": schema["directories"],
                                 "synchronizationRules": [groups_rule, user_rule]})
    log = mnt.request_log()
    mu.write_file(jd / "provisionOnDemand", b"9bb0f679-a883-4a6f-8260-35b491b8b8c8 User\n")
    mu.write_file(jd / "provisionOnDemand", b"9bb0f679-a883-4a6f-8260-35b491b8b8c9 Group\n")
    bodies = [json.loads(r["body"]) for r in log.entries() if r["path"].endswith("/provisionOnDemand")]
    assert [b["parameters"][0]["ruleId"] for b in bodies] == [user_rule["id"], groups_rule["id"]]


@pytest.mark.mount(**QUIET)
def test_bulk_upload_shows_events_since_it_was_accepted(mnt):
    sp, job = next((s["id"], j) for s in mnt.tenant()["servicePrincipals"] for j in s["jobs"]
                   if j.startswith("API2AAD."))
    jd = mnt / "servicePrincipals" / sp / "jobs" / job
    ops = [{"method": "POST", "bulkId": str(i), "path": "/Users",
            "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": f"E{i}",
                     **({"userName": f"u{i}@contoso.com"} if i < 2 else {})}} for i in range(3)]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}
    mu.write_file(jd / "bulkUpload", json.dumps(body).encode())
    text = mu.read_file(jd / "bulkUpload").decode()
    assert "HTTP 202" in text and "last upload accepted: 20" in text, text
    assert "events since then: created 2, updated 0, failed 1, skipped 0\n" in text, text
    mu.write_file(jd / "bulkUpload", json.dumps(dict(body, Operations=ops[:1])).encode())
    assert "events since then: created 0, updated 1, failed 0, skipped 0\n" in \
        mu.read_file(jd / "bulkUpload").decode()


@pytest.mark.mount(options=["log_rate=1/60", "timeout=3"], **QUIET)
@pytest.mark.allow_stderr(*ALLOW_THROTTLE)
def test_no_slot_in_time_is_eagain_with_the_reason(mnt):
    sp, job, jd = job_with(mnt, lambda e: True)
    log = mnt.request_log()
    assert lines(jd / "logs" / "recent.jsonl")          # takes the only slot for 60 s
    assert mu.os_error(mu.read_file, jd / "logs" / "failures.jsonl") == errno.EAGAIN
    text = mu.read_file(jd / "last_error").decode()
    assert "LogRateLimit" in text and "1 requests per 60 s" in text, text
    assert len(log_requests(log)) == 1 and all(r["status"] == 200 for r, _, _ in log_requests(log))


@pytest.mark.mount(options=["log_rate=1000/1"], config={"log_page_max": 3, "log_rate_limit": 1000}, **QUIET)
def test_pages_are_followed_through_next_link(mnt):
    sp, job, jd = job_with(mnt, lambda e: True)
    truth = in_window([e for e in mnt.emu.provisioning_events() if e["jobId"] == job])
    assert len(truth) > 6
    log = mnt.request_log()
    assert lines(jd / "logs" / "recent.jsonl") == truth
    reqs = log_requests(log)
    assert len(reqs) == -(-len(truth) // 3), log.describe()
    assert ["$skiptoken=" in r["query"] for r, _, _ in reqs] == [False] + [True] * (len(reqs) - 1)

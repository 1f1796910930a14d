"""Operating provisioning from Linux (issue 17): metrics.prom, check, check.state, health and
check_graphsyncfs from the status.tsv scan; settings/ decoded from the secrets and written
without touching a credential; allow_deletes for a TooManyDeletes hold; the audit trail of
every change sent to Graph (caller uid and pid, path, URL, outcome, request-id) and the
backups' index.tsv and backup_keep=.

Cycles are frozen (time_scale=1e6: a Graph minute lasts 11 days) so that job states change
only when a test patches them; status_timeout=0 makes every read scan again."""

import datetime
import errno
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration import mount_util as mu
from tests.integration.promtext import parse as parse_prom

ROOT = Path(__file__).resolve().parents[2]
CHECK_SCRIPT = ROOT / "monitoring" / "check_graphsyncfs"
FROZEN = {"time_scale": 1e6}
STATE = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
# what the daemon says when it refuses a setting or an allow_deletes (last_error is logged)
# the daemon's command line, echoed first in its log, holds warn_... options
ALLOW_CMDLINE = r"^\$ \S*graphsyncfs -f "
ALLOW_REFUSED = (r"warning: (PUT|POST) .*(secrets|restart): (CredentialsMasked|NotHeld|InvalidInput)",)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def ago(**kw):
    return iso(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(**kw))


def all_jobs(emu):
    return [(sp["id"], j) for sp in emu.tenant()["servicePrincipals"] for j in sp["jobs"]]


def make_healthy(emu):
    """Every job: no quarantine, no escrow, a successful run a minute ago."""
    for sp, job in all_jobs(emu):
        emu.patch_job(sp, job, {"status": {
            "code": "Active", "quarantine": None, "troubleshootingUrl": None,
            "countSuccessiveCompleteFailures": 0,
            "lastExecution": {"countEscrowed": 0, "countEscrowedRaw": 0, "state": "Succeeded",
                              "timeEnded": ago(minutes=1)},
            "lastSuccessfulExecution": {"countEscrowed": 0, "state": "Succeeded", "timeEnded": ago(minutes=1)}}})


def active_job(emu):
    """(sp, job) of a job whose schedule is Active."""
    for sp, job in all_jobs(emu):
        doc = emu.get("/servicePrincipals/%s/synchronization/jobs/%s" % (sp, job)).json()
        if doc["schedule"]["state"] == "Active":
            return sp, job
    raise AssertionError("no active job in the tenant")


def check(m):
    line = mu.read_file(m / "check", "r")
    state = mu.read_file(m / "check.state", "r")
    assert line.endswith("\n") and line.count("\n") == 1, line
    assert re.fullmatch(r"[0-3]\n", state), state
    word = line.split(" ", 1)[0]
    assert STATE[word] == int(state), (line, state)
    assert re.search(r" \| jobs=\d+;;;0 .*unreadable=\d+;;1;0\n$", line), line
    return word, line


def run_check_script(path):
    return subprocess.run(["sh", str(CHECK_SCRIPT), str(path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60)


# --- metrics.prom ---------------------------------------------------------------------------

@pytest.mark.mount(**FROZEN)
def test_metrics_prom_is_valid_exposition_with_every_job(mnt):
    text = mu.read_file(mnt / "metrics.prom", "r")
    fams = parse_prom(text)  # strict: format and promtool's lint rules
    if shutil.which("promtool"):
        r = subprocess.run(["promtool", "check", "metrics"], input=text, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        assert r.returncode == 0, r.stdout
    jobs = {(s[1]["sp_id"], s[1]["job_id"]) for s in fams["graphsyncfs_job_active"]["samples"]}
    assert jobs == set(all_jobs(mnt.emu))
    # the same jobs as status.tsv, from the same scan rules
    tsv = mu.read_file(mnt / "status.tsv", "r").splitlines()[1:]
    assert {(l.split("\t")[0], l.split("\t")[3]) for l in tsv} == jobs
    for name in ("graphsyncfs_job_quarantined", "graphsyncfs_job_escrowed", "graphsyncfs_job_steady_state",
                 "graphsyncfs_job_health_state", "graphsyncfs_job_seconds_since_last_success",
                 "graphsyncfs_scan_age_seconds", "graphsyncfs_scan_errors"):
        assert fams[name]["type"] == "gauge" and fams[name]["samples"], name
    labels = fams["graphsyncfs_job_escrowed"]["samples"][0][1]
    assert set(labels) == {"sp_id", "app_display_name", "job_id", "template_id"}
    # the demo's Slack job is quarantined, with its reason as a label
    q = [s for s in fams["graphsyncfs_job_quarantined"]["samples"] if s[2] == 1]
    assert [s[1]["app_display_name"] for s in q] == ["Slack"]
    assert q[0][1]["reason"] == "EncounteredQuarantineException"
    assert fams["graphsyncfs_scan_complete"]["samples"][0][2] == 1
    assert fams["graphsyncfs_scan_errors"]["samples"][0][2] == 0


# status_timeout=60: nothing expires however slow the machine
@pytest.mark.mount(tenant="large:300:40", options=["status_timeout=60"], **FROZEN)
def test_monitoring_files_cost_nothing_after_status_tsv(mnt):
    """The monitoring files scan as status.tsv does: right after it, they send no request."""
    tsv = mu.read_file(mnt / "status.tsv", "r")
    mu.quiesce(mnt)
    log = mnt.request_log()
    text = mu.read_file(mnt / "metrics.prom", "r")
    check(mnt)
    mu.quiesce(mnt)
    assert log.count(batch_items=False) == 0, log.describe()
    fams = parse_prom(text)
    assert len(fams["graphsyncfs_job_active"]["samples"]) == len(tsv.splitlines()) - 1 == 40
    assert fams["graphsyncfs_scan_service_principals"]["samples"][0][2] == 300


# --- check, check.state, health and check_graphsyncfs ---------------------------------------

def test_check_healthy_tenant_is_ok(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    make_healthy(emu)
    m = mount_factory(emu=emu, options=["status_timeout=0"])
    word, line = check(m)
    assert word == "OK", line
    assert "quarantined=0;;1;0" in line and "unreadable=0;;1;0" in line
    r = run_check_script(m.path)
    assert r.returncode == 0 and r.stdout == line, (r.returncode, r.stdout, r.stderr)
    sp, job = active_job(emu)
    jd = m / "servicePrincipals" / sp / "jobs" / job
    assert re.fullmatch(r"OK - last success \d+s ago\n", mu.read_file(jd / "health", "r"))
    r = run_check_script(jd)
    assert r.returncode == 0 and r.stdout.startswith("OK - "), r


def test_check_quarantined_job_is_critical(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    make_healthy(emu)
    m = mount_factory(emu=emu, options=["status_timeout=0"])
    assert check(m)[0] == "OK"
    sp, job = active_job(emu)
    emu.patch_job(sp, job, {"status": {"code": "Quarantine", "quarantine": {
        "reason": "TooManyDeletes", "currentBegan": ago(minutes=5), "seriesBegan": ago(minutes=5),
        "seriesCount": 1, "nextAttempt": ago(minutes=-60)}}})
    word, line = check(m)
    assert word == "CRITICAL", line
    assert "%s quarantined (TooManyDeletes)" % job in line and "quarantined=1;;1;0" in line
    jd = m / "servicePrincipals" / sp / "jobs" / job
    assert mu.read_file(jd / "health", "r") == "CRITICAL - quarantined (TooManyDeletes)\n"
    r = run_check_script(m.path)
    assert r.returncode == 2 and r.stdout == line
    fams = parse_prom(mu.read_file(m / "metrics.prom", "r"))
    health = {s[1]["job_id"]: s[2] for s in fams["graphsyncfs_job_health_state"]["samples"]}
    assert health[job] == 2 and sorted(set(health.values())) == [0, 2]


@pytest.mark.allow_stderr(ALLOW_CMDLINE)
def test_check_stale_job_warns_then_is_critical(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    make_healthy(emu)
    sp, job = active_job(emu)
    emu.patch_job(sp, job, {"status": {"lastSuccessfulExecution": {"timeEnded": ago(hours=3)}}})
    m = mount_factory(emu=emu, options=["status_timeout=0", "warn_stale=2h", "crit_stale=1d"])
    word, line = check(m)
    assert word == "WARNING" and "%s no successful run for 3h" % job in line, line
    assert "stale=1;1;;0" in line
    jd = m / "servicePrincipals" / sp / "jobs" / job
    assert mu.read_file(jd / "health", "r") == "WARNING - no successful run for 3h\n"
    assert run_check_script(m.path).returncode == 1
    emu.patch_job(sp, job, {"status": {"lastSuccessfulExecution": {"timeEnded": ago(days=2)}}})
    word, line = check(m)
    assert word == "CRITICAL" and "no successful run for 48h" in line, line
    since = [s for s in parse_prom(mu.read_file(m / "metrics.prom", "r"))[
        "graphsyncfs_job_seconds_since_last_success"]["samples"] if s[1]["job_id"] == job]
    assert 2 * 86400 - 60 < since[0][2] < 2 * 86400 + 600


@pytest.mark.allow_stderr(ALLOW_CMDLINE)
def test_check_escrow_thresholds_come_from_the_options(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    make_healthy(emu)
    sp, job = active_job(emu)
    emu.patch_job(sp, job, {"status": {"lastExecution": {"countEscrowed": 7}}})
    m = mount_factory(emu=emu, options=["status_timeout=0", "warn_escrow=5", "crit_escrow=10"])
    word, line = check(m)
    assert word == "WARNING" and "%s 7 escrowed" % job in line and "escrowed=7;;;0" in line, line
    emu.patch_job(sp, job, {"status": {"lastExecution": {"countEscrowed": 12}}})
    assert check(m)[0] == "CRITICAL"


def test_check_partial_scan_is_unknown_never_ok(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    make_healthy(emu)
    sp, _ = active_job(emu)
    rx = "%s/synchronization/jobs$" % sp
    emu.set_faults([{"method": "GET", "path": rx, "status": 500},
                    {"method": "GET", "path": rx, "status": 500, "batch_item": True}])
    m = mount_factory(emu=emu, options=["status_timeout=0"])
    word, line = check(m)
    assert word == "UNKNOWN", line
    assert "could not be read (%s: HTTP 500" % sp in line and "unreadable=1;;1;0" in line, line
    assert run_check_script(m.path).returncode == 3
    fams = parse_prom(mu.read_file(m / "metrics.prom", "r"))
    assert fams["graphsyncfs_scan_complete"]["samples"][0][2] == 0
    assert fams["graphsyncfs_scan_errors"]["samples"][0][2] == 1
    # whole again: OK
    emu.clear_faults()
    assert check(m)[0] == "OK"


def test_check_from_cached_states_while_graph_is_down_is_unknown(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    make_healthy(emu)
    m = mount_factory(emu=emu, options=["status_timeout=0", "retries=0", "timeout=5"])
    assert check(m)[0] == "OK"
    emu.set_faults([{"action": "reset"}])
    word, line = check(m)
    assert word == "UNKNOWN" and "Graph unreachable: job states are the cache's" in line, line
    fams = parse_prom(mu.read_file(m / "metrics.prom", "r"))
    assert fams["graphsyncfs_graph_reachable"]["samples"][0][2] == 0
    assert len(fams["graphsyncfs_job_active"]["samples"]) == len(all_jobs(emu))  # the cache's states
    emu.clear_faults()
    deadline = time.monotonic() + 60
    while check(m)[0] != "OK":
        assert time.monotonic() < deadline, "still not OK after Graph came back"
        time.sleep(0.5)


def test_check_script_without_a_mount_is_unknown(tmp_path):
    r = run_check_script(tmp_path)
    assert r.returncode == 3 and r.stdout.startswith("UNKNOWN - "), r


# --- settings/ ------------------------------------------------------------------------------

NOTIFY = '{"Enabled":false,"DeleteThresholdEnabled":false}'  # the shape of Graph's doc example


def settings_sp(emu):
    """A service principal whose secrets hold no masked credential (only BaseAddress and the
    settings keys), so that settings can be written."""
    sp = emu.add_sp(displayName="Settings test", template="scim", jobs=1)["id"]
    emu.put_secrets(sp, [{"key": "BaseAddress", "value": "https://scim.example.com/v2"},
                         {"key": "SyncNotificationSettings", "value": NOTIFY},
                         {"key": "SyncAll", "value": "false"}])
    return sp


def stored(emu, sp):
    return {kv["key"]: kv["value"] for kv in emu.stored_secrets(sp)}


def write_setting(path, value):
    mu.write_file(path, (value + "\n").encode())


@pytest.mark.mount(**FROZEN)
def test_settings_read_and_write_each_key_and_keep_the_rest(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    sp = settings_sp(emu)
    m = mount_factory(emu=emu)
    sd = m / "servicePrincipals" / sp / "settings"
    assert sorted(os.listdir(sd)) == ["delete_threshold", "notify_email", "notify_on_failure",
                                      "skip_out_of_scope_deletions", "sync_all"]
    shown = {n: mu.read_file(sd / n, "r") for n in os.listdir(sd)}
    assert shown == {"delete_threshold": "off\n", "notify_email": "\n", "notify_on_failure": "off\n",
                     "skip_out_of_scope_deletions": "false\n", "sync_all": "assigned\n"}
    log = m.request_log()
    for name, value in (("delete_threshold", "50"), ("notify_email", "ops@contoso.com; it@contoso.com"),
                        ("notify_on_failure", "on"), ("sync_all", "all"),
                        ("skip_out_of_scope_deletions", "true")):
        write_setting(sd / name, value)
        assert mu.read_file(sd / name, "r") == value + "\n", name
    puts = log.entries("PUT", r".*/servicePrincipals/%s/synchronization/secrets$" % sp, batch_items=False)
    assert len(puts) == 5, log.describe()
    s = stored(emu, sp)
    assert s["BaseAddress"] == "https://scim.example.com/v2"  # never touched
    assert json.loads(s["SyncNotificationSettings"]) == {
        "Enabled": True, "Recipients": "ops@contoso.com; it@contoso.com",
        "DeleteThresholdEnabled": True, "DeleteThresholdValue": 50}
    assert s["SyncAll"] == "true" and s["SkipOutOfScopeDeletions"] == "True"
    assert sorted(s) == ["BaseAddress", "SkipOutOfScopeDeletions", "SyncAll", "SyncNotificationSettings"]
    # off keeps the number for the next time it is turned on
    write_setting(sd / "delete_threshold", "off")
    assert mu.read_file(sd / "delete_threshold", "r") == "off\n"
    assert json.loads(stored(emu, sp)["SyncNotificationSettings"])["DeleteThresholdEnabled"] is False


@pytest.mark.allow_stderr(*ALLOW_REFUSED)
@pytest.mark.parametrize("name,value", [
    ("delete_threshold", "0"), ("delete_threshold", "fifty"), ("delete_threshold", "-3"),
    ("notify_email", "not an address"), ("notify_email", "ops@"), ("notify_on_failure", "yes"),
    ("sync_all", "some"), ("skip_out_of_scope_deletions", "True")])
def test_settings_bad_values_are_refused_locally(name, value, emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    sp = settings_sp(emu)
    before = emu.stored_secrets(sp)
    m = mount_factory(emu=emu)
    log = m.request_log()
    sd = m / "servicePrincipals" / sp / "settings"
    assert mu.os_error(write_setting, sd / name, value) == errno.EINVAL
    assert log.count("PUT") == 0, log.describe()
    assert emu.stored_secrets(sp) == before
    assert name in mu.read_file(m / "servicePrincipals" / sp / "last_error", "r")


@pytest.mark.allow_stderr(*ALLOW_REFUSED)
def test_settings_touch_changes_nothing_and_an_empty_line_clears_the_email(emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    sp = settings_sp(emu)
    m = mount_factory(emu=emu)
    sd = m / "servicePrincipals" / sp / "settings"
    write_setting(sd / "notify_email", "ops@contoso.com")
    log = m.request_log()
    r = subprocess.run(["touch", str(sd / "notify_email")], stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r
    assert log.count("PUT") == 0, log.describe()
    assert mu.read_file(sd / "notify_email", "r") == "ops@contoso.com\n"
    write_setting(sd / "notify_email", "")
    assert mu.read_file(sd / "notify_email", "r") == "\n"
    assert json.loads(stored(emu, sp)["SyncNotificationSettings"])["Recipients"] == ""


@pytest.mark.allow_stderr(*ALLOW_REFUSED)
@pytest.mark.mount(**FROZEN)
def test_settings_with_masked_credentials_are_refused_and_credentials_kept(mnt):
    sf = [sp for sp in mnt.tenant()["servicePrincipals"] if sp["displayName"] == "Salesforce"][0]["id"]
    before = mnt.emu.stored_secrets(sf)
    secret_values = [kv["value"] for kv in before if kv["key"] in ("Password", "SecretToken")]
    assert secret_values and all(v and "*" not in v for v in secret_values)
    sd = mnt / "servicePrincipals" / sf / "settings"
    shown = "".join(mu.read_file(sd / n, "r") for n in os.listdir(sd))
    assert not any(v in shown for v in secret_values) and "*" not in shown
    log = mnt.request_log()
    assert mu.os_error(write_setting, sd / "delete_threshold", "25") == errno.EPERM
    assert log.count("PUT") == 0, log.describe()
    assert mnt.emu.stored_secrets(sf) == before
    why = mu.read_file(mnt / "servicePrincipals" / sf / "last_error", "r")
    assert "CredentialsMasked" in why and "secrets.json" in why and "SecretToken" in why, why
    # the entry to write, ready to paste (the demo keeps DeleteThresholdValue as a string)
    assert '\\"DeleteThresholdValue\\":\\"25\\"' in why, why
    assert not any(v in why for v in secret_values)


# --- allow_deletes --------------------------------------------------------------------------

def hold(emu, sp, job):
    emu.patch_job(sp, job, {"status": {
        "code": "Quarantine",
        "quarantine": {"reason": "TooManyDeletes", "currentBegan": ago(minutes=5),
                       "seriesBegan": ago(minutes=5), "seriesCount": 1, "nextAttempt": ago(minutes=-60),
                       "error": {"code": "TooManyDeletes", "message": "deletion threshold exceeded",
                                 "tenantActionable": True}},
        "lastExecution": {"countExports": 130, "countExported": 10, "state": "Failed"}}})


@pytest.mark.allow_stderr(*ALLOW_REFUSED)
@pytest.mark.mount(**FROZEN)
def test_allow_deletes_refuses_when_no_deletion_hold(mnt):
    sp, job = active_job(mnt.emu)
    jd = mnt / "servicePrincipals" / sp / "jobs" / job
    assert mu.read_file(jd / "allow_deletes", "r").startswith(
        "not held: the job is not in a TooManyDeletes quarantine (status Active")
    log = mnt.request_log()
    assert mu.os_error(mu.write_file, jd / "allow_deletes", b"yes\n") == errno.EBUSY
    assert log.count("POST") == 0, log.describe()
    why = mu.read_file(jd / "last_error", "r")
    assert "NotHeld" in why and "not in a TooManyDeletes quarantine" in why, why
    # another quarantine is not a deletion hold either
    slack = [s for s in mnt.tenant()["servicePrincipals"] if s["displayName"] == "Slack"][0]
    sd = mnt / "servicePrincipals" / slack["id"] / "jobs" / slack["jobs"][0]
    assert mu.os_error(mu.write_file, sd / "allow_deletes", b"yes\n") == errno.EBUSY
    assert "quarantine EncounteredQuarantineException" in mu.read_file(sd / "last_error", "r")
    assert log.count("POST") == 0, log.describe()


@pytest.mark.mount(**FROZEN)
def test_allow_deletes_releases_a_too_many_deletes_hold(mnt):
    sp, job = active_job(mnt.emu)
    hold(mnt.emu, sp, job)
    jd = mnt / "servicePrincipals" / sp / "jobs" / job
    shown = mu.read_file(jd / "allow_deletes", "r")
    assert shown.startswith("held: TooManyDeletes quarantine"), shown
    assert "staged: 120 " in shown and "logs/staged-deletes.jsonl" in shown, shown
    log = mnt.request_log()
    mu.write_file(jd / "allow_deletes", b"yes\n")
    posts = log.entries("POST", r".*/jobs/%s/restart$" % re.escape(job), batch_items=False)
    assert len(posts) == 1 and json.loads(posts[0]["body"]) == {"criteria": {"resetScope": "ForceDeletes"}}
    status = mnt.emu.get("/servicePrincipals/%s/synchronization/jobs/%s" % (sp, job)).json()["status"]
    assert status["quarantine"] is None and status["code"] != "Quarantine"
    after = mu.read_file(jd / "allow_deletes", "r")
    assert after.startswith("not held") and "restart ForceDeletes: HTTP 204" in after, after


# --- audit trail, backups/index.tsv, backup_keep= --------------------------------------------

@pytest.fixture
def syslog_socket(tmp_path):
    path = tmp_path / "log.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    s.settimeout(10)
    yield s, path
    s.close()


def audit_lines(sock, n):
    lines = []
    while len(lines) < n:
        try:
            lines.append(sock.recv(4096).decode())
        except socket.timeout:
            break
    return lines


def as_caller(cmd, cwd):
    """Runs a shell command (the writes are the shell's own: its pid is the caller's)."""
    p = subprocess.Popen(["sh", "-c", cmd], cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    return p.pid


def test_audit_lines_for_each_kind_of_change(syslog_socket, tmp_path, emulator_factory, mount_factory):
    sock, path = syslog_socket
    emu = emulator_factory(**FROZEN)
    sp_set = settings_sp(emu)
    secret_values = [kv["value"] for sp in emu.tenant()["servicePrincipals"]
                     for kv in emu.stored_secrets(sp["id"]) if kv["value"]]
    m = mount_factory(emu=emu, options=["syslog_socket=%s" % path, "backup_dir=%s" % (tmp_path / "bk")])
    sp, job = active_job(emu)
    jd = m / "servicePrincipals" / sp / "jobs" / job
    pid_post = as_caller("echo > pause", jd)
    pid_put = as_caller("echo 40 > delete_threshold", m / "servicePrincipals" / sp_set / "settings")
    victim = emu.tenant()["servicePrincipals"]
    vsp = [s for s in victim if s["id"] == sp_set][0]
    pid_delete = as_caller("exec rmdir %s" % vsp["jobs"][0], m / "servicePrincipals" / sp_set / "jobs")
    lines = audit_lines(sock, 3)
    assert len(lines) == 3, lines
    rx = (r"^<29>\w{3} [ \d]\d \d\d:\d\d:\d\d graphsyncfs\[%d\]: audit: uid=0 pid=(\d+) path=(\S+) "
          r"(POST|PUT|DELETE) (\S+) -> HTTP (\d+) ok request-id=([0-9a-f-]{36})$" % m.proc.pid)
    got = [re.match(rx, l) for l in lines]
    assert all(got), lines
    want = [
        (pid_post, "/servicePrincipals/%s/jobs/%s/pause" % (sp, job), "POST",
         "%s/v1.0/servicePrincipals/%s/synchronization/jobs/%s/pause" % (emu.url, sp, job), "204"),
        (pid_put, "/servicePrincipals/%s/settings/delete_threshold" % sp_set, "PUT",
         "%s/v1.0/servicePrincipals/%s/synchronization/secrets" % (emu.url, sp_set), "204"),
        (pid_delete, "/servicePrincipals/%s/jobs/%s" % (sp_set, vsp["jobs"][0]), "DELETE",
         "%s/v1.0/servicePrincipals/%s/synchronization/jobs/%s" % (emu.url, sp_set, vsp["jobs"][0]), "204"),
    ]
    assert [(int(g.group(1)), g.group(2), g.group(3), g.group(4), g.group(5)) for g in got] == want
    # a change Graph refuses is logged with its outcome
    emu.set_faults([{"method": "POST", "path": "/start$", "status": 409}])
    m.allow(r"warning: POST .*/start")
    assert mu.os_error(mu.write_file, jd / "start", b"\n") == errno.EBUSY
    refused = audit_lines(sock, 1)
    assert len(refused) == 1 and re.search(
        r"audit: uid=0 pid=%d path=/servicePrincipals/%s/jobs/%s/start POST \S+/start -> HTTP 409 EBUSY "
        r"request-id=[0-9a-f-]{36}$" % (os.getpid(), sp, re.escape(job)), refused[0]), refused
    # reads are not changes: nothing logged for them
    mu.read_file(jd / "status.json")
    mu.read_file(m / "status.tsv")
    sock.settimeout(1)
    assert audit_lines(sock, 1) == []
    # never a secret, in the audit lines nor in the daemon's output
    text = "\n".join(lines + refused) + m.output()
    assert not [v for v in secret_values if len(v) > 5 and v in text]


def test_backups_index_records_who_saved_and_backup_keep_prunes(tmp_path, emulator_factory, mount_factory):
    emu = emulator_factory(**FROZEN)
    bk = tmp_path / "bk"
    m = mount_factory(emu=emu, options=["backup_dir=%s" % bk, "backup_keep=2"])
    sp, job = [(s, j) for s, j in all_jobs(emu) if j.startswith("zoom.")][0]
    jd = m / "servicePrincipals" / sp / "jobs" / job
    pids = []
    for i in range(3):
        new = tmp_path / ("schema%d.json" % i)
        new.write_text(mu.read_file(jd / "schema.json", "r").replace(
            '"targetAttributeName": "%s"' % ("userName" if i == 0 else "v%d" % (i - 1)),
            '"targetAttributeName": "v%d"' % i))
        pids.append(as_caller("exec cp %s schema.json" % new, jd))  # cp's pid is the shell's
    names = sorted(n for n in os.listdir(jd / "backups") if n.endswith(".json"))
    assert len(names) == 2, os.listdir(jd / "backups")
    assert "index.tsv" in os.listdir(jd / "backups")
    rows = mu.read_file(jd / "backups" / "index.tsv", "r").splitlines()
    assert rows[0] == "time\tfile\tuid\tpid"
    body = [r.split("\t") for r in rows[1:]]
    assert [b[1] for b in body] == names  # the pruned backup's line went with it
    assert [b[2] for b in body] == ["0", "0"]
    assert [int(b[3]) for b in body] == pids[1:]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b[0]) for b in body)
    assert sorted(os.listdir(bk / sp / job)) == sorted(names + ["index.tsv"])

"""Browsing a tenant (issue: the read side of the tree): every file is whole, exact and
consistent with Graph; common tools copy and compare it; status changes show up; requests
are few; errors map to errno with the story in last_error."""

import concurrent.futures
import errno
import json
import os
import stat
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.integration import mount_util as mu


def graph_get(emu, path):
    """GET a Graph path (relative to /v1.0) straight from the emulator."""
    url = emu.url + "/v1.0" + urllib.parse.quote(path, safe="/$?=&,()'")
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


JOB_FILES = ["job.json", "status.json", "schedule.json", "settings.json", "schema.json",
             "functions.json", "filterOperators.json", "last_error"]


def test_tree_has_the_designed_entries(mnt):
    assert {"README", "servicePrincipals", "by-name", "by-appId"} <= set(os.listdir(mnt.path))
    sp = mu.sp_with_jobs(mnt)
    spdir = mnt / "servicePrincipals" / sp["id"]
    assert {"servicePrincipal.json", "secrets.json", "last_error", "templates", "jobs"} <= set(os.listdir(spdir))
    assert sorted(n for n in os.listdir(spdir / "jobs") if n != "new") == sorted(sp["jobs"])
    assert sorted(os.listdir(spdir / "templates")) == sorted(sp["templates"])
    jobdir = spdir / "jobs" / sp["jobs"][0]
    assert set(JOB_FILES) <= set(os.listdir(jobdir))
    assert stat.S_IMODE(os.stat(jobdir / "status.json").st_mode) == 0o444
    assert stat.S_IMODE(os.stat(jobdir / "start").st_mode) == 0o600  # readable: its last result
    for t in sp["templates"]:
        assert sorted(os.listdir(spdir / "templates" / t)) == ["rules", "schema.json", "template.json"]


# the walk reads every job's provisioning logs: 40 queries, not Graph's 5 per 10 s
@pytest.mark.mount(options=["log_rate=1000/1"], config={"log_rate_limit": 1000})
def test_every_file_is_whole_exact_and_json(mnt):
    checked = 0
    for root, dirs, files in os.walk(mnt / "servicePrincipals"):
        for name in files:
            p = os.path.join(root, name)
            st = os.stat(p)
            if not st.st_mode & stat.S_IRUSR:
                continue  # write-only control files
            data = mu.read_file(p)
            if os.path.basename(root) == "logs":
                # a provisioning-log file costs a rate-limited query: stat(2) shows nothing
                # before the first read of its query, as /proc files do (man page,
                # PROVISIONING LOGS); recent.tsv shares recent.jsonl's
                assert st.st_size in (0, len(data)), p
            else:
                assert st.st_size == len(data), p
            assert os.stat(p).st_size == len(data), p
            if name.endswith(".json"):
                json.loads(data)
                assert data.endswith(b"\n"), p
                assert b"@odata" not in data, p
                checked += 1
    assert checked > 20
    # jq agrees with every JSON file in one go
    files = subprocess.run("find %s -name '*.json' -print0 | xargs -0 jq -e . >/dev/null && echo ok"
                           % (mnt / "servicePrincipals"), shell=True, stdout=subprocess.PIPE,
                           text=True).stdout
    assert files.strip() == "ok"


def test_files_equal_graph_objects(mnt):
    sp = mu.sp_with_jobs(mnt)
    sid, jid = sp["id"], sp["jobs"][0]
    base = "/servicePrincipals/%s/synchronization" % sid
    job = graph_get(mnt.emu, base + "/jobs/" + jid)
    jobdir = mnt / "servicePrincipals" / sid / "jobs" / jid
    assert mu.read_file(jobdir / "job.json") == mu.rendered(job)
    assert mu.read_file(jobdir / "status.json") == mu.rendered(job["status"])
    assert mu.read_file(jobdir / "schedule.json") == mu.rendered(job["schedule"])
    assert mu.read_file(jobdir / "settings.json") == mu.rendered(job["synchronizationJobSettings"])
    assert mu.read_file(jobdir / "schema.json") == mu.rendered(graph_get(mnt.emu, base + "/jobs/%s/schema" % jid))
    assert mu.read_file(jobdir / "functions.json") == mu.rendered(
        graph_get(mnt.emu, base + "/jobs/%s/schema/functions" % jid)["value"])
    tid = sp["templates"][0]
    assert mu.read_file(mnt / "servicePrincipals" / sid / "templates" / tid / "template.json") == mu.rendered(
        graph_get(mnt.emu, base + "/templates/" + tid))
    assert mu.read_file(mnt / "servicePrincipals" / sid / "secrets.json") == mu.rendered(
        graph_get(mnt.emu, base + "/secrets"))


def test_copy_and_compare_tools_see_whole_files(mnt, tmp_path):
    sp = mu.sp_with_jobs(mnt)
    src = mnt / "servicePrincipals" / sp["id"]
    cp_dst = tmp_path / "cp"
    subprocess.run(["cp", "-r", str(src), str(cp_dst)], check=True)
    tar = tmp_path / "sp.tar"
    subprocess.run(["tar", "-C", str(src.parent), "-cf", str(tar), sp["id"]], check=True)
    tar_dst = tmp_path / "tar"
    tar_dst.mkdir()
    subprocess.run(["tar", "-C", str(tar_dst), "-xf", str(tar)], check=True)
    rs_dst = tmp_path / "rsync"
    subprocess.run(["rsync", "-a", str(src) + "/", str(rs_dst) + "/"], check=True)
    for dst in (cp_dst, tar_dst / sp["id"], rs_dst):
        r = subprocess.run(["diff", "-r", str(src), str(dst)], stdout=subprocess.PIPE, text=True)
        assert r.returncode == 0, r.stdout
    jid = sp["jobs"][0]
    job = graph_get(mnt.emu, "/servicePrincipals/%s/synchronization/jobs/%s" % (sp["id"], jid))
    assert (rs_dst / "jobs" / jid / "status.json").read_bytes() == mu.rendered(job["status"])
    g = subprocess.run(["grep", "-r", "-l", '"code"', str(src / "jobs")], stdout=subprocess.PIPE, text=True)
    assert str(src / "jobs" / jid / "status.json") in g.stdout.splitlines()


@pytest.mark.mount(options=["status_timeout=1"])
def test_status_change_shows_within_ttl(mnt):
    sp = mu.sp_with_jobs(mnt)
    sid, jid = sp["id"], sp["jobs"][0]
    path = mnt / "servicePrincipals" / sid / "jobs" / jid / "status.json"
    before = mu.read_file(path)
    reason = "EncounteredQuarantineException" + "x" * 200  # a longer file
    mnt.emu.patch_job(sid, jid, {"status": {"code": "Quarantine", "troubleshootingUrl": reason}})
    time.sleep(1 + 1 + 0.3)  # status_timeout + the kernel's attribute time + slack
    after = mu.read_file(path)
    assert after != before
    status = json.loads(after)
    assert status["code"] == "Quarantine" and status["troubleshootingUrl"] == reason
    assert os.stat(path).st_size == len(after)
    # a re-opening reader, many times, never sees a truncated or mixed file
    for _ in range(20):
        data = mu.read_file(path)
        assert data == after


@pytest.mark.mount(options=["batch=off"])  # the tenant read-ahead is measured elsewhere
def test_ls_l_and_four_cats_cost_one_get(mnt):
    sp = mu.sp_with_jobs(mnt)
    spdir = mnt / "servicePrincipals" / sp["id"]
    os.stat(spdir)  # the service principal listing is not what is measured
    log = mnt.request_log()
    jobdir = spdir / "jobs" / sp["jobs"][0]
    subprocess.run(["ls", "-l", str(jobdir)], check=True, stdout=subprocess.DEVNULL)
    for f in ("job.json", "status.json", "schedule.json", "settings.json"):
        mu.read_file(jobdir / f)
    gets = log.entries("GET", batch_items=False)
    assert len(gets) == 1, log.describe()
    assert gets[0]["path"].endswith("/synchronization/jobs"), log.describe()
    # the job's documents came together, in at most one $batch
    assert log.count("POST", r".*/\$batch", batch_items=False) <= 1, log.describe()


def test_fifty_concurrent_cold_reads_cost_one_request(mnt):
    sp = mu.sp_with_jobs(mnt)
    jobdir = mnt / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0]
    os.stat(jobdir)
    log = mnt.request_log()
    path = jobdir / "filterOperators.json"
    with concurrent.futures.ThreadPoolExecutor(50) as ex:
        results = list(ex.map(lambda _: mu.read_file(path), range(50)))
    assert len(set(results)) == 1
    assert log.count(path=r".*/schema/filterOperators", batch_items=True) == 1, log.describe()


def test_probing_names_in_a_job_directory_costs_nothing(mnt):
    sp = mu.sp_with_jobs(mnt)
    jobdir = mnt / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0]
    os.listdir(jobdir)
    log = mnt.request_log()
    for name in (".git", ".schema.json.swp", "schema.json~", "4913", ".hidden", "HEAD", "__init__.py",
                 "status.json.orig", ".directory", "desktop.ini"):
        assert mu.os_error(os.stat, jobdir / name) == errno.ENOENT
    assert log.count() == 0, log.describe()


def test_symlinks_lead_to_service_principals(mnt):
    t = mnt.tenant()
    by_app = {sp["appId"]: sp["id"] for sp in t["servicePrincipals"] if sp.get("appId")}
    names = os.listdir(mnt / "by-appId")
    assert sorted(names) == sorted(by_app)
    for app, sid in list(by_app.items())[:5]:
        assert os.readlink(mnt / "by-appId" / app) == "../servicePrincipals/" + sid
        assert os.path.samefile(mnt / "by-appId" / app, mnt / "servicePrincipals" / sid)
    byname = os.listdir(mnt / "by-name")
    assert len(byname) == len(t["servicePrincipals"])
    for n in byname:
        assert "/" not in n and len(n.encode()) <= 255
        assert os.path.isdir(mnt / "by-name" / n)
    # duplicates are told apart by their ids, awkward names are made safe
    dups = {}
    for sp in t["servicePrincipals"]:
        dups.setdefault(sp["displayName"], []).append(sp["id"])
    for dn, ids in dups.items():
        if len(ids) > 1:
            for i in ids:
                assert any(n.endswith("~" + i) for n in byname), (dn, byname)
    if any("/" in sp["displayName"] for sp in t["servicePrincipals"]):
        assert any("\uff0f" in n for n in byname)


def test_xattrs_tell_where_a_file_comes_from(mnt):
    sp = mu.sp_with_jobs(mnt)
    path = mnt / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0] / "status.json"
    mu.read_file(path)
    url = os.getxattr(path, "user.graphsyncfs.url").decode()
    assert url == mnt.emu.url + "/v1.0/servicePrincipals/%s/synchronization/jobs/%s" % (sp["id"], sp["jobs"][0])
    assert os.getxattr(path, "user.graphsyncfs.fetched").decode().endswith("Z")
    assert len(os.getxattr(path, "user.graphsyncfs.request_id")) >= 32
    assert set(os.listxattr(path)) == {"user.graphsyncfs.url", "user.graphsyncfs.fetched",
                                       "user.graphsyncfs.request_id"}


@pytest.mark.mount(options=["dir_timeout=0"])
def test_deleted_service_principal_is_enoent(mnt):
    sp = mu.sp_with_jobs(mnt)
    spdir = mnt / "servicePrincipals" / sp["id"]
    os.listdir(spdir / "jobs")
    mnt.emu.delete_sp(sp["id"])
    time.sleep(1.2)  # the kernel's entry and attribute time
    assert mu.os_error(os.listdir, spdir / "jobs") == errno.ENOENT
    assert sp["id"] not in os.listdir(mnt / "servicePrincipals")


@pytest.mark.allow_stderr(r"Authorization_RequestDenied", r"403")
def test_forbidden_is_eperm_with_last_error(mnt):
    """Graph's 403 reads "Operation not permitted": "Permission denied" misled root."""
    sp = mu.sp_with_jobs(mnt)
    jobdir = mnt / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0]
    os.stat(jobdir)  # the schema itself is not fetched yet
    mnt.emu.set_faults([{"method": "GET", "path": "/schema$", "status": 403},
                        {"method": "GET", "path": "/schema$", "status": 403, "batch_item": True}])
    assert mu.os_error(mu.read_file, jobdir / "schema.json") == errno.EPERM
    text = mu.read_file(jobdir / "last_error").decode()
    assert "403" in text and "Authorization_RequestDenied" in text
    log = mnt.request_log()
    rid = [e for e in mnt.emu.requests() if e["path"].endswith("/schema") and e["status"] == 403]
    assert rid, log.describe()
    assert "request-id" in text.lower()


@pytest.mark.mount(options=["dir_timeout=0", "status_timeout=0"])
def test_a_directory_listed_again_at_once_is_listed_anew(mnt):
    """The kernel opens directories itself (FUSE_CAP_NO_OPENDIR_SUPPORT: two round trips less for
    each directory a find reads) and then keeps what a listing returned (FOPEN_CACHE_DIR): a
    listing read to its end drops that copy, so the next one, even within the kernel's attribute
    time, asks the daemon, which lists what Graph has now (a job listing lives status_timeout)."""
    sp = mu.sp_with_jobs(mnt)
    jobs = mnt / "servicePrincipals" / sp["id"] / "jobs"
    gone = sp["jobs"][0]
    for _ in range(3):
        assert gone in os.listdir(jobs)
    r = mnt.emu.delete("servicePrincipals/%s/synchronization/jobs/%s" % (sp["id"], gone))
    assert r.status == 204, r
    assert gone not in os.listdir(jobs)

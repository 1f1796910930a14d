"""Log files in a walk (issue 14, "one walk, one scan"): `grep -R jobs/` reads every job's log
files; once a second job's logs are read, the tenant's log window is fetched with one paged query
and every job's files are served from it, split by jobId, instead of four queries per job.
Counts requests; timings are measured by tests/bench/bench.py."""

import json
import subprocess

import pytest

from tests.integration import mount_util as mu
from tests.integration.test_logs import in_window, log_requests, status

JOBS = 20
# the rate limits are lifted so that the per-job queries of the old way finish in the test's time
FAST = dict(tenant="large:40:%d" % JOBS, time_scale=60.0, config={"log_rate_limit": 1000})
PER_JOB = 4          # the queries of one job's files, the first job's (a read of one job alone)


def log_lines(path):
    return [json.loads(x) for x in mu.read_file(path).decode().splitlines()]


@pytest.mark.mount(options=["log_rate=1000/1"], **FAST)
@pytest.mark.timeout(300)
def test_a_walk_of_jobs_costs_the_tenant_windows_pages(mnt):
    events = in_window(mnt.emu.provisioning_events())
    jobs = {e["jobId"] for e in events}
    assert len(jobs) >= JOBS // 2, "the large tenant's jobs have log history"
    pages = -(-len(events) // 1000)
    log = mnt.request_log()
    subprocess.run(["grep", "-R", "-l", "x", str(mnt / "jobs")], stdout=subprocess.DEVNULL, timeout=240)
    reqs = log_requests(log)
    assert len(reqs) <= pages + PER_JOB, log.describe()
    tenant_wide = [f for _, f, _ in reqs if "jobId" not in f]
    assert tenant_wide and all(f.startswith("activityDateTime gt ") for f in tenant_wide), log.describe()
    assert all("$top=1000" in r["query"] for r, f, _ in reqs if f in tenant_wide), log.describe()
    # every job's files are its events, split as their own queries would have been
    for sp in mnt.tenant()["servicePrincipals"]:
        for job in sp["jobs"]:
            mine = [e for e in events if e["jobId"] == job]
            d = mnt / "servicePrincipals" / sp["id"] / "jobs" / job / "logs"
            assert log_lines(d / "recent.jsonl") == mine
            assert log_lines(d / "failures.jsonl") == [e for e in mine if status(e) == "failure"]
            assert log_lines(d / "skipped.jsonl") == [e for e in mine if status(e) == "skipped"]
            assert log_lines(d / "staged-deletes.jsonl") == \
                [e for e in mine if e["provisioningAction"] == "stagedDelete"]
    assert len(log_requests(log)) == len(reqs), log.describe()   # and those reads cost nothing more

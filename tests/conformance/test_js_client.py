"""Microsoft's JavaScript Graph client (@microsoft/microsoft-graph-client, tests/js) against the
emulator: PageIterator over several pages of /servicePrincipals, one $batch built with
BatchRequestContent, a job and its schema."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.conformance.conftest import start_emulator, stop_emulator
from tests.conformance.graphhttp import q

JS = Path(__file__).resolve().parents[1] / "js"
NODE = "/usr/bin/node"
TOP = 60
N, M = 250, 20


@pytest.fixture(scope="module")
def js_ready():
    npm = shutil.which("npm")
    if not os.access(NODE, os.X_OK) or npm is None:
        pytest.skip(f"node ({NODE}) or npm not installed")
    if not (JS / "node_modules" / "@microsoft" / "microsoft-graph-client").is_dir():
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, f"npm ci failed:\n{r.stdout}\n{r.stderr}"
    return NODE


@pytest.fixture(scope="module")
def large():
    e = start_emulator(tenant=f"large:{N}:{M}")
    yield e
    stop_emulator(e)


def test_js_graph_client_against_emulator(js_ready, large):
    emu = large
    tenant = emu.tenant()
    sps = tenant["servicePrincipals"]
    with_jobs = [s for s in sps if s["jobs"]]
    assert len(sps) == N and len(with_jobs) == M
    batch_sps = [s["id"] for s in with_jobs[:17]] + ["00000000-0000-0000-0000-000000000000"]
    emu.clear_requests()
    args = [js_ready, str(JS / "graph-client-check.js"), "--base-url", emu.url, "--top", str(TOP)]
    for sp in batch_sps:
        args += ["--batch-sp", sp]
    env = dict(os.environ, GRAPH_TOKEN="conformance-token")
    r = subprocess.run(args, cwd=JS, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, f"script failed ({r.returncode}):\n{r.stderr}\n{r.stdout[:2000]}"
    out = json.loads(r.stdout)
    log = emu.graph_requests()
    all_entries = emu.requests()

    assert out["client"] == {"name": "@microsoft/microsoft-graph-client", "version": "3.0.7"}

    # every service principal, once, through PageIterator
    spo = out["servicePrincipals"]
    assert spo["count"] == N and spo["uniqueCount"] == N
    assert set(spo["ids"]) == {s["id"] for s in sps}
    assert spo["keys"] == ["appId", "displayName", "id"]
    assert spo["firstPageSize"] == TOP
    pages = -(-N // TOP)
    assert spo["pages"] == pages
    assert spo["iteratorComplete"] is True

    # one batch: item 1 = templates of the first SP, items 2.. = jobs of each SP (dependsOn 1)
    b = out["batch"]
    assert b["itemCount"] == len(batch_sps) + 1
    items = {i["id"]: i for i in b["responses"]}
    assert items["1"]["kind"] == "templates" and items["1"]["status"] == 200
    first = next(s for s in with_jobs if s["id"] == batch_sps[0])
    assert sorted(items["1"]["templateIds"]) == sorted(first["templates"])
    for k, sp_id in enumerate(batch_sps, start=2):
        it = items[str(k)]
        assert it["spId"] == sp_id
        if sp_id.startswith("00000000"):
            assert it["status"] == 404 and it["errorCode"] == "Request_ResourceNotFound", it
        else:
            assert it["status"] == 200, it
            assert sorted(it["jobIds"]) == sorted(next(s for s in sps if s["id"] == sp_id)["jobs"])

    # the job and its schema
    job = out["job"]
    assert job["spId"] == batch_sps[0]
    assert job["id"] == first["jobs"][0]
    assert job["templateId"] == job["id"].split(".")[0]
    assert job["hasSchemaInline"] is False
    sch = out["schema"]
    direct = emu.get(f"/servicePrincipals/{q(job['spId'])}/synchronization/jobs/{q(job['id'])}/schema")
    direct = direct.json() if hasattr(direct, "json") else direct
    assert sch["version"] == direct["version"]
    assert sch["directoryNames"] == [d["name"] for d in direct["directories"]]
    assert sch["ruleIds"] == [r["id"] for r in direct["synchronizationRules"]]

    # what the emulator saw: the pages (nextLink followed verbatim), one $batch, job, schema
    seen = [(e["method"], e["path"]) for e in log]
    sp_pages = [e for e in log if e["path"] == "/v1.0/servicePrincipals"]
    assert len(sp_pages) == pages
    first_q = parse_qs(sp_pages[0]["query"])
    assert first_q["$top"] == [str(TOP)] and "$skiptoken" not in first_q
    for e in sp_pages[1:]:
        qs = parse_qs(e["query"])
        assert len(qs["$skiptoken"]) == 1 and qs["$top"] == [str(TOP)], e["query"]
    assert seen.count(("POST", "/v1.0/$batch")) == 1
    batch_items = [e for e in all_entries if e.get("batch_item")]
    # items 2.. depend on item 1, which succeeded, so every item ran
    assert len(batch_items) == len(batch_sps) + 1
    jp = f"/v1.0/servicePrincipals/{job['spId']}/synchronization/jobs/{job['id']}"
    assert seen[-2:] == [("GET", jp), ("GET", jp + "/schema")]
    assert len(seen) == pages + 3
    # the token reached the emulator on every request
    for e in log:
        auth = {k.lower(): v for k, v in e["headers"].items()}.get("authorization")
        assert auth == "Bearer <redacted>", e
    # and the script had to supply it itself for plain http (see graph-client-check.js)
    assert out["http"]["authHeadersAddedByShim"] == len(seen)
    assert out["http"]["urlRepairsByShim"] == pages - 1

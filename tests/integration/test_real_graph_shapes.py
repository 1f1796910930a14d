"""Answers shaped as real tenants send them (issue 18), read through a real mount: both shapes
of provisionOnDemand's answer, and a permission missing on a synchronization endpoint (401
UnknownError with an empty message), whose last_error must say which permissions the call needs."""

import errno
import json
import os
import urllib.parse
import urllib.request

import pytest

from tests.emulator.pod_shapes import STATUS_INFO_KEY
from tests.integration import mount_util as mu
from tests.integration.test_write import find_job, job_dir, last_error, run

USER = "0b0e5f5a-4d53-4a8b-9a57-1c1f7d3f5e21"
CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"   # any public client id works for the device code flow


def provision(m, shape):
    m.emu.config(pod_answer_shape=shape)
    sp, job = find_job(m)
    d = job_dir(m, sp, job)
    r = run(["bash", "-c", "echo '%s User' > provisionOnDemand" % USER], d)
    assert r.returncode == 0, r.stderr
    return json.loads(mu.read_file(d / "provisionOnDemand"))


def test_provision_on_demand_result_shape_is_decoded(mnt):
    result = provision(mnt, "result")
    assert result["key"]["result"] == "Success", result
    assert result["value"]["sourceIdentity"]["id"] == USER
    assert result["value"]["provisioningSteps"][0]["name"] == "EntryImport"


def test_provision_on_demand_status_info_shape_is_decoded(mnt):
    """key: the .NET type name (not JSON, kept as text); value: a JSON array of step reports."""
    result = provision(mnt, "statusInfo")
    assert result["key"] == STATUS_INFO_KEY, result
    assert isinstance(result["value"], list) and len(result["value"]) == 1, result
    report = result["value"][0]
    assert report["sourceIdentity"]["id"] == USER
    assert report["statusInfo"]["status"] == "Success"
    assert [s["name"] for s in report["provisioningSteps"]][0] == "EntryImport"


def delegated_token(emu, *permissions):
    """A delegated token with exactly these Graph permissions (device code flow)."""
    tenant = emu.tenant()["tenantId"]
    scope = " ".join("https://graph.microsoft.com/" + p for p in permissions)
    dc = post_form(emu, "/%s/oauth2/v2.0/devicecode" % tenant, {"client_id": CLIENT, "scope": scope})
    emu.approve_device_code(dc["user_code"])
    tok = post_form(emu, "/%s/oauth2/v2.0/token" % tenant, {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLIENT,
        "device_code": dc["device_code"]})
    return tok["access_token"]


def post_form(emu, path, fields):
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(emu.url + path, data=data, timeout=30) as r:
        return json.load(r)


@pytest.mark.allow_stderr(r"HTTP 401", r"UnknownError", r"warning")
def test_missing_permission_401_names_the_permission(mount_factory, emulator_factory, tmp_path):
    """A token with Synchronization.Read.All only: reading works, pause is refused the way real
    tenants refuse it (401 UnknownError, empty message); the write fails with EPERM, no token
    refresh is attempted, and last_error names the permission the call needs."""
    emu = emulator_factory(tenant="demo", auth="required")
    token = delegated_token(emu, "Synchronization.Read.All", "Application.Read.All")
    tfile = tmp_path / "token"
    tfile.write_text(token + "\n")
    tfile.chmod(0o600)
    m = mount_factory(emu, ["auth=token_command", "token_command=/bin/cat %s" % tfile])
    sp, job = find_job(m)
    d = job_dir(m, sp, job)
    assert json.loads(mu.read_file(d / "status.json"))["code"]
    log = m.request_log()
    assert mu.os_error(mu.write_file, d / "pause", b"\n") == errno.EPERM
    pauses = log.entries("POST", r".*/pause$")
    assert [e["status"] for e in pauses] == [401], log.describe()
    text = last_error(d)
    assert "status: 401 Unauthorized" in text and "code: UnknownError" in text, text
    assert "not an expired token" in text, text
    assert "needs: Synchronization.ReadWrite.All (application or delegated)" in text, text


@pytest.mark.allow_stderr(r"HTTP 50[23]", r"retrying")
def test_mount_reads_chunked_gzip_answers_and_rides_out_gateway_errors(mnt):
    """Real Graph answers are often chunked and gzip-encoded, and gateways answer passing faults
    with 502 (HTML) or an empty 503: the mount reads the same files either way."""
    sp, job = find_job(mnt)
    d = job_dir(mnt, sp, job)
    plain = mu.read_file(d / "job.json")
    mnt.emu.config(chunked=True, gzip=True)
    log = mnt.request_log()
    # listing the job directory fetches the schema in a $batch of GETs, a safe POST: retried
    # on 502 and 503 alike
    mnt.emu.set_faults([{"method": "POST", "path": r"/\$batch$", "status": 502, "body": "html", "count": 1},
                        {"method": "POST", "path": r"/\$batch$", "status": 503, "body": "empty", "count": 1}])
    os.listdir(d)
    schema = json.loads(mu.read_file(d / "schema.json"))
    assert schema["synchronizationRules"], schema
    batches = log.entries("POST", r"/v1\.0/\$batch")
    assert [e["status"] for e in batches][:3] == [502, 503, 200], log.describe()
    enc = {k.lower(): v for k, v in batches[2]["headers"].items()}.get("accept-encoding", "")
    assert "gzip" in enc, batches[2]["headers"]
    assert json.loads(mu.read_file(d / "job.json"))["id"] == json.loads(plain)["id"]

"""Answers shaped as real tenants send them (issue 18), read through a real mount: both shapes
of provisionOnDemand's answer, and a permission missing on a synchronization endpoint (401
UnknownError with an empty message), whose last_error must say which permissions the call needs."""

import json

import pytest

from tests.emulator.pod_shapes import STATUS_INFO_KEY
from tests.integration import mount_util as mu
from tests.integration.test_write import find_job, job_dir, last_error, run

USER = "0b0e5f5a-4d53-4a8b-9a57-1c1f7d3f5e21"


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

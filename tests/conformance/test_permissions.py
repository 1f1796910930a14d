"""Permissions (graph-sync-api.md §2 permission sets R/W/D/U, §9.13) with delegated tokens from
the device code flow (§8.1), and the device code flow's success, decline and refresh."""

import json

import pytest

from tests.conformance.conftest import DemoTenant, start_emulator, stop_emulator
from tests.conformance.graphhttp import GraphHTTP, assert_empty_204, graph_error, q
from tests.conformance.test_oauth import CLIENT_ID, SECRET, assert_aad_error, token_path
from tests.conformance.test_bulk_upload import SCIM, bulk

G = "https://graph.microsoft.com/"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _emulator(tmp_path_factory):
    d = tmp_path_factory.mktemp("perm")
    secret_file = d / "secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    return start_emulator(tenant="demo", auth="required", clients=[f"{CLIENT_ID}:{secret_file}"], time_scale=60.0)


@pytest.fixture(scope="module")
def authed(tmp_path_factory):
    e = _emulator(tmp_path_factory)
    yield e
    stop_emulator(e)


@pytest.fixture
def authed_fresh(tmp_path_factory):
    e = _emulator(tmp_path_factory)
    yield e
    stop_emulator(e)


def assert_sync_denied(r):
    """A permission missing on a synchronization endpoint, as real tenants answer it (issue 18:
    microsoft-graph-docs-contrib 8800, zerotrustassessment 1319): 401, code UnknownError, empty
    message; unlike an expired or bad token (InvalidAuthenticationToken)."""
    err = graph_error(r, 401, "UnknownError")
    assert err["message"] == "", err


def device_token(emu, scopes, approve=True):
    g = GraphHTTP(emu.url)
    tenant_id = emu.tenant()["tenantId"]
    r = g.form(f"/{tenant_id}/oauth2/v2.0/devicecode",
               {"client_id": CLIENT_ID, "scope": " ".join(scopes)})
    assert r.status == 200, r
    dc = r.json()
    if approve is not None:
        emu.approve_device_code(dc["user_code"], decline=not approve)
    r = g.form(token_path(tenant_id), {"grant_type": DEVICE_GRANT, "client_id": CLIENT_ID,
                                       "device_code": dc["device_code"]})
    return r


def delegated(emu, *perms, offline=False):
    scopes = [G + p for p in perms] + (["offline_access"] if offline else [])
    r = device_token(emu, scopes)
    assert r.status == 200, r
    tok = r.json()
    return GraphHTTP(emu.url, token=tok["access_token"]), tok


def _job(emu):
    demo = DemoTenant(emu, GraphHTTP(emu.url))
    for sp in demo.sps:
        for job_id in sp["jobs"]:
            if job_id.startswith("API2AAD."):
                continue
            return sp["id"], job_id, demo.job_path(sp["id"], job_id)
    raise AssertionError("no job")


def _inbound(emu):
    demo = DemoTenant(emu, GraphHTTP(emu.url))
    for sp in demo.sps:
        for job_id in sp["jobs"]:
            if job_id.startswith("API2AAD."):
                return demo.job_path(sp["id"], job_id)
    raise AssertionError("no inbound job")


def test_device_code_success_and_refresh(authed):
    emu = authed
    g, tok = delegated(emu, "Synchronization.ReadWrite.All", offline=True)
    assert tok["token_type"] == "Bearer"
    assert isinstance(tok["expires_in"], int)
    assert "Synchronization.ReadWrite.All" in tok["scope"]
    assert isinstance(tok["refresh_token"], str) and tok["refresh_token"]
    sp_id, job_id, jp = _job(emu)
    assert g.get(jp).status == 200
    # /servicePrincipals itself needs Application.Read.All or Directory.Read.All (§8.5)
    graph_error(g.get("/servicePrincipals"), 403, "Authorization_RequestDenied")
    r = GraphHTTP(emu.url).form(token_path(emu.tenant()["tenantId"]), {
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": tok["refresh_token"],
        "scope": G + "Synchronization.ReadWrite.All offline_access"})
    assert r.status == 200, r
    again = r.json()
    assert again["access_token"] and again["access_token"] != tok["access_token"]
    assert GraphHTTP(emu.url, token=again["access_token"]).get(jp).status == 200


def test_service_principals_list_needs_application_read(authed):
    g, _ = delegated(authed, "Application.Read.All")
    assert g.get("/servicePrincipals").status == 200
    g, _ = delegated(authed, "Directory.Read.All")
    assert g.get("/servicePrincipals").status == 200


def test_device_code_without_offline_access_has_no_refresh_token(authed):
    _, tok = delegated(authed, "Synchronization.Read.All")
    assert "refresh_token" not in tok


def test_device_code_declined(authed):
    r = device_token(authed, [G + "Synchronization.Read.All"], approve=False)
    assert_aad_error(r, (400,), "authorization_declined")


def test_bad_refresh_token(authed):
    r = GraphHTTP(authed.url).form(token_path(authed.tenant()["tenantId"]), {
        "grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": "not-a-refresh-token",
        "scope": G + "Synchronization.Read.All"})
    assert_aad_error(r, (400,), "invalid_grant")


def test_read_scope_reads_but_cannot_write(authed):
    g, _ = delegated(authed, "Synchronization.Read.All", "Application.Read.All")
    sp_id, job_id, jp = _job(authed)
    before = g.get(jp)
    assert before.status == 200, before
    assert g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/jobs").status == 200
    assert g.get(jp + "/schema").status == 200
    assert g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/templates").status == 200
    for method, path, body in (("POST", jp + "/pause", None), ("POST", jp + "/start", None),
                               ("POST", jp + "/restart", {"criteria": {"resetScope": "Full"}}),
                               ("DELETE", jp, None),
                               ("PUT", f"/servicePrincipals/{q(sp_id)}/synchronization/secrets",
                                {"value": [{"key": "SyncAll", "value": "true"}]}),
                               ("GET", jp + "/schema/functions", None),       # needs ReadWrite (§2 note)
                               ("GET", jp + "/schema/filterOperators", None),
                               ("POST", jp + "/schema/parseExpression", {"expression": "[mail]"})):
        r = g.request(method, path, body=body)
        # real tenants: 401 UnknownError with an empty message on the synchronization endpoints
        assert_sync_denied(r)
    after = g.get(jp).json()
    assert after["schedule"] == before.json()["schedule"]


def test_discover_needs_directory_readwrite(authed):
    sp_id, job_id, jp = _job(authed)
    g, _ = delegated(authed, "Synchronization.ReadWrite.All")
    d = g.get(jp + "/schema").json()["directories"][0]["id"]
    assert_sync_denied(g.post(jp + f"/schema/directories/{q(d)}/discover"))
    g2, _ = delegated(authed, "Directory.ReadWrite.All")
    assert g2.post(jp + f"/schema/directories/{q(d)}/discover").status == 200


def test_bulk_upload_needs_upload_permission(authed):
    jp = _inbound(authed)
    g, _ = delegated(authed, "Synchronization.ReadWrite.All")
    r = g.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(1)), content_type=SCIM)
    assert_sync_denied(r)
    g2, _ = delegated(authed, "SynchronizationData-User.Upload")
    r = g2.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(1)), content_type=SCIM)
    assert r.status == 202, r


def test_readwrite_scope_can_write(authed_fresh):
    emu = authed_fresh
    g, _ = delegated(emu, "Synchronization.ReadWrite.All")
    sp_id, job_id, jp = _job(emu)
    assert_empty_204(g.post(jp + "/pause"))
    assert g.get(jp).json()["schedule"]["state"] == "Paused"
    assert g.get(jp + "/schema/functions").status == 200


def test_app_token_with_default_scope_can_write(authed_fresh):
    emu = authed_fresh
    r = GraphHTTP(emu.url).form(token_path(emu.tenant()["tenantId"]), {
        "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET,
        "scope": G + ".default"})
    assert r.status == 200, r
    g = GraphHTTP(emu.url, token=r.json()["access_token"])
    sp_id, job_id, jp = _job(emu)
    assert_empty_204(g.post(jp + "/pause"))

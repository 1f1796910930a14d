"""OAuth endpoints of the emulator: client credentials with a secret, device code polling,
token expiry, 401s (graph-sync-api.md §8.1, §9.13)."""

import base64
import re
import time

import pytest

from tests.conformance.conftest import start_emulator, stop_emulator
from tests.conformance.graphhttp import GUID_RE, GraphHTTP, example, graph_error
from tests.conformance.shapes import assert_same_shape

CLIENT_ID = "3f1c0a52-8d4e-4f7b-9a55-0c2f6b7d1e90"
SECRET = "conformance~secret.value-123"
SCOPE = "https://graph.microsoft.com/.default"
TS_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$")
OAUTH_EXTRA = frozenset({"ext_expires_in", "error_uri", "refresh_token", "scope", "id_token"})


@pytest.fixture(scope="module")
def oauth(tmp_path_factory):
    d = tmp_path_factory.mktemp("oauth")
    secret_file = d / "secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    e = start_emulator(tenant="demo", auth="required", clients=[f"{CLIENT_ID}:{secret_file}"])
    g = GraphHTTP(e.url)
    tenant_id = e.tenant()["tenantId"]
    yield e, g, tenant_id
    stop_emulator(e)


def token_path(tenant):
    return f"/{tenant}/oauth2/v2.0/token"


def cc_fields(**over):
    f = {"client_id": CLIENT_ID, "scope": SCOPE, "client_secret": SECRET, "grant_type": "client_credentials"}
    f.update(over)
    return {k: v for k, v in f.items() if v is not None}


def assert_aad_error(r, statuses, error=None, code=None):
    """§8.1 error body: error, error_description "AADSTSnnnn: ...", error_codes, timestamp,
    trace_id, correlation_id."""
    assert r.status in statuses, r
    assert (r.header("Content-Type") or "").startswith("application/json"), r
    body = r.json()
    for k in ("error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"):
        assert k in body, (k, body)
    assert isinstance(body["error"], str)
    if error is not None:
        assert body["error"] == error, body
    m = re.match(r"^AADSTS(\d+): ", body["error_description"])
    assert m, body["error_description"]
    assert isinstance(body["error_codes"], list) and all(isinstance(c, int) for c in body["error_codes"])
    assert int(m.group(1)) == body["error_codes"][0], body
    if code is not None:
        assert body["error_codes"][0] == code, body
    assert TS_RE.match(body["timestamp"]), body["timestamp"]
    assert GUID_RE.match(body["trace_id"]) and GUID_RE.match(body["correlation_id"]), body
    assert f"Trace ID: {body['trace_id']}" in body["error_description"]
    assert f"Correlation ID: {body['correlation_id']}" in body["error_description"]
    assert_same_shape(example("token-error-authorization-pending.json"), body, extra_ok=OAUTH_EXTRA)
    return body


def get_token(g, tenant_id, **over):
    r = g.form(token_path(tenant_id), cc_fields(**over))
    assert r.status == 200, r
    return r.json()


def test_client_credentials_with_secret(oauth):
    emu, g, tenant_id = oauth
    r = g.form(token_path(tenant_id), cc_fields())
    assert r.status == 200, r
    assert (r.header("Content-Type") or "").startswith("application/json")
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and 3000 <= body["expires_in"] <= 3600, body
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert "refresh_token" not in body  # no refresh token in client credentials
    assert_same_shape(example("token-client-credentials-response.json"), body, extra_ok=OAUTH_EXTRA)
    # the token opens Graph
    r = GraphHTTP(emu.url, token=body["access_token"]).get("/servicePrincipals")
    assert r.status == 200, r


def test_client_credentials_with_tenant_name_forms(oauth):
    emu, g, tenant_id = oauth
    assert g.form(token_path(tenant_id), cc_fields()).status == 200


def test_client_secret_by_http_basic(oauth):
    emu, g, tenant_id = oauth
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    r = g.form(token_path(tenant_id), cc_fields(client_secret=None, client_id=None),
               headers={"Authorization": f"Basic {basic}"})
    assert r.status == 200, r
    assert r.json()["token_type"] == "Bearer"


def test_wrong_secret(oauth):
    emu, g, tenant_id = oauth
    r = g.form(token_path(tenant_id), cc_fields(client_secret="wrong"))
    body = assert_aad_error(r, (400, 401), "invalid_client")
    assert "access_token" not in body


def test_unknown_client(oauth):
    emu, g, tenant_id = oauth
    r = g.form(token_path(tenant_id), cc_fields(client_id="00000000-1111-2222-3333-444444444444"))
    assert_aad_error(r, (400, 401))


def test_invalid_scope(oauth):
    emu, g, tenant_id = oauth
    r = g.form(token_path(tenant_id), cc_fields(scope="https://graph.microsoft.com/User.Read"))
    assert_aad_error(r, (400,), "invalid_scope", 70011)


def test_missing_grant_type(oauth):
    emu, g, tenant_id = oauth
    r = g.form(token_path(tenant_id), cc_fields(grant_type=None))
    assert_aad_error(r, (400,), "invalid_request")


def test_unsupported_grant_type(oauth):
    emu, g, tenant_id = oauth
    r = g.form(token_path(tenant_id), cc_fields(grant_type="password"))
    assert_aad_error(r, (400,), "unsupported_grant_type")


def test_graph_without_token_is_401(oauth):
    emu, g, tenant_id = oauth
    graph_error(g.get("/servicePrincipals"), 401, "InvalidAuthenticationToken")
    graph_error(GraphHTTP(emu.url, token="not-a-token").get("/servicePrincipals"), 401,
                "InvalidAuthenticationToken")
    r = g.get("/servicePrincipals", headers={"Authorization": "Basic abc"})
    graph_error(r, 401, "InvalidAuthenticationToken")


def test_device_code_and_polling_errors(oauth):
    emu, g, tenant_id = oauth
    r = g.form(f"/{tenant_id}/oauth2/v2.0/devicecode",
               {"client_id": CLIENT_ID,
                "scope": "https://graph.microsoft.com/Synchronization.ReadWrite.All offline_access"})
    assert r.status == 200, r
    dc = r.json()
    assert_same_shape(example("devicecode-response.json"), dc, extra_ok=frozenset())
    assert "verification_uri_complete" not in dc
    assert dc["expires_in"] == 900
    assert isinstance(dc["interval"], int) and dc["interval"] >= 1
    assert dc["user_code"] in dc["message"] and dc["verification_uri"] in dc["message"]
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": CLIENT_ID,
            "device_code": dc["device_code"]}
    r = g.form(token_path(tenant_id), poll)
    body = assert_aad_error(r, (400,), "authorization_pending", 70016)
    assert "access_token" not in body
    r = g.form(token_path(tenant_id), dict(poll, device_code="not-a-device-code"))
    assert_aad_error(r, (400,), "bad_verification_code")


@pytest.mark.parametrize("tenant", ["organizations", "common"])
def test_device_code_on_multi_tenant_authorities(oauth, tenant):
    emu, g, tenant_id = oauth
    r = g.form(f"/{tenant}/oauth2/v2.0/devicecode",
               {"client_id": CLIENT_ID, "scope": "https://graph.microsoft.com/.default offline_access"})
    assert r.status == 200, r


def test_token_expiry(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o600)
    e = start_emulator(tenant="demo", auth="required", clients=[f"{CLIENT_ID}:{secret_file}"],
                       token_lifetime=2)
    try:
        g = GraphHTTP(e.url)
        tok = get_token(g, e.tenant()["tenantId"])
        assert tok["expires_in"] == 2
        authed = GraphHTTP(e.url, token=tok["access_token"])
        assert authed.get("/servicePrincipals").status == 200
        time.sleep(3)
        graph_error(authed.get("/servicePrincipals"), 401, "InvalidAuthenticationToken")
    finally:
        stop_emulator(e)


def test_oauth_calls_are_logged_as_oauth(oauth):
    emu, g, tenant_id = oauth
    emu.clear_requests()
    get_token(g, tenant_id)
    log = emu.requests()
    assert [(e["method"], e.get("kind")) for e in log] == [("POST", "oauth")], log
    assert emu.graph_requests() == []

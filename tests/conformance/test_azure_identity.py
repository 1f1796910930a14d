"""A second real client of the emulator's token endpoints: Microsoft's @azure/identity (MSAL
Node underneath; tests/js pins it) gets Graph tokens with a client secret, a certificate, the
device code flow and managed identity (App Service and IMDS), and each token is accepted by the
emulator's Graph API with auth required.

MSAL insists on an https authority: the emulator also serves https (option --tls,
tests/emulator/tls_front.py) with a throwaway certificate made here, which Node is told to trust
(NODE_EXTRA_CA_CERTS). Its discovery document then names https endpoints. Managed identity
endpoints are plain http, as on Azure."""

import datetime
import ipaddress
import json
import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.conformance.conftest import start_emulator, stop_emulator
from tests.conformance.graphhttp import GraphHTTP
from tests.credential_files import write_certificate, write_private

JS = Path(__file__).resolve().parents[1] / "js"
NODE = "/usr/bin/node"
CLIENT = "8d3f7a7e-5f21-4b7e-9a55-6c0f7e1c2b10"
CERT_CLIENT = "3c1b9d2e-7a4f-4e8b-b1d6-0f2e9a8c7d51"
PUBLIC_CLIENT = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
SECRET = "emulator-secret~" + "x" * 24
IDENTITY_HEADER = "app-service-identity-header"


def tls_certificate(d):
    """A throwaway server certificate for 127.0.0.1 (key + certificate PEM, and the certificate)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "graph emulator test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    both = write_private(d / "tls.pem", key_pem + cert_pem)
    public = d / "tls.crt"
    public.write_bytes(cert_pem)
    return both, public


@pytest.fixture(scope="module")
def identity_js():
    if not os.access(NODE, os.X_OK):
        pytest.skip(f"node ({NODE}) not installed")
    from tests.conformance import ms_types
    ms_types.ensure_installed()
    if not (JS / "node_modules" / "@azure" / "identity").is_dir():
        raise AssertionError("npm ci in tests/js did not install @azure/identity")
    return NODE


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("azid")
    tls_pem, tls_crt = tls_certificate(d)
    secret = write_private(d / "secret", SECRET)
    client_pem, client_crt = write_certificate(d, "client", "azure identity client")
    emu = start_emulator(tenant="demo", auth="required", clients=[f"{CLIENT}:{secret}"],
                         client_certs=[f"{CERT_CLIENT}:{client_crt}"], identity_header=IDENTITY_HEADER,
                         tls=str(tls_pem), config={"device_code_interval": 1})
    yield {"emu": emu, "tls_crt": tls_crt, "client_pem": client_pem, "tenant": emu.tenant()["tenantId"]}
    stop_emulator(emu)


def run_identity(node, s, mode, client_id=CLIENT, env=None, **extra):
    emu = s["emu"]
    args = [node, str(JS / "identity-check.js"), "--mode", mode, "--authority", emu.tls_url,
            "--tenant", s["tenant"], "--client-id", client_id, "--graph", emu.url, "--control", emu.url]
    for k, v in extra.items():
        args += [f"--{k}", str(v)]
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("IDENTITY_", "MSI_", "AZURE_", "IMDS_", "HTTP_PROXY", "HTTPS_PROXY"))}
    full_env = dict(base, NODE_EXTRA_CA_CERTS=str(s["tls_crt"]), NO_PROXY="127.0.0.1,localhost", **(env or {}))
    r = subprocess.run(args, cwd=JS, capture_output=True, text=True, timeout=120, env=full_env)
    assert r.returncode == 0, f"{mode}: exit {r.returncode}\n{r.stderr}\n{r.stdout}\n{emu.stderr()}"
    out = json.loads(r.stdout)
    assert out["client"] == {"name": "@azure/identity", "version": "4.10.2"}
    assert out["graphStatus"] == 200, out
    assert out["claims"]["aud"] == "https://graph.microsoft.com" and out["claims"]["tid"] == s["tenant"]
    assert out["expiresInS"] > 600
    return out


def oauth_calls(emu, since):
    return [(e["method"], e["path"]) for e in emu.requests(since=since) if e.get("kind") == "oauth"]


def last_seq(emu):
    entries = emu.requests()
    return entries[-1]["seq"] if entries else 0


def test_discovery_over_https_names_https_endpoints(setup):
    emu, tenant = setup["emu"], setup["tenant"]
    plain = GraphHTTP(emu.url).get(f"/{tenant}/v2.0/.well-known/openid-configuration", root=True).json()
    assert plain["token_endpoint"] == f"{emu.url}/{tenant}/oauth2/v2.0/token"
    behind = GraphHTTP(emu.url).get(f"/{tenant}/v2.0/.well-known/openid-configuration", root=True,
                                    headers={"X-Forwarded-Proto": "https"}).json()
    assert behind["token_endpoint"].startswith("https://127.0.0.1:")


def test_client_secret(identity_js, setup):
    emu = setup["emu"]
    since = last_seq(setup["emu"])
    out = run_identity(identity_js, setup, "secret", env={"EMULATOR_CLIENT_SECRET": SECRET})
    assert out["credential"] == "ClientSecretCredential"
    assert out["claims"]["appid"] == CLIENT and out["claims"]["idtyp"] == "app" and out["claims"]["roles"]
    calls = oauth_calls(emu, since)
    assert ("GET", f"/{setup['tenant']}/v2.0/.well-known/openid-configuration") in calls, calls
    assert ("POST", f"/{setup['tenant']}/oauth2/v2.0/token") in calls, calls
    token_posts = [e for e in emu.requests(since=since) if e["path"].endswith("/oauth2/v2.0/token")]
    assert "grant_type=client_credentials" in token_posts[0]["body"]
    assert "client_secret=<redacted>" in token_posts[0]["body"] or SECRET not in token_posts[0]["body"]


def test_client_certificate(identity_js, setup):
    emu = setup["emu"]
    since = last_seq(emu)
    out = run_identity(identity_js, setup, "certificate", client_id=CERT_CLIENT, cert=setup["client_pem"])
    assert out["credential"] == "ClientCertificateCredential"
    assert out["claims"]["appid"] == CERT_CLIENT and out["claims"]["roles"]
    body = [e for e in emu.requests(since=since) if e["path"].endswith("/oauth2/v2.0/token")][0]["body"]
    assert "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" in body


def test_device_code(identity_js, setup):
    """MSAL sends grant_type=device_code (not the URN): the emulator accepts both, as Entra does."""
    emu = setup["emu"]
    since = last_seq(emu)
    out = run_identity(identity_js, setup, "device", client_id=PUBLIC_CLIENT)
    assert out["credential"] == "DeviceCodeCredential" and out["deviceCodeShown"]
    assert out["claims"]["idtyp"] == "user" and "Synchronization.Read.All" in out["claims"]["scp"]
    polls = [e["body"] for e in emu.requests(since=since) if e["path"].endswith("/oauth2/v2.0/token")]
    assert polls and any("grant_type=device_code" in b for b in polls), polls


def test_managed_identity_app_service(identity_js, setup):
    emu = setup["emu"]
    since = last_seq(emu)
    out = run_identity(identity_js, setup, "appservice", env={
        "IDENTITY_ENDPOINT": f"{emu.url}/msi/token", "IDENTITY_HEADER": IDENTITY_HEADER})
    assert out["credential"] == "ManagedIdentityCredential" and out["claims"]["idtyp"] == "app"
    assert ("GET", "/msi/token") in oauth_calls(emu, since)


def test_managed_identity_imds(identity_js, setup):
    emu = setup["emu"]
    since = last_seq(emu)
    out = run_identity(identity_js, setup, "imds", env={"AZURE_POD_IDENTITY_AUTHORITY_HOST": emu.url})
    assert out["credential"] == "ManagedIdentityCredential"
    # MSAL Node asks for .../oauth2/token/ (with a slash), which IMDS and the emulator accept
    mi = [e for e in emu.requests(since=since) if e["path"].rstrip("/") == "/metadata/identity/oauth2/token"]
    assert mi and all(e["headers"].get("Metadata") == "true" for e in mi if e["status"] == 200), mi
    assert "api-version=2018-02-01" in mi[-1]["query"] and mi[-1]["status"] == 200

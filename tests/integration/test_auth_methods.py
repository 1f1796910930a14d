"""Every authentication method mounts and reads a job (issue: mount a real tenant), against
the emulator's OAuth and managed-identity endpoints, which check what is sent: the client
secret, the certificate-signed assertion, the federated token, the X-IDENTITY-HEADER or
Metadata header, and a stand-in `az` on PATH. tests/unit/auth covers each method's details
(errors, refreshes, auto's order); this proves the daemon mounts with each, device code
included (through a pty)."""

import json
import os
import pty
import re
import select
import socket
import stat
import subprocess
import time

import pytest

from tests.integration import mount_util as mu

from tests.credential_files import write_certificate, write_private

SECRET_CLIENT = "5b1f3c2e-0d4a-4c8e-9f6a-1e2d3c4b5a60"
CERT_CLIENT = "6c2a4d3f-1e5b-4d9f-8a7b-2f3e4d5c6b71"
FED_CLIENT = "7d3b5e4a-2f6c-4e0a-9b8c-3a4f5e6d7c82"
SECRET = "emu~Mount.Secret-0123456789abcdef"
IDENTITY_HEADER = "idh-mount-3f9a8b7c6d5e4f3a"
FEDERATED = "fed.eyJtb3VudCI6dHJ1ZX0.federated-token-for-the-mount"
GRAPH = "https://graph.microsoft.com"


def certificate(d):
    """(key+certificate PEM for the daemon, certificate PEM for the emulator)"""
    return write_certificate(d, "app", "graphsyncfs-mount-test")


def stand_in_az(d, emu, tenant, log):
    """An `az` that checks its arguments and gets a real token from the emulator."""
    bindir = d / "bin"
    bindir.mkdir(exist_ok=True)
    az = bindir / "az"
    az.write_text(f"""#!/usr/bin/python3
import json, sys, time, urllib.parse, urllib.request
with open({str(log)!r}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if sys.argv[1:7] != ["account", "get-access-token", "--resource", {GRAPH!r}, "--output", "json"]:
    print("ERROR: unexpected arguments", file=sys.stderr)
    sys.exit(2)
form = urllib.parse.urlencode({{"client_id": {SECRET_CLIENT!r}, "client_secret": {SECRET!r},
    "scope": {GRAPH + "/.default"!r}, "grant_type": "client_credentials"}}).encode()
with urllib.request.urlopen({emu.url + "/" + tenant + "/oauth2/v2.0/token"!r}, form) as r:
    tok = json.load(r)
print(json.dumps({{"accessToken": tok["access_token"], "expires_on": int(time.time()) + tok["expires_in"] - 1,
                   "tenant": {tenant!r}, "tokenType": "Bearer"}}))
""")
    az.chmod(0o755)
    return bindir


def closed_port_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "http://127.0.0.1:%d/metadata/identity/oauth2/token" % s.getsockname()[1]


@pytest.fixture
def setup(emulator_factory, tmp_path):
    d = tmp_path / "credentials"
    d.mkdir(mode=0o700)
    secret = write_private(d / "secret", SECRET + "\n")
    fed = write_private(d / "federated-token", FEDERATED + "\n", mode=0o644)  # as Kubernetes projects it
    cert, public = certificate(d)
    emu = emulator_factory(tenant="demo", auth="required", clients=["%s:%s" % (SECRET_CLIENT, secret)],
                           client_certs=["%s:%s" % (CERT_CLIENT, public)],
                           client_federated=["%s:%s" % (FED_CLIENT, fed)], identity_header=IDENTITY_HEADER)
    return dict(dir=d, secret=secret, fed=fed, cert=cert, emu=emu, tenant=emu.tenant()["tenantId"])


def method_setup(method, s):
    """(-o options, environment, a check of the token request the emulator saw)"""
    emu, tenant = s["emu"], s["tenant"]
    env = {"GRAPHSYNCFS_IMDS_ENDPOINT": closed_port_url()}
    authority = ["authority=" + emu.url]
    if method == "certificate":
        return (["auth=certificate", "tenant=" + tenant, "client_id=" + CERT_CLIENT,
                 "client_certificate=%s" % s["cert"]] + authority, env,
                lambda r: "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                in r["body"] and "client_secret" not in r["body"])
    if method == "secret":
        return (["auth=secret", "tenant=" + tenant, "client_id=" + SECRET_CLIENT,
                 "client_secret_file=%s" % s["secret"]] + authority, env,
                lambda r: "client_secret=" in r["body"])
    if method == "env-secret":
        env.update(AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=SECRET_CLIENT, AZURE_CLIENT_SECRET=SECRET,
                   AZURE_AUTHORITY_HOST=emu.url)
        return ["auth=env"], env, lambda r: "client_secret=" in r["body"]
    if method == "env-certificate":
        env.update(AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=CERT_CLIENT,
                   AZURE_CLIENT_CERTIFICATE_PATH=str(s["cert"]), AZURE_AUTHORITY_HOST=emu.url)
        return ["auth=env"], env, lambda r: "client_assertion=" in r["body"]
    if method == "workload":
        env.update(AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=FED_CLIENT, AZURE_FEDERATED_TOKEN_FILE=str(s["fed"]),
                   AZURE_AUTHORITY_HOST=emu.url)
        return ["auth=workload"], env, lambda r: "client_assertion=" in r["body"]
    if method == "managed-app-service":
        env.update(IDENTITY_ENDPOINT=emu.url + "/msi/token", IDENTITY_HEADER=IDENTITY_HEADER)
        return ["auth=managed"], env, lambda r: r["path"] == "/msi/token"
    if method == "managed-imds":
        env["GRAPHSYNCFS_IMDS_ENDPOINT"] = emu.url + "/metadata/identity/oauth2/token"
        return (["auth=managed"], env,
                lambda r: r["path"] == "/metadata/identity/oauth2/token" and
                any(k.lower() == "metadata" and v == "true" for k, v in r["headers"].items()))
    if method == "cli":
        log = s["dir"] / "az.log"
        bindir = stand_in_az(s["dir"], emu, tenant, log)
        env["PATH"] = "%s:%s" % (bindir, os.environ.get("PATH", "/usr/bin:/bin"))
        return ["auth=cli"], env, lambda r: log.exists() and "get-access-token" in log.read_text()
    if method == "auto-workload":
        env.update(AZURE_TENANT_ID=tenant, AZURE_CLIENT_ID=FED_CLIENT, AZURE_FEDERATED_TOKEN_FILE=str(s["fed"]),
                   AZURE_AUTHORITY_HOST=emu.url)
        return ["auth=auto"], env, lambda r: "client_assertion=" in r["body"]
    raise AssertionError(method)


@pytest.mark.parametrize("method", ["secret", "certificate", "env-secret", "env-certificate", "workload",
                                    "managed-app-service", "managed-imds", "cli", "auto-workload"])
def test_each_method_mounts_and_reads_a_job(method, setup, mount_factory):
    options, env, check = method_setup(method, setup)
    emu = setup["emu"]
    m = mount_factory(emu, options, env=env)
    sp = next(s for s in m.tenant()["servicePrincipals"] if s["jobs"])
    job = json.loads(mu.read_file(m.path / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0] / "job.json"))
    assert job["id"] == sp["jobs"][0]
    tokens = [r for r in emu.requests() if r.get("kind") == "oauth"]
    assert tokens and all(r["status"] == 200 for r in tokens), tokens
    assert check(tokens[0]), tokens[0]
    # Graph saw only authorized requests
    graph = [r for r in emu.requests() if r.get("kind") == "graph"]
    assert graph and not [r for r in graph if r["status"] == 401], graph
    out = m.output()
    for secret in (SECRET, IDENTITY_HEADER, FEDERATED):
        assert secret not in out


DEVICE_CLIENT = "8e4c6f5b-3a7d-4f1b-8c9d-4b5a6f7e8d93"


def test_device_code_mount_shows_the_code_on_the_terminal(emulator_factory, tmp_path):
    """auth=device on a terminal (a pty): the sign-in message comes before the mount exists,
    the mount appears once the code is approved, reads a job, and the token cache (0600)
    lets the next mount sign in without a terminal."""
    reason = mu.fuse_skip_reason()
    if reason:
        pytest.skip(reason)
    emu = emulator_factory(tenant="demo", auth="required")
    emu.config(device_code_interval=1)
    cache = tmp_path / "device-cache.json"
    opts = ["auth=device", "client_id=" + DEVICE_CLIENT, "authority=" + emu.url, "token_cache=%s" % cache]
    procs = []
    try:
        mnt = tmp_path / "mnt"
        mnt.mkdir()
        master, slave = pty.openpty()
        proc = subprocess.Popen(mu.daemon_cmdline(emu.url, mnt, opts), stdin=slave, stdout=slave, stderr=slave,
                                env=mu.daemon_env(), start_new_session=True)
        procs.append((proc, mnt))
        os.close(slave)
        seen, code, deadline = b"", None, time.monotonic() + 60
        while code is None and time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.5)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            m = re.search(rb"enter the code (\S+)", seen)
            code = m.group(1).decode() if m else None
        assert code, "no device code message on the terminal: %r" % seen
        assert not mu.is_mounted(mnt), "mounted before the sign-in"
        emu.approve_device_code(code)
        mu.wait_for_mount(proc, mnt, timeout=60)
        sp = next(s for s in emu.tenant()["servicePrincipals"] if s["jobs"])
        job = json.loads(mu.read_file(mnt / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0] / "job.json"))
        assert job["id"] == sp["jobs"][0]
        assert stat.S_IMODE(cache.stat().st_mode) == 0o600
        mu.fusermount(mnt)
        assert mu.wait_exit(proc, 30) is not None
        os.close(master)

        # the next mount signs in from the cache, without a terminal
        mnt2 = tmp_path / "mnt2"
        mnt2.mkdir()
        before = len(emu.requests())
        proc2 = subprocess.Popen(mu.daemon_cmdline(emu.url, mnt2, opts), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=mu.daemon_env(),
                                 start_new_session=True)
        procs.append((proc2, mnt2))
        mu.wait_for_mount(proc2, mnt2, timeout=60)
        assert os.listdir(mnt2 / "servicePrincipals")
        assert not [r for r in emu.requests()[before:] if r.get("path", "").endswith("/devicecode")]
    finally:
        for p, path in procs:
            mu.cleanup(p, path)

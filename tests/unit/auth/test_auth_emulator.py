"""Token acquisition (api/auth*.c) against the Graph emulator's OAuth and managed-identity
endpoints, through tests/unit/auth/gs-auth-probe: every method, auto's choices, refreshes
with short token lifetimes, shared refreshes across threads, refused credential files, and
that no token, secret or assertion ever reaches the probe's output.

Run: GS_BUILD_DIR=build-auth /usr/bin/python3 -m pytest tests/unit/auth
($GS_BUILD_DIR defaults to <repo>/build; the probe is $GS_BUILD_DIR/tests/unit/auth/gs-auth-probe.)
"""

import json
import os
import re
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.emulator.control import Emulator  # noqa: E402

from tests.credential_files import write_certificate, write_private  # noqa: E402

SECRET_CLIENT = "5b1f3c2e-0d4a-4c8e-9f6a-1e2d3c4b5a60"
CERT_CLIENT = "6c2a4d3f-1e5b-4d9f-8a7b-2f3e4d5c6b71"
FED_CLIENT = "7d3b5e4a-2f6c-4e0a-9b8c-3a4f5e6d7c82"
DEVICE_CLIENT = "8e4c6f5b-3a7d-4f1b-8c9d-4b5a6f7e8d93"
SECRET = "emu~Secret.Value-0123456789abcdef"
IDENTITY_HEADER = "idh-3f9a8b7c6d5e4f3a2b1c"
FEDERATED = "fed.eyJmZWRlcmF0ZWQiOnRydWV9.first-federated-token-value"
GRAPH = "https://graph.microsoft.com"
JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{8,}")
PROBE_TIMEOUT = 120


def probe_path():
    build = os.environ.get("GS_BUILD_DIR") or str(REPO / "build")
    return Path(build).resolve() / "tests" / "unit" / "auth" / "gs-auth-probe"


@pytest.fixture(scope="module")
def probe():
    p = probe_path()
    if not p.exists():
        pytest.fail(f"the probe is not built at {p}: build it (meson, tests/unit/auth) or set GS_BUILD_DIR",
                    pytrace=False)
    return p


def make_certificate(d, name):
    """(key+cert PEM for the probe, cert-only PEM for the emulator)"""
    return write_certificate(d, name, name)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Env:
    """Everything the emulator and the probe share for this module."""

    def __init__(self, emu, d, cert, other_cert):
        self.emu = emu
        self.dir = d
        self.cert = cert
        self.other_cert = other_cert
        self.tenant = emu.tenant()["tenantId"]
        self.secret_file = d / "secret"
        self.fed_file = d / "federated-token"
        self.closed_imds = f"http://127.0.0.1:{free_port()}/metadata/identity/oauth2/token"
        self.secrets = [SECRET, IDENTITY_HEADER, FEDERATED]

    def base_env(self, **extra):
        """A clean environment: no AZURE_* or IDENTITY_* unless given, no az on PATH, and
        IMDS pointed at a closed port so that auto never waits for 169.254.169.254."""
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.dir), "LANG": "C",
               "GRAPHSYNCFS_IMDS_ENDPOINT": self.closed_imds}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        env.update({k: str(v) for k, v in extra.items() if v is not None})
        return env

    def token_requests(self):
        return [e for e in self.emu.requests() if e.get("kind") == "oauth"]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("auth")
    d.chmod(0o700)
    write_private(d / "secret", SECRET + "\n")
    write_private(d / "federated-token", FEDERATED + "\n")
    cert, cert_public = make_certificate(d, "app")
    other, _ = make_certificate(d, "other")
    with Emulator(tenant="demo", auth="required", clients=[f"{SECRET_CLIENT}:{d / 'secret'}"],
                  client_certs=[f"{CERT_CLIENT}:{cert_public}"],
                  client_federated=[f"{FED_CLIENT}:{d / 'federated-token'}"],
                  identity_header=IDENTITY_HEADER) as emu:
        emu.config(device_code_interval=1)
        yield Env(emu, d, cert, other)


@pytest.fixture
def lifetime(env):
    """Sets the emulator's token lifetime for one test."""
    def set_lifetime(seconds):
        env.emu.config(token_lifetime=seconds)
    yield set_lifetime
    env.emu.config(token_lifetime=3600)


class Run:
    def __init__(self, proc, stdout, stderr):
        self.rc = proc.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.lines = stdout.splitlines()

    @property
    def method(self):
        return next((l.split()[1] for l in self.lines if l.startswith("method ")), None)

    def count(self, prefix):
        return sum(1 for l in self.lines if l.startswith(prefix))

    def __repr__(self):
        return f"<probe rc={self.rc}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}>"


def check_no_secrets(env, run, extra=()):
    for s in list(env.secrets) + list(extra):
        assert s not in run.stdout and s not in run.stderr, f"a secret value leaked into the output: {run!r}"
    assert not JWT_RE.search(run.stdout) and not JWT_RE.search(run.stderr), f"a token leaked: {run!r}"


def run_probe(env, probe, args, environ=None, extra_secrets=()):
    proc = subprocess.run([str(probe)] + args, env=environ or env.base_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    run = Run(proc, proc.stdout, proc.stderr)
    check_no_secrets(env, run, extra_secrets)
    return run


def graph_args(env, *more):
    return ["--authority", env.emu.url, "--graph", env.emu.url] + list(more)


def assert_tokens_work(run, calls=1):
    assert run.rc == 0, run
    assert run.count("token ok ") == calls, run
    assert run.count("graph 200") == calls, run


# ------------------------------------------------------------------ each method by name

def test_secret(env, probe):
    env.emu.clear_requests()
    run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                           "--client-id", SECRET_CLIENT, "--secret-file", str(env.secret_file)))
    assert run.method == "secret", run
    assert_tokens_work(run)
    reqs = env.token_requests()
    assert len(reqs) == 1 and reqs[0]["path"] == f"/{env.tenant}/oauth2/v2.0/token", reqs


def test_wrong_secret_is_reported_without_the_secret(env, probe):
    wrong = write_private(env.dir / "wrong-secret", "not-the-right-secret-value")
    run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                           "--client-id", SECRET_CLIENT, "--secret-file", str(wrong)),
                    extra_secrets=["not-the-right-secret-value"])
    assert run.rc == 1, run
    assert "auth=secret: POST" in run.stderr and "invalid_client" in run.stderr, run
    assert "AADSTS7000215" in run.stderr, run


def test_secret_file_readable_by_others_is_refused(env, probe):
    loose = write_private(env.dir / "loose-secret", SECRET, mode=0o644)
    env.emu.clear_requests()
    run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                           "--client-id", SECRET_CLIENT, "--secret-file", str(loose)))
    assert run.rc == 1, run
    assert f"{loose} is accessible by group or others (mode 0644)" in run.stderr, run
    assert "chmod 600" in run.stderr, run
    assert env.token_requests() == [], "nothing may be sent with a refused secret file"
    loose.chmod(0o640)
    run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                           "--client-id", SECRET_CLIENT, "--secret-file", str(loose)))
    assert run.rc == 1 and "mode 0640" in run.stderr, run


def test_certificate(env, probe):
    env.emu.clear_requests()
    run = run_probe(env, probe, graph_args(env, "--method", "certificate", "--tenant", env.tenant,
                                           "--client-id", CERT_CLIENT, "--certificate", str(env.cert)))
    assert run.method == "certificate", run
    assert_tokens_work(run)
    body = env.token_requests()[0]["body"]
    assert "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer" in body
    assert "client_secret" not in body


def test_certificate_not_registered_is_refused(env, probe):
    run = run_probe(env, probe, graph_args(env, "--method", "certificate", "--tenant", env.tenant,
                                           "--client-id", CERT_CLIENT, "--certificate", str(env.other_cert)))
    assert run.rc == 1, run
    assert "invalid_client" in run.stderr and "AADSTS700027" in run.stderr, run


def test_certificate_file_readable_by_group_is_refused(env, probe):
    loose = write_private(env.dir / "loose.pem", env.cert.read_bytes(), mode=0o640)
    run = run_probe(env, probe, graph_args(env, "--method", "certificate", "--tenant", env.tenant,
                                           "--client-id", CERT_CLIENT, "--certificate", str(loose)))
    assert run.rc == 1 and f"{loose} is accessible by group or others" in run.stderr, run


def test_env_with_secret_and_with_certificate(env, probe):
    base = dict(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=SECRET_CLIENT, AZURE_CLIENT_SECRET=SECRET,
                AZURE_AUTHORITY_HOST=env.emu.url)
    run = run_probe(env, probe, ["--method", "env", "--graph", env.emu.url], env.base_env(**base))
    assert run.method == "env", run
    assert_tokens_work(run)
    cert = dict(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=CERT_CLIENT,
                AZURE_CLIENT_CERTIFICATE_PATH=env.cert, AZURE_AUTHORITY_HOST=env.emu.url)
    run = run_probe(env, probe, ["--method", "env", "--graph", env.emu.url], env.base_env(**cert))
    assert_tokens_work(run)


def test_workload_rereads_the_rotated_federated_token(env, probe, lifetime):
    lifetime(4)
    env.emu.clear_requests()
    environ = env.base_env(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=FED_CLIENT,
                           AZURE_FEDERATED_TOKEN_FILE=env.fed_file, AZURE_AUTHORITY_HOST=env.emu.url)
    proc = subprocess.Popen([str(probe), "--method", "workload", "--graph", env.emu.url, "--calls", "16",
                             "--interval", "0.5"], env=environ, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rotated = "fed.second-federated-token-value.rotated"
    try:
        time.sleep(2)
        # the kubelet rotates the token: the emulator now accepts only the new one
        tmp = env.dir / "federated-token.new"
        write_private(tmp, rotated + "\n")
        os.replace(tmp, env.fed_file)
        out, err = proc.communicate(timeout=PROBE_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        write_private(env.dir / "federated-token", FEDERATED + "\n")
    run = Run(proc, out, err)
    check_no_secrets(env, run, [rotated])
    assert run.method == "workload", run
    assert_tokens_work(run, 16)
    # the emulator logs assertions redacted; it accepts only the file's current content, so
    # refreshes after the rotation succeed only if the file is read again
    reqs = env.token_requests()
    assert len(reqs) >= 3 and all(r["status"] == 200 for r in reqs), reqs
    assert all("client_assertion=" in r["body"] and "client_secret" not in r["body"] for r in reqs), reqs


def test_federated_token_file_readable_by_others_is_accepted(env, probe):
    """Kubernetes projects the federated token with mode 0644: a short-lived, pod-scoped
    token, not a long-lived secret, so its mode is no reason to refuse it."""
    loose = write_private(env.dir / "loose-fed", FEDERATED, mode=0o644)
    environ = env.base_env(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=FED_CLIENT,
                           AZURE_FEDERATED_TOKEN_FILE=loose, AZURE_AUTHORITY_HOST=env.emu.url)
    run = run_probe(env, probe, ["--method", "workload"], environ)
    assert run.rc == 0 and run.method == "workload" and "token ok" in run.stdout, run


def test_managed_app_service(env, probe):
    env.emu.clear_requests()
    environ = env.base_env(IDENTITY_ENDPOINT=f"{env.emu.url}/msi/token", IDENTITY_HEADER=IDENTITY_HEADER)
    run = run_probe(env, probe, ["--method", "managed", "--graph", env.emu.url], environ)
    assert run.method == "managed", run
    assert_tokens_work(run)
    req = env.token_requests()[0]
    assert req["method"] == "GET" and req["path"] == "/msi/token", req
    assert "api-version=2019-08-01" in req["query"] and "resource=https%3A%2F%2Fgraph.microsoft.com" in req["query"]


def test_managed_app_service_wrong_header(env, probe):
    environ = env.base_env(IDENTITY_ENDPOINT=f"{env.emu.url}/msi/token", IDENTITY_HEADER="not-the-header")
    run = run_probe(env, probe, ["--method", "managed"], environ, extra_secrets=["not-the-header"])
    assert run.rc == 1 and "HTTP 400" in run.stderr and "X-IDENTITY-HEADER" in run.stderr, run


def test_managed_imds(env, probe):
    env.emu.clear_requests()
    environ = env.base_env(GRAPHSYNCFS_IMDS_ENDPOINT=f"{env.emu.url}/metadata/identity/oauth2/token")
    run = run_probe(env, probe, ["--method", "managed", "--graph", env.emu.url], environ)
    assert_tokens_work(run)
    req = env.token_requests()[0]
    assert req["path"] == "/metadata/identity/oauth2/token" and "api-version=2018-02-01" in req["query"], req
    assert any(k.lower() == "metadata" and v == "true" for k, v in req["headers"].items()), req


def test_managed_imds_unknown_user_assigned_identity(env, probe):
    environ = env.base_env(GRAPHSYNCFS_IMDS_ENDPOINT=f"{env.emu.url}/metadata/identity/oauth2/token",
                           AZURE_CLIENT_ID="00000000-0000-0000-0000-000000000001")
    run = run_probe(env, probe, ["--method", "managed"], environ)
    assert run.rc == 1 and "Identity not found" in run.stderr, run


def fake_az(env, log):
    """An `az` that checks its arguments and gets a real token from the emulator."""
    bindir = env.dir / "bin"
    bindir.mkdir(exist_ok=True)
    az = bindir / "az"
    az.write_text(f"""#!/usr/bin/python3
import json, sys, time, urllib.parse, urllib.request
with open({str(log)!r}, "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
want = ["account", "get-access-token", "--resource", {GRAPH!r}, "--output", "json"]
if sys.argv[1:7] != want:
    print("ERROR: unexpected arguments", file=sys.stderr)
    sys.exit(2)
form = urllib.parse.urlencode({{"client_id": {SECRET_CLIENT!r}, "client_secret": {SECRET!r},
    "scope": {GRAPH + "/.default"!r}, "grant_type": "client_credentials"}}).encode()
with urllib.request.urlopen({env.emu.url + "/" + env.tenant + "/oauth2/v2.0/token"!r}, form) as r:
    tok = json.load(r)
exp = int(time.time()) + tok["expires_in"] - 1
print(json.dumps({{"accessToken": tok["access_token"],
    "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(exp)),
    "expires_on": exp, "subscription": "sub", "tenant": {env.tenant!r}, "tokenType": "Bearer"}}, indent=2))
""")
    az.chmod(0o755)
    return bindir


def test_cli_runs_az_without_a_shell(env, probe):
    log = env.dir / "az.log"
    log.unlink(missing_ok=True)
    bindir = fake_az(env, log)
    environ = env.base_env(PATH=f"{bindir}:/usr/bin:/bin")
    run = run_probe(env, probe, ["--method", "cli", "--graph", env.emu.url, "--tenant", env.tenant], environ)
    assert run.method == "cli", run
    assert_tokens_work(run)
    calls = [json.loads(l) for l in log.read_text().splitlines()]
    assert calls == [["account", "get-access-token", "--resource", GRAPH, "--output", "json",
                      "--tenant", env.tenant]], calls


def test_cli_az_not_signed_in(env, probe):
    bindir = env.dir / "bin-fail"
    bindir.mkdir(exist_ok=True)
    az = bindir / "az"
    az.write_text("#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n")
    az.chmod(0o755)
    run = run_probe(env, probe, ["--method", "cli"], env.base_env(PATH=f"{bindir}:/usr/bin:/bin"))
    assert run.rc == 1, run
    assert "exited with status 1: ERROR: Please run 'az login'" in run.stderr, run


def token_script(env, counter):
    script = env.dir / "get-token"
    script.write_text(f"""#!/usr/bin/python3
import json, urllib.parse, urllib.request
with open({str(counter)!r}, "a") as f:
    f.write("run\\n")
form = urllib.parse.urlencode({{"client_id": {SECRET_CLIENT!r}, "client_secret": {SECRET!r},
    "scope": {GRAPH + "/.default"!r}, "grant_type": "client_credentials"}}).encode()
with urllib.request.urlopen({env.emu.url + "/" + env.tenant + "/oauth2/v2.0/token"!r}, form) as r:
    print(json.load(r)["access_token"])
""")
    script.chmod(0o700)
    return script


def test_token_command_reruns_near_expiry_and_on_force(env, probe, lifetime):
    counter = env.dir / "token-command.count"
    counter.unlink(missing_ok=True)
    script = token_script(env, counter)
    lifetime(4)
    # the words are split without a shell: the quoted argument reaches python as one
    cmd = f"/usr/bin/python3 '{script}'"
    run = run_probe(env, probe, ["--method", "token_command", "--token-command", cmd, "--graph", env.emu.url,
                                 "--calls", "12", "--interval", "0.5"])
    assert run.method == "token_command", run
    assert_tokens_work(run, 12)
    runs = len(counter.read_text().splitlines())
    assert 2 <= runs <= 6, f"{runs} runs of the command for 12 calls over ~6 s of 4 s tokens"
    counter.unlink()
    lifetime(3600)
    run = run_probe(env, probe, ["--method", "token_command", "--token-command", cmd, "--calls", "3", "--force"])
    assert run.count("token ok ") == 3, run
    assert len(counter.read_text().splitlines()) == 4  # the first token, then one per forced call


def test_token_command_failure(env, probe):
    run = run_probe(env, probe, ["--method", "token_command", "--token-command",
                                 "/bin/sh -c 'echo \"vault: permission denied\" >&2; exit 7'"])
    assert run.rc == 1, run
    assert "auth=token_command: /bin/sh exited with status 7: vault: permission denied" in run.stderr, run


def test_none_sends_no_token(env, probe):
    run = run_probe(env, probe, ["--method", "none", "--calls", "2"])
    assert run.rc == 0 and run.method == "none" and run.count("token none") == 2, run


# ------------------------------------------------------------------ device code

class DeviceProbe:
    """Runs the probe with the device method and approves (or declines) its code."""

    def __init__(self, env, probe, args, environ=None):
        self.proc = subprocess.Popen([str(probe)] + args, env=environ or env.base_env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err = []
        self.code = None
        self.seen = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            self.err.append(line)
            m = re.search(r"enter the code (\S+)", line)
            if m and not self.code:
                self.code = m.group(1)
                self.seen.set()

    def user_code(self, timeout=60):
        assert self.seen.wait(timeout), "no device code message on stderr: " + "".join(self.err)
        return self.code

    def finish(self):
        try:
            out = self.proc.stdout.read()
            self.proc.wait(PROBE_TIMEOUT)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(10)
        return Run(self.proc, out, "".join(self.err))


def test_device_code_with_refreshes_and_token_cache(env, probe, lifetime):
    lifetime(4)
    cache = env.dir / "device-cache.json"
    cache.unlink(missing_ok=True)
    env.emu.clear_requests()
    dp = DeviceProbe(env, probe, ["--method", "device", "--interactive", "--client-id", DEVICE_CLIENT,
                                  "--authority", env.emu.url, "--token-cache", str(cache), "--graph", env.emu.url,
                                  "--calls", "10", "--interval", "0.5"])
    time.sleep(1.5)  # let it poll at least once: authorization_pending is honoured
    env.emu.approve_device_code(dp.user_code())
    run = dp.finish()
    assert run.method == "device", run
    assert_tokens_work(run, 10)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    refresh_token = json.loads(cache.read_text())["refresh_token"]
    check_no_secrets(env, run, [refresh_token])
    grants = [e for e in env.token_requests() if e["path"].endswith("/token")]
    polls = [e for e in grants if "grant-type%3Adevice_code" in e["body"]]
    assert len(polls) >= 2 and polls[0]["status"] == 400 and polls[-1]["status"] == 200, polls
    assert any("grant_type=refresh_token" in e["body"] for e in grants), "no refresh with 4 s tokens over ~5 s"

    # the next mount signs in from the cache, without a terminal or a device code
    lifetime(3600)
    env.emu.clear_requests()
    run = run_probe(env, probe, ["--method", "device", "--client-id", DEVICE_CLIENT, "--authority", env.emu.url,
                                 "--token-cache", str(cache), "--graph", env.emu.url], extra_secrets=[refresh_token])
    assert_tokens_work(run)
    assert not any(e["path"].endswith("/devicecode") for e in env.token_requests())
    rotated = json.loads(cache.read_text())["refresh_token"]
    assert rotated != refresh_token  # the emulator rotates refresh tokens; the cache keeps the new one
    check_no_secrets(env, run, [rotated])


def test_device_code_declined(env, probe):
    dp = DeviceProbe(env, probe, ["--method", "device", "--interactive", "--client-id", DEVICE_CLIENT,
                                  "--authority", env.emu.url])
    env.emu.approve_device_code(dp.user_code(), decline=True)
    run = dp.finish()
    check_no_secrets(env, run)
    assert run.rc == 1 and "auth=device: the sign-in was declined" in run.stderr, run


def test_device_code_needs_a_terminal(env, probe):
    env.emu.clear_requests()
    run = run_probe(env, probe, ["--method", "device", "--client-id", DEVICE_CLIENT, "--authority", env.emu.url])
    assert run.rc == 1 and "needs a terminal" in run.stderr, run
    assert env.token_requests() == []


def test_device_token_cache_readable_by_others_is_refused(env, probe):
    cache = write_private(env.dir / "loose-cache.json", "{}", mode=0o644)
    run = run_probe(env, probe, ["--method", "device", "--client-id", DEVICE_CLIENT, "--authority", env.emu.url,
                                 "--token-cache", str(cache), "--interactive"])
    assert run.rc == 1 and f"{cache} is accessible by group or others" in run.stderr, run


# ------------------------------------------------------------------ auto

def test_auto_picks_env_first(env, probe):
    environ = env.base_env(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=SECRET_CLIENT, AZURE_CLIENT_SECRET=SECRET,
                           AZURE_AUTHORITY_HOST=env.emu.url, IDENTITY_ENDPOINT=f"{env.emu.url}/msi/token",
                           IDENTITY_HEADER=IDENTITY_HEADER)
    run = run_probe(env, probe, ["--graph", env.emu.url], environ)
    assert run.method == "env", run
    assert_tokens_work(run)


def test_auto_stops_at_a_broken_env(env, probe):
    environ = env.base_env(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=SECRET_CLIENT,
                           AZURE_CLIENT_SECRET="wrong-secret-in-env", AZURE_AUTHORITY_HOST=env.emu.url,
                           IDENTITY_ENDPOINT=f"{env.emu.url}/msi/token", IDENTITY_HEADER=IDENTITY_HEADER)
    run = run_probe(env, probe, [], environ, extra_secrets=["wrong-secret-in-env"])
    assert run.rc == 1 and "auth=auto: env: POST" in run.stderr and "invalid_client" in run.stderr, run


def test_auto_picks_workload(env, probe):
    environ = env.base_env(AZURE_TENANT_ID=env.tenant, AZURE_CLIENT_ID=FED_CLIENT,
                           AZURE_FEDERATED_TOKEN_FILE=env.fed_file, AZURE_AUTHORITY_HOST=env.emu.url)
    run = run_probe(env, probe, ["--method", "auto", "--graph", env.emu.url], environ)
    assert run.method == "workload", run
    assert_tokens_work(run)


def test_auto_picks_app_service_identity(env, probe):
    environ = env.base_env(IDENTITY_ENDPOINT=f"{env.emu.url}/msi/token", IDENTITY_HEADER=IDENTITY_HEADER)
    run = run_probe(env, probe, ["--graph", env.emu.url], environ)
    assert run.method == "managed", run
    assert_tokens_work(run)


def test_auto_probes_imds(env, probe):
    env.emu.clear_requests()
    environ = env.base_env(GRAPHSYNCFS_IMDS_ENDPOINT=f"{env.emu.url}/metadata/identity/oauth2/token")
    run = run_probe(env, probe, ["--graph", env.emu.url], environ)
    assert run.method == "managed", run
    assert_tokens_work(run)
    reqs = env.token_requests()
    # the availability probe (no Metadata header, answered 400), then the token request
    assert [r["status"] for r in reqs] == [400, 200], reqs


def test_auto_skips_to_cli_then_device(env, probe):
    log = env.dir / "az-auto.log"
    log.unlink(missing_ok=True)
    bindir = fake_az(env, log)
    run = run_probe(env, probe, ["--graph", env.emu.url], env.base_env(PATH=f"{bindir}:/usr/bin:/bin"))
    assert run.method == "cli", run
    assert_tokens_work(run)
    # az present but failing: device code is next, with a terminal
    failing = env.dir / "bin-fail2"
    failing.mkdir(exist_ok=True)
    (failing / "az").write_text("#!/bin/sh\necho 'ERROR: Please run az login' >&2\nexit 1\n")
    (failing / "az").chmod(0o755)
    dp = DeviceProbe(env, probe, ["--interactive", "--client-id", DEVICE_CLIENT, "--authority", env.emu.url,
                                  "--graph", env.emu.url], env.base_env(PATH=f"{failing}:/usr/bin:/bin"))
    env.emu.approve_device_code(dp.user_code())
    run = dp.finish()
    check_no_secrets(env, run)
    assert run.method == "device", run
    assert_tokens_work(run)


def test_auto_with_nothing_says_what_it_tried(env, probe):
    run = run_probe(env, probe, ["--authority", env.emu.url])
    assert run.rc == 1, run
    for part in ("auth=auto: no credentials found", "env: needs AZURE_TENANT_ID", "workload: needs",
                 "managed: IDENTITY_ENDPOINT is not set and IMDS", "cli: az is not on PATH",
                 "device: no terminal attached"):
        assert part in run.stderr, (part, run)


# ------------------------------------------------------------------ refresh and sharing

def test_short_lifetimes_refresh_ahead(env, probe, lifetime):
    lifetime(5)
    env.emu.clear_requests()
    run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                           "--client-id", SECRET_CLIENT, "--secret-file", str(env.secret_file),
                                           "--calls", "24", "--interval", "0.5"))
    assert_tokens_work(run, 24)  # never a 401: refreshed before expiry
    n = len(env.token_requests())
    assert 3 <= n <= 8, f"{n} token requests for 24 calls over ~12 s of 5 s tokens"


def test_forced_refresh_gets_a_new_token(env, probe):
    env.emu.clear_requests()
    run = run_probe(env, probe, graph_args(env, "--method", "certificate", "--tenant", env.tenant,
                                           "--client-id", CERT_CLIENT, "--certificate", str(env.cert),
                                           "--calls", "3", "--force"))
    assert_tokens_work(run, 3)
    assert len(env.token_requests()) == 4


def test_threads_share_one_token(env, probe):
    env.emu.clear_requests()
    run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                           "--client-id", SECRET_CLIENT, "--secret-file", str(env.secret_file),
                                           "--threads", "8", "--calls", "5"))
    assert_tokens_work(run, 40)
    assert len(env.token_requests()) == 1


def test_threads_share_refreshes(env, probe, lifetime):
    lifetime(4)
    env.emu.clear_requests()
    # slow token answers: threads arriving during a refresh must wait for it, not start their own
    env.emu.set_faults([{"path": "^/msi/token$", "action": "latency", "latency_ms": 300}])
    try:
        run = run_probe(env, probe, graph_args(env, "--method", "managed", "--threads", "8", "--calls", "12",
                                               "--interval", "0.5"),
                        env.base_env(IDENTITY_ENDPOINT=f"{env.emu.url}/msi/token", IDENTITY_HEADER=IDENTITY_HEADER))
    finally:
        env.emu.clear_faults()
    assert_tokens_work(run, 96)
    n = len(env.token_requests())
    assert 2 <= n <= 6, f"{n} token requests for 96 calls from 8 threads over ~6 s of 4 s tokens"


def test_threads_share_forced_refreshes(env, probe):
    env.emu.clear_requests()
    env.emu.set_faults([{"path": "/oauth2/v2.0/token$", "action": "latency", "latency_ms": 300}])
    try:
        run = run_probe(env, probe, graph_args(env, "--method", "secret", "--tenant", env.tenant,
                                               "--client-id", SECRET_CLIENT, "--secret-file", str(env.secret_file),
                                               "--threads", "8", "--calls", "2", "--force"))
    finally:
        env.emu.clear_faults()
    assert_tokens_work(run, 16)
    n = len(env.token_requests())
    assert 2 <= n <= 8, f"{n} token requests for 16 forced calls from 8 threads (one each would be 17)"

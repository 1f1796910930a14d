"""Mounting with real authentication against the emulator's OAuth endpoints (issue:
mount a real tenant): the daemon gets tokens, refreshes them as they expire without a read
ever failing, and never shows a secret or a token in its logs, files, xattrs or last_error.
Every method is exercised against the emulator by tests/unit/auth; this proves the mount."""

import errno
import json
import os
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.integration import mount_util as mu

SECRET = "s3cr3t-Value-that-must-never-show-7f3a9c"
CLIENT = "11111111-2222-3333-4444-555555555555"


def secret_file(tmp_path, mode=0o600):
    p = tmp_path / "client-secret"
    p.write_text(SECRET + "\n")
    os.chmod(p, mode)
    return p


def everything_visible(m):
    """Every byte a user can see: file contents, xattrs, link targets, the daemon's output."""
    out = [m.output()]
    for root, dirs, files in os.walk(m.path):
        for name in dirs + files:
            p = os.path.join(root, name)
            try:
                for x in os.listxattr(p, follow_symlinks=False):
                    out.append(os.getxattr(p, x, follow_symlinks=False).decode(errors="replace"))
                if os.path.islink(p):
                    out.append(os.readlink(p))
                elif os.path.isfile(p) and os.stat(p).st_mode & 0o400:
                    out.append(mu.read_file(p).decode(errors="replace"))
            except OSError:
                pass
    return "\n".join(out)


def auth_options(emu, tmp_path, **extra):
    opts = {"auth": "secret", "tenant": emu.tenant()["tenantId"], "client_id": CLIENT,
            "client_secret_file": str(secret_file(tmp_path)), "authority": emu.url,
            "http_debug": None, "log_level": "debug",
            "log_rate": "1000/1"}   # everything_visible reads every provisioning log
    opts.update(extra)
    return [k if v is None else "%s=%s" % (k, v) for k, v in opts.items()]


@pytest.mark.timeout(120)
def test_secret_auth_refreshes_short_tokens_and_leaks_nothing(mount_factory, emulator_factory, tmp_path):
    sfile = tmp_path / "emu-secret"
    sfile.write_text(SECRET)
    emu = emulator_factory(tenant="demo", auth="required", token_lifetime=3, clients=["%s:%s" % (CLIENT, sfile)],
                           config={"log_rate_limit": 1000})
    m = mount_factory(emu, auth_options(emu, tmp_path, status_timeout=0.5))
    sp = next(s for s in m.tenant()["servicePrincipals"] if s["jobs"])
    status = m.path / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0] / "status.json"
    # ten lifetimes of the token, as "60-second tokens for ten minutes" scaled down
    deadline = time.time() + 30
    reads = 0
    while time.time() < deadline:
        json.loads(mu.read_file(status))  # never fails across token expiries
        reads += 1
        time.sleep(0.3)
    tokens = [r for r in emu.requests() if r.get("kind") == "oauth" and r["path"].endswith("/token")]
    assert len(tokens) >= 10, "3-second tokens over 30 s need refreshes: %d token requests" % len(tokens)
    assert all(r["status"] == 200 for r in tokens)
    assert all("client_secret" in (r.get("body") or "") for r in tokens)
    unauthorized = [r for r in emu.requests() if r.get("status") == 401]
    assert len(unauthorized) <= 1, unauthorized
    seen = everything_visible(m)
    assert SECRET not in seen
    assert "Bearer ey" not in seen and "access_token" not in seen
    assert reads > 60


def test_token_command_token_never_shown(mount_factory, emulator_factory, tmp_path):
    sfile = tmp_path / "emu-secret"
    sfile.write_text(SECRET)
    emu = emulator_factory(tenant="demo", auth="required", clients=["%s:%s" % (CLIENT, sfile)],
                           config={"log_rate_limit": 1000})
    form = urllib.parse.urlencode({"client_id": CLIENT, "client_secret": SECRET, "grant_type": "client_credentials",
                                   "scope": "https://graph.microsoft.com/.default"}).encode()
    tenant = emu.tenant()["tenantId"]
    with urllib.request.urlopen(emu.url + "/%s/oauth2/v2.0/token" % tenant, data=form, timeout=30) as r:
        token = json.load(r)["access_token"]
    tfile = tmp_path / "token"
    tfile.write_text(token + "\n")
    os.chmod(tfile, 0o600)
    m = mount_factory(emu, ["auth=token_command", "token_command=/bin/cat %s" % tfile, "http_debug",
                            "log_level=debug"])
    sp = next(s for s in m.tenant()["servicePrincipals"] if s["jobs"])
    jobdir = m.path / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0]
    mu.read_file(jobdir / "status.json")
    # a failure, so that last_error has something to show
    emu.set_faults([{"method": "POST", "path": "/pause$", "status": 403}])
    # Graph's 403 is EPERM, "Operation not permitted" (man page, ERRORS)
    assert mu.os_error(mu.write_file, jobdir / "pause", b"\n") == errno.EPERM
    m.allow(r"403", r"Authorization_RequestDenied", r"warning")
    assert "403" in mu.read_file(jobdir / "last_error").decode()
    seen = everything_visible(m)
    assert token not in seen and token[:40] not in seen
    with open("/proc/%d/cmdline" % m.proc.pid, "rb") as f:
        assert token.encode() not in f.read()


def test_secret_file_readable_by_others_is_refused(emulator_factory, tmp_path):
    emu = emulator_factory(tenant="demo", auth="required")
    loose = secret_file(tmp_path, mode=0o644)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    cmd = mu.daemon_cmdline(emu.url, mnt, ["auth=secret", "tenant=contoso.onmicrosoft.com", "client_id=" + CLIENT,
                                           "client_secret_file=%s" % loose, "authority=" + emu.url])
    r = subprocess.run(cmd, env=mu.daemon_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=60)
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("graphsyncfs:") and str(loose) in lines[0], r.stderr
    assert SECRET not in r.stderr + r.stdout
    assert not mu.is_mounted(mnt)
    assert not [x for x in emu.requests() if x.get("kind") == "oauth"], "nothing may be sent"

"""Secrets stay out of core dumps (issue 13, finding 7): the daemon is not dumpable unless
the `dumpable` option asks for it, and a forced core (gdb's gcore, as root) holds neither
the client secret nor any access token: live ones sit in memory excluded from dumps
(MADV_DONTDUMP), and every buffer that held one is wiped before it is freed (also
libcurl's and cJSON's, through wiping allocation hooks).

The same holds for auth=certificate (the private key: its private exponent and primes,
whatever form they take in memory) and for auth=device (the refresh token)."""

import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from tests.integration import mount_util as mu
from tests.integration.test_auth_mount import CLIENT, SECRET, auth_options
from tests.credential_files import write_certificate, write_private

# Any JSON web token: the emulator's access tokens have this shape.
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def exercise(m, emu, seconds=10):
    """Reads for a few token lifetimes: several tokens fetched and dropped."""
    sp = next(s for s in m.tenant()["servicePrincipals"] if s["jobs"])
    status = m.path / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0] / "status.json"
    deadline = time.time() + seconds
    while time.time() < deadline:
        mu.read_file(status)
        os.listdir(m.path / "servicePrincipals")
        time.sleep(0.2)
    tokens = [r for r in emu.requests() if r.get("kind") == "oauth" and r["path"].endswith("/token")]
    assert len(tokens) >= 2


def secret_mount(mount_factory, emulator_factory, tmp_path, *extra):
    sfile = tmp_path / "emu-secret"
    sfile.write_text(SECRET)
    emu = emulator_factory(tenant="demo", auth="required", token_lifetime=4,
                           clients=["%s:%s" % (CLIENT, sfile)])
    opts = [o for o in auth_options(emu, tmp_path, status_timeout=0.5) if o not in ("http_debug", "log_level=debug")]
    m = mount_factory(emu, opts + list(extra))
    exercise(m, emu)
    return m


def dumped_memory(pid):
    """What a core dump of pid would hold, read from /proc/<pid>/mem: every readable mapping
    the kernel does not exclude from dumps (VmFlags "dd", MADV_DONTDUMP). A superset of a
    core (the default coredump_filter leaves file-backed mappings out); gcore itself is not
    used because under AddressSanitizer it writes the sanitizer's reserved ranges too
    (tens of gigabytes)."""
    maps = []
    with open("/proc/%d/smaps" % pid) as f:
        cur = None
        for line in f:
            parts = line.split()
            if re.fullmatch(r"[0-9a-f]+-[0-9a-f]+", parts[0]):
                a, b = (int(x, 16) for x in parts[0].split("-"))
                cur = {"start": a, "end": b, "perms": parts[1], "name": " ".join(parts[5:])}
                maps.append(cur)
            elif parts[0] == "VmFlags:":
                cur["flags"] = parts[1:]
    chunks = []
    total = 0
    with open("/proc/%d/mem" % pid, "rb", buffering=0) as mem:
        for m in maps:
            if "r" not in m["perms"] or "dd" in m.get("flags", []) or m["name"] in ("[vvar]", "[vsyscall]"):
                continue
            size = m["end"] - m["start"]
            assert size < (1 << 30), "a readable dumpable mapping of %d MiB: %s" % (size >> 20, m)
            try:
                mem.seek(m["start"])
                chunks.append(mem.read(size))
            except OSError:
                continue  # a guard page or an unmapped hole
            total += size
    return b"".join(chunks), total


def has_dump_flag(pid):
    """PR_GET_DUMPABLE of the running daemon, asked through gdb."""
    out = subprocess.run(["gdb", "-batch", "-nx", "-p", str(pid), "-ex", "print (int)prctl(3,0,0,0,0)"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120).stdout
    m = re.search(r"\$1 = (\d+)", out)
    assert m, out[-1500:]
    return int(m.group(1))


@pytest.mark.timeout(300)
def test_memory_a_core_would_hold_has_no_secret_and_no_token(mount_factory, emulator_factory, tmp_path):
    m = secret_mount(mount_factory, emulator_factory, tmp_path)
    data, total = dumped_memory(m.proc.pid)
    secrets, tokens = data.count(SECRET.encode()), len(JWT.findall(data))
    print("dumpable memory scanned: %.1f MiB; secret %d times, tokens %d times" % (total / 2**20, secrets, tokens))
    assert (secrets, tokens) == (0, 0), "the dumpable memory holds the secret %d times, a token %d times" % (
        secrets, tokens)


@pytest.mark.timeout(240)
def test_the_daemon_is_not_dumpable_unless_asked(mount_factory):
    assert has_dump_flag(mount_factory().proc.pid) == 0
    assert has_dump_flag(mount_factory(options=["dumpable"]).proc.pid) == 1


# --- auth=certificate: the private key -----------------------------------------------------------

CERT_CLIENT = "6c2a4d3f-1e5b-4d9f-8a7b-2f3e4d5c6b71"


def key_canaries(pem_path):
    """Byte strings any copy of the private key's secret numbers would show: the private
    exponent, the primes and the CRT values, big-endian (as in DER) and little-endian (as in
    an OpenSSL BIGNUM's limbs), and the private exponent in hex."""
    from cryptography.hazmat.primitives import serialization
    key = serialization.load_pem_private_key(pem_path.read_bytes(), None)
    n = key.private_numbers()
    out = {}
    for name, v in (("d", n.d), ("p", n.p), ("q", n.q), ("dmp1", n.dmp1), ("dmq1", n.dmq1), ("iqmp", n.iqmp)):
        size = (v.bit_length() + 7) // 8
        big = v.to_bytes(size, "big")
        out[name + " (big-endian)"] = big
        out[name + " (little-endian)"] = big[::-1]
    out["d (hex)"] = ("%x" % n.d).encode()
    out["d (HEX)"] = ("%X" % n.d).encode()
    return out


@pytest.mark.timeout(300)
def test_memory_a_core_would_hold_has_no_private_key_of_the_certificate(mount_factory, emulator_factory,
                                                                        tmp_path):
    d = tmp_path / "credentials"
    d.mkdir(mode=0o700)
    cert, public = write_certificate(d, "app", "graphsyncfs-core-test")
    emu = emulator_factory(tenant="demo", auth="required", token_lifetime=4,
                           client_certs=["%s:%s" % (CERT_CLIENT, public)])
    m = mount_factory(emu, ["auth=certificate", "tenant=" + emu.tenant()["tenantId"], "client_id=" + CERT_CLIENT,
                            "client_certificate=%s" % cert, "authority=" + emu.url, "status_timeout=0.5"])
    exercise(m, emu)  # several assertions signed with the key
    data, total = dumped_memory(m.proc.pid)
    found = {name: data.count(c) for name, c in key_canaries(cert).items() if data.count(c)}
    print("dumpable memory scanned: %.1f MiB; key parts found: %s" % (total / 2**20, found))
    assert not found, "the dumpable memory holds parts of the private key: %s" % found


# --- auth=device: the refresh token ----------------------------------------------------------------

DEVICE_CLIENT = "8e4c6f5b-3a7d-4f1b-8c9d-4b5a6f7e8d93"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# The emulator's refresh tokens have this shape (tests/emulator/oauth.py).
REFRESH = re.compile(rb"1\.AQ[A-Za-z0-9_-]{100,}")


def post_form(url, form):
    with urllib.request.urlopen(url, urllib.parse.urlencode(form).encode(), timeout=30) as r:
        return json.load(r)


def signed_in_cache(emu, path):
    """A device-code sign-in done by hand, kept as the daemon keeps it (token_cache=)."""
    base = emu.url + "/organizations/oauth2/v2.0/"
    scope = "https://graph.microsoft.com/.default offline_access"
    dc = post_form(base + "devicecode", {"client_id": DEVICE_CLIENT, "scope": scope})
    emu.approve_device_code(dc["user_code"])
    tok = post_form(base + "token", {"grant_type": DEVICE_GRANT, "client_id": DEVICE_CLIENT,
                                     "device_code": dc["device_code"]})
    write_private(path, json.dumps({"authority": emu.url, "tenant": "organizations", "client_id": DEVICE_CLIENT,
                                    "refresh_token": tok["refresh_token"]}))
    return tok["refresh_token"]


@pytest.mark.timeout(300)
def test_memory_a_core_would_hold_has_no_refresh_token(mount_factory, emulator_factory, tmp_path):
    emu = emulator_factory(tenant="demo", auth="required", token_lifetime=4)
    cache = tmp_path / "device-cache.json"
    first = signed_in_cache(emu, cache)
    m = mount_factory(emu, ["auth=device", "client_id=" + DEVICE_CLIENT, "authority=" + emu.url,
                            "token_cache=%s" % cache, "status_timeout=0.5"])
    exercise(m, emu)  # each refresh brings a new refresh token
    current = json.loads(cache.read_text())["refresh_token"]
    assert current != first
    data, total = dumped_memory(m.proc.pid)
    found = len(REFRESH.findall(data))
    print("dumpable memory scanned: %.1f MiB; refresh tokens %d times (current one %d times)" % (
        total / 2**20, found, data.count(current.encode())))
    assert found == 0, "the dumpable memory holds a refresh token %d times" % found

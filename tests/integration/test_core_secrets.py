"""Secrets stay out of core dumps (issue 13, finding 7): the daemon is not dumpable unless
the `dumpable` option asks for it, and a forced core (gdb's gcore, as root) holds neither
the client secret nor any access token: live ones sit in memory excluded from dumps
(MADV_DONTDUMP), and every buffer that held one is wiped before it is freed (also
libcurl's and cJSON's, through wiping allocation hooks)."""

import os
import re
import subprocess
import time

import pytest

from tests.integration import mount_util as mu
from tests.integration.test_auth_mount import CLIENT, SECRET, auth_options

# Any JSON web token: the emulator's access tokens have this shape.
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")


def secret_mount(mount_factory, emulator_factory, tmp_path, *extra):
    sfile = tmp_path / "emu-secret"
    sfile.write_text(SECRET)
    emu = emulator_factory(tenant="demo", auth="required", token_lifetime=4,
                           clients=["%s:%s" % (CLIENT, sfile)])
    opts = [o for o in auth_options(emu, tmp_path, status_timeout=0.5) if o not in ("http_debug", "log_level=debug")]
    m = mount_factory(emu, opts + list(extra))
    sp = next(s for s in m.tenant()["servicePrincipals"] if s["jobs"])
    status = m.path / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0] / "status.json"
    deadline = time.time() + 10  # a few token lifetimes: several tokens fetched and dropped
    while time.time() < deadline:
        mu.read_file(status)
        os.listdir(m.path / "servicePrincipals")
        time.sleep(0.2)
    tokens = [r for r in emu.requests() if r.get("kind") == "oauth" and r["path"].endswith("/token")]
    assert len(tokens) >= 2
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

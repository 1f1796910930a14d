"""Memory is bounded by what is configured (issue 13 outcome 5, issue 14 outcome 5), on a real
mount of a mid-size tenant: a tenant-wide scan (cat status.tsv) peaks under cache_size plus the
constant the man page documents (32 MiB, VmHWM), and once what it fetched has expired the daemon
returns to within 1.5x of its idle RSS measured in the same run (before: it kept what the scan
fetched until the cache's bound pushed it out: 2.4x its idle size here).

These are memory figures of glibc's allocator: on a sanitizer build (the default build/, whose
allocator keeps freed memory in quarantine) the test is skipped; run it on a release build:
    GS_BUILD_DIR=$PWD/build-bench /usr/bin/python3 -m pytest -q tests/integration/test_memory.py"""

import errno
import json
import os
import threading
import time

import pytest

from tests.integration import mount_util as mu

N, M = 5000, 250
CACHE_MIB = 4
CONSTANT_MIB = 32  # man/graphsyncfs.1, cache_size=


def sanitized():
    info = mu.graphsyncfs_binary().parent.parent / "meson-info" / "intro-buildoptions.json"
    try:
        opts = {o["name"]: o["value"] for o in json.loads(info.read_text())}
    except (OSError, ValueError, KeyError):
        return False
    return opts.get("b_sanitize", "none") not in ("none", "")


def kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s in /proc/%d/status" % (field, pid))


pytestmark = pytest.mark.skipif(sanitized(), reason="memory figures need glibc's allocator, "
                                "not a sanitizer's: run with GS_BUILD_DIR=<a release build>")


@pytest.mark.timeout(300)
@pytest.mark.mount(tenant="large:%d:%d" % (N, M), time_scale=1e6,
                   options=["cache_size=%dM" % CACHE_MIB, "dir_timeout=3", "status_timeout=1"])
def test_scan_peaks_under_cache_size_and_memory_goes_back_after_expiry(mnt):
    pid = mnt.proc.pid
    os.stat(mnt.path)
    time.sleep(1)
    idle = kib(pid, "VmRSS")
    rows = mu.read_file(mnt / "status.tsv").decode().split("\n")[1:-1]
    assert len(rows) == M
    mu.quiesce(mnt)
    peak = kib(pid, "VmHWM")
    print("idle %.1f MiB, peak %.1f MiB" % (idle / 1024, peak / 1024))
    assert peak <= (CACHE_MIB + CONSTANT_MIB) * 1024, \
        "peak RSS %.1f MiB over cache_size %d MiB + %d MiB" % (peak / 1024, CACHE_MIB, CONSTANT_MIB)
    # everything expires 3 s after it was stored (dir_timeout); the daemon looks every second
    deadline = time.monotonic() + 60
    rss = kib(pid, "VmRSS")
    while rss > idle * 1.5 and time.monotonic() < deadline:
        time.sleep(0.5)
        rss = kib(pid, "VmRSS")
    print("after expiry %.1f MiB (%.2fx idle)" % (rss / 1024, rss / idle))
    assert rss <= idle * 1.5, "RSS %.1f MiB after expiry, idle %.1f MiB: %.2fx" % (
        rss / 1024, idle / 1024, rss / idle)


def connections(pid, port):
    """The daemon's established TCP connections to port (the emulator)."""
    fds = "/proc/%d/fd" % pid
    inodes = set()
    for fd in os.listdir(fds):
        try:
            link = os.readlink(os.path.join(fds, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if int(p[2].rsplit(":", 1)[1], 16) == port and p[3] == "01" and p[9] in inodes:
                    n += 1
    return n


# Issue 14, item 5: the connections a scan opened outlived it. Each batch in flight had its own
# HTTP handle, pooled afterwards with its connection and its buffers in the memory of the thread
# that allocated it: once the scan had expired, the pooled handles kept pages of four malloc
# arenas from going back (50,000 service principals: 18.8 MiB 75 s after, idle 11.6, 1.62x;
# 15.9 MiB, 1.37x, with the connections closed). Connections unused for 20 s are closed.
@pytest.mark.timeout(300)
@pytest.mark.mount(tenant="large:2000:20", time_scale=1e6, latency_ms=50)
def test_connections_a_scan_opened_are_closed_once_unused(mnt):
    pid, port = mnt.proc.pid, mnt.emu.port
    rows = mu.read_file(mnt / "status.tsv").decode().split("\n")[1:-1]
    assert len(rows) == 20
    opened = connections(pid, port)
    assert opened >= 2, "%d connections after a scan of batches in flight at once" % opened
    deadline = time.monotonic() + 60
    left = opened
    while left > 0 and time.monotonic() < deadline:
        time.sleep(1)
        left = connections(pid, port)
    print("%d connections after the scan, %d once unused" % (opened, left))
    assert left == 0, "%d of the %d connections the scan opened are still open" % (left, opened)


def answers_too_large_on_many_threads(test):
    """The mount of the tests that read 32 secrets.json at once, each answer too large."""
    for mark in (pytest.mark.allow_stderr(r"warning: GET .*(ResponseTooLarge|larger than)"),
                 pytest.mark.mount(tenant="large:40:2", time_scale=1e6,
                                   options=["cache_size=4M", "retries=0", "timeout=60", "threads=40",
                                            "batch=off"]),
                 pytest.mark.timeout(300)):
        test = mark(test)
    return test


@answers_too_large_on_many_threads
def test_many_answers_inflating_at_once_share_one_limit(mnt):
    # 32 secrets.json read at once, each answered with 200 KB of gzip that inflates to 6 MiB of
    # {},{},... (two million values): each answer alone was cut at 1,000,000 values, so 32 held
    # 32 times that; they now share one limit
    sps = [sp["id"] for sp in mnt.tenant()["servicePrincipals"]][:32]
    assert len(sps) == 32
    os.listdir(mnt / "servicePrincipals")
    pid = mnt.proc.pid
    before = kib(pid, "VmHWM")
    mnt.emu.set_faults([{"method": "GET", "path": r"/secrets$", "action": "bomb", "bomb_mb": 6}])
    errors = []

    def read(sp):
        try:
            mu.read_file(mnt / "servicePrincipals" / sp / "secrets.json")
            errors.append(0)
        except OSError as e:
            errors.append(e.errno)

    mu.run_threads([threading.Thread(target=read, args=(sp,), daemon=True) for sp in sps], 200)
    mnt.emu.clear_faults()
    assert errors == [errno.EIO] * len(sps), [mu.errno_name(e) if e else "ok" for e in errors]
    grew = (kib(pid, "VmHWM") - before) / 1024
    print("peak RSS grew by %.1f MiB" % grew)
    assert grew < CONSTANT_MIB, "peak RSS grew by %.1f MiB with %d answers at once" % (grew, len(sps))


# Large answers parsed on many threads (each thread's malloc arena) leave nothing behind once
# they are freed. Before: glibc raised its mmap and trim thresholds to the size of the largest
# block freed (3 MiB here), after which each arena kept up to twice that on top of its heap,
# beyond the reach of malloc_trim: 21.2 MiB stayed here, idle 11.1 MiB (1.91x). The daemon
# now fixes both thresholds (malloc_tune.c): 13.7 MiB (1.24x).
@answers_too_large_on_many_threads
def test_memory_of_large_answers_on_many_threads_goes_back(mnt):
    sps = [sp["id"] for sp in mnt.tenant()["servicePrincipals"]][:32]
    os.listdir(mnt / "servicePrincipals")
    pid = mnt.proc.pid
    time.sleep(1)
    idle = kib(pid, "VmRSS")
    mnt.emu.set_faults([{"method": "GET", "path": r"/secrets$", "action": "bomb", "bomb_mb": 3}])

    def read(sp):
        try:
            mu.read_file(mnt / "servicePrincipals" / sp / "secrets.json")
        except OSError:
            pass  # each answer is too large: EIO, after it was received and parsed

    for _ in range(3):
        mu.run_threads([threading.Thread(target=read, args=(sp,), daemon=True) for sp in sps], 200)
    mnt.emu.clear_faults()
    deadline = time.monotonic() + 30
    rss = kib(pid, "VmRSS")
    while rss > idle * 1.5 and time.monotonic() < deadline:
        time.sleep(0.5)
        rss = kib(pid, "VmRSS")
    print("idle %.1f MiB, after %.1f MiB (%.2fx)" % (idle / 1024, rss / 1024, rss / idle))
    assert rss <= idle * 1.5, "RSS %.1f MiB after the answers were freed, idle %.1f MiB: %.2fx" % (
        rss / 1024, idle / 1024, rss / idle)

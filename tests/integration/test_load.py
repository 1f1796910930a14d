"""Load (issue item 4): eight threads of mixed reads, document saves and control actions
against the demo tenant for a bounded time, on the sanitizer build.

No crash, no sanitizer report (the harness scans the daemon's output), no leak (the daemon
runs with detect_leaks=1 and must exit 0 at unmount), every operation succeeds or fails with
an errno expected for it, and every file read is whole (JSON parses, status.tsv has 13 fields
on every line). The number of operations per kind is printed at the end.

    GS_LOAD_SECONDS=20 (default 60)  how long the threads run
    GS_LOAD_THREADS=8                how many threads
Deselect with -m "not load".
"""

import collections
import errno
import json
import os
import random
import re
import threading
import time

import pytest

from tests.integration import mount_util as mu

LOAD_SECONDS = float(os.environ.get("GS_LOAD_SECONDS", "60"))
THREADS = int(os.environ.get("GS_LOAD_THREADS", "8"))

# errno values an operation of a kind may legitimately end with under this load
EXPECTED = {
    # a schema save that races another save of the same job: the lost-update guard
    "save schema.json": {errno.ESTALE},
}

# how often each kind of operation is picked
WEIGHTS = {
    "read status.json": 30,
    "read schema.json": 10,
    "read job.json": 5,
    "read status.tsv": 4,
    "ls": 15,
    "save schema.json": 6,
    "touch start": 5,
    "touch pause": 5,
    "echo > restart": 2,
}

# Known product bugs, each with its own strict xfail test below: a file read while it changes
# may come back cut or padded (test_concurrent_readers_never_see_a_torn_file_while_it_changes),
# and schema.json read while the same mount saves it may come back empty or mixed
# (test_readers_never_see_a_document_torn_by_a_save). Such reads are counted apart and
# printed; set this to False once both are fixed, so that any torn read fails the load test.
TOLERATE_TORN_READS = False


class TornRead(Exception):
    pass


MARK = re.compile(r'"defaultValue": ("gs-load-[0-9-]+"|null)')


class Tenant:
    def __init__(self, m):
        self.m = m
        t = m.tenant()
        self.sps = [sp["id"] for sp in t["servicePrincipals"]]
        self.jobs = [(sp["id"], j) for sp in t["servicePrincipals"] for j in sp["jobs"]]
        self.njobs = len(self.jobs)
        # saves go to two jobs only, so that threads meet on them
        self.save_jobs = self.jobs[:2]

    def job_dir(self, sid, jid):
        return self.m / "servicePrincipals" / sid / "jobs" / jid

    def dirs(self, rng):
        sid, jid = rng.choice(self.jobs)
        return rng.choice([self.m.path, self.m / "servicePrincipals", self.m / "by-name", self.m / "jobs",
                           self.m / "servicePrincipals" / rng.choice(self.sps),
                           self.m / "servicePrincipals" / sid / "jobs", self.job_dir(sid, jid)])


def whole_json(path, *keys):
    data = mu.read_file(path)
    try:
        obj = json.loads(data)
    except ValueError as e:
        if TOLERATE_TORN_READS:
            raise TornRead("%s: %d bytes, %r" % (path.name, len(data), e))
        raise
    for k in keys:
        if k not in obj:
            raise ValueError("%s: no %r in %s" % (path, k, sorted(obj)[:10]))
    return obj


def run_op(kind, t, rng, serial):
    if kind == "read status.json":
        whole_json(t.job_dir(*rng.choice(t.jobs)) / "status.json", "code")
    elif kind == "read schema.json":
        whole_json(t.job_dir(*rng.choice(t.jobs)) / "schema.json", "synchronizationRules", "directories")
    elif kind == "read job.json":
        whole_json(t.job_dir(*rng.choice(t.jobs)) / "job.json", "id", "status", "schedule")
    elif kind == "read status.tsv":
        lines = mu.read_file(t.m / "status.tsv").decode().split("\n")
        if lines[-1] != "" or any(len(line.split("\t")) != 13 for line in lines[:-1]):
            if TOLERATE_TORN_READS:
                raise TornRead("status.tsv is not a whole table")
            raise ValueError("status.tsv is not a whole table")
        if len(lines) - 2 != t.njobs:
            raise ValueError("status.tsv has %d jobs, the tenant %d" % (len(lines) - 2, t.njobs))
    elif kind == "ls":
        d = t.dirs(rng)
        for name in os.listdir(d):
            os.lstat(d / name)  # ls -l
    elif kind == "save schema.json":
        path = t.job_dir(*rng.choice(t.save_jobs)) / "schema.json"
        text = mu.read_file(path).decode()
        new, n = MARK.subn('"defaultValue": "gs-load-%s"' % serial, text, count=1)
        if n != 1:
            try:
                json.loads(text)
            except ValueError as e:
                if TOLERATE_TORN_READS:
                    raise TornRead(repr(e))
            raise ValueError("schema.json: no defaultValue to change (%d bytes)" % len(text))
        mu.write_file(path, new.encode())
    elif kind in ("touch start", "touch pause"):
        path = t.job_dir(*rng.choice(t.jobs)) / kind.split()[1]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NONBLOCK)
        try:
            os.utime(fd)
        finally:
            os.close(fd)
    elif kind == "echo > restart":
        mu.write_file(t.job_dir(*rng.choice(t.jobs)) / "restart", b"Escrows\n")
    else:
        raise AssertionError(kind)


@pytest.mark.load
@pytest.mark.timeout(int(LOAD_SECONDS) + 240)
@pytest.mark.allow_stderr(r"warning: PUT .*/schema: VersionConflict: ")
def test_mixed_load_from_eight_threads(mount_factory, emulator_factory, tmp_path):
    emu = emulator_factory(latency_ms=5)
    m = mount_factory(emu=emu, options=["status_timeout=1", "dir_timeout=2",
                                        "backup_dir=%s" % (tmp_path / "backups")])
    t = Tenant(m)
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    done = collections.Counter()
    failed = collections.Counter()          # (kind, errno name) -> count, expected ones
    torn = collections.Counter()            # kind -> reads hit by the known bug
    unexpected = []                         # (kind, what) of the first few
    lock = threading.Lock()
    deadline = time.monotonic() + LOAD_SECONDS

    def worker(i):
        rng = random.Random(1000 + i)
        n = 0
        while time.monotonic() < deadline:
            kind = rng.choices(kinds, weights)[0]
            n += 1
            try:
                run_op(kind, t, rng, "%d-%d" % (i, n))
                with lock:
                    done[kind] += 1
            except OSError as e:
                with lock:
                    if e.errno in EXPECTED.get(kind, ()):
                        failed[(kind, mu.errno_name(e.errno))] += 1
                    elif len(unexpected) < 50:
                        unexpected.append((kind, "%s: %s" % (mu.errno_name(e.errno), e)))
            except TornRead:
                with lock:
                    torn[kind] += 1
            except Exception as e:  # a torn or wrong file
                with lock:
                    if len(unexpected) < 50:
                        unexpected.append((kind, repr(e)))

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    t0 = time.monotonic()
    mu.run_threads(threads, LOAD_SECONDS + 120, "a worker is still blocked on the mount")
    elapsed = time.monotonic() - t0
    assert m.proc.poll() is None, "graphsyncfs died under load (status %s)" % m.proc.returncode

    total = sum(done.values()) + sum(failed.values()) + sum(torn.values())
    requests = [e for e in emu.requests() if e.get("kind") != "oauth" and not e.get("batch_item")]
    print("\nload: %d threads, %.0f s, %d operations (%.0f/s), %d Graph requests" %
          (THREADS, elapsed, total, total / elapsed, len(requests)))
    for k in kinds:
        errs = {e: c for (kk, e), c in failed.items() if kk == k}
        if torn[k]:
            errs["torn reads (known bug)"] = torn[k]
        print("  %-18s %6d ok%s" % (k, done[k], "".join(", %d %s" % (c, e) for e, c in errs.items())))
    if unexpected:
        print("  unexpected: %d, first: %s" % (len(unexpected), unexpected[:10]))

    assert not unexpected, unexpected[:10]
    for k in kinds:
        assert done[k] > 0, "no %s succeeded" % k
    # torn reads stay rare (they are races); a flood would be another bug
    assert sum(torn.values()) * 20 < total, dict(torn)

    # afterwards the saved schemas on the mount are the server's (each save re-reads it)
    time.sleep(1.5)
    for sid, jid in t.save_jobs:
        server = emu.get("/servicePrincipals/%s/synchronization/jobs/%s/schema" % (sid, jid)).json()
        shown = whole_json(t.job_dir(sid, jid) / "schema.json", "version")
        assert shown["version"] == server["version"], (sid, jid)

    # a clean exit: no leak (LeakSanitizer runs at exit), status 0
    assert m.unmount(timeout=120) == 0


def read_whole(path):
    """(fstat size at open, bytes read to EOF)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        parts = []
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                return size, b"".join(parts)
            parts.append(b)
    finally:
        os.close(fd)


@pytest.mark.timeout(120)
@pytest.mark.mount(options=["status_timeout=0"])
def test_concurrent_readers_never_see_a_torn_file_while_it_changes(mnt):
    sid, jid, job = mu.first_job(mnt)
    path = job / "status.json"
    mu.read_file(path)
    stop = threading.Event()
    deadline = time.monotonic() + min(15.0, LOAD_SECONDS)
    bad = []
    reads = collections.Counter()

    def patcher():
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            n += 1  # the file's length changes every time
            mnt.emu.patch_job(sid, jid, {"status": {"troubleshootingUrl": "x" * (n % 7 * 40)}})
            time.sleep(0.05)

    def reader():
        while not stop.is_set() and time.monotonic() < deadline:
            size, data = read_whole(path)
            try:
                json.loads(data)
                reads["whole"] += 1
            except ValueError:
                bad.append((size, len(data), data[-40:]))
                stop.set()

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(8)]
    threads.append(threading.Thread(target=patcher, daemon=True))
    mu.run_threads(threads, 60)
    assert reads["whole"] > 0
    assert not bad, "%d whole reads, then a torn one (fstat size, bytes read, tail): %r" % (
        reads["whole"], bad[0])


@pytest.mark.timeout(120)
@pytest.mark.allow_stderr(r"warning: PUT .*/schema: VersionConflict: ")
def test_readers_never_see_a_document_torn_by_a_save(mount_factory, emulator_factory, tmp_path):
    emu = emulator_factory()
    m = mount_factory(emu=emu, options=["backup_dir=%s" % (tmp_path / "backups")])
    path = mu.first_job(m)[2] / "schema.json"
    mu.read_file(path)
    stop = threading.Event()
    deadline = time.monotonic() + min(10.0, LOAD_SECONDS)
    bad = []
    reads = collections.Counter()

    def reader():
        while not stop.is_set() and time.monotonic() < deadline:
            data = mu.read_file(path)
            try:
                json.loads(data)
                reads["whole"] += 1
            except ValueError:
                reads["torn"] += 1
                bad.append((len(data), data[:40], data[-40:]))
                stop.set()

    def saver(i):
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            n += 1
            text = mu.read_file(path).decode()
            new, k = MARK.subn('"defaultValue": "gs-load-%d-%d"' % (i, n), text, count=1)
            if k != 1:
                continue  # read torn itself
            try:
                mu.write_file(path, new.encode())
            except OSError as e:
                assert e.errno == errno.ESTALE, e

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
    threads += [threading.Thread(target=saver, args=(i,), daemon=True) for i in range(3)]
    mu.run_threads(threads, 60)
    assert reads["whole"] > 0
    assert not bad, "%d whole reads, then a torn one: %r" % (reads["whole"], bad[0])

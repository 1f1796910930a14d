"""Helpers for real-mount tests of graphsyncfs (after sshfs's and libfuse's test/util.py).

Everything here works without pytest fixtures, so a test can also drive a daemon by hand.
The fixtures that use these helpers are in conftest.py (read its docstring first).
"""

import errno
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import time
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

FSTYPE = "fuse.graphsyncfs"

# Sanitizer reports are fatal and printed with a stack (see daemon_env).
SANITIZER_OPTIONS = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:print_stacktrace=1:detect_leaks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:report_error_type=1",
    "LSAN_OPTIONS": "print_suppressions=0",
    # a race is reported with both stacks and the daemon goes on (its exit status is then 66)
    "TSAN_OPTIONS": "second_deadlock_stack=1:history_size=4",
}

# Lines of daemon output that always fail a test: sanitizer and crash reports.
# These cannot be allowed by a test.
SANITIZER_PATTERNS = [
    r"AddressSanitizer",
    r"LeakSanitizer",
    r"UndefinedBehaviorSanitizer",
    r"ThreadSanitizer",
    r"MemorySanitizer",
    r"runtime error:",
    r"==\d+==\s*(ERROR|WARNING)",
    r"^SUMMARY: ",
    r"(Direct|Indirect) leak of",
    r"Segmentation fault",
    r"stack smashing detected",
    r"double free or corruption",
    r"malloc\(\): ",
    r"free\(\): ",
    r"Assertion .* failed",
]

# Lines that fail a test unless the test allows them (sshfs's list, and our log levels).
SUSPICIOUS_PATTERNS = [
    r"(?i)\berror",
    r"(?i)\bwarn",
    r"(?i)\bfatal",
    r"(?i)traceback",
    r"(?i)\bcrash",
    r"(?i)\babort",
    r"(?i)uninitiali[sz]ed",
    r"(?i)\bpanic",
    r"(?i)\bbug\b",
]


def graphsyncfs_binary():
    """Path of the daemon under test: $GS_BUILD_DIR/fs/graphsyncfs (default <repo>/build)."""
    build = os.environ.get("GS_BUILD_DIR") or str(REPO_ROOT / "build")
    return Path(build).resolve() / "fs" / "graphsyncfs"


def fuse_skip_reason():
    """Why real mounts cannot work here, or None (libfuse's fuse_test_marker)."""
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist"
    try:
        fd = os.open("/dev/fuse", os.O_RDWR)
    except OSError as e:
        return "cannot open /dev/fuse: %s" % e.strerror
    os.close(fd)
    fm = shutil.which("fusermount3")
    if fm is None:
        return "fusermount3 is not installed (Debian package fuse3)"
    if os.getuid() != 0 and not os.stat(fm).st_mode & stat.S_ISUID:
        return "fusermount3 is not setuid and we are not root"
    return None


def daemon_env(extra=None):
    """Environment for the daemon: ours, sanitizer reports fatal, caller's ASAN_OPTIONS win."""
    env = dict(os.environ)
    for k, v in SANITIZER_OPTIONS.items():
        env[k] = v + (":" + os.environ[k] if os.environ.get(k) else "")
    env.setdefault("LC_ALL", "C.UTF-8")
    if extra:
        env.update(extra)
    return env


def format_options(options):
    """-o options: a sequence of "k=v"/"flag" strings, or a mapping {k: v} (v True/None = flag,
    v False = left out). Returns the list of "k=v" words."""
    if options is None:
        return []
    if isinstance(options, str):
        return [o for o in options.split(",") if o]
    if isinstance(options, dict):
        out = []
        for k, v in options.items():
            if v is True or v is None:
                out.append(k)
            elif v is False:
                continue
            else:
                out.append("%s=%s" % (k, v))
        return out
    return [str(o) for o in options]


def daemon_cmdline(graph_url, mountpoint, options=(), foreground=True):
    """The daemon's command line: graphsyncfs -f -o graph_url=URL,auth=none[,options] MNT.

    $GS_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99") is put in front when set."""
    words = ["graph_url=%s" % graph_url, "auth=none"] + format_options(options)
    cmd = [str(graphsyncfs_binary())]
    if foreground:
        cmd.append("-f")
    cmd += ["-o", ",".join(words), str(mountpoint)]
    wrapper = os.environ.get("GS_TEST_WRAPPER")
    if wrapper:
        cmd = shlex.split(wrapper) + cmd
    return cmd


def _unescape_mount_field(s):
    # /proc/*/mountinfo and /proc/mounts escape space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mount_entry(path):
    """The last /proc/self/mountinfo entry whose mount point is `path`, as a dict with
    mountpoint, fstype, source, options (per-mount), super_options; or None.

    Reads only /proc, never the mount itself, so it cannot hang on a stuck daemon."""
    path = os.path.abspath(str(path))
    found = None
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            left, _, right = line.rstrip("\n").partition(" - ")
            fields = left.split(" ")
            rfields = right.split(" ")
            if len(fields) < 6 or len(rfields) < 3:
                continue
            if _unescape_mount_field(fields[4]) != path:
                continue
            found = {
                "mountpoint": path,
                "options": fields[5],
                "fstype": rfields[0],
                "source": _unescape_mount_field(rfields[1]),
                "super_options": rfields[2],
            }
    return found


def proc_mounts_entry(path):
    """The last /proc/mounts line for mount point `path` as (source, mountpoint, fstype,
    options), or None."""
    path = os.path.abspath(str(path))
    found = None
    with open("/proc/mounts", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 4 and _unescape_mount_field(parts[1]) == path:
                found = (_unescape_mount_field(parts[0]), path, parts[2], parts[3])
    return found


def is_mounted(path):
    """True when `path` is a graphsyncfs mount point (from /proc, without touching it)."""
    e = mount_entry(path)
    return e is not None and e["fstype"] == FSTYPE


def read_log(path, limit=20000):
    """The text of a log file (its last `limit` characters), "" when it does not exist."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return ""
    text = data.decode("utf-8", "replace")
    if len(text) > limit:
        text = "[... %d characters cut ...]\n" % (len(text) - limit) + text[-limit:]
    return text


def wait_for_mount(proc, path, timeout=60.0, log_path=None):
    """Waits until `path` is a graphsyncfs mount. Fails at once, with the daemon's output,
    if the daemon exits first; fails after `timeout` seconds otherwise (a hang guard)."""
    deadline = time.monotonic() + timeout
    while True:
        if is_mounted(path):
            return
        rc = proc.poll()
        if rc is not None:
            raise AssertionError(
                "graphsyncfs exited with status %s before mounting %s\n--- daemon output ---\n%s"
                % (rc, path, read_log(log_path) if log_path else "(not captured)"))
        if time.monotonic() > deadline:
            raise AssertionError(
                "mount of %s did not appear within %s s\n--- daemon output ---\n%s"
                % (path, timeout, read_log(log_path) if log_path else "(not captured)"))
        time.sleep(0.05)


def fusermount(path, lazy=False, timeout=30):
    """Runs fusermount3 -u [-z] PATH; returns (returncode, output)."""
    cmd = ["fusermount3", "-u"] + (["-z"] if lazy else []) + [str(path)]
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, text=True)
    except subprocess.TimeoutExpired:
        return -1, "fusermount3 did not finish within %s s" % timeout
    return r.returncode, r.stdout


def wait_exit(proc, timeout):
    """Waits for `proc`; returns its exit status or None if it is still running."""
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def stack_dump(pid, gdb_timeout=60):
    """Kernel stacks of every thread of `pid` and, when gdb is installed, a backtrace of
    every thread: what a hung daemon was doing (libfuse's runner does the same)."""
    out = []
    task_dir = Path("/proc/%d/task" % pid)
    try:
        tids = sorted(int(t) for t in os.listdir(task_dir))
    except OSError as e:
        return "no /proc/%d/task: %s" % (pid, e)
    for tid in tids:
        try:
            comm = (task_dir / str(tid) / "comm").read_text().strip()
            kstack = (task_dir / str(tid) / "stack").read_text()
        except OSError as e:
            comm, kstack = "?", "(unreadable: %s)\n" % e.strerror
        out.append("--- thread %d (%s) kernel stack ---\n%s" % (tid, comm, kstack))
    gdb = shutil.which("gdb")
    if gdb:
        try:
            r = subprocess.run([gdb, "-q", "-batch", "-nx", "-p", str(pid),
                                "-ex", "set pagination off", "-ex", "thread apply all bt"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=gdb_timeout, stdin=subprocess.DEVNULL)
            out.append("--- gdb: thread apply all bt ---\n" + r.stdout)
        except subprocess.TimeoutExpired:
            out.append("--- gdb did not finish within %s s ---" % gdb_timeout)
    return "\n".join(out)


def umount(proc, path, timeout=60.0):
    """Clean unmount (sshfs's util.umount): fusermount3 -u, then waits for the daemon to exit.
    Returns the daemon's exit status. Raises AssertionError if fusermount3 fails or the daemon
    does not exit in `timeout` seconds (a hang guard; cleanup() is the forceful path)."""
    if is_mounted(path):
        rc, out = fusermount(path)
        if rc != 0:
            raise AssertionError("fusermount3 -u %s failed (%s): %s" % (path, rc, out.strip()))
    status = wait_exit(proc, timeout)
    if status is None:
        raise AssertionError("graphsyncfs did not exit within %s s of fusermount3 -u %s"
                             % (timeout, path))
    if is_mounted(path):
        raise AssertionError("%s is still mounted after the daemon exited" % path)
    return status


def cleanup(proc, path):
    """Forceful teardown for when umount() failed or was not reached: lazy unmount, then
    SIGTERM, then SIGKILL. Never raises; returns a description of what it had to do."""
    steps = []
    try:
        if path is not None and mount_entry(path) is not None:
            rc, out = fusermount(path, timeout=10)
            if rc != 0:
                rc, out = fusermount(path, lazy=True, timeout=10)
                steps.append("fusermount3 -u -z: %s %s" % (rc, out.strip()))
            else:
                steps.append("fusermount3 -u")
        if proc is not None and proc.poll() is None:
            if wait_exit(proc, 10) is None:
                proc.send_signal(signal.SIGTERM)
                steps.append("SIGTERM")
                if wait_exit(proc, 10) is None:
                    proc.kill()
                    steps.append("SIGKILL")
                    proc.wait(timeout=10)
        if path is not None and mount_entry(path) is not None:
            rc, out = fusermount(path, lazy=True, timeout=10)
            steps.append("fusermount3 -u -z (after kill): %s %s" % (rc, out.strip()))
    except Exception as e:  # a cleanup path must not raise
        steps.append("cleanup error: %r" % (e,))
    return ", ".join(steps)


def scan_output(text, allow=()):
    """Lines of daemon output that should fail a test: every sanitizer/crash line, and every
    suspicious line (error, warning, fatal, ...) not matched by an `allow` regex (re.search).
    Returns the list of offending lines."""
    allow_re = [re.compile(a) for a in allow]
    bad = []
    for line in text.splitlines():
        if any(re.search(p, line) for p in SANITIZER_PATTERNS):
            bad.append(line)
            continue
        if any(a.search(line) for a in allow_re):
            continue
        if any(re.search(p, line) for p in SUSPICIOUS_PATTERNS):
            bad.append(line)
    return bad


# --- files on the mount -------------------------------------------------------------------

def read_file(path, mode="rb"):
    """open/read/close of a whole file, as `cat` does: bytes (or str with mode "r")."""
    with open(path, mode) as f:
        return f.read()


def read_file_chunks(path, chunk=4096):
    """Reads a whole file with read(2) calls of `chunk` bytes; returns the bytes."""
    fd = os.open(path, os.O_RDONLY)
    try:
        parts = []
        while True:
            b = os.read(fd, chunk)
            if not b:
                break
            parts.append(b)
        return b"".join(parts)
    finally:
        os.close(fd)


def write_file(path, data, mode="wb"):
    """open(O_WRONLY|O_TRUNC)/write/close, as shell `>` does. Errors (from write or from
    close, where a refused save is reported) are raised as OSError."""
    with open(path, mode) as f:
        f.write(data)


def os_error(func, *args, **kwargs):
    """Calls func and returns the errno of the OSError it raises; fails if it does not raise."""
    try:
        func(*args, **kwargs)
    except OSError as e:
        return e.errno
    raise AssertionError("%s%r did not fail" % (getattr(func, "__name__", func), args))


def errno_name(n):
    return errno.errorcode.get(n, str(n))


# --- the emulator's request log -----------------------------------------------------------

def _last_seq(emu):
    reqs = emu.requests()
    return max((r.get("seq", 0) for r in reqs), default=0)


class RequestLog:
    """The emulator's request log from a point on (created = marked now).

        log = RequestLog(emu)
        os.listdir(mnt.path / "servicePrincipals")
        assert log.count("GET", r"/v1\\.0/servicePrincipals") == 2
        log.mark()      # start a new window

    Paths are matched with re.fullmatch against the decoded path (no query). OAuth calls are
    left out; items of a $batch are included (they are requests to Graph too) unless
    batch_items=False."""

    def __init__(self, emu):
        self.emu = emu
        self.start = _last_seq(emu)

    def mark(self):
        self.start = _last_seq(self.emu)
        return self.start

    def entries(self, method=None, path=None, batch_items=True):
        out = []
        rx = re.compile(path) if path is not None else None
        for r in self.emu.requests(since=self.start):
            if r.get("seq", 0) <= self.start:
                continue
            if r.get("kind") == "oauth":
                continue
            if r.get("batch_item") and not batch_items:
                continue
            if method is not None and r.get("method", "").upper() != method.upper():
                continue
            if rx is not None and not rx.fullmatch(r.get("path", "")):
                continue
            out.append(r)
        return sorted(out, key=lambda r: r.get("seq", 0))

    def count(self, method=None, path=None, batch_items=True):
        return len(self.entries(method, path, batch_items))

    def gets(self, path=None, batch_items=True):
        return self.entries("GET", path, batch_items)

    def describe(self):
        """The window as text, for assertion messages."""
        return "\n".join("%s %s %s%s -> %s" % (r.get("seq"), r.get("method"), r.get("path"),
                                                ("?" + r["query"]) if r.get("query") else "",
                                                r.get("status"))
                         for r in self.entries())


def query_params(query):
    """A raw query string as a sorted list of decoded (key, value) pairs."""
    return sorted(urllib.parse.parse_qsl(query or "", keep_blank_values=True))


def quiesce(m, quiet=1.0, limit=30.0):
    """Waits until the mount's background work (read-ahead) has stopped sending requests:
    no new request in the emulator's log for `quiet` seconds (at most `limit` seconds)."""
    deadline = time.monotonic() + limit
    last = RequestLog(m.emu).start
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = RequestLog(m.emu).start
        if now == last:
            return
        last = now


def sp_with_jobs(m, n=0):
    """The summary (m.tenant()) of the n-th service principal of the mount's tenant with jobs."""
    sps = [sp for sp in m.tenant()["servicePrincipals"] if sp["jobs"]]
    if len(sps) <= n:
        raise AssertionError("the tenant has %d service principals with jobs, not %d" % (len(sps), n + 1))
    return sps[n]


def first_job(m):
    """(spId, jobId, job directory) of the first job of the mount's tenant."""
    sp = sp_with_jobs(m)
    return sp["id"], sp["jobs"][0], m / "servicePrincipals" / sp["id"] / "jobs" / sp["jobs"][0]


def timed(func, *args):
    """Runs func; returns (value or None, errno or 0, seconds)."""
    t0 = time.monotonic()
    try:
        value, err = func(*args), 0
    except OSError as e:
        value, err = None, e.errno
    return value, err, time.monotonic() - t0


def run_threads(threads, timeout, what="a thread is still blocked on the mount"):
    """Starts the threads, joins each for at most `timeout` seconds, fails if one still runs."""
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout)
    assert not any(th.is_alive() for th in threads), what


def strip_odata(obj):
    """obj without its @odata annotations (the mount does not show them)."""
    if isinstance(obj, dict):
        return {k: strip_odata(v) for k, v in obj.items() if "@odata." not in k}
    if isinstance(obj, list):
        return [strip_odata(v) for v in obj]
    return obj


def rendered(obj):
    """How the mount must show a Graph object: 2-space pretty JSON, Graph's key order,
    no @odata annotations, a final newline."""
    return (json.dumps(strip_odata(obj), indent=2, ensure_ascii=False) + "\n").encode()


def backup_files(d):
    """The backups in job directory d's backups/ (without its index.tsv)."""
    return sorted(n for n in os.listdir(d / "backups") if n.endswith(".json"))

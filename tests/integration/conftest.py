"""Real-mount test harness for graphsyncfs (fuse-anchors.md 9.9; after sshfs's and libfuse's).

Run: sudo scripts/test.sh (everything), or after scripts/build.sh build -Db_sanitize=address,undefined:
    GS_BUILD_DIR=build /usr/bin/python3 -m pytest tests/integration [-k NAME] [-x]

Each test gets its own Graph emulator (tests/emulator, on a free loopback port) and its own
mount point under tmp_path, where the daemon under test runs in the foreground:

    $GS_BUILD_DIR/fs/graphsyncfs -f -o graph_url=http://127.0.0.1:PORT,auth=none[,opts] MNT

($GS_BUILD_DIR defaults to <repo>/build; scripts/test.sh builds it with ASan + UBSan.)
The daemon's stdout and stderr go to tmp_path/graphsyncfsN.log.

Fixtures
--------
mnt               a mounted demo tenant, as a Mount (below). Configure it with a marker:
                      @pytest.mark.mount(options=["dir_timeout=0", "ro"], tenant="large:1200:10",
                                         time_scale=0.1, latency_ms=20)
                  `options` are -o words (a list of "k=v"/"flag", or a dict); every other
                  keyword goes to the Emulator (tenant, latency_ms, time_scale, seed, ...).
emulator          the Emulator that `mnt` uses (started with the marker's emulator keywords),
                  or a bare one for tests that need no mount.
emulator_factory  emulator_factory(tenant="demo", **kw) -> a started Emulator, stopped at the
                  end of the test.
mount_factory     mount_factory(emu=None, options=(), *, tenant="demo", wait=True, env=None,
                  **emulator_kw) -> Mount. Without `emu` it starts its own emulator.
                  Call it several times for several mounts; all are torn down in reverse order.

Mount
-----
m.path (Path; `m / "README"` works too), m.emu, m.url, m.proc, m.log_path, m.cmdline,
m.output() (daemon stdout+stderr so far), m.request_log() (a RequestLog marked now),
m.tenant() (GET /_emulator/tenant), m.sp_ids(), m.unmount() (fusermount3 -u, waits, returns
the exit status; the test may assert on it), m.allow(regex...) (allow daemon log lines),
m.expected_status (exit status teardown asserts, default 0; None = do not check).

Teardown (also after a failure or a pytest-timeout timeout)
-----------------------------------------------------------
- On a timeout the kernel stacks and a gdb backtrace of every daemon thread are printed.
- fusermount3 -u and wait for the daemon; if that fails: fusermount3 -u -z, SIGTERM, SIGKILL.
- The daemon must have exited with m.expected_status (0), and its output must hold no
  suspicious line: sanitizer/crash reports always fail (AddressSanitizer, LeakSanitizer,
  UndefinedBehaviorSanitizer, "runtime error:", "==PID==ERROR", "SUMMARY:", ...); lines with
  error/warning/fatal/traceback/crash/abort fail unless allowed by
      @pytest.mark.allow_stderr(r"regex", ...)     (re.search per line), or m.allow(...).
- The emulator is stopped. The daemon's output is printed when the test failed.
The daemon runs with ASAN_OPTIONS/UBSAN_OPTIONS that make sanitizer reports fatal and printed
(halt_on_error=1, print_stacktrace=1, detect_leaks=1); $GS_TEST_WRAPPER (e.g. "valgrind -q
--error-exitcode=99") is put in front of the daemon when set.
$GS_EMULATOR_TRANSPORT="chunked,gzip" makes every emulator answer chunked and gzip-encoded
(tests/emulator/transport.py), as real Graph often does: the whole suite passes that way too.

Each test here has a per-test timeout (pytest-timeout, signal method, so teardown still runs):
$GS_TEST_TIMEOUT seconds (default 180), or its own @pytest.mark.timeout(N).

Helpers (tests/integration/mount_util.py): read_file, read_file_chunks, write_file, os_error,
mount_entry, proc_mounts_entry, is_mounted, daemon_cmdline, daemon_env, RequestLog (the
emulator's request log from a mark: .count("GET", r"/v1\\.0/servicePrincipals"), .gets(),
.entries(), .mark(), .describe()), query_params.
"""

import os
import subprocess
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration import mount_util as mu

DEFAULT_TIMEOUT = int(os.environ.get("GS_TEST_TIMEOUT", "180"))
MOUNT_TIMEOUT = float(os.environ.get("GS_MOUNT_TIMEOUT", "60"))
UMOUNT_TIMEOUT = float(os.environ.get("GS_UMOUNT_TIMEOUT", "60"))
# Seconds after the test's timeout at which the watchdog kills daemons whose test is still
# running: pytest-timeout's SIGALRM cannot interrupt a syscall blocked on a hung FUSE request.
WATCHDOG_GRACE = 3.0

HERE = Path(__file__).resolve().parent

# Every daemon started by this harness that is not torn down yet: the session-end backstop.
_LIVE = []


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_stderr(*regexes): daemon output lines matching one of these regexes "
        "(re.search) do not fail the test (sanitizer reports always do)")
    config.addinivalue_line(
        "markers", "mount(options=(), **emulator_kwargs): how the mnt and emulator fixtures "
        "start the emulator and the daemon")
    if not config.pluginmanager.hasplugin("timeout"):
        raise pytest.UsageError(
            "pytest-timeout is not installed; run scripts/deps.sh (Debian python3-pytest-timeout)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE not in Path(str(item.fspath)).resolve().parents:
            continue
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT, method="signal"))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    watchdog = getattr(item, "_gs_watchdog", None)
    if rep.when == "call" and watchdog and not rep.failed:
        # pytest-timeout's alarm is delivered at the next bytecode, wherever that is, once
        # the blocked syscall returns: make sure the test is reported as failed.
        rep.outcome = "failed"
        rep.longrepr = watchdog
    setattr(item, "rep_" + rep.when, rep)


def pytest_sessionfinish(session, exitstatus):
    while _LIVE:
        m = _LIVE.pop()
        mu.cleanup(m.proc, m.path)


def _test_failed(request):
    return any(getattr(request.node, "rep_" + w, None) is not None
               and getattr(request.node, "rep_" + w).failed for w in ("setup", "call"))


def _test_timed_out(request):
    for w in ("setup", "call"):
        rep = getattr(request.node, "rep_" + w, None)
        if rep is not None and rep.failed and "Timeout" in str(rep.longrepr):
            return True
    return False


def _test_timeout(request):
    marker = request.node.get_closest_marker("timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
        if value:
            return float(value)
    return float(DEFAULT_TIMEOUT)


def _mount_marker(request):
    marker = request.node.get_closest_marker("mount")
    if marker is None:
        return (), {}
    kw = dict(marker.kwargs)
    options = kw.pop("options", ())
    return options, kw


class Mount:
    """A running graphsyncfs mount (see the module docstring)."""

    def __init__(self, path, emu, proc, log_path, cmdline, options):
        self.path = Path(path)
        self.emu = emu
        self.proc = proc
        self.log_path = Path(log_path)
        self.cmdline = cmdline
        self.options = options
        self.allowed = []
        self.expected_status = 0
        self.exit_status = None
        self.finished = False
        self.watchdog_report = None

    def __truediv__(self, other):
        return self.path / other

    def __fspath__(self):
        return str(self.path)

    @property
    def url(self):
        return self.emu.url

    def output(self):
        return mu.read_log(self.log_path, limit=10 ** 7)

    def allow(self, *regexes):
        self.allowed.extend(regexes)

    def request_log(self):
        return mu.RequestLog(self.emu)

    def tenant(self):
        return self.emu.tenant()

    def sp_ids(self):
        return sorted(sp["id"] for sp in self.emu.tenant()["servicePrincipals"])

    def is_mounted(self):
        return mu.is_mounted(self.path)

    def unmount(self, timeout=UMOUNT_TIMEOUT):
        """fusermount3 -u, then waits for the daemon; returns its exit status."""
        self.exit_status = mu.umount(self.proc, self.path, timeout=timeout)
        return self.exit_status


def _finish(m, request, marker_allow):
    """Tears one mount down; returns a list of problems (empty when all is well)."""
    problems = []
    if m.finished:
        return problems
    m.finished = True
    if m.watchdog_report:
        problems.append("the test was still blocked %s s after its timeout: the watchdog "
                        "killed graphsyncfs (pid %d) to unblock it" % (WATCHDOG_GRACE, m.proc.pid))
        print("--- graphsyncfs (pid %d) stacks when the watchdog fired ---\n%s"
              % (m.proc.pid, m.watchdog_report))
        m.expected_status = None
    try:
        if _test_timed_out(request) and m.proc.poll() is None:
            print("--- graphsyncfs (pid %d) stacks at the timeout ---\n%s"
                  % (m.proc.pid, mu.stack_dump(m.proc.pid)))
        if m.proc.poll() is None or mu.mount_entry(m.path) is not None:
            try:
                m.exit_status = mu.umount(m.proc, m.path, timeout=UMOUNT_TIMEOUT)
            except AssertionError as e:
                problems.append(str(e))
                if m.proc.poll() is None:
                    print("--- graphsyncfs (pid %d) stacks when unmount failed ---\n%s"
                          % (m.proc.pid, mu.stack_dump(m.proc.pid)))
                problems.append("forced cleanup: " + mu.cleanup(m.proc, m.path))
                m.exit_status = m.proc.returncode
        else:
            m.exit_status = m.proc.returncode
    finally:
        if mu.mount_entry(m.path) is not None or m.proc.poll() is None:
            problems.append("forced cleanup: " + mu.cleanup(m.proc, m.path))
        if m in _LIVE:
            _LIVE.remove(m)
    if m.expected_status is not None and m.exit_status != m.expected_status:
        problems.append("graphsyncfs exited with status %s, expected %s"
                        % (m.exit_status, m.expected_status))
    bad = mu.scan_output(m.output(), allow=list(marker_allow) + m.allowed)
    if bad:
        problems.append("suspicious daemon output (allow expected lines with "
                        "@pytest.mark.allow_stderr):\n  " + "\n  ".join(bad[:50]))
    return problems


@pytest.fixture
def emulator_factory(request):
    """emulator_factory(tenant="demo", **kw) -> a started Emulator, stopped after the test."""
    from tests.emulator.control import Emulator

    started = []
    with ExitStack() as stack:
        def start(tenant="demo", **kwargs):
            emu = Emulator(tenant=tenant, **kwargs)
            entered = stack.enter_context(emu)
            emu = entered if entered is not None else emu
            started.append(emu)
            return emu

        yield start
        if _test_failed(request):
            for emu in started:
                err = emu.stderr() if hasattr(emu, "stderr") else ""
                if err.strip():
                    print("--- emulator stderr (%s) ---\n%s" % (emu.url, err))


@pytest.fixture
def emulator(request, emulator_factory):
    """The emulator of this test (the mount marker's emulator keywords; demo tenant)."""
    _, kw = _mount_marker(request)
    return emulator_factory(**kw)


@pytest.fixture
def mount_factory(request, tmp_path, emulator_factory):
    """mount_factory(emu=None, options=(), *, tenant="demo", wait=True, env=None, **emu_kw)."""
    reason = mu.fuse_skip_reason()
    if reason:
        pytest.skip(reason)
    binary = mu.graphsyncfs_binary()
    if not os.access(binary, os.X_OK):
        pytest.fail("graphsyncfs is not built at %s: run scripts/build.sh build (or set "
                    "GS_BUILD_DIR)" % binary, pytrace=False)

    mounts = []
    marker_allow = [a for mk in request.node.iter_markers("allow_stderr") for a in mk.args]
    tearing_down = threading.Event()

    def watchdog():
        # The test outlived its timeout and teardown has not begun: it is blocked, most
        # likely in a syscall on the mount. Record the daemons' stacks, then SIGKILL them:
        # the kernel aborts their connections, the blocked syscall fails with ENOTCONN and
        # pytest-timeout's pending alarm fails the test; teardown then cleans up.
        request.node._gs_watchdog = (
            "Timeout: the test was still running %s s after its timeout of %s s (blocked on "
            "the mount?); the watchdog killed graphsyncfs to unblock it (stacks are in the "
            "teardown output)" % (WATCHDOG_GRACE, _test_timeout(request)))
        for m in list(mounts):
            if tearing_down.is_set():
                return
            if m.proc.poll() is None:
                m.watchdog_report = mu.stack_dump(m.proc.pid)
                if not tearing_down.is_set():
                    m.proc.kill()

    timer = threading.Timer(_test_timeout(request) + WATCHDOG_GRACE, watchdog)
    timer.daemon = True
    timer.start()

    def mount(emu=None, options=(), *, tenant="demo", wait=True, env=None, **emu_kwargs):
        if emu is None:
            emu = emulator_factory(tenant=tenant, **emu_kwargs)
        n = len(mounts)
        mp = tmp_path / ("mnt%d" % n if n else "mnt")
        mp.mkdir()
        log_path = tmp_path / ("graphsyncfs%d.log" % n)
        cmd = mu.daemon_cmdline(emu.url, mp, options)
        with open(log_path, "wb") as logf:
            logf.write(("$ %s\n" % " ".join(cmd)).encode())
            logf.flush()
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=logf,
                                    stderr=subprocess.STDOUT, env=mu.daemon_env(env),
                                    start_new_session=True)
        m = Mount(mp, emu, proc, log_path, cmd, options)
        mounts.append(m)
        _LIVE.append(m)
        if wait:
            mu.wait_for_mount(proc, mp, timeout=MOUNT_TIMEOUT, log_path=log_path)
        return m

    problems = []
    try:
        yield mount
    finally:
        tearing_down.set()
        timer.cancel()
        timer.join()
        for m in reversed(mounts):
            try:
                problems += _finish(m, request, marker_allow)
            finally:
                mu.cleanup(m.proc, m.path)
    if _test_failed(request) or problems:
        for m in mounts:
            print("--- graphsyncfs output (%s) ---\n%s" % (m.log_path, m.output()))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def mnt(request, emulator, mount_factory):
    """A graphsyncfs mount of this test's emulator (options from the mount marker)."""
    options, _ = _mount_marker(request)
    return mount_factory(emu=emulator, options=options)

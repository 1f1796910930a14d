"""The start of a mount as a boot (_netdev) sees it: a Graph that accepts connections but never
answers fails the mount within connect_timeout + timeout with one line in plain words, as does
a refused connection; and the mount's source (findmnt, df) names the tenant."""

import os
import socket
import subprocess
import threading
import time

import pytest

from tests.integration import mount_util as mu


@pytest.fixture
def silent_graph():
    """A listening socket that accepts every connection and never answers: its URL."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield "http://127.0.0.1:%d" % srv.getsockname()[1]
    stop.set()
    t.join(5)
    for c in held:
        c.close()
    srv.close()


def _failed_start(url, mp, options):
    reason = mu.fuse_skip_reason()
    if reason:
        pytest.skip(reason)
    cmd = mu.daemon_cmdline(url, mp, options)
    start = time.monotonic()
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=mu.daemon_env(), timeout=120)
    finally:
        if mu.mount_entry(mp) is not None:
            mu.fusermount(mp, lazy=True)
    elapsed = time.monotonic() - start
    assert r.returncode != 0
    assert mu.mount_entry(mp) is None, "a failed start left a mount"
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, "expected one line on stderr, got:\n" + r.stderr
    return lines[0], elapsed


def test_a_graph_that_never_answers_fails_the_mount_after_one_request_timeout(silent_graph, tmp_path):
    mp = tmp_path / "mnt"
    mp.mkdir()
    # before: every retry waited its own timeout, 4 x 3 s plus backoff; now the probe's
    # deadline is connect_timeout + timeout = 4 s (the margin is for a loaded machine)
    line, elapsed = _failed_start(silent_graph, mp, ["connect_timeout=1", "timeout=3", "retries=3"])
    assert elapsed < 8, "the mount failed only after %.1f s: %s" % (elapsed, line)
    assert line == ("graphsyncfs: Graph at %s did not answer within 4 seconds "
                    "(connect_timeout=1 plus timeout=3)" % silent_graph)


def test_a_refused_connection_says_so_in_plain_words(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there
    mp = tmp_path / "mnt"
    mp.mkdir()
    url = "http://127.0.0.1:%d" % port
    line, _ = _failed_start(url, mp, ["retries=0"])
    assert line == "graphsyncfs: Graph at %s refused the connection (nothing listens there)" % url


def test_the_source_is_the_tenant_option(mount_factory):
    m = mount_factory(options=["tenant=contoso.onmicrosoft.com"])
    assert mu.mount_entry(m.path)["source"] == "contoso.onmicrosoft.com"


def test_without_a_tenant_the_source_is_the_graph_host(mount_factory):
    m = mount_factory()
    host = m.url.split("://", 1)[1].rstrip("/")
    assert mu.mount_entry(m.path)["source"] == "graphsyncfs:" + host


def test_the_source_argument_names_the_mount_as_fstab_gives_it(emulator, tmp_path):
    """graphsyncfs SOURCE MOUNTPOINT, as mount.fuse3 runs it for an fstab line: SOURCE wins
    over tenant=, and findmnt and df show it."""
    reason = mu.fuse_skip_reason()
    if reason:
        pytest.skip(reason)
    mp = tmp_path / "mnt"
    mp.mkdir()
    cmd = mu.daemon_cmdline(emulator.url, mp, ["tenant=contoso.onmicrosoft.com"])
    cmd.insert(len(cmd) - 1, "contoso-prod")
    log = tmp_path / "daemon.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=mu.daemon_env())
    try:
        mu.wait_for_mount(proc, mp, log_path=log)
        assert mu.mount_entry(mp)["source"] == "contoso-prod"
        df = subprocess.run(["df", "--output=source", str(mp)], capture_output=True, text=True,
                            timeout=30)
        assert df.stdout.split() == ["Filesystem", "contoso-prod"], df.stdout
        assert mu.umount(proc, mp) == 0
    finally:
        mu.cleanup(proc, mp)
    assert not mu.scan_output(mu.read_log(log)), mu.read_log(log)
    assert os.listdir(mp) == []

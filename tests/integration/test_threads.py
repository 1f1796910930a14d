"""The daemon's processes and threads as admins see them (ps, pgrep, top -H): it is named
graphsyncfs, and its background threads are named and run below the priority of the threads
that answer the kernel. A walk (find, du) waits for one reply at a time; on a machine with two
CPUs a background thread woken beside it (read-ahead parsing a batch, the trimmer, kernel
invalidations) took the CPU first and the reply waited for a scheduler slice (issue 14: du at
N=10,000 went from ~62 s to ~59 s with this and the batched invalidations).

On a sanitizer build too: names and priorities do not depend on the allocator."""

import os
from pathlib import Path

from tests.integration import mount_util as mu

BACKGROUND = {"gs-readahead", "gs-trim", "gs-inval"}
BACKGROUND_NICE = 5  # common/thread.h GS_BACKGROUND_NICE


def threads(pid):
    """(comm, nice) of every thread of pid."""
    out = []
    for task in Path("/proc/%d/task" % pid).iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended meanwhile
        fields = stat[stat.rindex(")") + 2:].split()
        out.append((comm, int(fields[16])))  # field 19 of stat(5): nice
    return out


def test_the_daemon_is_named_graphsyncfs(mnt):
    # it runs itself again once at start (malloc's settings): by its own path, so that
    # pgrep graphsyncfs finds it (before: /proc/self/exe, and the process was named "exe")
    comm = Path("/proc/%d/comm" % mnt.proc.pid).read_text().strip()
    assert comm == "graphsyncfs"


def check_threads(m, base):
    sps = os.listdir(m / "servicePrincipals")
    os.listdir(m / "servicePrincipals" / sps[0])  # a walk's visit: the read-ahead works
    mu.quiesce(m)
    seen = threads(m.proc.pid)
    names = {c for c, _ in seen}
    assert BACKGROUND <= names, "background threads: %s" % sorted(names)
    for comm, nice in seen:
        if comm in BACKGROUND:
            assert nice == min(base + BACKGROUND_NICE, 19), (comm, nice)
        elif comm == "graphsyncfs":
            assert nice == base, (comm, nice)  # libfuse's threads and the request pool's
    assert any(c == "graphsyncfs" for c, _ in seen)


def test_background_threads_are_named_and_yield_to_the_kernel_threads(mnt):
    check_threads(mnt, os.getpriority(os.PRIO_PROCESS, 0))


def test_background_threads_stay_below_a_daemon_started_with_nice(mount_factory, monkeypatch):
    # relative to the daemon's own priority: started with nice 10, its background threads
    # run at 15 (before, at 5 for root: above the rest of the daemon)
    base = min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
    monkeypatch.setenv("GS_TEST_WRAPPER", ("nice -n 10 " + os.environ.get("GS_TEST_WRAPPER", "")).strip())
    check_threads(mount_factory(), base)

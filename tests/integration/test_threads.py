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


def test_background_threads_are_named_and_yield_to_the_kernel_threads(mnt):
    sps = os.listdir(mnt / "servicePrincipals")
    os.listdir(mnt / "servicePrincipals" / sps[0])  # a walk's visit: the read-ahead works
    mu.quiesce(mnt)
    seen = threads(mnt.proc.pid)
    names = {c for c, _ in seen}
    assert BACKGROUND <= names, "background threads: %s" % sorted(names)
    for comm, nice in seen:
        if comm in BACKGROUND:
            assert nice == BACKGROUND_NICE, (comm, nice)
        elif comm == "graphsyncfs":
            assert nice == 0, (comm, nice)  # libfuse's threads and the request pool's
    assert any(c == "graphsyncfs" for c, _ in seen)

"""The page cache: a read-only document read again unchanged is served from the kernel's page
cache (its warm open-read-close reaches the daemon only for OPEN and RELEASE); a change, even
one that keeps the length, is read at the next open; a reader that holds the file open keeps
its bytes and their size while the file changes under it, and readers opened meanwhile read
the new bytes whole."""

import collections
import ctypes
import ctypes.util
import json
import mmap
import os
import re
import threading
import time

import pytest

from tests.integration import mount_util as mu

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
_libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]


def resident_pages(path):
    """Pages of the file the kernel holds in its page cache, as mincore(2) sees them through a
    private mapping that touches none of them."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        assert size > 0
        m = mmap.mmap(fd, size, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_WRITE)
        try:
            pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
            vec = (ctypes.c_ubyte * pages)()
            addr = ctypes.addressof(ctypes.c_char.from_buffer(m))
            if _libc.mincore(ctypes.c_void_p(addr), size, vec) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
            return sum(v & 1 for v in vec)
        finally:
            del addr  # the exported buffer must go before the mapping closes
            m.close()
    finally:
        os.close(fd)


def set_url(m, sid, jid, url):
    m.emu.patch_job(sid, jid, {"status": {"troubleshootingUrl": url}})


@pytest.mark.mount(options=["status_timeout=600"])
def test_a_file_read_again_unchanged_is_served_from_the_page_cache(mnt):
    _, _, job = mu.first_job(mnt)
    path = job / "status.json"
    first = mu.read_file(path)
    assert mu.read_file(path) == first
    assert resident_pages(path) > 0, "the second open dropped the pages the first read filled"
    # and what the page cache serves is the document, whole
    assert json.loads(mu.read_file(path)) == json.loads(first)


@pytest.mark.mount(options=["status_timeout=0"])
def test_a_change_that_keeps_the_length_is_read_at_the_next_open(mnt):
    sid, jid, job = mu.first_job(mnt)
    path = job / "status.json"
    set_url(mnt, sid, jid, "https://a.example/" + "a" * 40)
    before = mu.read_file(path)
    assert b"a" * 40 in before
    assert mu.read_file(path) == before
    set_url(mnt, sid, jid, "https://a.example/" + "b" * 40)
    after = mu.read_file(path)
    assert len(after) == len(before)
    assert b"b" * 40 in after and b"a" * 40 not in after


@pytest.mark.mount(options=["status_timeout=0"])
def test_a_reader_keeps_its_bytes_and_size_while_the_file_changes(mnt):
    sid, jid, job = mu.first_job(mnt)
    path = job / "status.json"
    set_url(mnt, sid, jid, "https://old.example/")
    fd = os.open(path, os.O_RDONLY)
    try:
        old = os.pread(fd, 1 << 20, 0)
        assert b"old.example" in old
        set_url(mnt, sid, jid, "https://new.example/" + "n" * 300)  # longer: a new size

        # a reader opened now reads the new document whole
        new = mu.read_file(path)
        assert b"new.example" in new and json.loads(new)
        assert len(new) > len(old)

        # the first reader still reads its own bytes, and is told their size
        assert os.fstat(fd).st_size == len(old)
        assert os.pread(fd, 1 << 20, 0) == old
        assert os.pread(fd, 100, 10) == old[10:110]
        m = mmap.mmap(fd, len(old), mmap.MAP_PRIVATE, mmap.PROT_READ)
        try:
            assert m[:] == old
        finally:
            m.close()
    finally:
        os.close(fd)

    # once it closed, stat(2) and every new reader see the new document
    deadline = time.monotonic() + 10
    while os.stat(path).st_size != len(new) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.stat(path).st_size == len(new)
    assert mu.read_file(path) == new
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.fstat(fd).st_size == len(new)
        assert os.read(fd, 1 << 20) == new
    finally:
        os.close(fd)


def read_until(path, marker, seconds=15):
    """Reads path until its bytes have marker (or seconds passed); returns the last read."""
    deadline = time.monotonic() + seconds
    data = mu.read_file(path)
    while marker not in data and time.monotonic() < deadline:
        time.sleep(0.1)
        data = mu.read_file(path)
    return data


@pytest.mark.mount(options=["status_timeout=2"])
def test_a_file_opened_again_and_again_shows_a_change_once_its_time_to_live_ended(mnt):
    """An open of a file whose document the cache keeps fresh takes the rendering its node
    keeps, without asking the cache (views/content.c kept_fresh); that lasts only while the
    document's time-to-live does: then an open fetches it again and shows the change."""
    sid, jid, job = mu.first_job(mnt)
    path = job / "status.json"
    set_url(mnt, sid, jid, "https://before.example/")
    before = read_until(path, b"before.example")
    assert b"before.example" in before
    for _ in range(50):
        assert mu.read_file(path) == before
    set_url(mnt, sid, jid, "https://after.example/")
    after = read_until(path, b"after.example")
    assert b"after.example" in after and json.loads(after)


@pytest.mark.mount(options=["status_timeout=600"])
def test_documents_that_are_written_never_use_the_page_cache(mnt):
    _, _, job = mu.first_job(mnt)
    path = job / "schema.json"
    mu.read_file(path)
    mu.read_file(path)
    assert resident_pages(path) == 0


@pytest.mark.timeout(120)
@pytest.mark.mount(options=["status_timeout=0"])
def test_concurrent_reads_of_a_changing_file_are_whole_and_end_at_the_last_version(mnt):
    """Versions of one length, read by eight threads while they change: every read is one
    whole version, and once the changes stop every read is the last one. Pages of an older
    version kept by an open that raced the change would be served again and again; and a read
    that joined a fetch answered just before it began was taken for a stale copy served while
    Graph was down, so reads stopped refreshing for five seconds (fixed with this test)."""
    sid, jid, job = mu.first_job(mnt)
    path = job / "status.json"
    version = re.compile(rb"https://v\.example/(\d{8})")
    set_url(mnt, sid, jid, "https://v.example/%08d" % 0)
    mu.read_file(path)
    stop = threading.Event()
    deadline = time.monotonic() + 8
    bad, reads, last = [], collections.Counter(), [0]

    def patcher():
        n = 0
        while not stop.is_set() and time.monotonic() < deadline:
            n += 1
            set_url(mnt, sid, jid, "https://v.example/%08d" % n)
            last[0] = n
            time.sleep(0.01)

    def reader():
        while not stop.is_set() and time.monotonic() < deadline:
            data = mu.read_file(path)
            try:
                json.loads(data)
                assert version.search(data)
                reads["whole"] += 1
            except (ValueError, AssertionError):
                bad.append(data[-80:])
                stop.set()

    threads = [threading.Thread(target=reader, daemon=True) for _ in range(8)]
    threads.append(threading.Thread(target=patcher, daemon=True))
    mu.run_threads(threads, 60)
    assert not bad, "%d whole reads, then: %r" % (reads["whole"], bad[0])
    assert reads["whole"] > 0 and last[0] > 10
    want = b"https://v.example/%08d" % last[0]
    for _ in range(50):
        data = mu.read_file(path)
        assert want in data, "read %r after the last change" % version.search(data).group(0)

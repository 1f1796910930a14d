"""The mount itself: it comes up, shows the root and the service principals (one page and
several pages of Graph's listing), refuses to start without Graph, and unmounts cleanly."""

import json
import os
import socket
import stat
import subprocess
import urllib.parse
import urllib.request

import pytest

from tests.integration import mount_util as mu


def test_mount_is_listed_as_fuse_graphsyncfs(mnt):
    entry = mu.proc_mounts_entry(mnt.path)
    assert entry is not None, "%s is not in /proc/mounts" % mnt.path
    assert entry[2] == "fuse.graphsyncfs"
    info = mu.mount_entry(mnt.path)
    assert info["fstype"] == "fuse.graphsyncfs"


def test_root_holds_readme_and_service_principals(mnt):
    names = os.listdir(mnt.path)
    assert "README" in names
    assert "servicePrincipals" in names
    st = os.stat(mnt / "README")
    assert stat.S_ISREG(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o444
    assert stat.S_ISDIR(os.stat(mnt / "servicePrincipals").st_mode)


def test_readme_is_readable_and_st_size_is_exact(mnt):
    path = mnt / "README"
    data = mu.read_file(path)
    assert len(data) > 0
    assert os.stat(path).st_size == len(data)
    # the same bytes through small read(2) calls, and fstat on the open file agrees
    assert mu.read_file_chunks(path, chunk=7) == data
    fd = os.open(path, os.O_RDONLY)
    try:
        assert os.fstat(fd).st_size == len(data)
    finally:
        os.close(fd)
    data.decode("utf-8")  # text


def test_ls_service_principals_is_the_tenant(mnt):
    expected = mnt.sp_ids()
    assert len(expected) > 0
    assert sorted(os.listdir(mnt / "servicePrincipals")) == expected
    out = subprocess.run(["ls", "-1", "--quoting-style=literal", str(mnt / "servicePrincipals")],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    assert sorted(out.splitlines()) == expected


def _fetch_page(emu, path, query):
    url = emu.url + urllib.parse.quote(path) + ("?" + query if query else "")
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.load(r)


@pytest.mark.mount(tenant="large:1200:10")
def test_ls_service_principals_follows_next_link(mnt):
    expected = mnt.sp_ids()
    assert len(expected) == 1200
    log = mnt.request_log()
    listing = sorted(os.listdir(mnt / "servicePrincipals"))
    pages = log.gets(r"/v1\.0/servicePrincipals", batch_items=False)
    assert listing == expected, "ls shows %d names, the tenant has %d; requests:\n%s" % (
        len(listing), len(expected), log.describe())
    assert len(pages) >= 2, "one GET cannot list 1200 service principals:\n" + log.describe()
    for r in pages:
        assert r["status"] == 200, log.describe()
    # each request after the first is exactly the @odata.nextLink of the page before it,
    # and the last page has none
    for prev, nxt in zip(pages, pages[1:] + [None]):
        body = _fetch_page(mnt.emu, prev["path"], prev["query"])
        link = body.get("@odata.nextLink")
        if nxt is None:
            assert link is None, "the listing stopped before the last page:\n" + log.describe()
            break
        assert link is not None, "a GET after the last page:\n" + log.describe()
        u = urllib.parse.urlsplit(link)
        assert urllib.parse.unquote(u.path) == nxt["path"]
        assert mu.query_params(u.query) == mu.query_params(nxt["query"])


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_graph_fails_the_mount(tmp_path):
    reason = mu.fuse_skip_reason()
    if reason:
        pytest.skip(reason)
    port = _free_port()  # nothing listens there
    mp = tmp_path / "mnt"
    mp.mkdir()
    cmd = mu.daemon_cmdline("http://127.0.0.1:%d" % port, mp)
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=mu.daemon_env(), timeout=120)
    finally:
        if mu.mount_entry(mp) is not None:
            mu.fusermount(mp, lazy=True)
    assert r.returncode != 0
    assert mu.mount_entry(mp) is None, "a failed start left a mount"
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, "expected one line on stderr, got:\n" + r.stderr
    assert lines[0].startswith("graphsyncfs: ")
    assert "127.0.0.1:%d" % port in lines[0]
    assert r.stdout == ""
    assert os.listdir(mp) == []


def test_clean_unmount_exits_zero(mount_factory):
    m = mount_factory()
    assert "servicePrincipals" in os.listdir(m.path)
    assert m.unmount() == 0
    assert m.proc.returncode == 0
    assert not m.is_mounted()
    assert mu.proc_mounts_entry(m.path) is None
    assert os.listdir(m.path) == []


def test_fstab_line_mounts_through_mount_fuse3(emulator, tmp_path):
    """An fstab line (fstab-only words such as _netdev and noauto included) mounts with
    mount(8) through mount.fuse3, and umount unmounts cleanly."""
    mnt = tmp_path / "fstab-mnt"
    mnt.mkdir()
    fstab = tmp_path / "fstab"
    fstab.write_text("%s#contoso %s fuse graph_url=%s,auth=none,_netdev,noauto,nofail 0 0\n"
                     % (mu.graphsyncfs_binary(), mnt, emulator.url))
    env = dict(os.environ, **mu.daemon_env())
    try:
        r = subprocess.run(["mount", "-T", str(fstab), str(mnt)], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        assert r.returncode == 0, r.stdout
        entry = mu.proc_mounts_entry(mnt)
        assert entry is not None and entry[2] == "fuse.graphsyncfs"
        assert "servicePrincipals" in os.listdir(mnt)
        r = subprocess.run(["umount", str(mnt)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        assert r.returncode == 0, r.stdout
        assert not mu.is_mounted(mnt)
    finally:
        if mu.is_mounted(mnt):
            subprocess.run(["fusermount3", "-u", "-z", str(mnt)])

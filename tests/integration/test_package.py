"""The Debian package (debian/, scripts/package.sh) as an administrator uses it.

The .deb is built once per session from a copy of the tree (DEB_BUILD_OPTIONS=nocheck: only
the installed targets are compiled), checked by lintian (an error fails), installed for real
with apt-get (tests run as root), mounted through `mount -t fuse.graphsyncfs` and through the
graphsyncfs@.service unit, and purged at the end. Where a graphsyncfs package is already
installed on the machine it is left alone: the package is unpacked into a scratch root instead
and put first on PATH (GS_PACKAGE_INSTALL=scratch does that too).
"""

import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.integration import mount_util as mu

REPO = Path(__file__).resolve().parents[2]
APT_LOCK = ["-o", "DPkg::Lock::Timeout=300"]
# mount(8)'s helpers look graphsyncfs up on PATH: the one of a boot, without /usr/local
BOOT_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def _run(cmd, timeout=600, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, "%s: exit %d\n%s\n%s" % (" ".join(map(str, cmd)), r.returncode,
                                                       r.stdout[-4000:], r.stderr[-4000:])
    return r


def _installed_version(pkg):
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return r.returncode == 0 and r.stdout.strip() == "install ok installed"


@pytest.fixture(scope="module")
def deb(tmp_path_factory):
    """The built package: (path of the .deb, lintian's output)."""
    out = tmp_path_factory.mktemp("deb")
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck")
    _run([str(REPO / "scripts" / "package.sh"), str(out)], env=env)
    debs = sorted(out.glob("graphsyncfs_*.deb"))
    assert len(debs) == 1, list(out.iterdir())
    return debs[0], (out / "lintian.log").read_text()


@pytest.fixture(scope="module")
def installed(deb, tmp_path_factory):
    """The package installed: the root it is installed under ("/" for real).
    GS_PACKAGE_INSTALL=scratch unpacks it into a scratch root even where it could be installed."""
    real = os.environ.get("GS_PACKAGE_INSTALL", "real") != "scratch"
    if real and os.getuid() == 0 and not _installed_version("graphsyncfs"):
        _run(["apt-get", "install", "-y", "-q", "--no-install-recommends"] + APT_LOCK + [str(deb[0])],
             env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        try:
            yield Path("/")
        finally:
            _run(["apt-get", "purge", "-y", "-q"] + APT_LOCK + ["graphsyncfs"],
                 env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
            assert not Path("/usr/bin/graphsyncfs").exists()
        return
    root = tmp_path_factory.mktemp("scratch-root")
    _run(["dpkg-deb", "-x", str(deb[0]), str(root)])
    yield root


def _path_env(root):
    prefix = "" if root == Path("/") else "%s/usr/bin:" % root
    return dict(os.environ, PATH=prefix + BOOT_PATH, LC_ALL="C.UTF-8")


def _wait_daemon_gone(mountpoint, timeout=30):
    """The daemon of a mount made by mount(8) has daemonized: wait for it by its arguments."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = subprocess.run(["pgrep", "-f", "graphsyncfs.* %s$" % re.escape(str(mountpoint))],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return
        time.sleep(0.1)
    pytest.fail("the graphsyncfs daemon of %s is still running after unmount" % mountpoint)


def test_the_package_holds_what_an_administrator_needs(deb):
    listing = _run(["dpkg-deb", "-c", str(deb[0])]).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
    for want in ["/usr/bin/graphsyncfs", "/usr/share/man/man1/graphsyncfs.1.gz",
                 "/lib/systemd/system/graphsyncfs@.service",
                 "/usr/share/bash-completion/completions/graphsyncfs",
                 "/usr/share/doc/graphsyncfs/examples/example.conf"]:
        assert want in paths, "%s is not in the package:\n%s" % (want, listing)
    # the monitoring plugin, where Debian's monitoring-plugins are
    assert "/usr/lib/nagios/plugins/check_graphsyncfs" in paths
    depends = _run(["dpkg-deb", "-f", str(deb[0]), "Depends"]).stdout
    assert "fuse3" in depends and "libfuse3" in depends


def test_lintian_finds_no_error(deb):
    errors = [line for line in deb[1].splitlines() if line.startswith("E:")]
    assert not errors, deb[1]


def test_mount_t_fuse_graphsyncfs_mounts_with_the_installed_daemon(installed, emulator, tmp_path):
    mp = tmp_path / "graph"
    mp.mkdir()
    env = _path_env(installed)
    assert shutil.which("graphsyncfs", path=env["PATH"]).startswith(str(installed / "usr" / "bin"))
    opts = "_netdev,graph_url=%s,auth=none,backup_dir=none" % emulator.url
    if installed == Path("/"):
        cmd = ["mount", "-t", "fuse.graphsyncfs", "contoso-test", str(mp), "-o", opts]
    else:
        # mount.fuse3 looks the program up on a PATH of its own: a scratch root is named
        cmd = ["mount", "-t", "fuse", "%s/usr/bin/graphsyncfs#contoso-test" % installed, str(mp),
               "-o", opts]
    try:
        _run(cmd, timeout=120, env=env)
        entry = mu.mount_entry(mp)
        assert entry is not None
        assert entry["fstype"] == "fuse.graphsyncfs"
        # the source names the tenant: the first field of fstab here
        assert entry["source"] == "contoso-test"
        names = set(os.listdir(mp))
        assert {"README", "servicePrincipals", "by-name", "status.tsv"} <= names
    finally:
        if mu.is_mounted(mp):
            subprocess.run(["umount", str(mp)], timeout=60)
    assert not mu.is_mounted(mp)
    _wait_daemon_gone(mp)


def _unit_exec_lines(unit_text):
    return {k: v for k, v in re.findall(r"^(ExecStartPre|ExecStart|ExecStop)=(.*)$", unit_text, re.M)}


def _expand(cmd, instance, conf):
    def var(m):
        return conf.get(m.group(1), "")
    return [re.sub(r"\$\{(\w+)\}", var, w).replace("%i", instance) for w in cmd.split()]


def _read_conf(text):
    return dict(re.findall(r"^(\w+)=(.*)$", text, re.M))


def test_the_unit_mounts_the_tenant_of_its_conf_file(installed, emulator, tmp_path):
    """graphsyncfs@<instance>: under systemd when it runs (PID 1), else its command lines as
    systemd would run them, from /etc/graphsyncfs/<instance>.conf."""
    instance = "test-%s" % uuid.uuid4().hex[:8]
    mp = tmp_path / "tenant"
    conf_text = "MOUNTPOINT=%s\nOPTIONS=graph_url=%s,auth=none,backup_dir=none\n" % (mp, emulator.url)
    unit = installed / "lib" / "systemd" / "system" / "graphsyncfs@.service"
    text = unit.read_text()
    assert "EnvironmentFile=/etc/graphsyncfs/%i.conf" in text
    systemd = Path("/proc/1/comm").read_text().strip() == "systemd"
    if systemd and installed == Path("/"):
        conf = Path("/etc/graphsyncfs/%s.conf" % instance)
        conf.parent.mkdir(exist_ok=True)
        conf.write_text(conf_text)
        name = "graphsyncfs@%s.service" % instance
        try:
            _run(["systemctl", "start", name], timeout=120)
            assert mu.mount_entry(mp)["source"] == instance
            assert "status.tsv" in os.listdir(mp)
            _run(["systemctl", "stop", name], timeout=120)
            assert not mu.is_mounted(mp)
        finally:
            subprocess.run(["systemctl", "stop", name], timeout=120)
            subprocess.run(["systemctl", "reset-failed", name], timeout=60)
            conf.unlink()
        return
    # no systemd here: the unit's own command lines, expanded as systemd expands them
    conf = _read_conf(conf_text)
    lines = _unit_exec_lines(text)
    env = _path_env(installed)
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    start = _expand(lines["ExecStart"], instance, conf)
    if installed != Path("/"):
        start[0] = str(installed) + start[0]
    try:
        _run(_expand(lines["ExecStartPre"], instance, conf), env=env)
        assert mp.is_dir()
        _run(start, timeout=120, env=env)  # Type=forking: returns once mounted
        entry = mu.mount_entry(mp)
        assert entry["fstype"] == "fuse.graphsyncfs" and entry["source"] == instance
        assert "status.tsv" in os.listdir(mp)
        _run(_expand(lines["ExecStop"], instance, conf), env=env)
        assert not mu.is_mounted(mp)
    finally:
        if mu.is_mounted(mp):
            subprocess.run(["fusermount3", "-u", str(mp)], timeout=60)
    _wait_daemon_gone(mp)
    if not systemd:
        pytest.skip("the unit's commands mounted; systemd itself is not PID 1 here, so "
                    "`systemctl start graphsyncfs@%s` was not tried" % instance)


def test_the_unit_file_passes_systemd_analyze_verify(installed, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    text = (installed / "lib" / "systemd" / "system" / "graphsyncfs@.service").read_text()
    if installed != Path("/"):
        text = text.replace("ExecStart=/usr/bin/", "ExecStart=%s/usr/bin/" % installed)
    (unit_dir / "graphsyncfs@.service").write_text(text)
    r = subprocess.run([analyze, "verify", "--man=no", str(unit_dir / "graphsyncfs@contoso.service")],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, SYSTEMD_UNIT_PATH="%s:" % unit_dir))
    # a unit that parses gives no word about itself (its conf file need not exist)
    problems = [line for line in (r.stdout + r.stderr).splitlines() if "graphsyncfs@" in line]
    assert r.returncode == 0 and not problems, r.stdout + r.stderr

"""Saving documents on a real mount (DESIGN.md section 4; fuse-anchors.md 8.1 and 9.4): every
editor and tool pattern saves a changed schema with exactly one PUT carrying the edited document,
reports a refused save itself, sends nothing for invalid JSON, guards against lost updates,
keeps restorable backups, and keeps editors' scratch files in memory only.

Each test mounts the demo tenant with backup_dir under its tmp_path (never in $HOME); editors run
with HOME=tmp_path/home. The Zoom job is edited: its first attribute mapping's
targetAttributeName "userName" is changed. Expected requests are read from the emulator's log."""

import errno
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import uuid

import pytest

from tests.integration import mount_util as mu

OLD = '"targetAttributeName": "userName"'
REFUSE_PUT = [{"method": "PUT", "path": "/schema$", "status": 400}]
# What the daemon logs when Graph refuses a save, or when a save is refused locally.
ALLOW_REFUSED = (r"warning: PUT .*/schema: BadRequest", r"HTTP 400")
ALLOW_LOCAL = (r"warning: PUT .*(schema|secrets): (InvalidDocument|VersionConflict)",)
TOOL_TIMEOUT = 60


# --- helpers shared with test_control.py ------------------------------------------------------

def mount_opts(tmp_path, *extra):
    return ["backup_dir=%s" % (tmp_path / "backups")] + list(extra)


@pytest.fixture
def wmnt(request, tmp_path, mount_factory):
    """The demo tenant mounted with backup_dir=tmp_path/backups (plus the marker's options)."""
    marker = request.node.get_closest_marker("mount")
    options = list(marker.kwargs.get("options", ())) if marker else []
    return mount_factory(options=mount_opts(tmp_path, *options))


def find_job(m, template="zoom"):
    """(spId, jobId) of the first job made from `template`."""
    for sp in m.tenant()["servicePrincipals"]:
        for job in sp["jobs"]:
            if job.split(".")[0] == template:
                return sp["id"], job
    raise AssertionError("the demo tenant has no %s job" % template)


def job_dir(m, sp, job):
    return m / "servicePrincipals" / sp / "jobs" / job


def graph_path(sp, job=None, tail=""):
    p = "/servicePrincipals/%s/synchronization" % sp
    if job:
        p += "/jobs/" + job
    return p + tail


def graph_rx(sp, job=None, tail=""):
    """A request-log path regex for a Graph path (v1.0)."""
    return re.escape("/v1.0" + graph_path(sp, job, tail))


def graph_json(emu, path):
    r = emu.get(path)
    assert r.status == 200, r
    return mu.strip_odata(r.json())


def server_schema(emu, sp, job):
    return graph_json(emu, graph_path(sp, job, "/schema"))


def without_version(doc):
    return {k: v for k, v in doc.items() if k != "version"}


def requests_not_get(log):
    """Requests that may change something (reads, and $batch envelopes of reads, left out)."""
    return [r for r in log.entries() if r["method"] != "GET" and not r["path"].endswith("/$batch")]


def last_error(d):
    return mu.read_file(d / "last_error", "r")


def run(cmd, cwd, env=None, stdin=subprocess.DEVNULL, shell=False):
    return subprocess.run(cmd, cwd=str(cwd), env=env, stdin=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=TOOL_TIMEOUT, shell=shell)


def tool_env(tmp_path):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), LC_ALL="C.UTF-8", TERM="xterm")
    env.pop("TMUX", None)
    return env


# --- the tools, each saving `new` over schema.json in directory d -----------------------------
# Each takes (d, old, new, tmp_path) where new replaces every occurrence of old in the file,
# and returns (ok, report): ok is whether the tool itself says it saved, report what it said.

def vim_saver(settings):
    def save(d, old, new, tmp_path):
        # Debian's vim -u NONE: writebackup, backupcopy=auto. "set backupskip=": vim makes no
        # backup of files under /tmp (where tmp_path is) unless told to; settings None runs vim
        # with no setting at all (it then overwrites the file in place).
        sets = [] if settings is None else ["-c", "set backupskip= " + settings]
        cmd = ["vim", "-Es", "-u", "NONE", "-N", "-i", "NONE"] + sets + [
               "-c", "%%s/%s/%s/" % (old, new), "-c", "wq", "schema.json"]
        r = run(cmd, d, env=tool_env(tmp_path))
        return r.returncode == 0, "vim exit %d %s%s" % (r.returncode, r.stdout, r.stderr)
    return save


def emacs_save(d, old, new, tmp_path):
    # backup-enable-predicate: emacs makes no backups under temporary-file-directory (/tmp)
    lisp = ('(progn (goto-char (point-min)) (while (search-forward %s nil t) (replace-match %s t t))'
            ' (save-buffer))' % (json.dumps(old), json.dumps(new)))
    r = run(["emacs", "--batch", "-Q", "--eval", "(setq backup-enable-predicate (lambda (_) t))",
             "schema.json", "--eval", lisp], d, env=tool_env(tmp_path))
    return r.returncode == 0, "emacs exit %d %s" % (r.returncode, r.stderr[-2000:])


class Tmux:
    """A private tmux server running one program in a pane we type into and read."""

    def __init__(self, cwd, env, command):
        self.sockdir = tempfile.mkdtemp(prefix="gsw-tmux-")  # short: socket paths are limited
        self.base = ["tmux", "-S", os.path.join(self.sockdir, "s"), "-f", "/dev/null"]
        self.env = env
        subprocess.run(self.base + ["new-session", "-d", "-s", "w", "-x", "200", "-y", "50", "-c", str(cwd),
                                    command], check=True, env=env, timeout=30)
        # the pane's shell leads its own process group: what must be gone before unmount
        self.pane_pid = int(subprocess.run(self.base + ["display-message", "-p", "-t", "w", "#{pane_pid}"],
                                           stdout=subprocess.PIPE, text=True, check=True, env=env,
                                           timeout=30).stdout)

    def keys(self, *keys, literal=False):
        subprocess.run(self.base + ["send-keys", "-t", "w"] + (["-l"] if literal else []) + list(keys),
                       check=True, env=self.env, timeout=30)

    def screen(self):
        return subprocess.run(self.base + ["capture-pane", "-p", "-t", "w"], stdout=subprocess.PIPE,
                              text=True, env=self.env, timeout=30).stdout

    def wait_for(self, *texts, timeout=30):
        """Polls the screen until one of texts shows; returns that text (a hang guard, not timing)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            for t in texts:
                if t in s:
                    return t
            if time.monotonic() > deadline:
                raise AssertionError("none of %r on the screen:\n%s" % (texts, s))
            time.sleep(0.05)

    def _pane_alive(self):
        """A process of the pane's group that has not exited (a zombie holds no directory)."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == self.pane_pid and fields[0] != "Z":
                return True
        return False

    def close(self):
        """Kills the pane's processes (they hold a directory of the mount) and the server, and
        waits until they are gone, so that the mount can be unmounted."""
        try:
            os.killpg(self.pane_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        subprocess.run(self.base + ["kill-server"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=self.env, timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self._pane_alive():
            time.sleep(0.02)
        shutil.rmtree(self.sockdir, ignore_errors=True)


def nano_save(d, old, new, tmp_path):
    t = Tmux(d, tool_env(tmp_path), "nano schema.json; echo NANO-EXIT=$?; sleep 600")
    try:
        t.wait_for("^X Exit")
        t.keys("C-\\")
        t.wait_for("Search (to replace)")
        t.keys(old, literal=True)
        t.keys("Enter")
        t.wait_for("Replace with")
        t.keys(new, literal=True)
        t.keys("Enter")
        t.wait_for("Replace this instance?")
        t.keys("a")
        t.wait_for("Replaced")
        t.keys("C-o")
        t.wait_for("File Name to Write")
        t.keys("Enter")
        said = t.wait_for("Wrote", "Error writing")
        screen = t.screen()
        t.keys("C-x")
        if said != "Wrote":
            t.wait_for("Save modified buffer?")
            t.keys("n")
        t.wait_for("NANO-EXIT=")
        return said == "Wrote", screen
    finally:
        t.close()


def edited_file(d, old, new, tmp_path, name="edited.json"):
    text = mu.read_file(d / "schema.json", "r")
    p = tmp_path / name
    p.write_text(text.replace(old, new))
    return p


def sed_save(d, old, new, tmp_path):
    r = run(["sed", "-i", "s/%s/%s/" % (old, new), "schema.json"], d)
    return r.returncode == 0, "sed exit %d %s" % (r.returncode, r.stderr)


def jq_filter(old, new):
    o, n = json.loads("{%s}" % old), json.loads("{%s}" % new)
    (k, ov), = o.items()
    (_, nv), = n.items()
    return '(.. | objects | select(.%s? == %s) | .%s) |= %s' % (k, json.dumps(ov), k, json.dumps(nv))


def jq_mv_saver(tmp_in_job_dir):
    def save(d, old, new, tmp_path):
        tmp = "jq-tmp.json" if tmp_in_job_dir else str(tmp_path / "jq-tmp.json")
        r = run("jq '%s' schema.json > %s && mv %s schema.json" % (jq_filter(old, new), tmp, tmp), d,
                shell=True)
        return r.returncode == 0, "jq+mv exit %d %s" % (r.returncode, r.stderr)
    return save


def cp_save(d, old, new, tmp_path):
    src = edited_file(d, old, new, tmp_path)
    r = run(["cp", str(src), "schema.json"], d)
    return r.returncode == 0, "cp exit %d %s" % (r.returncode, r.stderr)


def tee_save(d, old, new, tmp_path):
    src = edited_file(d, old, new, tmp_path)
    with open(src) as f:
        r = run(["tee", "schema.json"], d, stdin=f)
    return r.returncode == 0, "tee exit %d %s" % (r.returncode, r.stderr)


def redirect_save(d, old, new, tmp_path):
    src = edited_file(d, old, new, tmp_path)
    r = run(["bash", "-c", 'cat "$1" > schema.json', "bash", str(src)], d)
    return r.returncode == 0, "bash exit %d %s" % (r.returncode, r.stderr)


def python_replace_save(d, old, new, tmp_path):
    text = mu.read_file(d / "schema.json", "r").replace(old, new)
    tmp = d / (".schema.json.%s.tmp" % uuid.uuid4().hex[:8])
    try:
        with open(tmp, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, d / "schema.json")
    except OSError as e:
        return False, "python: %s" % e
    return True, "python: ok"


TOOLS = {
    "vim-no-settings": vim_saver(None),
    "vim-debian-defaults": vim_saver(""),
    "vim-backupcopy-yes": vim_saver("backupcopy=yes"),
    "vim-backupcopy-no": vim_saver("backupcopy=no"),
    "nano": nano_save,
    "emacs": emacs_save,
    "sed-i": sed_save,
    "jq-mv-same-dir": jq_mv_saver(True),
    "jq-mv-from-tmp": jq_mv_saver(False),
    "cp": cp_save,
    "tee": tee_save,
    "shell-redirect": redirect_save,
    "python-os-replace": python_replace_save,
}
NEEDS = {"vim": "vim", "nano": "nano", "emacs": "emacs", "jq": "jq", "tmux": "tmux"}


def need_tools(name):
    for word, prog in NEEDS.items():
        if word in name and shutil.which(prog) is None:
            pytest.skip("%s is not installed" % prog)
    if name == "nano" and shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (nano is driven through it)")


def scratch_names(d):
    fixed = {"job.json", "status.json", "schedule.json", "settings.json", "schema.json", "functions.json",
             "filterOperators.json", "last_error", "start", "pause", "restart", "resetSchema",
             "provisionOnDemand", "validateCredentials", "parseExpression", "bulkUpload", "directories",
             "backups", "health", "allow_deletes",
             "rules", "pending.diff", "commit", "discard", "logs"}
    return sorted(set(os.listdir(d)) - fixed)


# --- every tool saves with exactly one PUT ----------------------------------------------------

@pytest.mark.parametrize("tool", list(TOOLS))
def test_tool_saves_with_one_put(tool, wmnt, tmp_path):
    need_tools(tool)
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    before_text = mu.read_file(d / "schema.json", "r")
    assert before_text.count(OLD) >= 1
    new = '"targetAttributeName": "userName%s"' % tool.replace("-", "")
    expected = json.loads(before_text.replace(OLD, new))
    log = wmnt.request_log()

    ok, report = TOOLS[tool](d, OLD, new, tmp_path)

    assert ok, report
    puts = log.entries("PUT", graph_rx(sp, job, "/schema"), batch_items=False)
    assert len(puts) == 1, log.describe()
    assert json.loads(puts[0]["body"]) == expected
    assert [r["method"] for r in requests_not_get(log)] == ["PUT"], log.describe()
    # the server holds the edit, and the file shows the server's new content
    now = server_schema(wmnt.emu, sp, job)
    assert without_version(now) == without_version(expected)
    assert now["version"] != expected["version"]
    assert mu.read_file(d / "schema.json") == mu.rendered(now)
    assert os.stat(d / "schema.json").st_size == len(mu.rendered(now))
    # the replaced schema is kept
    assert len(mu.backup_files(d)) == 1
    if tool == "emacs":
        # emacs renamed the document to its backup: a scratch file with the old content
        assert mu.read_file(d / "schema.json~", "r") == before_text
        assert scratch_names(d) == ["schema.json~"]
    else:
        assert scratch_names(d) == [], "%s left %r" % (tool, scratch_names(d))


@pytest.mark.parametrize("tool", list(TOOLS))
@pytest.mark.allow_stderr(*ALLOW_REFUSED)
def test_tool_reports_a_refused_save(tool, wmnt, tmp_path):
    need_tools(tool)
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    original = server_schema(wmnt.emu, sp, job)
    assert mu.read_file(d / "schema.json") == mu.rendered(original)
    wmnt.emu.set_faults(REFUSE_PUT)
    log = wmnt.request_log()

    ok, report = TOOLS[tool](d, OLD, '"targetAttributeName": "refused"', tmp_path)

    assert not ok, "%s reported success for a refused save: %s" % (tool, report)
    if not tool.startswith("vim"):  # vim -Es says nothing; test_vim_says_why_a_save_failed
        # Graph's 400 is EINVAL ("Invalid argument"); a rename(2) that saves says EBADMSG
        # ("Bad message"): mv words a rename's EINVAL as "cannot move ... subdirectory of itself"
        assert re.search(r"Invalid argument|Bad message", report), report
        assert "subdirectory" not in report, report
        if tool == "jq-mv-same-dir":
            assert "Bad message" in report, report
    assert log.count("PUT", graph_rx(sp, job, "/schema"), batch_items=False) == 1, log.describe()
    wmnt.emu.clear_faults()
    assert server_schema(wmnt.emu, sp, job) == original
    assert mu.read_file(d / "schema.json") == mu.rendered(original)
    err = last_error(d)
    assert "status: 400" in err and "BadRequest" in err and "method: PUT" in err, err
    # nothing was replaced; what was written is kept (test_refused_schema.py)
    assert [n for n in mu.backup_files(d) if not n.startswith("refused-")] == []


@pytest.mark.parametrize("backupcopy", ["auto", "yes", "no"])
@pytest.mark.allow_stderr(*ALLOW_REFUSED)
def test_vim_says_why_a_save_failed(backupcopy, wmnt, tmp_path):
    """vim's own words for a refused save: its write error, not silence."""
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    wmnt.emu.set_faults(REFUSE_PUT)
    said = tmp_path / "vim-exception"
    r = run(["vim", "-Es", "-u", "NONE", "-N", "-i", "NONE", "-c", "set backupskip= backupcopy=" + backupcopy,
             "-c", '%%s/%s/"targetAttributeName": "zz"/' % OLD,
             "-c", 'try | w | catch | call writefile([v:exception], "%s") | endtry' % said,
             "-c", "q!", "schema.json"], d, env=tool_env(tmp_path))
    assert r.returncode == 0, r.stderr
    assert re.search(r"E(512|514|667|212)", said.read_text()), said.read_text()
    assert wmnt.emu.requests() and '"zz"' not in json.dumps(server_schema(wmnt.emu, sp, job))


# --- local checks: nothing is sent for what cannot be a schema --------------------------------

@pytest.mark.allow_stderr(*ALLOW_LOCAL)
@pytest.mark.parametrize("content", [
    b'{"synchronizationRules": [], "directories": [',          # cut short
    b'{"synchronizationRules": [], "directories": []} trailing',
    b'[1, 2, 3]\n',                                            # not an object
    b'{"directories": []}\n',                                  # no rules
    b'\xff\xfe not json\n',
], ids=["truncated", "trailing-garbage", "array", "no-rules", "binary"])
def test_invalid_document_sends_nothing(content, wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    original = server_schema(wmnt.emu, sp, job)
    log = wmnt.request_log()
    assert mu.os_error(mu.write_file, d / "schema.json", content) == errno.EINVAL
    assert requests_not_get(log) == [], log.describe()
    assert server_schema(wmnt.emu, sp, job) == original
    err = last_error(d)
    assert "EINVAL" in err and "InvalidDocument" in err, err
    assert mu.read_file(d / "schema.json") == mu.rendered(original)


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_invalid_json_fails_in_the_tools_too(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    r = run("/bin/echo '{\"directories\": [' > schema.json", d, shell=True)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r
    r = run(["sed", "-i", "s/\"directories\"/\"directories/", "schema.json"], d)
    # sed saves by rename(2): the refusal is EBADMSG there (man page, ERRORS)
    assert r.returncode != 0 and "Bad message" in r.stderr, r
    assert requests_not_get(log) == [], log.describe()
    assert scratch_names(d) == []  # sed removed its temporary file


# --- the lost-update guard, versionless saves, no-op saves, backups ---------------------------

@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_save_over_a_schema_changed_meanwhile_is_stale(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    mine_text = mu.read_file(d / "schema.json", "r")
    mine = json.loads(mine_text)
    wmnt.emu.set_schema(sp, job, json.loads(mine_text.replace(OLD, '"targetAttributeName": "portal"')))
    portal = server_schema(wmnt.emu, sp, job)
    assert portal["version"] != mine["version"]
    log = wmnt.request_log()
    edited = mine_text.replace(OLD, '"targetAttributeName": "mine"')
    assert mu.os_error(mu.write_file, d / "schema.json", edited, "w") == errno.ESTALE
    assert log.count("PUT", batch_items=False) == 0, log.describe()
    assert server_schema(wmnt.emu, sp, job) == portal
    err = last_error(d)
    assert "ESTALE" in err and "VersionConflict" in err, err
    assert mine["version"] in err and portal["version"] in err, err
    # the edit is not lost: it is kept beside the backups
    refused = mu.backup_files(d)
    assert len(refused) == 1 and refused[0].startswith("refused-"), refused
    assert mu.read_file(d / "backups" / refused[0], "r") == edited
    assert "backups/" + refused[0] in err, err
    # the file now shows the portal's schema, and editing that saves
    assert mu.read_file(d / "schema.json") == mu.rendered(portal)
    mu.write_file(d / "schema.json", mu.read_file(d / "schema.json").replace(b'"portal"', b'"again"'))
    assert log.count("PUT", batch_items=False) == 1, log.describe()
    assert '"again"' in json.dumps(server_schema(wmnt.emu, sp, job))


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_an_editor_saving_twice_is_not_stale(wmnt, tmp_path):
    """vim keeps the version it read: its second :w must not be taken for someone else's save,
    while a portal save in between still is."""
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    read_once = mu.read_file(d / "schema.json", "r")
    log = wmnt.request_log()
    errs = [tmp_path / "w1", tmp_path / "w2"]
    cmd = ["vim", "-Es", "-u", "NONE", "-N", "-i", "NONE", "-c", "set backupskip="]
    for i, (old, new) in enumerate([(OLD, '"targetAttributeName": "first"'),
                                    ('"targetAttributeName": "first"', '"targetAttributeName": "second"')]):
        cmd += ["-c", "%%s/%s/%s/" % (old, new),
                "-c", 'try | w | catch | call writefile([v:exception], "%s") | endtry' % errs[i]]
    r = run(cmd + ["-c", "q!", "schema.json"], d, env=tool_env(tmp_path))
    assert r.returncode == 0, r.stderr
    assert [e.read_text() for e in errs if e.exists()] == []
    puts = log.entries("PUT", graph_rx(sp, job, "/schema"), batch_items=False)
    assert len(puts) == 2, log.describe()
    assert json.loads(puts[0]["body"]) == json.loads(read_once.replace(OLD, '"targetAttributeName": "first"'))
    assert json.loads(puts[1]["body"]) == json.loads(read_once.replace(OLD, '"targetAttributeName": "second"'))
    assert '"second"' in json.dumps(server_schema(wmnt.emu, sp, job))
    # a portal save after ours: the old version is stale again
    portal = server_schema(wmnt.emu, sp, job)
    wmnt.emu.set_schema(sp, job, portal)
    log.mark()
    third = read_once.replace(OLD, '"targetAttributeName": "third"')
    assert mu.os_error(mu.write_file, d / "schema.json", third, "w") == errno.ESTALE
    assert log.count("PUT", batch_items=False) == 0, log.describe()


def test_document_without_version_is_saved_as_is(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    doc = json.loads(mu.read_file(d / "schema.json"))
    doc = without_version(json.loads(json.dumps(doc).replace(OLD, '"targetAttributeName": "noversion"')))
    assert '"noversion"' in json.dumps(doc)
    wmnt.emu.set_schema(sp, job, server_schema(wmnt.emu, sp, job))  # someone saved meanwhile
    log = wmnt.request_log()
    mu.write_file(d / "schema.json", json.dumps(doc, indent=2).encode())
    puts = log.entries("PUT", graph_rx(sp, job, "/schema"), batch_items=False)
    assert len(puts) == 1, log.describe()
    assert json.loads(puts[0]["body"]) == doc
    assert without_version(server_schema(wmnt.emu, sp, job)) == doc


def test_saving_identical_content_sends_no_put(wmnt, tmp_path):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    same = tmp_path / "same.json"
    shutil.copyfile(d / "schema.json", same)
    log = wmnt.request_log()
    subprocess.run(["cp", str(same), str(d / "schema.json")], check=True, timeout=TOOL_TIMEOUT)
    # re-indented but equal JSON is equal too
    mu.write_file(d / "schema.json", json.dumps(json.loads(same.read_text())).encode())
    assert requests_not_get(log) == [], log.describe()
    assert mu.backup_files(d) == []


def test_backup_is_kept_and_restorable_with_cp(wmnt, tmp_path):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    original = server_schema(wmnt.emu, sp, job)
    mu.write_file(d / "schema.json", mu.read_file(d / "schema.json", "r").replace(
        OLD, '"targetAttributeName": "regretted"'), "w")
    assert server_schema(wmnt.emu, sp, job) != original
    backups = mu.backup_files(d)
    assert len(backups) == 1 and re.fullmatch(r"schema-\d{8}T\d{6}\.\d{3}Z\.json", backups[0]), backups
    b = d / "backups" / backups[0]
    assert stat.S_IMODE(os.stat(b).st_mode) == 0o444
    kept = json.loads(mu.read_file(b))
    assert kept == without_version(original)  # kept without version: cp restores it
    on_disk = tmp_path / "backups" / sp / job / backups[0]
    assert on_disk.read_bytes() == mu.read_file(b)
    # restore: cp the backup over the document
    log = wmnt.request_log()
    r = run(["cp", "backups/" + backups[0], "schema.json"], d)
    assert r.returncode == 0, r.stderr
    puts = log.entries("PUT", graph_rx(sp, job, "/schema"), batch_items=False)
    assert len(puts) == 1, log.describe()
    assert without_version(json.loads(puts[0]["body"])) == without_version(original)
    assert without_version(server_schema(wmnt.emu, sp, job)) == without_version(original)
    assert len(mu.backup_files(d)) == 2
    assert mu.os_error(mu.write_file, b, b"{}") in (errno.EACCES, errno.EPERM, errno.EROFS)


# --- scratch files ----------------------------------------------------------------------------

def test_scratch_files_live_in_memory_only(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    spdir = wmnt / "servicePrincipals" / sp
    os.listdir(d)
    os.listdir(spdir)
    mu.quiesce(wmnt)  # the read-ahead these listings start (issue 14's walk) is not theirs
    log = wmnt.request_log()
    names = [".schema.json.swp", "4913", "schema.json~", ".#schema.json", "sedAbc123", "notes.txt"]
    for i, n in enumerate(names):
        mu.write_file(d / n, b"scratch %d\n" % i)
    mu.write_file(spdir / ".secrets.json.swp", b"sp scratch\n")
    assert scratch_names(d) == sorted(names)
    for i, n in enumerate(names):
        assert mu.read_file(d / n) == b"scratch %d\n" % i
        assert os.stat(d / n).st_size == len(b"scratch %d\n" % i)
    # chmod, chown, utimes, fsync, append, truncate, rename, unlink
    os.chmod(d / "4913", 0o600)
    assert stat.S_IMODE(os.stat(d / "4913").st_mode) == 0o600
    os.chown(d / "4913", os.getuid(), os.getgid())
    os.utime(d / "4913", (1000000000, 1000000000))
    assert os.stat(d / "4913").st_mtime == 1000000000
    with open(d / "notes.txt", "ab") as f:
        f.write(b"more\n")
        f.flush()
        os.fsync(f.fileno())
    assert mu.read_file(d / "notes.txt") == b"scratch 5\nmore\n"
    os.truncate(d / "notes.txt", 3)
    assert mu.read_file(d / "notes.txt") == b"scr"
    os.rename(d / "sedAbc123", d / "renamed")
    assert not os.path.exists(d / "sedAbc123") and mu.read_file(d / "renamed") == b"scratch 4\n"
    os.rename(d / "renamed", d / "4913")  # over another scratch file
    assert mu.read_file(d / "4913") == b"scratch 4\n"
    for n in scratch_names(d):
        os.unlink(d / n)
    os.unlink(spdir / ".secrets.json.swp")
    assert scratch_names(d) == []
    assert mu.os_error(os.stat, d / "notes.txt") == errno.ENOENT
    # nothing was sent for them (a listing may refresh job.json & co. when their time is up)
    sent = [e for e in log.entries() if e["method"] != "GET" or
            any(n in e["path"] for n in names + ["renamed", ".secrets.json.swp"])]
    assert sent == [], log.describe()


def test_scratch_files_are_gone_after_remount(tmp_path, mount_factory, emulator_factory):
    emu = emulator_factory()
    m = mount_factory(emu, options=mount_opts(tmp_path))
    sp, job = find_job(m)
    mu.write_file(job_dir(m, sp, job) / "draft.json", b"{}")
    assert m.unmount() == 0
    m2 = mount_factory(emu, options=mount_opts(tmp_path))
    assert mu.os_error(os.stat, job_dir(m2, sp, job) / "draft.json") == errno.ENOENT


def test_documents_cannot_be_removed_or_replaced_by_other_files(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    for name in ("status.json", "job.json", "start", "last_error"):
        assert mu.os_error(os.unlink, d / name) in (errno.EPERM, errno.EACCES)
    mu.write_file(d / "x.tmp", b"{}")
    assert mu.os_error(os.rename, d / "x.tmp", d / "status.json") in (errno.EPERM, errno.EACCES)
    os.unlink(d / "x.tmp")
    assert requests_not_get(log) == [], log.describe()


def test_removing_a_document_sends_nothing_and_hides_it_until_it_is_written(wmnt):
    """`mv` from another filesystem unlinks the target before it copies (jq-mv-from-tmp): the
    unlink is accepted, sends nothing, and the next create of the name is a save."""
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    text = mu.read_file(d / "schema.json", "r")
    original = server_schema(wmnt.emu, sp, job)
    log = wmnt.request_log()
    os.unlink(d / "schema.json")
    assert "schema.json" not in os.listdir(d)
    assert mu.os_error(os.stat, d / "schema.json") == errno.ENOENT
    assert requests_not_get(log) == [], log.describe()
    assert server_schema(wmnt.emu, sp, job) == original
    fd = os.open(d / "schema.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, text.replace(OLD, '"targetAttributeName": "recreated"').encode())
    finally:
        os.close(fd)
    assert [r["method"] for r in requests_not_get(log)] == ["PUT"], log.describe()
    assert "schema.json" in os.listdir(d)
    assert '"recreated"' in mu.read_file(d / "schema.json", "r")


# --- read-only mounts -------------------------------------------------------------------------

@pytest.mark.mount(options=["ro"])
def test_read_only_mount_refuses_every_write(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    spdir = wmnt / "servicePrincipals" / sp
    text = mu.read_file(d / "schema.json")
    log = wmnt.request_log()
    attempts = [
        (mu.write_file, d / "schema.json", text),
        (mu.write_file, spdir / "secrets.json", b'{"value": []}'),
        (mu.write_file, d / "restart", b"Full\n"),
        (mu.write_file, d / "start", b"\n"),
        (mu.write_file, spdir / "jobs" / "new", b"zoom\n"),
        (mu.write_file, d / "scratch.tmp", b"x"),
        (os.utime, d / "start", None),
        (os.rmdir, d),
        (os.mkdir, spdir / "jobs" / "x"),
        (os.unlink, d / "schema.json"),
        (os.rename, d / "schema.json", d / "schema.json~"),
        (os.chmod, d / "schema.json", 0o600),
        (os.truncate, d / "schema.json", 0),
    ]
    for func, *args in attempts:
        assert mu.os_error(func, *args) == errno.EROFS, (func.__name__, args)
    r = run(["touch", "start"], d)
    assert r.returncode != 0 and "Read-only file system" in r.stderr, r
    r = run(["sed", "-i", "s/a/b/", "schema.json"], d)
    assert r.returncode != 0, r
    assert requests_not_get(log) == [], log.describe()
    assert not stat.S_IMODE(os.stat(d / "schema.json").st_mode) & 0o222

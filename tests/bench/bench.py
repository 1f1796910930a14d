#!/usr/bin/python3
"""The benchmark of graphsyncfs (DESIGN.md section 10; README.md beside this file).

    /usr/bin/python3 tests/bench/bench.py [--n 2000 --m 100 --latency-ms 50 --rss-n 10000
                                           --build build-bench --quick]

Prints one `key: value` line per figure on stdout (progress goes to stderr):
  1. cold tenant-wide scan "every job whose status code is Quarantine": graphsyncfs with grep
     over every status.json, graphsyncfs with status.tsv, a sequential curl+jq script and the
     same script under `xargs -P 8`; wall times, ratios, request counts against the minimum;
  2. warm open-read-close of cached status files: graphsyncfs, a minimal in-memory FUSE
     filesystem (minimal_fs.c, the floor) and tmpfs;
  3. peak RSS of the daemon after a full scan of a large tenant.
Nothing is asserted: the figures are printed with their targets. Every process started is
stopped and every mount made is unmounted, on failure and on SIGINT/SIGTERM too.
Standard library only; run with the Debian /usr/bin/python3.
"""

import argparse
import math
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from tests.emulator.control import Emulator  # noqa: E402
from tests.integration import mount_util as mu  # noqa: E402

FROZEN_TIME_SCALE = 1e6     # one Graph minute lasts 11 days: no job changes state during a run
QUARANTINE = "Quarantine"


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def out(key, value):
    print("%s: %s" % (key, value), flush=True)


# ------------------------------------------------------------------ processes and mounts

def mount_fstype(path):
    """fstype of the mount at `path` (from /proc, never touching it), or None."""
    e = mu.mount_entry(path)
    return e["fstype"] if e else None


def fusermount(path, lazy=False):
    return mu.fusermount(path, lazy)[0]


class Daemon:
    """A FUSE daemon run in the foreground: started, waited for, unmounted and stopped."""

    live = []

    def __init__(self, name, argv, mountpoint, workdir):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.mountpoint = Path(mountpoint)
        self.log_path = Path(workdir) / ("%s.log" % name)
        self.proc = None

    def start(self, timeout=120):
        self.mountpoint.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                                         start_new_session=True)
        Daemon.live.append(self)
        deadline = time.monotonic() + timeout
        while True:
            fstype = mount_fstype(self.mountpoint)
            if fstype and fstype.startswith("fuse"):
                return self
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %s before mounting %s:\n%s"
                                   % (self.name, self.proc.returncode, self.mountpoint, self.log_tail()))
            if time.monotonic() > deadline:
                raise RuntimeError("%s did not mount %s within %s s:\n%s"
                                   % (self.name, self.mountpoint, timeout, self.log_tail()))
            time.sleep(0.02)

    def log_tail(self, limit=3000):
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def status_kib(self, field):
        """A field of /proc/PID/status in KiB (VmHWM, VmRSS), or None."""
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def stop(self):
        if self.proc is None:
            return
        if mount_fstype(self.mountpoint) is not None:
            if fusermount(self.mountpoint) != 0:
                fusermount(self.mountpoint, lazy=True)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if mount_fstype(self.mountpoint) is not None:
            fusermount(self.mountpoint, lazy=True)
        if self in Daemon.live:
            Daemon.live.remove(self)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def stop_all_daemons():
    for d in list(Daemon.live):
        try:
            d.stop()
        except Exception as e:  # cleanup goes on with the others
            log("cleanup of %s: %r" % (d.name, e))


def on_signal(signum, frame):
    raise SystemExit("bench: stopped by signal %d" % signum)


def remove_workdir(workdir):
    """Removes the scratch directory, never descending into something still mounted (a
    recursive delete inside graphsyncfs would delete jobs)."""
    for entry in sorted(workdir.iterdir()):
        if mount_fstype(entry) is not None:
            fusermount(entry, lazy=True)
        if mount_fstype(entry) is not None:
            log("left %s in place: still mounted" % entry)
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink()
    try:
        workdir.rmdir()
    except OSError as e:
        log("left %s: %s" % (workdir, e))


def run_shell(cmd, cwd, timeout, on_timeout=None):
    """Runs a bash command in its own process group; returns (wall seconds, stdout). Exit 1
    (grep: nothing found) is fine. On timeout the group is killed and, with on_timeout,
    on_timeout() is called and (None, partial stdout) returned instead of raising. (A process
    waiting for a FUSE request the daemon has already taken cannot die before the daemon
    answers: on_timeout is where the caller stops the daemon, which releases it.)"""
    t0 = time.monotonic()
    proc = subprocess.Popen(["bash", "-c", cmd], cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        if on_timeout:
            on_timeout()
        stdout, stderr = proc.communicate(timeout=60)
        if on_timeout:
            return None, stdout
        raise RuntimeError("%r did not finish within %s s" % (cmd, timeout))
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        raise
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and stdout.strip()):
        raise RuntimeError("%r failed with %s: %s" % (cmd, proc.returncode, stderr[-2000:]))
    if stderr.strip():
        log("stderr of %r: %s" % (cmd[:60], stderr.strip()[-1000:]))
    return wall, stdout


def compile_c(src, out_path):
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "fuse3"], stdout=subprocess.PIPE,
                           text=True, check=True).stdout.split()
    subprocess.run(["cc", "-O2", "-Wall", "-o", str(out_path), str(src)] + flags, check=True, timeout=120)
    return out_path


# ------------------------------------------------------------------ emulator helpers

def quarantined_truth(emu, latency_ms):
    """The set of (spId, jobId) whose status code is Quarantine, asked of the emulator directly
    (latency off meanwhile; the request log is cleared afterwards), and the number of jobs."""
    emu.config(latency_ms=0)
    found, njobs = set(), 0
    try:
        for sp in emu.tenant()["servicePrincipals"]:
            for job in sp.get("jobs", []):
                njobs += 1
                r = emu.get("/servicePrincipals/%s/synchronization/jobs/%s"
                            % (urllib.parse.quote(sp["id"], safe=""), urllib.parse.quote(job, safe="")))
                if r.status != 200:
                    raise RuntimeError("truth: GET job %s %s: %s" % (sp["id"], job, r))
                if ((r.json() or {}).get("status") or {}).get("code") == QUARANTINE:
                    found.add((sp["id"], job))
    finally:
        emu.config(latency_ms=latency_ms)
        emu.clear_requests()
    return found, njobs


def count_requests(emu):
    """(HTTP requests, $batch requests, items in them) in the log; OAuth calls left out."""
    http = batches = items = 0
    for e in emu.requests():
        if e.get("kind") == "oauth":
            continue
        if e.get("batch_item"):
            items += 1
            continue
        http += 1
        if e.get("path", "").endswith("/$batch"):
            batches += 1
    return http, batches, items


def settle(emu, quiet_s=2.0, limit_s=300.0):
    """Waits until the emulator has seen no new request for quiet_s seconds (background
    read-ahead done), at most limit_s. Returns the seconds waited."""
    t0 = time.monotonic()
    last, since = None, t0
    while time.monotonic() - t0 < limit_s:
        n = len(emu.requests())
        now = time.monotonic()
        if n != last:
            last, since = n, now
        elif now - since >= quiet_s:
            break
        time.sleep(0.25)
    return time.monotonic() - t0


EXTRA_OPTS = []  # --mount-opt: added to every graphsyncfs mount (to compare settings)


def graphsyncfs_argv(build, url, mountpoint, options=()):
    opts = ["graph_url=%s" % url, "auth=none", "backup_dir=none"] + list(options) + EXTRA_OPTS
    return [build / "fs" / "graphsyncfs", "-f", "-o", ",".join(opts), mountpoint]


# ------------------------------------------------------------------ 1. the cold scan

GREP_CMD = """grep -l '"code": "Quarantine"' servicePrincipals/*/jobs/*/status.json"""
TSV_CMD = ("awk -F'\\t' 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next } "
           "$col[\"statusCode\"] == \"Quarantine\" { print $col[\"spId\"], $col[\"jobId\"] }' status.tsv")


def parse_grep(text):
    found = set()
    for line in text.splitlines():
        parts = line.strip().split("/")
        if len(parts) == 5 and parts[0] == "servicePrincipals" and parts[2] == "jobs":
            found.add((parts[1], parts[3]))
        elif line.strip():
            raise RuntimeError("unexpected grep output line %r" % line)
    return found


def parse_pairs(text):
    found = set()
    for line in text.splitlines():
        if line.strip():
            sp, job = line.split()
            found.add((sp, job))
    return found


def scan_fs(emu, args, workdir, name, cmd, parse, timeout):
    mnt = workdir / ("mnt-" + name)
    d = Daemon(name, graphsyncfs_argv(args.build, emu.url, mnt), mnt, workdir)
    with d:
        emu.clear_requests()          # the mount-time probe is not part of the scan
        log("%s: %s" % (name, cmd))
        wall, stdout = run_shell(cmd, mnt, timeout)
        hwm = d.status_kib("VmHWM")
    reqs = count_requests(emu)        # after the unmount: late read-ahead counts too
    return {"wall": wall, "found": parse(stdout), "requests": reqs, "hwm_kib": hwm}


def scan_curl(emu, name, parallel, timeout):
    cmd = "%s %s/v1.0 %d" % (HERE / "scan_curl.sh", emu.url, parallel)
    emu.clear_requests()
    log("%s: scan_curl.sh with %d in parallel" % (name, parallel))
    wall, stdout = run_shell(cmd, HERE, timeout)
    return {"wall": wall, "found": parse_pairs(stdout), "requests": count_requests(emu)}


def bench_scan(emu, args, workdir):
    n, lat = args.n, args.latency_ms
    truth, njobs = quarantined_truth(emu, lat)
    minimum = math.ceil(n / 999) + math.ceil(n / 20)
    fs_timeout = 120 + n * 0.5
    curl_timeout = 120 + n * (lat / 1000.0 + 0.2) * 2
    res = {}
    res["fs_grep"] = scan_fs(emu, args, workdir, "fs_grep", GREP_CMD, parse_grep, fs_timeout)
    res["fs_tsv"] = scan_fs(emu, args, workdir, "fs_tsv", TSV_CMD, parse_pairs, fs_timeout)
    res["curl_seq"] = scan_curl(emu, "curl_seq", 1, curl_timeout)
    res["curl_par8"] = scan_curl(emu, "curl_par8", 8, curl_timeout)
    truth_after, _ = quarantined_truth(emu, lat)

    out("scan.tenant", "%d service principals, %d jobs, %d in Quarantine (latency %g ms)"
        % (n, njobs, len(truth), lat))
    for k in ("fs_grep", "fs_tsv", "curl_seq", "curl_par8"):
        out("scan.%s.wall_s" % k, "%.2f" % res[k]["wall"])
    bad = [k for k in res if res[k]["found"] != truth]
    if truth_after != truth:
        out("scan.same_result", "no (the emulator's truth changed during the run)")
    elif bad:
        out("scan.same_result", "no (%s)" % "; ".join(
            "%s: %d found, %d missing, %d extra" % (k, len(res[k]["found"]), len(truth - res[k]["found"]),
                                                   len(res[k]["found"] - truth)) for k in bad))
    else:
        out("scan.same_result", "yes (all 4 = the emulator's %d jobs)" % len(truth))
    for base, goal in (("curl_seq", 50), ("curl_par8", 5)):
        for fs in ("fs_grep", "fs_tsv"):
            target = " (target >= %d)" % goal if fs == "fs_grep" else ""
            out("scan.ratio.%s/%s" % (base, fs), "%.2f%s" % (res[base]["wall"] / res[fs]["wall"], target))
    out("scan.requests.minimum", "%d (ceil(%d/999) + ceil(%d/20))" % (minimum, n, n))
    for k in ("fs_grep", "fs_tsv", "curl_seq", "curl_par8"):
        http, batches, items = res[k]["requests"]
        target = ", target <= 1.1x" if k.startswith("fs_") else ""
        out("scan.requests.%s" % k, "%d (%d $batch with %d items, %d other; %.2fx minimum%s)"
            % (http, batches, items, http - batches, http / minimum, target))
    return res


# ------------------------------------------------------------------ 2. warm reads

def parse_readloop(text):
    return dict(kv.split("=", 1) for kv in text.split())


def daemon_cpu_ns(pid):
    """CPU time of every thread of process pid so far (/proc/PID/task/*/schedstat), nanoseconds;
    a thread that ended meanwhile is not counted (the daemons' threads live as long as they do)."""
    total = 0
    try:
        tids = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return 0
    for tid in tids:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, tid)) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def bench_warm(emu, args, workdir, tools):
    rounds, reps = args.warm_rounds, args.warm_reps
    jobs = [(sp["id"], j) for sp in emu.tenant()["servicePrincipals"] for j in sp.get("jobs", [])]
    jobs = jobs[:args.warm_files]
    if not jobs:
        out("warm", "skipped (no jobs in the tenant)")
        return
    rel = ["servicePrincipals/%s/jobs/%s/status.json" % pair for pair in jobs]
    shm = Path(tempfile.mkdtemp(prefix="graphsyncfs-bench-", dir="/dev/shm"))
    try:
        gmnt = workdir / "mnt-warm"
        mmnt = workdir / "mnt-minimal"
        mfmnt = workdir / "mnt-minimal-flush"
        mkmnt = workdir / "mnt-minimal-keep-cache"
        # cached entries must stay fresh for the whole measurement
        keep = ["status_timeout=%d" % args.warm_ttl, "dir_timeout=%d" % args.warm_ttl]
        with Daemon("graphsyncfs-warm", graphsyncfs_argv(args.build, emu.url, gmnt, keep), gmnt, workdir) as gd:
            # the same bytes on tmpfs, from the mount itself (this read is the warm-up)
            tree = shm / "tree"
            for r in rel:
                dst = tree / r
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes((gmnt / r).read_bytes())
            # those lookups started the tenant read-ahead: let it finish before measuring
            log("warm: waited %.1f s for the daemon to go quiet" % settle(emu))
            with Daemon("minimal_fs", [tools["minimal_fs"], tree, "-f", mmnt], mmnt, workdir) as md, \
                    Daemon("minimal_fs_flush", [tools["minimal_fs"], "--flush", tree, "-f", mfmnt], mfmnt,
                           workdir) as mfd, \
                    Daemon("minimal_fs_keep_cache", [tools["minimal_fs"], "--keep-cache", tree, "-f", mkmnt],
                           mkmnt, workdir) as mkd:
                backends = [("graphsyncfs", gmnt), ("minimal_fs", mmnt), ("minimal_fs_flush", mfmnt),
                            ("minimal_fs_keep_cache", mkmnt), ("tmpfs", tree)]
                pids = {"graphsyncfs": gd.proc.pid, "minimal_fs": md.proc.pid, "minimal_fs_flush": mfd.proc.pid,
                        "minimal_fs_keep_cache": mkd.proc.pid}
                cpu = {name: [] for name in pids}
                lists = {}
                for name, root in backends:
                    lists[name] = workdir / ("list-%s" % name)
                    lists[name].write_text("".join("%s/%s\n" % (root, r) for r in rel))
                emu.clear_requests()
                results = {name: [] for name, _ in backends}
                for rep in range(reps):
                    # each run starts with another backend, so none is always measured first
                    for name, _ in backends[rep % len(backends):] + backends[:rep % len(backends)]:
                        cpu0 = daemon_cpu_ns(pids[name]) if name in pids else 0
                        r = subprocess.run([str(tools["readloop"]), str(lists[name]), str(rounds)],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                           timeout=600)
                        if r.returncode != 0:
                            raise RuntimeError("readloop on %s failed: %s %s" % (name, r.stdout, r.stderr))
                        results[name].append(parse_readloop(r.stdout))
                        if name in pids:
                            # the warm-up round and every measured one
                            cpu[name].append((daemon_cpu_ns(pids[name]) - cpu0) / ((rounds + 1) * len(rel)))
                warm_requests = count_requests(emu)[0]
    finally:
        shutil.rmtree(shm, ignore_errors=True)

    us = {}
    for name, rs in results.items():
        medians = sorted(int(x["ns_median"]) for x in rs)
        us[name] = medians[len(medians) // 2] / len(rel) / 1000.0
    hashes = {x["hash"] for rs in results.values() for x in rs}
    nbytes = int(results["tmpfs"][0]["bytes"])
    for name in ("graphsyncfs", "minimal_fs", "minimal_fs_flush", "minimal_fs_keep_cache", "tmpfs"):
        note = ""
        if name == "graphsyncfs":
            note = " (%d files, %d bytes, %d rounds x %d runs, median)" % (len(rel), nbytes, rounds, reps)
        out("warm.%s.us_per_file" % name, "%.2f%s" % (us[name], note))
    out("warm.same_bytes", "yes" if len(hashes) == 1 else "no (%d different contents)" % len(hashes))
    out("warm.graph_requests_while_measuring", "%d" % warm_requests)
    out("warm.ratio.graphsyncfs/minimal_fs", "%.2f (target <= 1.5)" % (us["graphsyncfs"] / us["minimal_fs"]))
    out("warm.ratio.graphsyncfs/minimal_fs_flush", "%.2f" % (us["graphsyncfs"] / us["minimal_fs_flush"]))
    # graphsyncfs keeps the page cache while bytes stay the same: this is its own floor
    out("warm.ratio.graphsyncfs/minimal_fs_keep_cache", "%.2f" % (us["graphsyncfs"] / us["minimal_fs_keep_cache"]))
    out("warm.ratio.graphsyncfs/tmpfs", "%.2f" % (us["graphsyncfs"] / us["tmpfs"]))
    # what each daemon's threads spent on the CPU per file: moves less with the machine's load
    cpu_us = {name: sorted(v)[len(v) // 2] / 1000.0 for name, v in cpu.items()}
    for name in ("graphsyncfs", "minimal_fs", "minimal_fs_flush", "minimal_fs_keep_cache"):
        out("warm.%s.daemon_cpu_us_per_file" % name, "%.2f (median of %d runs)" % (cpu_us[name], reps))
    out("warm.ratio.daemon_cpu.graphsyncfs/minimal_fs_keep_cache",
        "%.2f" % (cpu_us["graphsyncfs"] / cpu_us["minimal_fs_keep_cache"]))


# ------------------------------------------------------------------ 3. peak RSS

def rss_scan(emu, args, workdir, name, options):
    """A fresh mount of the RSS tenant with these options: cat status.tsv (bounded by
    --rss-timeout), ls servicePrincipals, then the daemon's VmHWM and VmRSS."""
    n = args.rss_n
    mnt = workdir / ("mnt-" + name)
    mem = {}
    with Daemon(name, graphsyncfs_argv(args.build, emu.url, mnt, options), mnt, workdir) as d:
        def measure():
            mem["hwm"], mem["rss"] = d.status_kib("VmHWM"), d.status_kib("VmRSS")

        def give_up():
            measure()
            log("%s: did not finish within %d s; stopping the daemon" % (name, args.rss_timeout))
            d.stop()

        emu.clear_requests()
        log("%s: cat status.tsv (at most %d s)" % (name, args.rss_timeout))
        wall, stdout = run_shell("cat status.tsv", mnt, args.rss_timeout, on_timeout=give_up)
        listed = None
        if wall is not None:
            _, listing = run_shell("ls servicePrincipals", mnt, 120 + n * 0.1)
            listed = len(listing.split())
            measure()
    hwm, rss = mem["hwm"], mem["rss"]
    return {"wall": wall, "lines": len(stdout.splitlines()), "listed": listed, "hwm": (hwm or 0) / 1024.0,
            "rss": (rss or 0) / 1024.0, "requests": count_requests(emu)}


def bench_rss(args, workdir):
    n, m = args.rss_n, args.rss_m
    minimum = math.ceil(n / 999) + math.ceil(n / 20)
    log("rss: starting an emulator with large:%d:%d" % (n, m))
    with Emulator(tenant="large:%d:%d" % (n, m), latency_ms=args.latency_ms, time_scale=FROZEN_TIME_SCALE,
                  startup_timeout=600) as emu:
        runs = [("default options", rss_scan(emu, args, workdir, "graphsyncfs-rss", []))]
        if runs[0][1]["wall"] is None:
            # the scan with the defaults did not finish: measure a finished scan too, with
            # cache entries that outlive it
            opt = "status_timeout=%d" % args.warm_ttl
            runs.append(("-o " + opt, rss_scan(emu, args, workdir, "graphsyncfs-rss-ttl", [opt])))

    def scan_line(r):
        http, batches, items = r["requests"]
        return ("%d lines, %s listed; %d requests, %d $batch with %d items, %d other; minimum %d"
                % (r["lines"], r["listed"] if r["listed"] is not None else "-", http, batches, items,
                   http - batches, minimum))

    if len(runs) == 1:
        r = runs[0][1]
        out("rss.peak_mib", "%.1f (VmHWM; VmRSS %.1f MiB; after status.tsv and ls of %d service principals, "
            "%d jobs; target < 64)" % (r["hwm"], r["rss"], n, m))
        out("rss.scan.status_tsv_wall_s", "%.2f (%s)" % (r["wall"], scan_line(r)))
        return
    r, f = runs[0][1], runs[1][1]
    out("rss.default.status_tsv_wall_s", "%d+ (did NOT finish; killed after %d s; %s)"
        % (args.rss_timeout, args.rss_timeout, scan_line(r)))
    out("rss.default.peak_mib", "%.1f (VmHWM when killed; VmRSS %.1f MiB)" % (r["hwm"], r["rss"]))
    out("rss.peak_mib", "%.1f (VmHWM; VmRSS %.1f MiB; after status.tsv and ls of %d service principals, "
        "%d jobs, with %s since the default scan did not finish; target < 64)"
        % (f["hwm"], f["rss"], n, m, runs[1][0]))
    if f["wall"] is None:
        out("rss.scan.status_tsv_wall_s", "%d+ (did NOT finish with %s either; %s)"
            % (args.rss_timeout, runs[1][0], scan_line(f)))
    else:
        out("rss.scan.status_tsv_wall_s", "%.2f (with %s; %s)" % (f["wall"], runs[1][0], scan_line(f)))


# ------------------------------------------------------------------ 4. tenant scale (issue 14)

# The figures of issue 14's table before the scan engine was reworked ("now"): seconds, or
# requests/min, or MiB. None: it did not finish (the table gives a projection).
ISSUE14_NOW = {
    "status_tsv_10k": 21.0, "status_tsv_50k": None, "find": None, "du": None, "grep_jobs": None,
    "cat_schemas": None, "monitor_per_min": 1097.0, "throttled_ratio": 17.0, "rss_peak_50k": 112.0,
}
ISSUE14_NOW_TEXT = {
    "status_tsv_50k": "did not finish in 630 s", "find": "~1.5-2 h projected", "du": "~1.5-2 h projected",
    "grep_jobs": "did not finish in 90 s", "cat_schemas": "did not finish in 90 s",
}


def vs_now(key, value):
    now = ISSUE14_NOW.get(key)
    if value is None:
        return "now: %s" % (ISSUE14_NOW_TEXT.get(key) or now)
    if now is None:
        return "now: %s" % ISSUE14_NOW_TEXT.get(key, "-")
    return "%.2fx of now %g" % (value / now, now)


def pages(n):
    return max(1, math.ceil(n / 999))


def timed_mount_cmd(emu, args, workdir, name, cmd, timeout, options=(), before=None):
    """A fresh mount, one command on it (bounded by timeout: on timeout the daemon is stopped).
    Returns wall (None when it did not finish), stdout, requests, VmHWM and VmRSS (KiB)."""
    mnt = workdir / ("mnt-" + name)
    mem = {}
    with Daemon(name, graphsyncfs_argv(args.build, emu.url, mnt, options), mnt, workdir) as d:
        def measure():
            mem["hwm"], mem["rss"] = d.status_kib("VmHWM"), d.status_kib("VmRSS")

        def give_up():
            measure()
            log("%s: did not finish within %d s; stopping the daemon" % (name, timeout))
            d.stop()

        emu.clear_requests()
        if before:
            before(d, mnt)
        log("%s: %s" % (name, cmd))
        wall, stdout = run_shell("set -o pipefail; " + cmd, mnt, timeout, on_timeout=give_up)
        if wall is not None:
            measure()
    return {"wall": wall, "out": stdout, "requests": count_requests(emu), "hwm": mem.get("hwm"),
            "rss": mem.get("rss")}


def req_text(r, minimum=None):
    http, batches, items = r["requests"]
    t = "%d requests (%d $batch with %d items, %d other)" % (http, batches, items, http - batches)
    if minimum:
        t += "; %.2fx the minimum %d" % (http / minimum, minimum)
    return t


def wall_line(key, r, floor, now_key, target, minimum=None, extra=""):
    if r["wall"] is None:
        out(key, "%d+ (did NOT finish; %s; floor %.2f s; %s; target %s%s)"
            % (r["timeout"], req_text(r, minimum), floor, vs_now(now_key, None), target, extra))
    else:
        out(key, "%.2f (%.2fx floor %.2f s; %s; %s; target %s%s)"
            % (r["wall"], r["wall"] / floor, floor, vs_now(now_key, r["wall"]), req_text(r, minimum),
               target, extra))


def bench_tenant(args, workdir):
    """Issue 14: Unix tools over the whole mount at tenant scale, at --tenant-latency-ms."""
    n, m, lat = args.tenant_n, args.tenant_m, args.tenant_latency_ms / 1000.0
    to = args.tenant_timeout
    log("tenant: starting an emulator with large:%d:%d, latency %g ms" % (n, m, lat * 1000))
    with Emulator(tenant="large:%d:%d" % (n, m), latency_ms=lat * 1000, time_scale=FROZEN_TIME_SCALE,
                  startup_timeout=600) as emu:
        sps = emu.tenant()["servicePrincipals"]
        ntpl = sum(len(sp.get("templates", [])) for sp in sps)
        njobs = sum(len(sp.get("jobs", [])) for sp in sps)
        lb = math.ceil(n / 20)
        status_min = pages(n) + lb
        status_floor = lat * (pages(n) + 1)
        out("tenant.config", "n=%d m=%d (jobs %d, templates %d) latency_ms=%g; floors: listing pages in "
            "sequence, then one $batch latency (batches overlap)" % (n, m, njobs, ntpl, lat * 1000))
        if "status" in args.tenant_parts:
            r = timed_mount_cmd(emu, args, workdir, "t-status", "cat status.tsv | wc -l", to)
            r["timeout"] = to
            wall_line("tenant.status_tsv_10k.wall_s", r, status_floor, "status_tsv_10k", "<= 2.5x floor",
                      status_min, extra="; %s lines" % (r["out"].strip() or "-"))
        # find: every listing: templates/ and jobs/ per service principal, and the rules/ trees,
        # built from each template's schema and each job's schema;
        # du: also every file's size (secrets, and a job's functions and filterOperators)
        find_min = pages(n) + math.ceil((2 * n + ntpl + njobs) / 20)
        du_min = pages(n) + math.ceil((3 * n + ntpl + 3 * njobs) / 20)
        schema_batches = math.ceil(njobs / 20)
        walk_min = status_min + schema_batches
        for part, name, cmd, key, floor, minimum, target in (
                ("find", "t-find", "find . | wc -l", "find",
                 lat * (pages(n) + 1 + math.ceil(find_min / args.max_conns)), find_min, "< 60 s"),
                ("du", "t-du", "du -s . | cut -f1", "du", lat * (pages(n) + 1 + math.ceil(du_min / args.max_conns)),
                 du_min, "< 60 s"),
                ("grep", "t-grep", "grep -R -l Quarantine jobs/ | wc -l", "grep_jobs",
                 status_floor + lat * schema_batches, walk_min, "requests <= 1.2x status.tsv + schema batches"),
                ("cat", "t-cat", "cat jobs/*/schema.json | wc -c", "cat_schemas", status_floor + lat * schema_batches,
                 walk_min, "requests <= 1.2x status.tsv + schema batches")):
            if part not in args.tenant_parts:
                continue
            r = timed_mount_cmd(emu, args, workdir, name, cmd, to)
            r["timeout"] = to
            peak = "; daemon peak RSS %.1f MiB" % (r["hwm"] / 1024.0) if r.get("hwm") else ""
            wall_line("tenant.%s.wall_s" % key, r, floor, key, target, minimum,
                      extra="; output %s%s" % (r["out"].strip() or "-", peak))
        if "monitor" in args.tenant_parts:
            bench_monitor(emu, args, workdir, n, m)
        if "throttled" in args.tenant_parts:
            bench_throttled(args, workdir)
    if "big" in args.tenant_parts:
        bench_big(args, workdir)


def bench_monitor(emu, args, workdir, n, m):
    period, total = 10, args.monitor_s
    cmd = ("end=$((SECONDS + %d)); while [ $SECONDS -lt $end ]; do cat status.tsv > /dev/null; sleep %d; done"
           % (total, period))
    r = timed_mount_cmd(emu, args, workdir, "t-monitor", cmd, total + 300)
    http = r["requests"][0]
    per_min = http * 60.0 / total
    st, dt = 5.0, 60.0
    expect = (60.0 / max(st, period)) * math.ceil(m / 20) + (60.0 / dt) * (math.ceil((n - m) / 20) + pages(n))
    out("tenant.monitor.requests_per_min", "%.0f (cat status.tsv every %d s for %d s, cold start included; "
        "%.2fx the expected %.0f = M/20 per max(status_timeout, period) + (N-M)/20 + pages per dir_timeout; "
        "target <= 1.2x; %s)" % (per_min, period, total, per_min / expect, expect, vs_now("monitor_per_min", per_min)))


def bench_throttled(args, workdir):
    n = args.throttle_n
    m = max(1, n * args.tenant_m // args.tenant_n)
    lat = args.tenant_latency_ms
    res = {}
    with Emulator(tenant="large:%d:%d" % (n, m), latency_ms=lat, time_scale=FROZEN_TIME_SCALE,
                  startup_timeout=600) as emu:
        for name, rules in (("unthrottled", []),
                            # once: an item that waited its Retry-After is served (Graph's model; one
                            # sent earlier is throttled again and counted: the daemon's `early`)
                            ("throttled", [{"batch_item": True, "status": 429, "retry_after": "1", "rate": 0.15,
                                            "path": "/synchronization/jobs$", "once": True},
                                           {"batch_item": True, "status": 429, "retry_after": "2", "rate": 0.18,
                                            "path": "/synchronization/jobs$", "once": True}])):
            emu.set_faults(rules)
            r = timed_mount_cmd(emu, args, workdir, "t-" + name, "cat status.tsv | wc -l", args.tenant_timeout)
            r["timeout"] = args.tenant_timeout
            r["early"] = sum(f.get("early", 0) for f in emu.faults())
            res[name] = r
        emu.clear_faults()
    u, t = res["unthrottled"], res["throttled"]
    out("tenant.throttled.unthrottled_wall_s", "%s (N=%d, %s)" % (
        "%.2f" % u["wall"] if u["wall"] is not None else "%d+" % args.tenant_timeout, n, req_text(u)))
    if u["wall"] is None or t["wall"] is None:
        out("tenant.throttled.wall_s", "%s (did NOT finish; %s)" % ("%d+" % args.tenant_timeout, req_text(t)))
        return
    ratio = t["wall"] / u["wall"]
    out("tenant.throttled.wall_s", "%.2f (30%% of batch items 429 once, Retry-After 1-2 s; %.2fx unthrottled, "
        "target <= 3x; now 17x; %s; %d sent before their Retry-After)" % (t["wall"], ratio, req_text(t), t["early"]))


def bench_big(args, workdir):
    n = args.big_n
    m = max(1, n * args.tenant_m // args.tenant_n)
    lat = args.tenant_latency_ms / 1000.0
    log("tenant: starting an emulator with large:%d:%d" % (n, m))
    with Emulator(tenant="large:%d:%d" % (n, m), latency_ms=lat * 1000, time_scale=FROZEN_TIME_SCALE,
                  startup_timeout=900) as emu:
        idle = {}

        def note_idle(d, mnt):
            os.stat(mnt)  # (listing the root would build status.tsv: its size)
            idle["rss"] = d.status_kib("VmRSS")

        mnt = workdir / "mnt-t-big"
        with Daemon("t-big", graphsyncfs_argv(args.build, emu.url, mnt), mnt, workdir) as d:
            note_idle(d, mnt)
            emu.clear_requests()
            state = {}

            def give_up():
                state["hwm"] = d.status_kib("VmHWM")
                log("t-big: did not finish within %d s; stopping the daemon" % args.big_timeout)
                d.stop()

            log("t-big: cat status.tsv")
            wall, lines = run_shell("set -o pipefail; cat status.tsv | wc -l", mnt, args.big_timeout, on_timeout=give_up)
            r = {"wall": wall, "requests": count_requests(emu), "timeout": args.big_timeout}
            after = None
            if wall is not None:
                state["hwm"] = d.status_kib("VmHWM")
                time.sleep(args.expiry_wait)
                after = d.status_kib("VmRSS")
    floor = lat * (pages(n) + 1)
    wall_line("tenant.status_tsv_50k.wall_s", r, floor, "status_tsv_50k", "<= 2.5x floor, default options; %s lines" % (lines.strip() if wall is not None else "-"),
              pages(n) + math.ceil(n / 20))
    idle_mib = (idle.get("rss") or 0) / 1024.0
    peak = (state.get("hwm") or 0) / 1024.0
    out("tenant.rss_50k.peak_mib", "%.1f (VmHWM, N=%d, cache_size 64M: %.1f MiB over it, target < 32; %s)"
        % (peak, n, peak - 64, vs_now("rss_peak_50k", peak)))
    if after is not None:
        out("tenant.rss_50k.after_expiry_mib", "%.1f (VmRSS %d s after the scan; idle %.1f MiB: %.2fx, "
            "target <= 1.5x)" % (after / 1024.0, args.expiry_wait, idle_mib, after / 1024.0 / max(idle_mib, 0.1)))


# ------------------------------------------------------------------ main

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, help="service principals in the scan tenant (default 2000)")
    p.add_argument("--m", type=int, help="of which with a job (default 100)")
    p.add_argument("--latency-ms", type=float, help="emulator latency per Graph response (default 50)")
    p.add_argument("--rss-n", type=int, help="service principals in the RSS tenant (default 10000)")
    p.add_argument("--rss-m", type=int, help="of which with a job (default rss_n * m / n)")
    p.add_argument("--build", default="build-bench", help="meson build dir with fs/graphsyncfs "
                   "(relative to the repository; default build-bench)")
    p.add_argument("--warm-files", type=int, default=100, help="status files read warm (default 100)")
    p.add_argument("--warm-rounds", type=int, help="rounds over them per run (default 200)")
    p.add_argument("--warm-reps", type=int, default=5,
                   help="runs per backend, interleaved, each starting with another backend (default 5)")
    p.add_argument("--warm-ttl", type=int, default=3600,
                   help="status_timeout and dir_timeout of the warm mount (default 3600)")
    p.add_argument("--rss-timeout", type=int, help="time limit of the RSS scan, seconds (default 300)")
    p.add_argument("--tenant-n", type=int, default=10000, help="issue 14 tenant: service principals (10000)")
    p.add_argument("--tenant-m", type=int, help="of which with a job (default 5%%)")
    p.add_argument("--tenant-latency-ms", type=float, default=150, help="issue 14 latency (default 150)")
    p.add_argument("--tenant-timeout", type=int, default=120, help="time limit per issue 14 workload (120 s)")
    p.add_argument("--monitor-s", type=int, default=120, help="length of the monitoring loop (120 s)")
    p.add_argument("--throttle-n", type=int, default=2000, help="tenant of the throttled scan (2000)")
    p.add_argument("--big-n", type=int, default=50000, help="the large status.tsv and RSS tenant (50000)")
    p.add_argument("--big-timeout", type=int, default=300, help="time limit of its scan (300 s)")
    p.add_argument("--expiry-wait", type=int, default=75, help="seconds after it before RSS is read again")
    p.add_argument("--tenant-parts", default="status,find,du,grep,cat,monitor,throttled,big",
                   help="issue 14 parts to run (comma list; default all)")
    p.add_argument("--max-conns", type=int, default=32, help="the daemon's max_conns, for the floors (32)")
    p.add_argument("--mount-opt", action="append", default=[],
                   help="a -o option added to every graphsyncfs mount, e.g. max_names=0 (repeatable)")
    p.add_argument("--skip", action="append", default=[], choices=["scan", "warm", "rss", "tenant"],
                   help="leave out a part (repeatable)")
    p.add_argument("--quick", action="store_true", help="small N, low latency: a smoke test of this script")
    a = p.parse_args(argv)
    quick = {"n": 200, "m": 20, "latency_ms": 5, "rss_n": 1000, "warm_rounds": 20, "rss_timeout": 30}
    full = {"n": 2000, "m": 100, "latency_ms": 50, "rss_n": 10000, "warm_rounds": 200, "rss_timeout": 300}
    for k, v in (quick if a.quick else full).items():
        if getattr(a, k) is None:
            setattr(a, k, v)
    if a.tenant_m is None:
        a.tenant_m = max(1, a.tenant_n // 20)
    if a.rss_m is None:
        a.rss_m = max(1, a.rss_n * a.m // a.n) if a.n else 0
    if not 0 < a.n or not 0 <= a.m <= a.n or not 0 <= a.rss_m <= a.rss_n:
        p.error("need 0 < N, 0 <= M <= N, 0 <= rss_m <= rss_n")
    build = Path(a.build)
    a.build = (build if build.is_absolute() else REPO / build).resolve()
    if not (a.build / "fs" / "graphsyncfs").is_file():
        p.error("%s/fs/graphsyncfs does not exist: cd %s && meson setup %s --buildtype=release && ninja -C %s"
                % (a.build, REPO, a.build.name, a.build.name))
    return a


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    EXTRA_OPTS[:] = args.mount_opt
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    workdir = Path(tempfile.mkdtemp(prefix="graphsyncfs-bench-"))
    t0 = time.monotonic()
    try:
        tools = {name: compile_c(HERE / ("%s.c" % name), workdir / name) for name in ("minimal_fs", "readloop")}
        out("bench.config", "n=%d m=%d latency_ms=%g rss_n=%d rss_m=%d build=%s quick=%s kernel=%s cpus=%d"
            % (args.n, args.m, args.latency_ms, args.rss_n, args.rss_m, args.build.name,
               "yes" if args.quick else "no", platform.release(), os.cpu_count() or 0))
        if "scan" not in args.skip or "warm" not in args.skip:
            log("starting an emulator with large:%d:%d, latency %g ms" % (args.n, args.m, args.latency_ms))
            with Emulator(tenant="large:%d:%d" % (args.n, args.m), latency_ms=args.latency_ms,
                          time_scale=FROZEN_TIME_SCALE, startup_timeout=600) as emu:
                if "scan" not in args.skip:
                    bench_scan(emu, args, workdir)
                if "warm" not in args.skip:
                    bench_warm(emu, args, workdir, tools)
        if "rss" not in args.skip:
            bench_rss(args, workdir)
        if "tenant" not in args.skip:
            bench_tenant(args, workdir)
        out("bench.wall_s", "%.1f" % (time.monotonic() - t0))
        return 0
    finally:
        stop_all_daemons()
        remove_workdir(workdir)


if __name__ == "__main__":
    sys.exit(main())

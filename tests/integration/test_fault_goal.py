"""The goal of issue 13, measured: at 30 % 429/503 and 5 % connection resets on every kind
of request (actions included), zero errors for reads and for every idempotent request, zero
duplicate POSTs, and each action whose outcome is unknown reported as unknown (EIO, and
last_error says "outcome: unknown"), never silently retried.

Four threads run a mix of operations on the demo tenant, each acting on a job of its own
(so that its last_error is its own): reads of every kind of file (70 %), schema saves (PUT)
and parseExpression (a POST without side effect, 15 %), start/pause/restart (15 %).
test_fault_goal_short runs 600 operations (CI); test_fault_goal_5000 (-m load) 5,000.
The emulator's request log is the witness for the request figures.

    GS_BUILD_DIR=$PWD/build /usr/bin/python3 -m pytest -q -s tests/integration/test_fault_goal.py
"""

import collections
import errno
import json
import os
import random
import threading
import time

import pytest

from tests.integration import mount_util as mu

OPTIONS = ["retries=10", "timeout=20", "status_timeout=0.3", "dir_timeout=1"]
ACTION_RX = ("/start", "/pause", "/restart")
NAMES = ("Salesforce", "ServiceNow", "Slack", "Zoom")
MARK = '"defaultValue": '


def rules():
    """5 % resets on everything (the request was read; nothing done), then about 30 % 429/503
    with a small Retry-After, on plain requests and on $batch items."""
    p429 = 0.15 / 0.95
    p503 = 0.15 / (0.95 * (1 - p429))
    return [
        {"action": "reset", "rate": 0.05},
        {"status": 429, "retry_after": "0.05", "rate": p429},
        {"status": 503, "retry_after": "0.05", "rate": p503},
        {"status": 429, "retry_after": "0.05", "rate": 0.15, "batch_item": True},
        {"status": 503, "retry_after": "0.05", "rate": 0.15 / 0.85, "batch_item": True},
    ]


class Worker:
    def __init__(self, m, n, sp, job, all_jobs, seed):
        self.m, self.n, self.sp, self.job, self.all_jobs = m, n, sp, job, all_jobs
        self.rng = random.Random(seed)
        self.d = m / "servicePrincipals" / sp / "jobs" / job
        self.figures = collections.Counter()
        self.failures = []
        self.saves = 0

    def fail(self, kind, what, err):
        self.failures.append((kind, what, mu.errno_name(err)))

    def read(self):
        sp, job = self.rng.choice(self.all_jobs)
        spd = self.m / "servicePrincipals" / sp
        choice = self.rng.random()
        if choice < 0.55:
            name = self.rng.choice(["status.json", "job.json", "schedule.json", "schema.json", "functions.json"])
            path, func = spd / "jobs" / job / name, lambda p: json.loads(mu.read_file(p))
        elif choice < 0.7:
            path, func = spd / self.rng.choice(["secrets.json", "servicePrincipal.json"]), mu.read_file
        elif choice < 0.9:
            path, func = spd / self.rng.choice(["jobs", "templates"]), os.listdir
        else:
            path, func = self.m / "status.tsv", mu.read_file
        try:
            func(path)
            self.figures["reads"] += 1
        except OSError as e:
            self.fail("read", path, e.errno)

    def idempotent(self):
        if self.rng.random() < 0.5:
            try:
                text = mu.read_file(self.d / "schema.json", "r")
                self.saves += 1
                new = text.replace(MARK + "null", MARK + '"gs-goal-%d"' % self.saves, 1)
                if new == text:
                    i = text.index(MARK + '"gs-goal-')
                    j = text.index('"', i + len(MARK) + 1)
                    new = text[:i] + MARK + '"gs-goal-%d' % self.saves + text[j:]
                mu.write_file(self.d / "schema.json", new, "w")
                self.figures["schema saves (PUT)"] += 1
            except OSError as e:
                self.fail("PUT", "schema.json", e.errno)
        else:
            try:
                mu.write_file(self.d / "parseExpression", b'Join(" ", [givenName], [surname])\n')
                json.loads(mu.read_file(self.d / "parseExpression"))
                self.figures["parseExpression (safe POST)"] += 1
            except OSError as e:
                self.fail("safe POST", "parseExpression", e.errno)

    def action(self):
        name = self.rng.choice(["start", "pause", "restart"])
        data = b"\n" if name != "restart" else b"Watermark\n"
        try:
            mu.write_file(self.d / name, data)
            self.figures["actions done"] += 1
        except OSError as e:
            last = mu.read_file(self.d / "last_error").decode()
            if e.errno == errno.EIO and "outcome: unknown" in last:
                self.figures["actions unknown, reported"] += 1
            else:
                self.fail("action", name, e.errno)

    def run(self):
        for _ in range(self.n):
            x = self.rng.random()
            if x < 0.70:
                self.read()
            elif x < 0.85:
                self.idempotent()
            else:
                self.action()


def action_posts(entries):
    return [e for e in entries if e.get("method") == "POST" and e.get("path", "").endswith(ACTION_RX)
            and not e.get("batch_item")]


def crid(e):
    h = {k.lower(): v for k, v in (e.get("headers") or {}).items()}
    return h.get("client-request-id")


def run_goal(mount_factory, emulator_factory, total):
    emu = emulator_factory(faults=rules(), seed=13)
    m = mount_factory(emu=emu, options=OPTIONS)
    t = m.tenant()
    all_jobs = [(sp["id"], j) for sp in t["servicePrincipals"] for j in sp["jobs"]]
    mine = [next((sp["id"], sp["jobs"][0]) for sp in t["servicePrincipals"] if sp["displayName"] == n and sp["jobs"])
            for n in NAMES]
    workers = [Worker(m, total // len(mine), sp, job, all_jobs, seed=i) for i, (sp, job) in enumerate(mine)]
    t0 = time.monotonic()
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers]
    for th in threads:
        th.start()
    for th in threads:
        th.join(3000)
    took = time.monotonic() - t0
    assert not any(th.is_alive() for th in threads), "a worker is still blocked"
    entries = emu.requests()
    emu.clear_faults()

    figures = collections.Counter()
    for w in workers:
        figures.update(w.figures)
    failures = [f for w in workers for f in w.failures]
    posts = action_posts(entries)
    by_id = collections.defaultdict(list)
    for e in posts:
        by_id[crid(e)].append(e)
    duplicates = [i for i, es in by_id.items()
                  if sum(1 for e in es if e.get("fault") == "reset" or 200 <= (e.get("status") or 0) < 300) > 1]
    resets = sum(1 for e in posts if e.get("fault") == "reset")
    c = collections.Counter(e.get("fault") or e.get("status") for e in entries if e.get("kind") != "oauth")
    ops = sum(figures.values()) + len(failures)
    print("fault goal: %d operations in %.0f s: %s; requests %d (resets %d, 429 %d, 503 %d); action POSTs %d, "
          "lost to a reset %d, duplicated %d; failures %d"
          % (ops, took, dict(figures), sum(c.values()), c.get("reset", 0), c.get(429, 0), c.get(503, 0),
             len(posts), resets, len(duplicates), len(failures)))
    assert ops >= total - len(mine)
    assert failures == [], failures[:20]
    assert duplicates == [], duplicates[:5]
    assert None not in by_id, "an action POST without client-request-id"
    # every action that lost its answer was reported as unknown, and only those
    assert figures["actions unknown, reported"] == resets, (figures, resets)
    assert c.get("reset", 0) > 0 and c.get(429, 0) + c.get(503, 0) > 0.2 * sum(c.values())
    assert m.unmount() == 0


LOST = r"warning: POST .*: ConnectionLost: .*not resent"


@pytest.mark.timeout(900)
@pytest.mark.allow_stderr(LOST)
def test_fault_goal_short(mount_factory, emulator_factory):
    run_goal(mount_factory, emulator_factory, 600)


@pytest.mark.load
@pytest.mark.timeout(3600)
@pytest.mark.allow_stderr(LOST)
def test_fault_goal_5000(mount_factory, emulator_factory):
    run_goal(mount_factory, emulator_factory, 5000)

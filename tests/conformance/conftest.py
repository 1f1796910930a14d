"""Conformance tests of the Graph emulator (tests/emulator) against graph-sync-api.md.

These tests are written from the spec (/work/shared/graph-sync-api.md and
tests/emulator/README.md), not from the emulator's code. A failing test means the emulator
differs from Graph, unless the test misreads the spec.

Fixtures
--------
emu            session-scoped demo-tenant Emulator (time-scale 60: states stay put), for tests
               that only read.
g              GraphHTTP on `emu`, /v1.0 (g.with_version("beta") for /beta).
demo           DemoTenant view of `emu` (service principals, jobs, templates, lookups).
fresh          function-scoped demo-tenant Emulator (time-scale 0.01) for tests that change
               state or set faults; fresh_g / fresh_demo go with it.
emu_factory    emu_factory(tenant="demo", **kw) -> a started Emulator, stopped after the test.
"""

import json
import os
import sys
import threading
from pathlib import Path

import pytest

from tests.conformance.graphhttp import GraphHTTP, q

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FAST = float(os.environ.get("GS_CONFORMANCE_TIME_SCALE", "0.01"))


def _emulator_class():
    try:
        from tests.emulator.control import Emulator
    except Exception as e:  # pragma: no cover - reported as a failure, not a skip
        pytest.fail(f"cannot import tests.emulator.control.Emulator: {e!r}")
    return Emulator


def start_emulator(**kw):
    Emulator = _emulator_class()
    kw.setdefault("tenant", "demo")
    emu = Emulator(**kw)
    started = emu.__enter__()
    return started if started is not None else emu


def stop_emulator(emu):
    emu.__exit__(None, None, None)


class DemoTenant:
    """Lookups over GET /_emulator/tenant plus a few Graph reads."""

    def __init__(self, emu, g):
        self.emu = emu
        self.g = g
        self.summary = emu.tenant()
        self.tenant_id = self.summary["tenantId"]
        self.sps = self.summary["servicePrincipals"]

    def refresh(self):
        self.summary = self.emu.tenant()
        self.sps = self.summary["servicePrincipals"]
        return self

    def sp(self, sp_id):
        return next(s for s in self.sps if s["id"] == sp_id)

    def sps_with_jobs(self):
        return [s for s in self.sps if s.get("jobs")]

    def sps_without_jobs(self):
        return [s for s in self.sps if not s.get("jobs")]

    def all_jobs(self):
        return [(s["id"], j) for s in self.sps for j in s.get("jobs", [])]

    def job_path(self, sp_id, job_id):
        return f"/servicePrincipals/{q(sp_id)}/synchronization/jobs/{q(job_id)}"

    def get_job(self, sp_id, job_id):
        r = self.g.get(self.job_path(sp_id, job_id))
        assert r.status == 200, r
        return r.json()

    def jobs_by_status(self):
        out = {}
        for sp_id, job_id in self.all_jobs():
            job = self.get_job(sp_id, job_id)
            out.setdefault(job["status"]["code"], []).append((sp_id, job_id, job))
        return out

    def job_with_status(self, code):
        for sp_id, job_id in self.all_jobs():
            job = self.get_job(sp_id, job_id)
            if job["status"]["code"] == code:
                return sp_id, job_id, job
        return None

    def any_job(self):
        """A job whose template's schema has at least one rule (sp_id, job_id)."""
        for sp_id, job_id in self.all_jobs():
            r = self.g.get(self.job_path(sp_id, job_id) + "/schema")
            if r.status == 200 and r.json().get("synchronizationRules"):
                return sp_id, job_id
        raise AssertionError("demo tenant has no job with a non-empty schema")

    def sp_with_templates(self, with_jobs=None):
        """A service principal with templates; by default one without jobs when there is one."""
        cands = [s for s in self.sps if s.get("templates")]
        if with_jobs is True:
            cands = [s for s in cands if s.get("jobs")]
        elif with_jobs is False:
            cands = [s for s in cands if not s.get("jobs")]
        else:
            cands.sort(key=lambda s: bool(s.get("jobs")))
        if not cands:
            raise AssertionError(f"demo tenant has no service principal with templates (with_jobs={with_jobs})")
        return cands[0]

    def inbound_job(self):
        """An API-driven inbound provisioning job (template id API2AAD, or factoryTag/metadata
        naming inbound provisioning)."""
        for sp_id, job_id in self.all_jobs():
            job = self.get_job(sp_id, job_id)
            tid = job.get("templateId") or ""
            if "api2aad" in tid.lower() or "inbound" in tid.lower():
                return sp_id, job_id
        raise AssertionError("demo tenant has no API-driven inbound job (templateId API2AAD)")


@pytest.fixture(scope="session")
def emu():
    # read-only tests look for jobs by status: a Graph minute lasts a real minute here, so no
    # job changes state during the run
    e = start_emulator(tenant="demo", time_scale=60.0)
    yield e
    stop_emulator(e)


@pytest.fixture(scope="session")
def g(emu):
    return GraphHTTP(emu.url)


@pytest.fixture(scope="session")
def demo(emu, g):
    return DemoTenant(emu, g)


class _FreshPool:
    """Hands out freshly started demo emulators (time-scale FAST), each used by one test only.
    The next one is started in the background while a test runs, and used ones are terminated
    without waiting (reaped at session end): this keeps ~100 private emulators cheap."""

    def __init__(self):
        self._spare = None
        self._thread = None
        self._error = None
        self._dead = []

    def _start_spare(self):
        def run():
            try:
                self._spare = start_emulator(tenant="demo", time_scale=FAST)
            except Exception as e:  # reported by take()
                self._error = e
        self._spare, self._error = None, None
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def take(self):
        if self._thread is None:
            self._start_spare()
        self._thread.join()
        e, err = self._spare, self._error
        self._start_spare()
        if err is not None:
            raise err
        return e

    def release(self, e):
        proc = getattr(e, "proc", None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
        self._dead.append(e)

    def close(self):
        if self._thread is not None:
            self._thread.join()
            if self._spare is not None:
                self._dead.append(self._spare)
        for e in self._dead:
            stop_emulator(e)
        self._dead = []


@pytest.fixture(scope="session")
def _fresh_pool():
    pool = _FreshPool()
    yield pool
    pool.close()


@pytest.fixture
def fresh(_fresh_pool):
    e = _fresh_pool.take()
    yield e
    _fresh_pool.release(e)


@pytest.fixture
def fresh_g(fresh):
    return GraphHTTP(fresh.url)


@pytest.fixture
def fresh_demo(fresh, fresh_g):
    return DemoTenant(fresh, fresh_g)


@pytest.fixture
def emu_factory():
    started = []

    def make(**kw):
        e = start_emulator(**kw)
        started.append(e)
        return e

    yield make
    for e in reversed(started):
        stop_emulator(e)


def pretty(obj):
    return json.dumps(obj, indent=1, sort_keys=True)[:3000]

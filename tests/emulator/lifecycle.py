"""Jobs that live: provisioning cycles on a time-scaled clock, start/pause/restart, quarantine.

Graph time runs on a virtual clock: one Graph minute lasts `time_scale` real seconds. Events
(cycle begins, cycle ends, quarantine re-evaluations) sit in a heap keyed by virtual minutes, so a
change of time_scale at run time simply changes how fast that clock runs. Timestamps written into
jobs are wall-clock UTC at the moment things happen; nextAttempt is when the retry will really run.
"""

import heapq
import itertools
import random
import threading
import time

from tests.emulator import credentials
from tests.emulator.util import MAX_INTERVAL, NEVER, duration_minutes, iso, new_guid, utcnow

TROUBLESHOOTING_URL = "https://go.microsoft.com/fwlink/?linkid=2099908"
RESTART_FLAGS = {"none": 0, "connectordatastore": 1, "escrows": 2, "watermark": 4, "quarantinestate": 8,
                 "full": 15, "forcedeletes": 32}
PORTAL_RESTART = 2 | 4 | 8          # empty resetScope: QuarantineState, Watermark, Escrows
QUARANTINE_BACKOFF_MIN = [60, 360, 720, 1440]   # Graph minutes before the 1st, 2nd, 3rd, later retry


class BadScope(ValueError):
    pass


def parse_reset_scope(text):
    if text is None or str(text).strip() == "":
        return PORTAL_RESTART
    flags = 0
    for part in str(text).split(","):
        p = part.strip().lower()
        if p not in RESTART_FLAGS:
            raise BadScope(part.strip())
        flags |= RESTART_FLAGS[p]
    return flags


def execution(activity, began, ended, imported, deltas, exported, escrowed, entitled, state, error=None):
    return {"activityIdentifier": activity, "countEntitled": entitled, "countEntitledForProvisioning": entitled,
            "countEscrowed": escrowed, "countEscrowedRaw": escrowed, "countExported": exported,
            "countExports": exported, "countImported": imported, "countImportedDeltas": deltas,
            "countImportedReferenceDeltas": 0, "error": error, "state": state, "timeBegan": iso(began),
            "timeEnded": iso(ended)}


class Engine:
    def __init__(self, settings, seed=1):
        self.tenant = None                  # set by attach(); the tenant shares this engine's lock
        self.lock = threading.RLock()
        self.settings = settings
        self.rng = random.Random(f"cycles/{seed}")
        self.heap = []
        self.seq = itertools.count()
        self.cond = threading.Condition(self.lock)
        self.v0 = 0.0                       # virtual minutes at real time t0
        self.t0 = time.monotonic()
        self.scale = settings.time_scale
        self.stopped = False
        self.cycle_listeners = []           # f(job, run, now, exported, escrowed) after a cycle completes
        self.thread = threading.Thread(target=self._run, name="job-cycles", daemon=True)

    def attach(self, tenant):
        tenant.lock = self.lock
        self.tenant = tenant

    # ---------------------------------------------------------------- the clock

    def vnow(self):
        return self.v0 + (time.monotonic() - self.t0) / self.scale

    def real_seconds(self, minutes):
        return minutes * self.scale

    def set_time_scale(self, scale):
        with self.cond:
            self.v0 = self.vnow()
            self.t0 = time.monotonic()
            self.scale = scale
            self.cond.notify_all()

    # ---------------------------------------------------------------- scheduling

    def schedule(self, job, minutes, kind):
        """Runs event `kind` for `job` after `minutes` of Graph time, cancelling earlier events."""
        with self.cond:
            job.generation += 1
            heapq.heappush(self.heap, (self.vnow() + minutes, next(self.seq), job, job.generation, kind))
            self.cond.notify_all()

    def cancel(self, job):
        with self.cond:
            job.generation += 1

    def start_thread(self):
        self.thread.start()

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def _run(self):
        with self.cond:
            while not self.stopped:
                now_v = self.vnow()
                while self.heap and self.heap[0][0] <= now_v:
                    _, _, job, gen, kind = heapq.heappop(self.heap)
                    if gen != job.generation or job.sp.jobs.get(job.id) is not job:
                        continue
                    try:
                        self._event(job, kind)
                    except Exception as e:  # a broken job must not stop every other job
                        print(f"emulator: cycle of {job.id} failed: {e!r}", flush=True)
                if self.heap:
                    wait = max((self.heap[0][0] - self.vnow()) * self.scale, 0.001)
                    self.cond.wait(min(wait, 1.0))
                else:
                    self.cond.wait(1.0)

    def _event(self, job, kind):
        if kind == "begin":
            self.begin_cycle(job)
        elif kind == "end":
            self.end_cycle(job)
        elif kind == "retry":
            self.begin_cycle(job)

    # ---------------------------------------------------------------- cycles

    def interval_minutes(self, job):
        return duration_minutes(job.schedule.get("interval")) or 40.0

    def cycle_minutes(self, job):
        """How long a cycle lasts in Graph minutes: a full import takes longer."""
        if job.full_next:
            return min(2.0 + job.population / 2000.0, 30.0)
        return 0.5

    def begin_cycle(self, job):
        with self.tenant.lock:
            now = utcnow()
            full = job.full_next
            job.running = {"began": now, "activity": new_guid(), "full": full}
            if full:
                job.status["progress"] = [{"completedUnits": 0, "progressObservationDateTime": iso(now),
                                           "totalUnits": job.population, "units": job.template.units}]
            self.schedule(job, self.cycle_minutes(job), "end")

    def end_cycle(self, job):
        """Completes the cycle in progress (or a whole cycle at once when none is)."""
        with self.tenant.lock:
            now = utcnow()
            run = job.running or {"began": now, "activity": new_guid(), "full": job.full_next}
            job.running = None
            st = job.status
            bad = credentials.problem(job.template, job.sp.secrets)
            if bad:
                self._fail(job, run, now, bad)
                return
            full = run["full"]
            rng = self.rng
            imported = job.population + job.uploaded if full else rng.randint(0, 6) + job.uploaded
            deltas = imported if full else imported
            exported = (job.population + job.uploaded) if job.cycles == 0 and full else rng.randint(0, 3) + job.uploaded
            escrowed = rng.choice([0] * 9 + [rng.randint(1, 4)])
            state = "EntryLevelErrors" if escrowed else "Succeeded"
            ex = execution(run["activity"], run["began"], now, imported, deltas, exported, escrowed,
                           job.population + job.uploaded, state)
            job.population += job.uploaded
            job.uploaded = 0
            for listener in self.cycle_listeners:
                listener(job, run, now, exported, escrowed)
            st["lastExecution"] = ex
            if state == "Succeeded":
                st["lastSuccessfulExecution"] = ex
            if exported:
                st["lastSuccessfulExecutionWithExports"] = ex
            if exported == 0 or not full:
                if st["steadyStateFirstAchievedTime"] == NEVER:
                    st["steadyStateFirstAchievedTime"] = iso(now)
                st["steadyStateLastAchievedTime"] = iso(now)
            st["countSuccessiveCompleteFailures"] = 0
            st["quarantine"] = None
            st["troubleshootingUrl"] = None
            st["progress"] = []
            st["synchronizedEntryCountByType"] = self._counts(job)
            job.cycles += 1
            job.full_next = False
            job.force_deletes = False
            if job.schedule["state"] == "Active":
                st["code"] = "Active"
                self.schedule(job, self.interval_minutes(job), "begin")
            else:
                self.cancel(job)

    def _counts(self, job):
        t = job.template
        src = t.object_type
        counts = [{"key": f"{src} to User", "value": job.population}]
        if job.groups and any(len(r["objectMappings"]) > 1 for r in job.current_schema()["synchronizationRules"]):
            counts.append({"key": "Group to Group", "value": job.groups})
        return counts

    def _fail(self, job, run, now, reason):
        st = job.status
        err = credentials.sync_error(job.template, reason)
        st["lastExecution"] = execution(run["activity"], run["began"], now, 0, 0, 0, 0, 0, "Failed", err)
        st["countSuccessiveCompleteFailures"] += 1
        st["progress"] = []
        q = st.get("quarantine")
        n = (q or {}).get("seriesCount", 0) + 1
        delay = QUARANTINE_BACKOFF_MIN[min(n - 1, len(QUARANTINE_BACKOFF_MIN) - 1)]
        nxt = credentials.later(now, self.real_seconds(delay))
        st["quarantine"] = credentials.quarantine_object(err, now, nxt, (q or {}).get("seriesBegan"), n)
        st["code"] = "Quarantine"
        st["troubleshootingUrl"] = TROUBLESHOOTING_URL
        job.cycles += 1
        if job.schedule["state"] == "Active":
            self.schedule(job, delay, "retry")
        else:
            self.cancel(job)

    def run_cycle(self, job):
        """A whole cycle now (control API): begins if none is running, then ends it."""
        with self.tenant.lock:
            if job.running is None:
                job.running = {"began": utcnow(), "activity": new_guid(), "full": job.full_next}
            self.end_cycle(job)

    # ---------------------------------------------------------------- operations

    def start(self, job):
        with self.tenant.lock:
            st = job.status
            if job.schedule["state"] == "Active" and st.get("quarantine") is None:
                return  # already running: Graph accepts the call; nothing changes
            job.schedule["state"] = "Active"
            if job.schedule["interval"] == MAX_INTERVAL:
                job.schedule["interval"] = job.template.interval
            st["quarantine"] = None
            st["troubleshootingUrl"] = None
            st["code"] = "Active" if st.get("lastExecution") else "NotRun"
            if job.running is None:
                self.schedule(job, 0.05, "begin")

    def pause(self, job):
        with self.tenant.lock:
            job.schedule["state"] = "Paused"
            job.status["code"] = "Paused"
            job.running = None
            self.cancel(job)

    def restart(self, job, flags):
        with self.tenant.lock:
            st = job.status
            if flags & 8:   # QuarantineState
                st["quarantine"] = None
                st["troubleshootingUrl"] = None
                st["countSuccessiveCompleteFailures"] = 0
            if flags & 2:   # Escrows
                for k in ("lastExecution", "lastSuccessfulExecution", "lastSuccessfulExecutionWithExports"):
                    if st.get(k):
                        st[k] = dict(st[k], countEscrowed=0, countEscrowedRaw=0)
            if flags & 4:   # Watermark: the next cycle reprocesses everything
                job.full_next = True
            if flags & 32:
                job.force_deletes = True
                # "Allow deletes": the held deletions go ahead, so the hold ends
                if (st.get("quarantine") or {}).get("reason") == "TooManyDeletes":
                    st["quarantine"] = None
                    st["troubleshootingUrl"] = None
                    st["countSuccessiveCompleteFailures"] = 0
            job.schedule["state"] = "Active"
            if job.schedule["interval"] == MAX_INTERVAL:
                job.schedule["interval"] = job.template.interval
            if st.get("quarantine") is None:
                st["code"] = "Active" if st.get("lastExecution") else "NotRun"
                job.running = None
                self.schedule(job, 0.05, "begin")
            else:
                st["code"] = "Quarantine"

"""Wires the provisioning log to the rest of the emulator: every completed cycle writes its events,
and jobs that ran before the emulator started get one past cycle of events (within the last 6
hours), so a fresh tenant has logs to read."""

import datetime
import random

from tests.emulator.provisioning_log import CycleEvents
from tests.emulator.util import guid_for


def user_domain(tenant):
    return tenant.domain.replace(".onmicrosoft.com", ".com")


def attach(app):
    writer = CycleEvents(app.provisioning_log, user_domain(app.tenant))

    def on_cycle(job, run, now, exported, escrowed):
        writer.write(job, run["activity"], exported, escrowed, now,
                     staged=1 if job.force_deletes is False and escrowed and job.cycles % 2 == 0 else None)
    app.engine.cycle_listeners.append(on_cycle)
    _history(app, writer)


def _history(app, writer):
    rng = random.Random(f"log-history/{app.seed}")
    now = datetime.datetime.now(datetime.timezone.utc)
    past = []
    with app.tenant.lock:
        for sp in app.tenant.sp_list():
            for job in sp.jobs.values():
                last = job.status.get("lastExecution")
                if last and last.get("state") != "Failed" and job.schedule.get("state") != "Disabled":
                    past.append((now - datetime.timedelta(minutes=rng.randint(30, 360)), job, last))
    past.sort(key=lambda p: p[0])
    for when, job, last in past:
        writer.write(job, last.get("activityIdentifier") or guid_for("cycle", job.id), 4,
                     1 if last.get("countEscrowed") or rng.random() < 0.5 else 0, when, staged=1)

"""Tenants the emulator serves: the demo tenant (deterministic ids) and generated large ones."""

import datetime
import random

from tests.emulator import catalog
from tests.emulator.credentials import quarantine_object, sync_error
from tests.emulator.lifecycle import TROUBLESHOOTING_URL, execution
from tests.emulator.tenant import Application, Job, ServicePrincipal, Tenant, TemplateState
from tests.emulator.util import IdSource, iso

NOTIFY = '{"Enabled":false,"Recipients":"","DeleteThresholdEnabled":false,"DeleteThresholdValue":""}'
LONG_NAME = ("Contoso Global Employee Directory – SCIM 2.0 connector for the worldwide HR, payroll, badge "
             "access, travel booking, expense management, learning management and internal communications "
             "platforms operated by the shared-services centre in Kraków, Zürich and Montréal (production "
             "instance, managed by IAM engineering)")
assert len(LONG_NAME.encode()) > 255

FIRST_PARTY = [("Microsoft Graph", "00000003-0000-0000-c000-000000000000"),
               ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
               ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"),
               ("Microsoft Teams Services", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe")]


class Builder:
    """Creates service principals, applications and jobs with ids from one deterministic source."""

    def __init__(self, tenant, ids, engine=None, base_time=None):
        self.tenant = tenant
        self.ids = ids
        self.engine = engine
        self.base = base_time or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.rng = random.Random(ids.rng.random())

    def sp(self, name, templates=(), first_party_app_id=None, app_id=None, sp_id=None):
        if first_party_app_id:
            sp = ServicePrincipal(sp_id or self.ids.guid(), first_party_app_id, name, None, True, self.tenant.id)
        else:
            app_id = app_id or self.ids.guid()
            app = Application(self.ids.guid(), app_id, name, iso(self.base - datetime.timedelta(days=200)))
            for tid in templates:
                app.templates[catalog.TEMPLATES[tid].id] = TemplateState(catalog.TEMPLATES[tid])
            gallery = catalog.TEMPLATES[templates[0]].gallery_key if templates else None
            sp = ServicePrincipal(sp_id or self.ids.guid(), app_id, name, app, False, self.tenant.id, gallery)
        self.tenant.add_sp(sp)
        return sp

    def job(self, sp, template_id, state, secrets=None, old_id=False):
        t = catalog.TEMPLATES[template_id]
        job_id = f"{t.id}.{self.tenant.hex}" + ("" if old_id else f".{self.ids.guid()}")
        job = Job(job_id, t, sp)
        sp.jobs[job.id] = job
        if secrets is not None:
            sp.secrets = [{"key": k, "value": v} for k, v in secrets]
        self.set_state(job, state)
        return job

    def _exec(self, job, ended, state="Succeeded", exported=None, escrowed=0, error=None):
        began = ended - datetime.timedelta(seconds=40 + self.rng.randint(0, 200))
        n = job.population
        if exported is None:
            exported = self.rng.randint(0, 4)
        return execution(self.ids.guid(), began, ended, n if error is None else 0, self.rng.randint(0, 8),
                         exported, escrowed, n if error is None else 0, state, error)

    def set_state(self, job, state):
        """Gives a job the look of one that has been in `state` for a while."""
        st, sch, t = job.status, job.schedule, job.template
        now = self.base
        if state == "NotConfigured":
            return
        sch["interval"] = t.interval
        if state == "NotRun":
            st["code"] = "NotRun"
            return
        first = now - datetime.timedelta(days=90 + self.rng.randint(0, 300))
        last = now - datetime.timedelta(minutes=self.rng.randint(1, 35))
        ok = self._exec(job, last)
        st.update(lastExecution=ok, lastSuccessfulExecution=ok,
                  lastSuccessfulExecutionWithExports=ok if ok["countExported"] else self._exec(
                      job, last - datetime.timedelta(hours=3), exported=2),
                  steadyStateFirstAchievedTime=iso(first), steadyStateLastAchievedTime=iso(last),
                  synchronizedEntryCountByType=[{"key": f"{t.object_type} to User", "value": job.population}])
        job.full_next = False
        job.cycles = 1
        if state == "Active":
            sch["state"] = "Active"
            st["code"] = "Active"
            if self.rng.random() < 0.25:
                esc = self._exec(job, last, "EntryLevelErrors", escrowed=self.rng.randint(1, 9))
                st["lastExecution"] = esc
            if self.engine:
                self.engine.schedule(job, self.rng.uniform(0.1, 1.0) * (self.engine.interval_minutes(job)), "begin")
        elif state == "Paused":
            sch["state"] = "Paused"
            st["code"] = "Paused"
        elif state == "Quarantine":
            sch["state"] = "Active"
            began = now - datetime.timedelta(hours=5)
            current = now - datetime.timedelta(minutes=50)
            err = sync_error(t, "The target application rejected the credentials (HTTP 401 Unauthorized).")
            fail = self._exec(job, current, "Failed", exported=0, error=err)
            nxt_min = 360
            nxt = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
                seconds=nxt_min * (self.engine.scale if self.engine else 60))
            st.update(code="Quarantine", countSuccessiveCompleteFailures=3, lastExecution=fail,
                      quarantine=quarantine_object(err, current, nxt, iso(began), 2),
                      troubleshootingUrl=TROUBLESHOOTING_URL,
                      progress=[{"completedUnits": 0, "progressObservationDateTime": iso(current),
                                 "totalUnits": job.population, "units": t.units}])
            if self.engine:
                self.engine.schedule(job, nxt_min, "retry")


def build_demo(seed, engine=None):
    ids = IdSource(seed, "demo")
    tenant = Tenant(ids.guid())
    if engine:
        engine.attach(tenant)
    b = Builder(tenant, ids, engine)
    sf = b.sp("Salesforce", ["salesforce"])
    b.job(sf, "salesforce", "Active", old_id=True, secrets=[
        ("BaseAddress", "https://contoso.my.salesforce.com"), ("UserName", "provisioning@contoso.com"),
        ("Password", "demo-salesforce-password"), ("SecretToken", "demo-salesforce-token"),
        ("SyncNotificationSettings", NOTIFY), ("SyncAll", "false")])
    wd = b.sp("Zürich Payroll – Workday", ["Workday"])
    b.job(wd, "Workday", "NotRun", secrets=[
        ("BaseAddress", "https://wd3-impl-services1.workday.com/ccx/service/contoso_zh/Human_Resources"),
        ("UserName", "ISU_Entra_Provisioning@contoso_zh"), ("Password", "demo-workday-password"),
        ("SyncNotificationSettings", NOTIFY)])
    sn = b.sp("ServiceNow", ["ServiceNowOutDelta"])
    b.job(sn, "ServiceNowOutDelta", "Paused", secrets=[
        ("InstanceName", "contoso"), ("UserName", "svc-entra-provisioning"), ("Password", "demo-servicenow-password"),
        ("SyncNotificationSettings", NOTIFY), ("SyncAll", "false")])
    slack = b.sp("Slack", ["Slack"])
    b.job(slack, "Slack", "Quarantine", secrets=[
        ("BaseAddress", "https://api.slack.com/scim/v2"), ("SecretToken", "invalid"),
        ("SyncNotificationSettings", NOTIFY), ("SyncAll", "false")])
    b.sp("Slack", ["Slack"])                       # a second app with the same display name, no job
    hr = b.sp("Contoso HR – API-driven provisioning to Microsoft Entra ID", ["API2AAD"])
    b.job(hr, "API2AAD", "Active", secrets=[("SyncNotificationSettings", NOTIFY)])
    cs = b.sp("contoso.local", ["AD2AADProvisioning", "AD2AADPasswordHash"])
    b.job(cs, "AD2AADProvisioning", "Active", secrets=[])
    b.job(cs, "AD2AADPasswordHash", "Paused")
    at = b.sp("Atlassian Cloud", ["atlassian"])
    b.job(at, "atlassian", "NotConfigured")
    slash = b.sp("Payroll/HR Connector (SCIM)", ["scim"])
    b.job(slash, "scim", "Active", secrets=[
        ("BaseAddress", "https://scim.payroll.contoso.com/scim/v2"), ("SecretToken", "demo-scim-token"),
        ("SyncNotificationSettings", NOTIFY), ("SyncAll", "false")])
    zoom = b.sp("Zoom", ["zoom"])
    b.job(zoom, "zoom", "Active", secrets=[
        ("BaseAddress", "https://api.zoom.us/scim"), ("SecretToken", "demo-zoom-token"), ("SyncAll", "false")])
    b.sp("Salesforce Sandbox", ["SfSandboxOutDelta"])
    b.sp(LONG_NAME, ["scim"])
    b.sp("GitHub Enterprise Cloud – Contoso", ["github"])
    for name, app_id in FIRST_PARTY:
        b.sp(name, first_party_app_id=app_id)
    return tenant


PRODUCTS = [("Salesforce", "salesforce"), ("ServiceNow", "ServiceNowOutDelta"), ("Slack", "Slack"),
            ("Zoom", "zoom"), ("Dropbox", "dropboxforbusiness"), ("GitHub", "github"), ("Zendesk", "zendesk"),
            ("Atlassian", "atlassian"), ("Workday", "Workday"), ("SCIM App", "scim"), ("HR Inbound", "API2AAD"),
            ("Salesforce Sandbox", "SfSandboxOutDelta")]
REGIONS = ["EMEA", "Americas", "APAC", "Germany", "France", "Japan", "Brazil", "India", "Nordics", "Test", "Dev"]
STATES = ["Active"] * 11 + ["Paused"] * 2 + ["NotRun"] * 2 + ["NotConfigured"] + ["Quarantine"] * 4


def build_large(seed, n, m, engine=None):
    """n service principals, m of them with one job each (spread evenly), statuses spread."""
    ids = IdSource(seed, f"large:{n}:{m}")
    tenant = Tenant(ids.guid())
    if engine:
        engine.attach(tenant)
    b = Builder(tenant, ids, engine)
    rng = random.Random(f"large/{seed}")
    with_job = {i * n // m for i in range(m)} if m else set()
    for i in range(n):
        if i not in with_job and rng.random() < 0.08:
            b.sp(f"Microsoft Service {i:05d}", first_party_app_id=ids.guid())
            continue
        product, tid = PRODUCTS[rng.randrange(len(PRODUCTS))]
        sp = b.sp(f"{product} {REGIONS[rng.randrange(len(REGIONS))]} {i:05d}", [tid])
        if i in with_job:
            state = STATES[rng.randrange(len(STATES))]
            secrets = None if state == "NotConfigured" else good_secrets(tid, bad=state == "Quarantine")
            b.job(sp, tid, state, secrets=secrets)
    return tenant


def good_secrets(template_id, bad=False):
    t = catalog.TEMPLATES[template_id]
    out = []
    for k in t.required_keys:
        if k == "BaseAddress":
            out.append((k, f"https://{t.gallery_key}.example.com/scim/v2"))
        elif k in ("Password", "SecretToken"):
            out.append((k, "invalid" if bad else f"demo-{t.gallery_key}-{k.lower()}"))
        else:
            out.append((k, f"{t.gallery_key}-{k.lower()}"))
    if bad and not any(k in ("Password", "SecretToken") for k, _ in out):
        out.append(("SecretToken", "invalid"))
    out.append(("SyncNotificationSettings", NOTIFY))
    return out


def build(spec, seed, engine=None):
    if spec == "demo":
        return build_demo(seed, engine)
    if spec.startswith("large:"):
        parts = spec.split(":")
        if len(parts) != 3:
            raise ValueError("--tenant large:N:M")
        n, m = int(parts[1]), int(parts[2])
        if n < 0 or not 0 <= m <= n:
            raise ValueError("--tenant large:N:M needs 0 <= M <= N")
        return build_large(seed, n, m, engine)
    raise ValueError(f"unknown tenant {spec!r} (demo or large:N:M)")

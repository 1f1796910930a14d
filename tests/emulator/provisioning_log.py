"""The tenant's provisioning log: provisioningObjectSummary events written by job cycles,
provisionOnDemand and bulkUpload (provisioning-admin-needs.md §3.1; the v1.0 reference of
provisioningObjectSummary and its list examples).

Events are stored in the v1.0 shape, in the order they happen; every event's activityDateTime is
strictly later than the one before, so `activityDateTime gt <last seen>` never misses one.
beta adds the deprecated `action` and `statusInfo` (see `for_version`)."""

import copy
import datetime
import random
import threading

from tests.emulator.util import guid_for, new_guid, utcnow

AAD = "Azure Active Directory"
PROVISIONING_SERVICE = "Azure AD Provisioning Service"

# errorInformation of the failures and skips the emulator writes (codes as the portal shows them)
DUPLICATE = ("DuplicateTargetEntries", "nonServiceFailure",
             "The operation failed because more than one entry in {target} matched the object on the "
             "matching attribute(s). Remove the duplicates or change the matching attribute.",
             "Remove the duplicate entries in {target}, or pick a matching attribute that is unique.")
SCIM_BAD_REQUEST = ("SystemForCrossDomainIdentityManagementBadRequest", "nonServiceFailure",
                    "{target} returned an error response with the HTTP status code 400 (Bad Request).",
                    "Check the attribute values the mappings send to {target}.")
NOT_ENTITLED = ("NotEffectivelyEntitled", "nonServiceFailure",
                "The object was skipped because it is not assigned to the application, or its assignment "
                "was removed.",
                "Assign the user or a group the user belongs to the application.")
OUT_OF_SCOPE = ("SkippedDueToScopingFilter", "nonServiceFailure",
                "The object was skipped because it does not match the scoping filter of the mapping.",
                None)
STAGED = ("DeletionThresholdExceeded", "nonServiceFailure",
          "The delete was held back: the accidental-deletions threshold of the job was exceeded.",
          "Review the staged deletes; approve them by restarting the job with ForceDeletes.")


def error_info(spec, target):
    code, category, reason, action = spec
    return {"errorCode": code, "errorCategory": category, "reason": reason.format(target=target),
            "additionalDetails": None, "recommendedAction": action.format(target=target) if action else None}


def step(name, typ, status, description, details=None):
    return {"name": name, "provisioningStepType": typ, "status": status, "description": description,
            "details": details or {}}


def identity(ident_id, name, typ):
    return {"id": ident_id or "", "displayName": name or "", "identityType": typ, "details": {}}


def iso7(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond:06d}0Z"


class ProvisioningLog:
    """Every event of the tenant, oldest first. `lock` guards `events` and `last_time`."""

    def __init__(self, tenant):
        self.tenant = tenant
        self.lock = threading.Lock()
        self.events = []          # (datetime, event dict) in arrival order; times strictly increase
        self.last_time = None
        self.users = {}           # userPrincipalName -> (objectId, displayName) of the users events name

    def _stamp(self, when):
        when = when or utcnow()
        if self.last_time is not None and when <= self.last_time:
            when = self.last_time + datetime.timedelta(microseconds=1)
        self.last_time = when
        return when

    def add(self, event, when=None):
        """Stores one event (v1.0 shape, without activityDateTime); returns it."""
        with self.lock:
            t = self._stamp(when)
            stamped = {"id": event["id"], "activityDateTime": iso7(t)}
            stamped.update((k, v) for k, v in event.items() if k != "id")
            self.events.append((t, stamped))
        return stamped

    def snapshot(self):
        with self.lock:
            return list(self.events)

    # ---------------------------------------------------------------- building events

    def base(self, job, cycle_id, action, status, source, target, steps, modified=(), err=None, initiator=None):
        sp = job.sp
        src_sys, dst_sys = systems(job)
        return {"id": new_guid(), "tenantId": self.tenant.id, "jobId": job.id, "cycleId": cycle_id,
                "changeId": new_guid(), "provisioningAction": action, "durationInMilliseconds": 0,
                "provisioningStatusInfo": {"status": status, "errorInformation": err},
                "provisioningSteps": steps, "modifiedProperties": list(modified),
                "servicePrincipal": {"id": sp.id, "displayName": sp.display_name},
                "sourceSystem": dict(src_sys, details={}),
                "targetSystem": dict(dst_sys, details={"ApplicationId": sp.app_id, "ServicePrincipalId": sp.id,
                                                       "ServicePrincipalDisplayName": sp.display_name}),
                "initiatedBy": initiator or {"id": "", "displayName": PROVISIONING_SERVICE, "initiatorType": "system"},
                "sourceIdentity": source, "targetIdentity": target}


def systems(job):
    """(source, target) provisioningSystem {id, displayName} of a job, from its template."""
    t = job.template
    rule = (t.schema().get("synchronizationRules") or [{}])[0]
    src = rule.get("sourceDirectoryName") or AAD
    dst = rule.get("targetDirectoryName") or job.sp.display_name
    return ({"id": guid_for("system", job.id, src), "displayName": src},
            {"id": guid_for("system", job.id, dst), "displayName": dst})


def person(job, index, domain):
    """A deterministic source user of a job: (objectId, displayName, userPrincipalName)."""
    from tests.emulator.actions import fake_user   # actions imports this module
    oid = guid_for("log-user", job.id, index)
    u = fake_user(oid, domain)
    return oid, u["displayName"], u["userPrincipalName"]


def target_id(job, object_id):
    return guid_for("log-target", job.id, object_id)


class CycleEvents:
    """The events one provisioning cycle of a job writes (a few of each kind, deterministic per
    job and cycle number)."""

    def __init__(self, log, domain):
        self.log = log
        self.domain = domain

    def write(self, job, cycle_id, exported, escrowed, when=None, staged=None):
        rng = random.Random(f"{job.id}/{job.cycles}/{cycle_id}")
        typ = job.template.object_type[:1].upper() + job.template.object_type[1:]
        src, dst = (s["displayName"] for s in systems(job))
        used = set()

        def pick():
            while True:
                i = rng.randrange(max(job.population, 8))
                if i not in used:
                    used.add(i)
                    oid, name, upn = person(job, i, self.domain)
                    with self.log.lock:
                        self.log.users[upn] = (oid, name)
                    return oid, name, upn
        out = []
        for _ in range(max(1, min(exported, 6))):
            out.append(self._change(job, cycle_id, rng, typ, src, dst, pick()))
        for _ in range(min(escrowed, 4)):
            out.append(self._failure(job, cycle_id, rng, typ, src, dst, pick()))
        for _ in range(rng.choice([0, 1, 1, 2])):
            out.append(self._skip(job, cycle_id, typ, src, dst, pick()))
        n_staged = staged if staged is not None else (1 if rng.random() < 0.3 else 0)
        for _ in range(n_staged):
            out.append(self._staged_delete(job, cycle_id, typ, src, dst, pick()))
        rng.shuffle(out)
        return [self.log.add(e, when) for e in out]

    def _change(self, job, cycle_id, rng, typ, src, dst, who):
        oid, name, upn = who
        create = rng.random() < 0.5
        verb, step_name = ("created", "EntryExportAdd") if create else ("updated", "EntryExportUpdate")
        tid = target_id(job, oid)
        steps = [step("EntryImportAdd" if create else "EntryImportUpdate", "import", "success",
                      f"Received {typ} '{upn}' change of type ({'Add' if create else 'Update'}) from {src}"),
                 step("EntrySynchronizationScoping", "scoping", "success",
                      f"Determine if {typ} in scope by evaluating against each scoping filter"),
                 step("EntrySynchronizationAdd" if create else "EntrySynchronizationUpdate", "matching", "success",
                      f"{typ} '{upn}' will be {verb} in {dst}"),
                 step(step_name, "export", "success", f"{typ} '{upn}' was {verb} in {dst}",
                      {"ReportableIdentifier": upn})]
        modified = [{"displayName": "displayName", "oldValue": None if create else "", "newValue": name},
                    {"displayName": "userPrincipalName", "oldValue": None, "newValue": upn}]
        e = self.log.base(job, cycle_id, "create" if create else "update", "success",
                          identity(oid, name, typ), identity(tid, name, "User"), steps, modified)
        e["durationInMilliseconds"] = rng.randint(300, 4000)
        return e

    def _failure(self, job, cycle_id, rng, typ, src, dst, who):
        oid, name, upn = who
        spec = DUPLICATE if rng.random() < 0.7 else SCIM_BAD_REQUEST
        steps = [step("EntryImportAdd", "import", "success",
                      f"Received {typ} '{upn}' change of type (Add) from {src}"),
                 step("EntrySynchronizationScoping", "scoping", "success",
                      f"Determine if {typ} in scope by evaluating against each scoping filter"),
                 step("EntrySynchronizationError", "matching", "failure",
                      f"More than one {typ} in {dst} matched '{upn}'")
                 if spec is DUPLICATE else
                 step("EntryExportAdd", "export", "failure", f"Failed to create {typ} '{upn}' in {dst}",
                      {"ReportableIdentifier": upn})]
        e = self.log.base(job, cycle_id, "create", "failure", identity(oid, name, typ), identity("", "", "User"),
                          steps, err=error_info(spec, dst))
        e["durationInMilliseconds"] = rng.randint(300, 4000)
        return e

    def _skip(self, job, cycle_id, typ, src, dst, who):
        oid, name, upn = who
        steps = [step("EntryImportAdd", "import", "success",
                      f"Received {typ} '{upn}' change of type (Add) from {src}"),
                 step("EntrySynchronizationSkipped", "scoping", "skipped",
                      f"{typ} '{upn}' will be skipped: it is not effectively entitled for provisioning to {dst}",
                      {"SkipReason": "NotEffectivelyEntitled", "IsActive": "True", "IsAssigned": "False"})]
        e = self.log.base(job, cycle_id, "other", "skipped", identity(oid, name, typ), identity("", "", "User"),
                          steps, err=error_info(NOT_ENTITLED, dst))
        e["durationInMilliseconds"] = 120
        return e

    def _staged_delete(self, job, cycle_id, typ, src, dst, who):
        oid, name, upn = who
        steps = [step("EntryImportDelete", "import", "success",
                      f"Received {typ} '{upn}' change of type (Delete) from {src}"),
                 step("EntryExportDelete", "export", "skipped",
                      f"The delete of {typ} '{upn}' in {dst} is staged: the deletion threshold was exceeded",
                      {"ReportableIdentifier": upn})]
        e = self.log.base(job, cycle_id, "stagedDelete", "skipped", identity(oid, name, typ),
                          identity(target_id(job, oid), name, "User"), steps, err=error_info(STAGED, dst))
        e["durationInMilliseconds"] = 80
        return e


def on_demand(log, job, report, initiator_app):
    """The event of one provisionOnDemand run, from the report the action answered (its `value`)."""
    status = report["statusInfo"]["status"].lower()
    action = {"Create": "create", "Update": "update", "Delete": "delete"}.get(report.get("action"), "other")
    src, tgt = report["sourceIdentity"], report.get("targetIdentity") or {}
    name = report.get("reportableIdentifier") or ""
    err = None
    if status == "failure":
        err = {"errorCode": report["statusInfo"].get("errorCode"), "errorCategory": "nonServiceFailure",
               "reason": report["statusInfo"].get("errorMessage"), "additionalDetails": None,
               "recommendedAction": None}
    elif status == "skipped":
        err = {"errorCode": "RedundantExport", "errorCategory": "nonServiceFailure",
               "reason": "The state of the object in both the source and target systems already match.",
               "additionalDetails": None, "recommendedAction": None}
    steps = [step(s["name"], s["type"].lower(), s["status"].lower(), s["description"], s.get("details"))
             for s in report["provisioningSteps"]]
    if "@" in name:
        with log.lock:
            log.users[name] = (src["id"], name)
    e = log.base(job, new_guid(), action, status, identity(src["id"], name, src.get("type") or "User"),
                 identity(tgt.get("id"), name if tgt.get("id") else "", tgt.get("type") or "User"), steps,
                 report.get("modifiedProperties") or [], err,
                 {"id": initiator_app, "displayName": "provisionOnDemand", "initiatorType": "application"})
    return log.add(e)


def bulk_upload(log, job, operations, seen_users):
    """The events of an accepted bulkUpload: one per operation (create the first time a userName is
    seen by the job, update later; failure when the user has no userName)."""
    cycle_id = new_guid()
    out = []
    for op in operations:
        data = op["data"]
        user = data.get("userName")
        ext = str(data.get("externalId") or op["bulkId"])
        oid = guid_for("bulk", job.id, ext)
        if not isinstance(user, str) or not user:
            steps = [step("EntryImportAdd", "import", "failure",
                          f"The bulk operation '{op['bulkId']}' has no userName")]
            err = {"errorCode": "AttributeValidationFailed", "errorCategory": "nonServiceFailure",
                   "reason": "The SCIM user has no value for the required attribute 'userName'.",
                   "additionalDetails": None, "recommendedAction": "Send userName for every user."}
            out.append(log.base(job, cycle_id, "create", "failure", identity(ext, "", "User"),
                                identity("", "", "User"), steps, err=err))
            continue
        create = user not in seen_users
        seen_users.add(user)
        verb = "created" if create else "updated"
        steps = [step("EntryImportAdd", "import", "success", f"Received User '{user}' from the bulk request"),
                 step("EntryExportAdd" if create else "EntryExportUpdate", "export", "success",
                      f"User '{user}' was {verb} in {AAD}", {"ReportableIdentifier": user})]
        out.append(log.base(job, cycle_id, "create" if create else "update", "success",
                            identity(ext, user, "User"), identity(target_id(job, oid), user, "User"), steps,
                            [{"displayName": "userPrincipalName", "oldValue": None, "newValue": user}]))
    return [log.add(e) for e in out]


def for_version(event, version):
    """The event as `version` answers it: beta adds the deprecated `action` and `statusInfo`."""
    out = copy.deepcopy(event)
    if version == "beta":
        a = out["provisioningAction"]
        out["action"] = "StagedDelete" if a == "stagedDelete" else a[:1].upper() + a[1:]
        out["statusInfo"] = None        # stopped returning data on 31 Dec 2021
    return out

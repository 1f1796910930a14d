"""The control API under /_emulator/ (README "Control API"): no authentication, no faults, no
latency, not logged."""

import json
import re

from tests.emulator import catalog, users
from tests.emulator.demo_tenant import Builder
from tests.emulator.envelope import GraphError, Response
from tests.emulator.schemas import normalize_schema
from tests.emulator.sync_handlers import parse_pairs
from tests.emulator.tenant import Job, Tenant, new_version
from tests.emulator.util import IdSource, deep_merge, new_guid

_ROUTES = [
    ("GET", r"^/_emulator/requests$", "get_requests"),
    ("DELETE", r"^/_emulator/requests$", "clear_requests"),
    ("GET", r"^/_emulator/tenant$", "get_tenant"),
    ("GET", r"^/_emulator/config$", "get_config"),
    ("POST", r"^/_emulator/config$", "set_config"),
    ("GET", r"^/_emulator/faults$", "get_faults"),
    ("POST", r"^/_emulator/faults$", "set_faults"),
    ("DELETE", r"^/_emulator/faults$", "clear_faults"),
    ("POST", r"^/_emulator/servicePrincipals$", "add_sp"),
    ("DELETE", r"^/_emulator/servicePrincipals/([^/]+)$", "delete_sp"),
    ("PATCH", r"^/_emulator/servicePrincipals/([^/]+)$", "patch_sp"),
    ("PATCH", r"^/_emulator/servicePrincipals/([^/]+)/jobs/([^/]+)$", "patch_job"),
    ("PUT", r"^/_emulator/servicePrincipals/([^/]+)/jobs/([^/]+)/schema$", "put_schema"),
    ("POST", r"^/_emulator/servicePrincipals/([^/]+)/jobs/([^/]+)/cycle$", "run_cycle"),
    ("PUT", r"^/_emulator/servicePrincipals/([^/]+)/secrets$", "put_secrets"),
    ("GET", r"^/_emulator/servicePrincipals/([^/]+)/secrets$", "get_secrets"),
    ("GET", r"^/_emulator/auditLogs/provisioning$", "get_provisioning_log"),
    ("POST", r"^/_emulator/devicecode/approve$", "approve_device_code"),
    ("POST", r"^/_emulator/devicecode/decline$", "decline_device_code"),
]


def _json(status, body):
    return Response(status, body)


def _error(status, message):
    return Response(status, {"error": {"code": "EmulatorControlError", "message": message}})


class ControlApi:
    def __init__(self, app):
        self.app = app
        self.routes = [(m, re.compile(p), getattr(self, name)) for m, p, name in _ROUTES]
        self.ids = IdSource(app.seed, "control")

    def handle(self, req):
        path = req.path.rstrip("/") if req.path != "/" else req.path
        segs = path.split("/")
        for method, rx, fn in self.routes:
            m = rx.match("/".join(segs))
            if m and method == req.method:
                try:
                    body = req.json(required=False) if req.method in ("POST", "PUT", "PATCH") else None
                    return fn(req, body, *m.groups())
                except GraphError as e:
                    return _error(e.status, e.message)
                except (ValueError, KeyError, TypeError) as e:
                    return _error(400, str(e))
        return _error(404, f"no control call {req.method} {req.path}")

    # ---------------------------------------------------------------- log, tenant, config, faults

    def get_requests(self, req, body):
        since = int(req.params.get("since", "0") or 0)
        return _json(200, {"requests": self.app.log.since(since)})

    def clear_requests(self, req, body):
        self.app.log.clear()
        return Response(204)

    def get_provisioning_log(self, req, body):
        """Every provisioning event, oldest first, v1.0 shape (no filter, paging or throttle)."""
        return _json(200, {"value": [e for _, e in self.app.provisioning_log.snapshot()]})

    def get_tenant(self, req, body):
        summary = self.app.tenant.summary()
        summary["users"] = [{"id": u["id"], "userPrincipalName": u["userPrincipalName"]}
                            for u in users.demo_users(self.app.tenant)]
        return _json(200, summary)

    def get_config(self, req, body):
        return _json(200, self.app.settings.as_dict())

    def set_config(self, req, body):
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object of settings")
        problems = self.app.settings.update(body)
        if problems:
            return _error(400, "; ".join(problems))
        if "time_scale" in body:
            self.app.engine.set_time_scale(self.app.settings.time_scale)
        return _json(200, self.app.settings.as_dict())

    def get_faults(self, req, body):
        return _json(200, {"rules": self.app.faults.describe()})

    def set_faults(self, req, body):
        rules = body.get("rules") if isinstance(body, dict) else body
        if not isinstance(rules, list):
            return _error(400, 'the body must be {"rules": [rule, ...]}')
        self.app.faults.replace(rules)
        return _json(200, {"rules": self.app.faults.describe()})

    def clear_faults(self, req, body):
        self.app.faults.clear()
        return Response(204)

    # ---------------------------------------------------------------- tenant changes

    def _sp(self, sp_id):
        sp = self.app.tenant.find_sp(sp_id)
        if sp is None:
            raise GraphError(404, "Request_ResourceNotFound", f"no service principal {sp_id}")
        return sp

    def _job(self, sp_id, job_id):
        sp = self._sp(sp_id)
        job = sp.jobs.get(job_id)
        if job is None:
            raise GraphError(404, "Request_ResourceNotFound", f"no job {job_id} in {sp_id}")
        return job

    def add_sp(self, req, body):
        if not isinstance(body, dict) or not isinstance(body.get("displayName"), str):
            return _error(400, "displayName (string) is required")
        t = self.app.tenant
        template = None
        if body.get("template"):
            template = catalog.find(body["template"])
            if template is None:
                return _error(400, f"unknown template {body['template']!r}; known: {sorted(catalog.TEMPLATES)}")
        with t.lock:
            if body.get("id") and t.find_sp(body["id"]):
                return _error(409, "a service principal with this id exists")
            if body.get("appId") and t.find_sp(app_id=body["appId"]):
                return _error(409, "a service principal with this appId exists")
            b = Builder(t, self.ids, self.app.engine)
            sp = b.sp(body["displayName"], [template.id] if template else [],
                      app_id=body.get("appId"), sp_id=body.get("id"))
            for _ in range(int(body.get("jobs") or 0)):
                if template is None:
                    return _error(400, "jobs need a template")
                job = Job(t.new_job_id(template.id), template, sp)
                sp.jobs[job.id] = job
            return _json(201, Tenant.sp_summary(sp))

    def delete_sp(self, req, body, sp_id):
        with self.app.tenant.lock:
            self._sp(sp_id)
            self.app.tenant.remove_sp(sp_id)
        return Response(204)

    def patch_sp(self, req, body, sp_id):
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        t = self.app.tenant
        with t.lock:
            sp = self._sp(sp_id)
            if "displayName" in body:
                sp.display_name = str(body["displayName"])
                if sp.application:
                    sp.application.display_name = sp.display_name
            if "appId" in body and body["appId"] != sp.app_id:
                t.by_app_id.pop(sp.app_id.lower(), None)
                sp.app_id = str(body["appId"])
                t.by_app_id[sp.app_id.lower()] = sp
            sp.extra.update({k: v for k, v in body.items() if k not in ("id", "displayName", "appId")})
            t.invalidate_order()
            return _json(200, Tenant.sp_summary(sp))

    def patch_job(self, req, body, sp_id, job_id):
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        with self.app.tenant.lock:
            job = self._job(sp_id, job_id)
            if isinstance(body.get("status"), dict):
                deep_merge(job.status, json.loads(json.dumps(body["status"])))
            if isinstance(body.get("schedule"), dict):
                deep_merge(job.schedule, body["schedule"])
            if isinstance(body.get("synchronizationJobSettings"), list):
                job.settings = body["synchronizationJobSettings"]
            return _json(200, job.to_json())

    def put_schema(self, req, body, sp_id, job_id):
        schema = normalize_schema(body, new_guid)
        with self.app.tenant.lock:
            job = self._job(sp_id, job_id)
            job.schema = schema
            job.schema_version = new_version()
            return _json(200, {"version": job.schema_version})

    def run_cycle(self, req, body, sp_id, job_id):
        with self.app.tenant.lock:
            job = self._job(sp_id, job_id)
            self.app.engine.run_cycle(job)
            return _json(200, job.to_json())

    def put_secrets(self, req, body, sp_id):
        items = body.get("value") if isinstance(body, dict) else body
        if not isinstance(items, list):
            return _error(400, 'the body must be {"value": [{"key", "value"}, ...]}')
        pairs = parse_pairs(items)
        with self.app.tenant.lock:
            self._sp(sp_id).secrets = pairs
        return Response(204)

    def get_secrets(self, req, body, sp_id):
        """The stored secrets, unmasked: what a test checks survived a write."""
        with self.app.tenant.lock:
            return _json(200, {"value": [dict(kv) for kv in self._sp(sp_id).secrets]})

    def approve_device_code(self, req, body):
        code = (body or {}).get("user_code")
        decline = bool((body or {}).get("decline"))
        if not self.app.oauth.approve(code, decline):
            return _error(404, f"no pending device code with user_code {code!r}")
        return _json(200, {"user_code": code, "state": "declined" if decline else "approved"})

    def decline_device_code(self, req, body):
        return self.approve_device_code(req, dict(body or {}, decline=True))

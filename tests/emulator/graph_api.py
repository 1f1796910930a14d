"""Routing of Graph paths (/v1.0 and /beta) to handlers (graph-sync-api.md §2)."""

import re

from tests.emulator import actions, directory, provisioning_query, sync_handlers, users
from tests.emulator.envelope import (GraphError, Response, context_url, method_not_allowed, not_found,
                                     segment_not_found)

VERSIONS = ("v1.0", "beta")
_KEYED_APPID = re.compile(r"^(servicePrincipals|applications)\(appId='([^']*)'\)$", re.IGNORECASE)


class Route:
    """Where a request points: the owner service principal (and application), and the rest."""

    def __init__(self, req, ids, version, sp, app_obj, via_app):
        self.req = req
        self.ids = ids
        self.version = version
        self.sp = sp
        self.application = app_obj
        self.via_app = via_app

    def sp_key(self):
        return f"servicePrincipals('{self.sp.id}')" if not self.via_app else f"applications('{self.application.id}')"


class GraphApi:
    def __init__(self, app):
        self.app = app

    def handle(self, req, ids):
        segs = req.segments
        if not segs or not segs[0]:
            raise GraphError(400, "BadRequest", "Invalid version.")
        version = segs[0]
        if version not in VERSIONS:
            raise GraphError(400, "BadRequest", f"Invalid version: {version}")
        rest = segs[1:]
        if not rest:
            return Response(200, {"@odata.context": context_url(version, ""), "value": [
                {"name": "servicePrincipals", "kind": "EntitySet", "url": "servicePrincipals"},
                {"name": "applications", "kind": "EntitySet", "url": "applications"}]})
        head = rest[0]
        if head == "$batch":
            if req.method != "POST":
                raise method_not_allowed()
            return self.app.batch.handle(req, ids, version)
        m = _KEYED_APPID.match(head)
        if head == "servicePrincipals" or (m and m.group(1).lower() == "serviceprincipals"):
            return self.service_principals(req, ids, version, rest, m)
        if head == "applications" or (m and m.group(1).lower() == "applications"):
            return self.applications(req, ids, version, rest, m)
        if head == "users" and len(rest) == 2:
            if req.method != "GET":
                raise method_not_allowed()
            return users.get_user(self.app, req, version, rest[1])
        if head == "auditLogs" and rest[1:] == ["provisioning"]:
            if req.method != "GET":
                raise method_not_allowed()
            return provisioning_query.list_provisioning(self.app, req, version)
        raise segment_not_found(head)

    def service_principals(self, req, ids, version, rest, keyed):
        tenant = self.app.tenant
        if keyed:
            sp = tenant.find_sp(app_id=keyed.group(2))
            if sp is None:
                raise not_found(keyed.group(2))
            tail = rest[1:]
        else:
            if len(rest) == 1:
                if req.method != "GET":
                    raise method_not_allowed()
                return directory.list_service_principals(self.app, req, version)
            sp = tenant.find_sp(rest[1])
            if sp is None:
                raise not_found(rest[1])
            tail = rest[2:]
        if not tail:
            if req.method != "GET":
                raise method_not_allowed()
            return directory.get_service_principal(self.app, req, version, sp)
        if tail[0] != "synchronization":
            raise segment_not_found(tail[0])
        return self.synchronization(Route(req, ids, version, sp, sp.application, False), tail[1:])

    def applications(self, req, ids, version, rest, keyed):
        tenant = self.app.tenant
        if keyed:
            application = tenant.find_app(app_id=keyed.group(2))
            key = keyed.group(2)
            tail = rest[1:]
        else:
            if len(rest) == 1:
                raise method_not_allowed() if req.method != "GET" else GraphError(
                    400, "Request_UnsupportedQuery", "Listing applications is not supported by this emulator.")
            application = tenant.find_app(rest[1])
            key = rest[1]
            tail = rest[2:]
        if application is None:
            raise not_found(key)
        sp = tenant.sp_of_app(application)
        if not tail:
            if req.method != "GET":
                raise method_not_allowed()
            return directory.get_application(self.app, req, version, application)
        if tail[0] != "synchronization":
            raise segment_not_found(tail[0])
        return self.synchronization(Route(req, ids, version, sp, application, True), tail[1:])

    def synchronization(self, route, segs):
        req = route.req
        h = sync_handlers
        if not segs:
            if req.method != "GET":
                raise method_not_allowed()
            return h.get_synchronization(self.app, route)
        head, more = segs[0], segs[1:]
        if head == "jobs":
            if not more:
                if req.method == "GET":
                    return h.list_jobs(self.app, route)
                if req.method == "POST":
                    return h.create_job(self.app, route)
                raise method_not_allowed()
            if more == ["validateCredentials"] and req.method == "POST":
                return actions.validate_credentials(self.app, route, None)
            job = route.sp.jobs.get(more[0]) if route.sp else None
            if job is None:
                raise GraphError(404, "Request_ResourceNotFound",
                                 f"The synchronization job '{more[0]}' was not found for service principal "
                                 f"'{route.sp.id if route.sp else ''}'.")
            return self.job(route, job, more[1:])
        if head == "templates":
            if not more:
                if req.method != "GET":
                    raise method_not_allowed()
                return h.list_templates(self.app, route)
            state = (route.application.templates.get(more[0]) if route.application else None)
            if state is None:
                raise GraphError(404, "Request_ResourceNotFound",
                                 f"The synchronization template '{more[0]}' was not found.")
            return self.template(route, more[0], state, more[1:])
        if head == "secrets" and not more:
            if route.via_app:
                raise segment_not_found(head)
            if req.method == "GET":
                return h.get_secrets(self.app, route)
            if req.method == "PUT":
                return h.put_secrets(self.app, route)
            raise method_not_allowed()
        if head == "acquireAccessToken" and not more:
            if req.method != "POST":
                raise method_not_allowed()
            return actions.acquire_access_token(self.app, route)
        raise segment_not_found(head)

    def job(self, route, job, segs):
        req = route.req
        if not segs:
            if req.method == "GET":
                return sync_handlers.get_job(self.app, route, job)
            if req.method == "DELETE":
                return sync_handlers.delete_job(self.app, route, job)
            raise method_not_allowed()
        head, more = segs[0], segs[1:]
        if head == "schema":
            return self.schema(route, job, None, more)
        if more:
            raise segment_not_found(more[0])
        action = {"start": actions.start, "pause": actions.pause, "restart": actions.restart,
                  "validateCredentials": actions.validate_credentials,
                  "provisionOnDemand": actions.provision_on_demand, "bulkUpload": actions.bulk_upload}.get(head)
        if action is None:
            raise segment_not_found(head)
        if req.method != "POST":
            raise method_not_allowed()
        return action(self.app, route, job)

    def template(self, route, template_id, state, segs):
        req = route.req
        if not segs:
            if req.method == "GET":
                return sync_handlers.get_template(self.app, route, state)
            if req.method in ("PATCH", "PUT") and route.via_app:
                return sync_handlers.update_template(self.app, route, state)
            raise method_not_allowed()
        if segs[0] == "schema":
            return self.schema(route, None, state, segs[1:])
        raise segment_not_found(segs[0])

    def schema(self, route, job, state, segs):
        req = route.req
        h = sync_handlers
        if not segs:
            if req.method == "GET":
                return h.get_schema(self.app, route, job, state)
            if req.method == "PATCH":
                return h.patch_schema(self.app, route, job, state)
            if req.method in ("PUT", "DELETE") and (job is not None or route.via_app):
                return (h.put_schema if req.method == "PUT" else h.reset_schema)(self.app, route, job, state)
            raise method_not_allowed()
        head, more = segs[0], segs[1:]
        name = head[:-2] if head.endswith("()") else head
        if name in ("functions", "filterOperators") and not more:
            if req.method != "GET":
                raise method_not_allowed()
            return h.functions(route) if name == "functions" else h.filter_operators(route)
        if head == "parseExpression" and not more:
            if req.method != "POST":
                raise method_not_allowed()
            return h.parse_expression(self.app, route)
        if head == "directories":
            schema = job.current_schema() if job else state.current_schema()
            if not more:
                if req.method != "GET":
                    raise method_not_allowed()
                return h.list_directories(route, job, state, schema)
            d = next((d for d in schema["directories"] if d["id"] == more[0]), None)
            if d is None:
                raise GraphError(404, "Request_ResourceNotFound", f"The directory '{more[0]}' was not found in the "
                                 "synchronization schema.")
            if len(more) == 1:
                if req.method != "GET":
                    raise method_not_allowed()
                return h.get_directory(route, d)
            if more[1:] == ["discover"] and job is not None:
                if req.method != "POST":
                    raise method_not_allowed()
                return h.discover(self.app, route, job, d)
            raise segment_not_found(more[1])
        raise segment_not_found(head)

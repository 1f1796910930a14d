"""Job actions: start, pause, restart, validateCredentials, provisionOnDemand, bulkUpload,
acquireAccessToken (graph-sync-api.md §3.5-§3.10, §9.5, §9.10, §9.18)."""

import hashlib
import math
import time

from tests.emulator import credentials, provisioning_log
from tests.emulator.envelope import GraphError, Response, bad_request, throttle_inner
from tests.emulator.expressions import EvalError, Evaluator
from tests.emulator.lifecycle import BadScope, parse_reset_scope
from tests.emulator.pod_shapes import pod_answer
from tests.emulator.provisioning_query import app_key
from tests.emulator.sync_handlers import parse_pairs
from tests.emulator.util import iso, iso7, new_guid, utcnow

SCIM_BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
MAX_BULK_OPERATIONS = 50


def start(app, route, job):
    app.engine.start(job)
    return Response(204)


def pause(app, route, job):
    app.engine.pause(job)
    return Response(204)


def restart(app, route, job):
    body = route.req.json(required=False)
    scope = None
    if body is not None:
        if not isinstance(body, dict):
            raise bad_request("The request body must be an object with 'criteria'.")
        criteria = body.get("criteria")
        if criteria is not None:
            if not isinstance(criteria, dict):
                raise bad_request("'criteria' must be a synchronizationJobRestartCriteria object.")
            scope = criteria.get("resetScope")
    try:
        flags = parse_reset_scope(scope)
    except BadScope as e:
        raise bad_request(f"Requested value '{e}' was not found.")
    app.engine.restart(job, flags)
    return Response(204)


def _throttle(times, limit, window_s):
    """Sliding-window limiter over a job's request times; raises 429 when the window is full."""
    now = time.monotonic()
    while times and now - times[0] >= window_s:
        times.pop(0)
    if len(times) >= limit:
        wait = max(window_s - (now - times[0]), 0.001)
        raise GraphError(429, "TooManyRequests", "Please retry again later.",
                         {"Retry-After": str(max(1, math.ceil(wait)))}, throttle_inner(429))
    times.append(now)


def validate_credentials(app, route, job):
    body = route.req.json(required=False) or {}
    if not isinstance(body, dict):
        raise bad_request("The request body must be an object.")
    if job is not None:
        template = job.template
    else:
        tid = body.get("templateId")
        state = route.sp.templates().get(tid) if (route.sp and tid) else None
        if state is None:
            raise bad_request("The parameter 'templateId' must name a template of this service principal.")
        template = state.template
    use_saved = body.get("useSavedCredentials") is True
    if use_saved or body.get("credentials") is None:
        pairs = list(route.sp.secrets) if route.sp else []
    else:
        if not isinstance(body.get("credentials"), list):
            raise bad_request("'credentials' must be a collection of synchronizationSecretKeyStringValuePair.")
        pairs = parse_pairs(body["credentials"])
    reason = credentials.problem(template, pairs)
    if reason:
        raise GraphError(400, template.error_code, f"{template.error_message} {reason}")
    return Response(204)


def acquire_access_token(app, route):
    body = route.req.json()
    items = body.get("credentials") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise bad_request("The parameter 'credentials' is required.")
    parse_pairs(items)
    if route.sp is not None:
        with app.tenant.lock:
            kept = [kv for kv in route.sp.secrets if kv["key"] not in ("Oauth2AccessToken",
                                                                         "Oauth2AccessTokenCreationTime")]
            route.sp.secrets = kept + [{"key": "Oauth2AccessToken", "value": "oauth-" + new_guid()},
                                       {"key": "Oauth2AccessTokenCreationTime", "value": iso()}]
    return Response(204)


# ------------------------------------------------------------------ provisionOnDemand

GIVEN = ["Alice", "Bruno", "Chiara", "Dmitri", "Emma", "Farah", "Goran", "Hana", "Ines", "Jonas", "Keiko", "Luca"]
FAMILY = ["Andersson", "Berger", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Horvat", "Ivanova", "Jensen"]
DEPARTMENTS = ["Sales", "Finance", "Engineering", "Marketing", "Human Resources", "Sales"]


def fake_user(object_id, domain):
    """The attributes of a source object the emulator makes up for an objectId (deterministic)."""
    h = int(hashlib.sha256(object_id.encode()).hexdigest(), 16)
    g, f = GIVEN[h % len(GIVEN)], FAMILY[(h // 7) % len(FAMILY)]
    nick = f"{g}.{f}".lower().replace("í", "i")
    upn = f"{nick}@{domain}"
    props = {"objectId": object_id, "userPrincipalName": upn, "mail": upn, "mailNickname": nick,
             "givenName": g, "surname": f, "displayName": f"{g} {f}", "department": DEPARTMENTS[h % len(DEPARTMENTS)],
             "jobTitle": "Account Executive", "userType": "Member", "IsSoftDeleted": "False",
             "accountEnabled": "True", "preferredLanguage": "en-US", "city": "Zürich", "country": "CH",
             "usageLocation": "CH", "employeeId": str(100000 + h % 900000), "telephoneNumber": "+41 44 000 00 00",
             "appRoleAssignments": ["User"], "WorkerID": str(100000 + h % 900000), "PreferredFirstName": g,
             "PreferredLastName": f, "externalId": str(100000 + h % 900000), "sAMAccountName": nick[:20],
             "userAccountControl": "512", "objectGUID": object_id}
    return props


def _step(name, typ, status, description, t):
    return {"name": name, "type": typ, "status": status, "description": description, "timestamp": iso7(t),
            "details": {}}


def provision_on_demand(app, route, job):
    body = route.req.json()
    params = body.get("parameters") if isinstance(body, dict) else None
    if not isinstance(params, list) or not params or not isinstance(params[0], dict):
        raise bad_request("The parameter 'parameters' is required: a collection of "
                          "synchronizationJobApplicationParameters.")
    p = params[0]
    rule_id = p.get("ruleId") if isinstance(p.get("ruleId"), str) else ""
    subjects = p.get("subjects")
    with app.tenant.lock:
        _throttle(job.pod_times, app.settings.pod_rate_limit, app.settings.pod_rate_window_s)
        rule = next((r for r in job.current_schema()["synchronizationRules"] if r["id"] == rule_id), None)
        if rule is None:
            raise GraphError(400, "RequestParameterInvalid",
                             f"The request identified this synchronization job: {job.id}.  The request also "
                             f"identified this synchronization rule: {rule_id}.  However, the job does not "
                             "include the rule.")
        if not isinstance(subjects, list) or not subjects or not isinstance(subjects[0], dict) \
                or not isinstance(subjects[0].get("objectId"), str) or not subjects[0]["objectId"]:
            raise bad_request("The parameter 'subjects' must hold at least one subject with an 'objectId'.")
        subject = subjects[0]
        key, value = _report(app, job, rule, subject)
        provisioning_log.on_demand(app.provisioning_log, job, value, app_key(app, route.req)[0])
    return pod_answer(app.settings, route.version, key, value)


def _report(app, job, rule, subject):
    now = utcnow()
    object_id = subject["objectId"]
    typ = subject.get("objectTypeName") or "User"
    user = fake_user(object_id, app.tenant.domain.replace(".onmicrosoft.com", ".com"))
    is_group = typ.lower() == "group"
    ident = f"{user['displayName']} Group" if is_group else user["userPrincipalName"]
    src, dst = rule["sourceDirectoryName"], rule["targetDirectoryName"]
    mapping = next((om for om in rule["objectMappings"] if om["enabled"] and
                    (om["sourceObjectName"].lower() == typ.lower())), rule["objectMappings"][0] if rule["objectMappings"] else None)
    steps = [_step("EntryImport", "Import", "Success", f"Retrieved {typ} '{ident}' from {src}", now)]
    reason = credentials.problem(job.template, job.sp.secrets)
    base = {"changeId": new_guid(), "startTime": iso7(now), "reportableIdentifier": ident,
            "sourceIdentity": {"id": object_id, "type": typ, "details": {}},
            "sourceSystem": {"name": src, "id": None, "details": {}},
            "targetSystem": {"name": dst, "id": None, "details": {}}}
    if reason:
        err = credentials.sync_error(job.template, reason)
        steps.append(_step("EntryExportAdd", "Export", "Failure", f"Failed to create {typ} '{ident}' in {dst}: "
                           f"{err['message']}", now))
        value = dict(base, action="Other", endTime=iso7(now), provisioningSteps=steps, modifiedProperties=[],
                     statusInfo={"status": "Failure", "errorCode": err["code"], "errorMessage": err["message"]},
                     targetIdentity={"id": None, "type": typ, "details": {}})
        return {"result": "Failure", "details": {"errorCode": err["code"], "errorMessage": err["message"]}}, value
    steps.append(_step("EntrySynchronizationScoping", "Scoping", "Success",
                       f"Determine if {typ} in scope by evaluating against each scoping filter", now))
    target_id = "0055g0000" + hashlib.sha256((job.id + object_id).encode()).hexdigest()[:6].upper()
    target = {"id": target_id, "type": typ, "details": {}}
    if object_id in job.provisioned:
        steps.append(_step("EntryExportUpdate", "Export", "Skipped", "The state of the user in both the source and "
                           "target systems already match.", now))
        value = dict(base, action="Other", endTime=iso7(now), provisioningSteps=steps, modifiedProperties=[],
                     statusInfo={"status": "Skipped"}, targetIdentity=target)
        return {"result": "Skipped", "details": {"errorCode": "RedundantExport", "errorMessage": "The state of the "
                                                 "user in both the source and target systems already match."}}, value
    job.provisioned.add(object_id)
    modified = _modified_properties(app, mapping, user)
    if is_group:
        members = (subject.get("links") or {}).get("members") or []
        modified.append({"displayName": "members", "oldValue": None, "newValue": str(len(members))})
    steps.append(_step("EntryExportAdd", "Export", "Success", f"{typ} '{ident}' was created in {dst}", now))
    value = dict(base, action="Create", endTime=iso7(utcnow()), provisioningSteps=steps,
                 modifiedProperties=modified, statusInfo={"status": "Success"}, targetIdentity=target)
    return {"result": "Success", "details": {}}, value


def _modified_properties(app, mapping, user):
    out = []
    if not mapping:
        return out
    ev = Evaluator([{"key": k, "value": v} for k, v in user.items()], app.tenant.domain)
    for m in mapping["attributeMappings"][:12]:
        try:
            v = ev.eval(m["source"]) if m.get("source") else m.get("defaultValue")
        except EvalError:
            v = None
        if isinstance(v, list):
            v = ",".join(map(str, v))
        if v is None:
            v = m.get("defaultValue")
        if v is not None:
            out.append({"displayName": m["targetAttributeName"], "oldValue": None, "newValue": str(v)})
    return out


# ------------------------------------------------------------------ bulkUpload

def bulk_upload(app, route, job):
    req = route.req
    if job.template.id != "API2AAD":
        raise bad_request("bulkUpload is only supported by API-driven inbound provisioning jobs (template API2AAD).")
    if req.content_type() != "application/scim+json":
        raise GraphError(400, "BadRequest", f"The content type '{req.header('Content-Type') or ''}' is not "
                         "supported. The request must use 'Content-Type: application/scim+json'.")
    with app.tenant.lock:
        _throttle(job.bulk_times, app.settings.bulk_rate_limit, 1.0)
    body = req.json()
    if not isinstance(body, dict) or SCIM_BULK not in (body.get("schemas") or []):
        raise bad_request(f"The request is not a SCIM bulk request: 'schemas' must contain '{SCIM_BULK}'.")
    ops = body.get("Operations")
    if not isinstance(ops, list) or not ops:
        raise bad_request("The SCIM bulk request has no 'Operations'.")
    if len(ops) > MAX_BULK_OPERATIONS:
        raise bad_request(f"The SCIM bulk request has {len(ops)} operations; at most {MAX_BULK_OPERATIONS} are "
                          "allowed per request.")
    seen = set()
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            raise bad_request(f"Operation {i} is not an object.")
        if str(op.get("method", "")).upper() != "POST":
            raise bad_request(f"Operation {i}: the method must be POST.")
        if op.get("path") != "/Users":
            raise bad_request(f"Operation {i}: the path must be /Users.")
        bulk_id = op.get("bulkId")
        if not isinstance(bulk_id, str) or not bulk_id or bulk_id in seen:
            raise bad_request(f"Operation {i}: 'bulkId' must be a unique non-empty string.")
        seen.add(bulk_id)
        if not isinstance(op.get("data"), dict) or not op["data"].get("schemas"):
            raise bad_request(f"Operation {i}: 'data' must be a SCIM user with 'schemas'.")
    with app.tenant.lock:
        job.uploaded += len(ops)
        provisioning_log.bulk_upload(app.provisioning_log, job, ops, job.bulk_users)
    location = (f"{req.base_url}/{route.version}/auditLogs/provisioning/?$filter=jobid%20eq%20'{job.id}'")
    return Response(202, None, {"Location": location})

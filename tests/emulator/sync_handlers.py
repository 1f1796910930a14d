"""Handlers of the synchronization resources: jobs, schemas, templates, secrets, directories,
functions and filter operators (graph-sync-api.md §3)."""

import copy

from tests.emulator import credentials, expressions, functions as fn_catalog, tenant as model
from tests.emulator.envelope import GraphError, Response, bad_request, context_url
from tests.emulator.schemas import normalize_schema
from tests.emulator.util import iso7, json_copy, new_guid


def _ctx(route, tail):
    return context_url(route.version, f"{route.sp_key()}/synchronization/{tail}")


def get_synchronization(app, route):
    body = {"@odata.context": _ctx(route, "$entity"),
            "id": route.sp.id if route.sp else route.application.id,
            "secrets": credentials.masked(route.sp.secrets) if route.sp and not route.via_app else []}
    return Response(200, body)


# ------------------------------------------------------------------ jobs

def _jobs_of(route):
    if route.sp is None:
        return {}
    return route.sp.jobs


def list_jobs(app, route):
    with app.tenant.lock:
        value = [j.to_json() for j in _jobs_of(route).values()]
    return Response(200, {"@odata.context": _ctx(route, "jobs"), "value": value})


def get_job(app, route, job):
    with app.tenant.lock:
        body = {"@odata.context": _ctx(route, "jobs/$entity")}
        body.update(job.to_json())
    return Response(200, body)


def create_job(app, route):
    body = route.req.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a synchronizationJob object.")
    tid = body.get("templateId")
    if not isinstance(tid, str) or not tid:
        raise GraphError(400, "BadRequest", "The property 'templateId' is required to create a synchronization job.")
    sp = route.sp
    if sp is None:
        raise GraphError(404, "Request_ResourceNotFound", "The application has no service principal in this tenant.")
    with app.tenant.lock:
        state = sp.templates().get(tid)
        if state is None:
            raise GraphError(400, "BadRequest", f"The synchronization template '{tid}' does not exist for the "
                             f"service principal '{sp.id}'. Use one of the ids of GET .../synchronization/templates.")
        job = model.Job(app.tenant.new_job_id(tid), state.template, sp,
                        copy.deepcopy(state.schema) if state.schema is not None else None)
        sp.jobs[job.id] = job
        out = {"@odata.context": _ctx(route, "jobs/$entity")}
        out.update(job.to_json())
    return Response(201, out, {"Location": f"{route.req.base_url}/{route.version}/servicePrincipals/{sp.id}/"
                                           f"synchronization/jobs/{job.id}"})


def delete_job(app, route, job):
    with app.tenant.lock:
        route.sp.jobs.pop(job.id, None)
        app.engine.cancel(job)
    return Response(204)


# ------------------------------------------------------------------ schema

def _schema_json(route, schema, version, owner):
    body = {"@odata.context": _ctx(route, f"{owner}/schema/$entity")}
    body["version"] = version
    body["directories"] = json_copy(schema["directories"])
    body["synchronizationRules"] = json_copy(schema["synchronizationRules"])
    return body


def get_schema(app, route, job, state):
    with app.tenant.lock:
        if job is not None:
            return Response(200, _schema_json(route, job.current_schema(), job.schema_version, f"jobs('{job.id}')"))
        return Response(200, _schema_json(route, state.current_schema(), state.version,
                                          f"templates('{state.template.id}')"))


def put_schema(app, route, job, state):
    body = route.req.json()
    schema = normalize_schema(body, new_guid)
    with app.tenant.lock:
        if job is not None:
            job.schema = schema
            job.schema_version = model.new_version()
            job.full_next = True   # the next run reprocesses every account with the new mappings
        else:
            state.schema = schema
            state.version = model.new_version()
    return Response(204)


def reset_schema(app, route, job, state):
    with app.tenant.lock:
        if job is not None:
            tstate = job.sp.templates().get(job.template_id) if job.sp else None
            job.schema = copy.deepcopy(tstate.schema) if tstate is not None and tstate.schema is not None else None
            job.schema_version = model.new_version()
            job.full_next = True
        else:
            state.schema = None   # back to the factoryTag default
            state.version = model.new_version()
    return Response(204)


def patch_schema(app, route, job, state):
    """Graph's sync service has no PATCH on schema: 404 UnknownError with its inner message."""
    owner = f"jobs('{job.id}')" if job is not None else f"templates('{state.template.id}')"
    sp_id = route.sp.id if route.sp else route.application.id
    inner = ("{\"Message\":\"No HTTP resource was found that matches the request URI "
             f"'https://syncfabric.windowsazure.com/api/servicePrincipals('{sp_id}')/synchronization/{owner}/schema"
             "?api-version=2.0'.\"}")
    raise GraphError(404, "UnknownError", inner)


def functions(route):
    return Response(200, {"@odata.context": context_url(route.version, "functions"),
                          "value": fn_catalog.functions_json()})


def filter_operators(route):
    return Response(200, {"@odata.context": context_url(route.version, "filterOperators"),
                          "value": fn_catalog.filter_operators_json()})


def parse_expression(app, route):
    body = route.req.json()
    if not isinstance(body, dict) or "expression" not in body:
        raise bad_request("The parameter 'expression' is required.")
    out = {"@odata.context": context_url(route.version, "microsoft.graph.parseExpressionResponse")}
    out.update(expressions.parse_expression_response(body, app.tenant.domain))
    return Response(200, out)


def list_directories(route, job, state, schema):
    owner = f"jobs('{job.id}')" if job is not None else f"templates('{state.template.id}')"
    return Response(200, {"@odata.context": _ctx(route, f"{owner}/schema/directories"),
                          "value": copy.deepcopy(schema["directories"])})


def get_directory(route, d):
    body = {"@odata.context": context_url(route.version, "microsoft.graph.directoryDefinition")}
    body.update(copy.deepcopy(d))
    return Response(200, body)


def discover(app, route, job, d):
    """Refreshes the directory definition from the 'target' (the catalog's attributes, plus any the
    schema already has), stamps it, and stores it in the job's schema."""
    with app.tenant.lock:
        schema = copy.deepcopy(job.current_schema())
        target = next(x for x in schema["directories"] if x["id"] == d["id"])
        default = next((x for x in job.template.schema()["directories"] if x["name"] == target["name"]), None)
        if default is not None:
            for dobj in default["objects"]:
                tobj = next((o for o in target["objects"] if o["name"] == dobj["name"]), None)
                if tobj is None:
                    target["objects"].append(copy.deepcopy(dobj))
                    continue
                have = {a["name"] for a in tobj["attributes"]}
                tobj["attributes"].extend(copy.deepcopy(a) for a in dobj["attributes"] if a["name"] not in have)
        stamp = iso7()
        target["discoverabilities"] = "AttributeNames, AttributeDataTypes"
        target["discoveryDateTime"] = stamp
        target["version"] = f"Date:{stamp}, ActivityId:{new_guid()}"
        job.schema = schema
        job.schema_version = model.new_version()
        body = {"@odata.context": context_url(route.version, "microsoft.graph.directoryDefinition")}
        body.update(copy.deepcopy(target))
    return Response(200, body)


# ------------------------------------------------------------------ templates

def list_templates(app, route):
    with app.tenant.lock:
        states = list(route.application.templates.values()) if route.application else []
        value = [_template_json(app, route, s) for s in states]
    return Response(200, {"@odata.context": _ctx(route, "templates"), "value": value})


def _template_json(app, route, state):
    t = model.template_state_json(state, route.application.app_id, route.version)
    t["schema"] = {"directories": json_copy(state.current_schema()["directories"]),
                   "synchronizationRules": json_copy(state.current_schema()["synchronizationRules"]),
                   "version": state.version}
    return t


def get_template(app, route, state):
    with app.tenant.lock:
        body = {"@odata.context": _ctx(route, "templates/$entity")}
        body.update(_template_json(app, route, state))
    return Response(200, body)


def update_template(app, route, state):
    """Replaces the template: every property not in the body is erased (graph-sync-api.md §3.15);
    the schema is a navigation property and is not touched here."""
    body = route.req.json()
    if not isinstance(body, dict):
        raise bad_request("The request body must be a synchronizationTemplate object.")
    with app.tenant.lock:
        new = {"id": state.template.id,
               "applicationId": body.get("applicationId", route.application.app_id),
               "default": bool(body.get("default", False)), "description": body.get("description"),
               "discoverable": bool(body.get("discoverable", False)), "factoryTag": body.get("factoryTag"),
               "metadata": [{"key": model.v1_metadata_key(m.get("key")), "value": m.get("value")}
                            for m in body.get("metadata") or [] if isinstance(m, dict)]}
        state.override = new
    return Response(204)


# ------------------------------------------------------------------ secrets

def get_secrets(app, route):
    with app.tenant.lock:
        value = credentials.masked(route.sp.secrets)
    return Response(200, {"@odata.context": _ctx(route, "secrets"), "value": value})


def put_secrets(app, route):
    body = route.req.json()
    items = body.get("value") if isinstance(body, dict) else None
    if items is None and isinstance(body, dict):
        items = body.get("credentials")   # the v1.0 page's parameter table names it so
    if not isinstance(items, list):
        raise bad_request("The request body must hold 'value': a collection of "
                          "synchronizationSecretKeyStringValuePair.")
    pairs = parse_pairs(items)
    with app.tenant.lock:
        route.sp.secrets = pairs
    return Response(204)


def parse_pairs(items):
    pairs = []
    for kv in items:
        if not isinstance(kv, dict):
            raise bad_request("Each secret must be an object with 'key' and 'value'.")
        key = credentials.canonical_key(kv.get("key"))
        if key is None:
            raise bad_request(f"The value '{kv.get('key')}' is not valid for the enumeration type "
                              "'microsoft.graph.synchronizationSecret'.")
        value = kv.get("value")
        if value is not None and not isinstance(value, str):
            raise bad_request(f"The value of the secret '{key}' must be a string.")
        pairs.append({"key": key, "value": value})
    return pairs

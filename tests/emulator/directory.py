"""/servicePrincipals and /applications reads: query options and paging (graph-sync-api.md §8.5)."""

import base64
import json
import urllib.parse

from tests.emulator import odata_filter
from tests.emulator.envelope import GraphError, Response, context_url
from tests.emulator.tenant import ServicePrincipal

# the properties of a servicePrincipal, for $select (those of the emulator's own objects)
SP_PROPERTIES = {p.lower(): p for p in ServicePrincipal("x", "x", "x").to_json()}


def parse_select(req, version="v1.0"):
    sel = req.option("$select")
    if sel is None:
        return None
    props = [p.strip() for p in sel.split(",") if p.strip()]
    known = SP_PROPERTIES if version != "beta" else BETA_SP_PROPERTIES
    out = []
    for p in props:
        if p.lower() not in known:
            raise GraphError(400, "BadRequest", f"Could not find a property named '{p}' on type "
                             "'microsoft.graph.servicePrincipal'.")
        out.append(known[p.lower()])
    return out


def parse_top(req):
    top = req.option("$top")
    if top is None:
        return None
    try:
        n = int(top)
    except ValueError:
        n = None
    if n is None or not 1 <= n <= 999:
        raise GraphError(400, "Request_UnsupportedQuery",
                         f"Invalid page size specified: '{top}'. Must be between 1 and 999 inclusive.")
    return n


def encode_skiptoken(offset):
    raw = json.dumps({"o": offset}).encode()
    return "RFNwdAIAAQAAA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_skiptoken(token):
    try:
        if not token.startswith("RFNwdAIAAQAAA"):
            raise ValueError
        raw = token[len("RFNwdAIAAQAAA"):]
        offset = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))["o"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise GraphError(400, "Directory_ExpiredPageToken", "The specified page token value has expired and can "
                         "no longer be included in your request.")


def _quote(s):
    return urllib.parse.quote(s, safe="$,()'=:@/*-._~!")


def next_link(req, version, offset):
    parts = [(k, v) for k, v in urllib.parse.parse_qsl(req.query, keep_blank_values=True)
             if k.lower() not in ("$skiptoken", "skiptoken")]
    parts.append(("$skiptoken", encode_skiptoken(offset)))
    q = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in parts)
    return f"{req.base_url}/{version}/servicePrincipals?{q}"


# servicePrincipal properties that beta names differently or lacks (microsoft-graph-types-beta)
BETA_NAMES = {"oauth2PermissionScopes": "publishedPermissionScopes", "resourceSpecificApplicationPermissions": None}


BETA_SP_PROPERTIES = {BETA_NAMES.get(p, p).lower(): BETA_NAMES.get(p, p)
                      for p in SP_PROPERTIES.values() if BETA_NAMES.get(p, p)}


def sp_json(sp, version):
    d = sp.to_json()
    if version == "beta":
        d = {BETA_NAMES.get(k, k): v for k, v in d.items() if BETA_NAMES.get(k, k)}
    return d


def project(d, select):
    if select is None:
        return d
    return {k: d.get(k) for k in select}


def list_service_principals(app, req, version):
    tenant = app.tenant
    select = parse_select(req, version)
    top = parse_top(req)
    # server-driven paging: Graph may answer fewer than $top (sp_page_max)
    size = min(top or app.settings.page_size, max(1, app.settings.sp_page_max))
    flt = req.option("$filter")
    search = req.option("$search")
    count = (req.option("$count") or "").lower() == "true"
    eventual = (req.header("ConsistencyLevel") or "").lower() == "eventual"
    tree = odata_filter.parse(flt, advanced=count and eventual) if flt is not None else None
    if search is not None and not eventual:
        raise GraphError(400, "Request_UnsupportedQuery", "Request with $search query parameter only works through "
                         "MSGraph with a special request header: 'ConsistencyLevel: eventual'")
    orderby = req.option("$orderby")
    token = req.option("$skiptoken")
    offset = decode_skiptoken(token) if token else 0
    with tenant.lock:
        sps = tenant.sp_list()
        if tree is not None or search:
            sps = [sp for sp in sps if _matches(sp, tree, search)]
        if orderby:
            key, _, direction = orderby.strip().partition(" ")
            if key.lower() != "displayname":
                raise GraphError(400, "Request_UnsupportedQuery", f"Sorting not supported for '{key}'.")
            sps = sorted(sps, key=lambda s: s.display_name.lower(), reverse=direction.strip().lower() == "desc")
        total = len(sps)
        page = [project(sp_json(sp, version), select) for sp in sps[offset:offset + size]]
    frag = "servicePrincipals" + (f"({','.join(select)})" if select else "")
    body = {"@odata.context": context_url(version, frag)}
    if count and eventual and not token:     # Graph counts directory objects only in advanced queries
        body["@odata.count"] = total
    body["value"] = page
    if offset + size < total:
        body["@odata.nextLink"] = next_link(req, version, offset + size)
    return Response(200, body)


def _matches(sp, tree, search):
    if tree is not None:
        def get(p):
            if p == "displayName":
                return sp.display_name
            if p == "appId":
                return sp.app_id
            if p == "id":
                return sp.id
            return sp.to_json().get(p)
        if not odata_filter.matches(tree, get):
            return False
    if search:
        terms = [t.strip('"') for t in search.split(" ") if t.strip('"')]
        for t in terms:
            prop, _, word = t.partition(":")
            if not word:
                word, prop = prop, "displayName"
            if word.lower() not in str(sp.to_json().get(prop, "")).lower():
                return False
    return True


def get_service_principal(app, req, version, sp):
    select = parse_select(req, version)
    frag = "servicePrincipals" + (f"({','.join(select)})" if select else "") + "/$entity"
    body = {"@odata.context": context_url(version, frag)}
    body.update(project(sp_json(sp, version), select))
    return Response(200, body)


def get_application(app, req, version, application):
    body = {"@odata.context": context_url(version, "applications/$entity")}
    body.update(application.to_json())
    return Response(200, body)

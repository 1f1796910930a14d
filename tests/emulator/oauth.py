"""The Microsoft identity platform endpoints the product uses (graph-sync-api.md §8.1):
  POST /{tenant}/oauth2/v2.0/token        client credentials (secret, certificate assertion,
                                          federated assertion), device code, refresh token
  POST /{tenant}/oauth2/v2.0/devicecode
  GET  /{tenant}/v2.0/.well-known/openid-configuration
and managed identity in both styles:
  GET  /msi/token?resource=...&api-version=2019-08-01        (App Service, X-IDENTITY-HEADER)
  GET  /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...   (IMDS, Metadata: true)
Errors use Entra ID's body: error, error_description "AADSTSnnnn: ...", error_codes, timestamp,
trace_id, correlation_id, error_uri."""

import base64
import json
import random
import re
import secrets as pysecrets
import string
import threading
import time
import urllib.parse

from tests.emulator import assertions
from tests.emulator.envelope import Response
from tests.emulator.tokens import ALL_ROLES, GRAPH_APP_ID, GRAPH_RESOURCE
from tests.emulator.util import aad_timestamp, guid_for, new_guid

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
VERIFICATION_URI = "https://microsoft.com/devicelogin"
MULTI_TENANT = ("common", "organizations", "consumers")
OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
DELEGATED_ALL = ["Synchronization.ReadWrite.All", "Application.Read.All", "Directory.ReadWrite.All",
                 "SynchronizationData-User.Upload", "AuditLog.Read.All"]
_TOKEN_PATH = re.compile(r"^/([^/]+)/oauth2/v2\.0/(token|devicecode)/?$")
_OIDC_PATH = re.compile(r"^/([^/]+)/v2\.0/\.well-known/openid-configuration/?$")


def aad_error(status, error, description, code, headers=None):
    trace, corr, ts = new_guid(), new_guid(), aad_timestamp()
    body = {"error": error,
            "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {corr}\r\n"
                                 f"Timestamp: {ts}",
            "error_codes": [code], "timestamp": ts, "trace_id": trace, "correlation_id": corr,
            "error_uri": f"https://login.microsoftonline.com/error?code={code}"}
    h = {"x-ms-request-id": trace, "Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}
    h.update(headers or {})
    return Response(status, body, h)


class OAuthError(Exception):
    def __init__(self, status, error, description, code):
        super().__init__(description)
        self.response = aad_error(status, error, description, code)


class Client:
    def __init__(self, client_id, secret=None, certs=None, federated_file=None, roles=None):
        self.id = client_id
        self.secret = secret
        self.certs = certs or []
        self.federated_file = federated_file
        self.roles = roles


class DeviceCode:
    def __init__(self, client_id, scopes, lifetime, interval):
        self.client_id = client_id
        self.scopes = scopes
        self.device_code = "DAQABAAEAAAD" + pysecrets.token_urlsafe(96)
        self.user_code = "".join(random.SystemRandom().choice(string.ascii_uppercase + "23456789") for _ in range(9))
        self.expires = time.time() + lifetime
        self.interval = interval
        self.last_poll = 0.0
        self.state = "pending"       # pending | approved | declined | redeemed


class OAuth:
    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.clients = {}
        self.device_codes = {}       # device_code -> DeviceCode
        self.refresh_tokens = {}     # token -> (client_id, scopes, expires)
        self.identity_header = None
        self.mi_client_id = guid_for("managed-identity", app.tenant.id)

    # ---------------------------------------------------------------- registration

    def add_client(self, client):
        existing = self.clients.get(client.id.lower())
        if existing:
            existing.secret = existing.secret or client.secret
            existing.certs += client.certs
            existing.federated_file = existing.federated_file or client.federated_file
        else:
            self.clients[client.id.lower()] = client

    # ---------------------------------------------------------------- dispatch

    def owns(self, req):
        p = req.path
        return bool(_TOKEN_PATH.match(p) or _OIDC_PATH.match(p)) or p.rstrip("/") in (
            "/msi/token", "/metadata/identity/oauth2/token", "/common/discovery/instance")

    def handle(self, req):
        try:
            return self._handle(req)
        except OAuthError as e:
            return e.response

    def _handle(self, req):
        p = req.path.rstrip("/")
        if p == "/msi/token":
            return self.app_service_token(req)
        if p == "/metadata/identity/oauth2/token":
            return self.imds_token(req)
        if p == "/common/discovery/instance":
            return self.instance_discovery(req)
        m = _OIDC_PATH.match(req.path)
        if m:
            return self.openid_configuration(req, m.group(1))
        m = _TOKEN_PATH.match(req.path)
        tenant, what = m.group(1), m.group(2)
        if req.method != "POST":
            raise OAuthError(405, "invalid_request", "The request method must be POST.", 900561)
        self.check_tenant(tenant)
        form = dict(urllib.parse.parse_qsl(req.text() or "", keep_blank_values=True))
        if what == "devicecode":
            return self.device_code(tenant, form)
        return self.token(req, tenant, form)

    def check_tenant(self, tenant):
        t = self.app.tenant
        if tenant.lower() in (t.id.lower(), t.domain.lower()) or tenant.lower() in MULTI_TENANT:
            return
        raise OAuthError(400, "invalid_tenant", f"Tenant '{tenant}' not found. Check to make sure you have the "
                         "correct tenant ID and are signing into the correct cloud. Check with your subscription "
                         "administrator, this may happen if there are no active subscriptions for the tenant.", 90002)

    # ---------------------------------------------------------------- token endpoint

    def token(self, req, tenant, form):
        grant = form.get("grant_type")
        if not grant:
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'grant_type'.", 900144)
        if grant == "client_credentials":
            return self.client_credentials(req, tenant, form)
        if grant in (DEVICE_GRANT, "device_code"):   # MSAL sends the short form; Entra accepts both
            return self.device_code_grant(form)
        if grant == "refresh_token":
            return self.refresh_grant(form)
        raise OAuthError(400, "unsupported_grant_type", f"The app requested an unsupported grant type '{grant}'.",
                         70003)

    def _client_id_and_secret(self, req, form):
        cid, secret = form.get("client_id"), form.get("client_secret")
        auth = req.header("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:].strip()).decode().partition(":")
                cid = cid or urllib.parse.unquote(user)
                secret = secret or urllib.parse.unquote(pw)
            except ValueError:
                raise OAuthError(401, "invalid_client", "The client credentials in the Authorization header are "
                                 "malformed.", 7000216)
        if not cid:
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'client_id'.", 900144)
        return cid, secret

    def client_credentials(self, req, tenant, form):
        if tenant.lower() in MULTI_TENANT:
            raise OAuthError(400, "invalid_request", "No tenant-identifying information found in either the request "
                             "or implied by any provided credentials.", 50059)
        cid, secret = self._client_id_and_secret(req, form)
        scope = form.get("scope")
        if not scope:
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'scope'.", 900144)
        if scope.strip() not in (f"{GRAPH_RESOURCE}/.default", f"{GRAPH_APP_ID}/.default",
                                 f"{GRAPH_RESOURCE}//.default"):
            raise OAuthError(400, "invalid_scope", "The provided request must include a 'scope' input parameter. "
                             f"The provided value for the input parameter 'scope' is not valid. The scope {scope} "
                             "is not valid.", 70011)
        client = self.clients.get(cid.lower())
        if client is None:
            raise OAuthError(400, "unauthorized_client", f"Application with identifier '{cid}' was not found in "
                             f"the directory '{self.app.tenant.display_name}'. This can happen if the application "
                             "has not been installed by the administrator of the tenant or consented to by any user "
                             "in the tenant. You may have sent your authentication request to the wrong tenant.",
                             700016)
        atype, assertion = form.get("client_assertion_type"), form.get("client_assertion")
        if assertion:
            if atype != JWT_BEARER:
                raise OAuthError(400, "invalid_request", "The client_assertion_type must be "
                                 f"'{JWT_BEARER}'.", 50027)
            self.check_assertion(req, tenant, client, assertion)
        elif secret:
            if client.secret is None or not pysecrets.compare_digest(secret, client.secret):
                raise OAuthError(401, "invalid_client", "Invalid client secret provided. Ensure the secret being sent "
                                 "in the request is the client secret value, not the client secret ID, for a secret "
                                 f"added to app '{client.id}'.", 7000215)
        else:
            raise OAuthError(401, "invalid_client", "The request body must contain the following parameter: "
                             "'client_assertion' or 'client_secret'.", 7000218)
        token, lifetime = self.app.tokens.issue(guid_for("sp-of-client", client.id), client.id, roles=client.roles)
        return Response(200, {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime,
                              "access_token": token}, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def check_assertion(self, req, tenant, client, assertion):
        t = self.app.tenant
        audiences = set()
        for host in ("https://login.microsoftonline.com", req.base_url):
            for name in (t.id, t.domain, tenant):
                audiences.add(f"{host}/{name}/oauth2/v2.0/token")
                audiences.add(f"{host}/{name}/v2.0")
        try:
            if client.certs:
                try:
                    assertions.verify_certificate_assertion(assertion, client.id, client.certs, audiences)
                    return
                except assertions.AssertionError_:
                    if not client.federated_file:
                        raise
            if client.federated_file:
                assertions.verify_federated_assertion(assertion, client.federated_file)
                return
            raise assertions.AssertionError_(700027, "The application has no certificate or federated credential "
                                             "to validate the client assertion against.")
        except assertions.AssertionError_ as e:
            raise OAuthError(401 if e.code != 50027 else 400, "invalid_client", e.message, e.code)

    # ---------------------------------------------------------------- device code

    def _scopes(self, scope):
        out = []
        for s in (scope or "").split():
            if s in OIDC_SCOPES:
                out.append(s)
                continue
            name = s.rsplit("/", 1)[-1] if s.startswith(("https://", GRAPH_APP_ID)) else s
            if name == ".default":
                out.extend(x for x in DELEGATED_ALL if x not in out)
            elif name not in out:
                out.append(name)
        return out

    def device_code(self, tenant, form):
        cid = form.get("client_id")
        if not cid:
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'client_id'.", 900144)
        if not form.get("scope"):
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'scope'.", 900144)
        s = self.app.settings
        dc = DeviceCode(cid, self._scopes(form["scope"]), s.device_code_lifetime, s.device_code_interval)
        with self.lock:
            self.device_codes[dc.device_code] = dc
        return Response(200, {
            "user_code": dc.user_code, "device_code": dc.device_code, "verification_uri": VERIFICATION_URI,
            "expires_in": s.device_code_lifetime, "interval": dc.interval,
            "message": f"To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the code "
                       f"{dc.user_code} to authenticate."})

    def approve(self, user_code, decline=False):
        with self.lock:
            for dc in self.device_codes.values():
                if dc.user_code == user_code and dc.state == "pending":
                    dc.state = "declined" if decline else "approved"
                    return True
        return False

    def device_code_grant(self, form):
        code = form.get("device_code")
        if not code:
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'device_code'.", 900144)
        with self.lock:
            dc = self.device_codes.get(code)
            if dc is None or dc.client_id != form.get("client_id"):
                raise OAuthError(400, "bad_verification_code", "The device code is not valid or has been "
                                 "mistyped.", 70018)
            now = time.time()
            if now > dc.expires:
                raise OAuthError(400, "expired_token", "Verification code expired.", 70019)
            too_fast = dc.last_poll and now - dc.last_poll < dc.interval
            dc.last_poll = now
            if dc.state == "declined":
                raise OAuthError(400, "authorization_declined", "The user declined the authorization request.", 65004)
            if dc.state == "redeemed":
                raise OAuthError(400, "invalid_grant", "The device code has already been redeemed.", 54005)
            if dc.state == "pending":
                if too_fast:
                    raise OAuthError(400, "slow_down", "The client is polling too frequently; wait the interval "
                                     "between polls.", 70023)
                raise OAuthError(400, "authorization_pending", "The provided request has not yet been authorized by "
                                 "the user. The user must input their code.", 70016)
            dc.state = "redeemed"
        return self._user_tokens(dc.client_id, dc.scopes)

    def _user_tokens(self, client_id, scopes):
        api = [s for s in scopes if s not in OIDC_SCOPES]
        token, lifetime = self.app.tokens.issue(guid_for("device-user", client_id), client_id, scopes=api,
                                                name="Emulator Administrator")
        body = {"token_type": "Bearer", "scope": " ".join(f"{GRAPH_RESOURCE}/{s}" for s in api),
                "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token}
        if "offline_access" in scopes:
            rt = "1.AQ" + pysecrets.token_urlsafe(120)
            with self.lock:
                self.refresh_tokens[rt] = (client_id, scopes, time.time() + self.app.settings.refresh_token_lifetime)
            body["refresh_token"] = rt
        if "openid" in scopes:
            header = base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"none"}').decode().rstrip("=")
            claims = {"aud": client_id, "iss": f"https://login.microsoftonline.com/{self.app.tenant.id}/v2.0",
                      "iat": int(time.time()), "exp": int(time.time()) + lifetime, "name": "Emulator Administrator",
                      "preferred_username": f"admin@{self.app.tenant.domain}", "tid": self.app.tenant.id,
                      "oid": guid_for("device-user", client_id)}
            payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
            body["id_token"] = f"{header}.{payload}."
        return Response(200, body, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def refresh_grant(self, form):
        rt = form.get("refresh_token")
        if not rt:
            raise OAuthError(400, "invalid_request", "The request body must contain the following parameter: "
                             "'refresh_token'.", 900144)
        with self.lock:
            entry = self.refresh_tokens.get(rt)
        if entry is None or entry[0] != form.get("client_id"):
            raise OAuthError(400, "invalid_grant", "Invalid request. Request is malformed or invalid.", 9002313)
        if entry[2] < time.time():
            raise OAuthError(400, "invalid_grant", "The refresh token has expired due to inactivity.", 700082)
        scopes = entry[1]
        if form.get("scope"):
            scopes = self._scopes(form["scope"]) + [s for s in entry[1] if s == "offline_access"]
        return self._user_tokens(entry[0], scopes)

    # ---------------------------------------------------------------- discovery documents

    def openid_configuration(self, req, tenant):
        self.check_tenant(tenant)
        tid = self.app.tenant.id if tenant.lower() not in MULTI_TENANT else "{tenantid}"
        base = req.base_url
        return Response(200, {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys", "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"], "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"https://login.microsoftonline.com/{tid}/v2.0", "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "tid", "oid"],
            "tenant_region_scope": "EU", "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net", "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net"})

    def instance_discovery(self, req):
        host = req.base_url.split("://", 1)[1]
        return Response(200, {"tenant_discovery_endpoint": f"{req.base_url}/common/v2.0/.well-known/openid-configuration",
                              "api-version": "1.1",
                              "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}]})

    # ---------------------------------------------------------------- managed identity

    def _mi_resource(self, resource):
        r = (resource or "").rstrip("/")
        if r.endswith("/.default"):
            r = r[: -len("/.default")]
        return r in (GRAPH_RESOURCE, GRAPH_APP_ID)

    def _mi_token(self):
        return self.app.tokens.issue(guid_for("managed-identity-sp", self.mi_client_id), self.mi_client_id,
                                     roles=ALL_ROLES)

    def app_service_token(self, req):
        if self.identity_header is None:
            return Response(404, {"statusCode": 404, "message": "Managed identity (App Service) is not enabled: "
                                  "start the emulator with --identity-header VALUE."})
        if req.header("X-IDENTITY-HEADER") != self.identity_header:
            return Response(400, {"statusCode": 400, "message": "The X-IDENTITY-HEADER header is missing or "
                                  "does not match IDENTITY_HEADER.", "correlationId": new_guid()})
        if req.params.get("api-version") != "2019-08-01":
            return Response(400, {"statusCode": 400, "message": "Unsupported api-version; use 2019-08-01.",
                                  "correlationId": new_guid()})
        resource = req.params.get("resource")
        if not resource:
            return Response(400, {"statusCode": 400, "message": "The 'resource' parameter is required.",
                                  "correlationId": new_guid()})
        cid = req.params.get("client_id")
        if (cid and cid.lower() != self.mi_client_id) or req.params.get("principal_id") or req.params.get("mi_res_id"):
            return Response(400, {"statusCode": 400, "message": "No managed identity matches the given identifier.",
                                  "correlationId": new_guid()})
        if not self._mi_resource(resource):
            return Response(400, {"statusCode": 400, "message": f"AADSTS500011: The resource principal named "
                                  f"{resource} was not found in the tenant.", "correlationId": new_guid()})
        token, lifetime = self._mi_token()
        return Response(200, {"access_token": token, "expires_on": str(int(time.time()) + lifetime),
                              "resource": resource, "token_type": "Bearer", "client_id": self.mi_client_id})

    def imds_token(self, req):
        if (req.header("Metadata") or "").lower() != "true":
            return Response(400, {"error": "invalid_request", "error_description": "Required metadata header not "
                                  "specified"})
        if req.method != "GET":
            return Response(405, {"error": "invalid_request", "error_description": "The request method must be GET."})
        if not req.params.get("api-version"):
            return Response(400, {"error": "invalid_request", "error_description": "Required query variable "
                                  "'api-version' is missing"})
        resource = req.params.get("resource")
        if not resource:
            return Response(400, {"error": "invalid_request", "error_description": "Required audience parameter not "
                                  "specified"})
        cid = req.params.get("client_id")
        if (cid and cid.lower() != self.mi_client_id) or req.params.get("object_id") or req.params.get("msi_res_id"):
            return Response(400, {"error": "invalid_request", "error_description": "Identity not found"})
        if not self._mi_resource(resource):
            return Response(400, {"error": "invalid_resource", "error_description": f"AADSTS500011: The resource "
                                  f"principal named {resource} was not found in the tenant named "
                                  f"{self.app.tenant.id}."})
        token, lifetime = self._mi_token()
        now = int(time.time())
        return Response(200, {"access_token": token, "client_id": self.mi_client_id, "expires_in": str(lifetime),
                              "expires_on": str(now + lifetime), "ext_expires_in": str(lifetime),
                              "not_before": str(now), "resource": resource, "token_type": "Bearer"})

"""Access tokens this emulator issues, and the bearer check on Graph requests.

Tokens are JWT-shaped (header.payload.signature) and signed with a key that lives only in this
process (HMAC-SHA256), so a token is valid exactly when this emulator issued it and it has not
expired. With `auth none` every request is accepted; with `auth required` a valid token is needed
(401 InvalidAuthenticationToken otherwise) and it must carry a permission the operation accepts
(graph-sync-api.md §2, §9.13). A token without it is refused the way real tenants refuse it: on the
synchronization endpoints 401 `UnknownError` with an empty message (microsoft-graph-docs-contrib
issue 8800, zerotrustassessment 1319/1382, terraform-provider-azuread 1628), elsewhere 403
`Authorization_RequestDenied`."""

import base64
import hashlib
import hmac
import json
import os
import time

from tests.emulator.envelope import error_response
from tests.emulator.util import new_guid

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ALL_ROLES = ["Synchronization.ReadWrite.All", "Application.ReadWrite.All", "Directory.ReadWrite.All",
             "SynchronizationData-User.Upload", "AuditLog.Read.All"]
WWW_AUTHENTICATE = ('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", '
                    f'client_id="{GRAPH_APP_ID}"')

R = {"Synchronization.Read.All", "Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy",
     "CustomSecAttributeProvisioning.Read.All", "CustomSecAttributeProvisioning.ReadWrite.All"}
W = {"Synchronization.ReadWrite.All", "Application.ReadWrite.OwnedBy", "CustomSecAttributeProvisioning.ReadWrite.All"}
D = {"Directory.ReadWrite.All", "Application.ReadWrite.OwnedBy"}
U = {"SynchronizationData-User.Upload", "SynchronizationData-User.Upload.OwnedBy"}
AUDIT = {"AuditLog.Read.All"}
DIR_READ = {"Application.Read.All", "Application.ReadWrite.All", "Application.ReadWrite.OwnedBy",
            "Directory.Read.All", "Directory.ReadWrite.All"}


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def needed_permissions(req):
    """The permissions any one of which allows this Graph request."""
    p = req.path
    if "/auditLogs/" in p:
        return AUDIT
    if "/synchronization" not in p:
        return DIR_READ if req.method == "GET" else {"Application.ReadWrite.All", "Directory.ReadWrite.All"}
    if p.rstrip("/").endswith("/bulkUpload"):
        return U
    if "/discover" in p:
        return D
    if "/functions" in p or "/filterOperators" in p or p.rstrip("/").endswith("/secrets"):
        return W
    return R if req.method == "GET" else W


class Tokens:
    def __init__(self, settings, tenant_id):
        self.settings = settings
        self.tenant_id = tenant_id
        self.key = os.urandom(32)

    def issue(self, subject, app_id, roles=None, scopes=None, lifetime=None, audience=GRAPH_RESOURCE, name=None):
        """A signed access token; returns (token, expires_in)."""
        lifetime = self.settings.token_lifetime if lifetime is None else lifetime
        now = int(time.time())
        header = {"typ": "JWT", "alg": "HS256", "kid": "graph-emulator"}
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{self.tenant_id}/", "iat": now, "nbf": now,
                  "exp": now + lifetime, "appid": app_id, "idtyp": "user" if scopes is not None else "app",
                  "oid": subject, "sub": subject, "tid": self.tenant_id, "uti": new_guid()[:22], "ver": "1.0"}
        if scopes is not None:
            claims["scp"] = " ".join(scopes)
            if name:
                claims["name"] = name
        else:
            claims["roles"] = list(roles if roles is not None else ALL_ROLES)
        signing = b64url(json.dumps(header, separators=(",", ":")).encode()) + "." + \
            b64url(json.dumps(claims, separators=(",", ":")).encode())
        sig = hmac.new(self.key, signing.encode(), hashlib.sha256).digest()
        return signing + "." + b64url(sig), lifetime

    def claims(self, token):
        """The claims of a token this emulator signed (even if expired), else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self.key, (parts[0] + "." + parts[1]).encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(expected, b64url_decode(parts[2])):
                return None
            return json.loads(b64url_decode(parts[1]))
        except ValueError:
            return None

    def unauthorized(self, ids, message):
        return error_response(ids, 401, "InvalidAuthenticationToken", message, {"WWW-Authenticate": WWW_AUTHENTICATE})

    def expired_response(self, ids):
        return self.unauthorized(ids, "Lifetime validation failed, the token is expired.")

    def check(self, req, ids):
        """None when the request may proceed, else the 401/403 response."""
        if self.settings.auth != "required":
            return None
        auth = req.header("Authorization") or ""
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if not auth or (scheme.lower() == "bearer" and not token):
            return self.unauthorized(ids, "Access token is empty.")
        if scheme.lower() != "bearer":
            return self.unauthorized(ids, "Access token validation failure. Invalid audience.")
        claims = self.claims(token)
        if claims is None:
            return self.unauthorized(ids, "IDX14100: JWT is not well formed, there are no dots (.).\n"
                                     "The token needs to be in JWS or JWE Compact Serialization Format."
                                     if "." not in token else "Invalid signature.")
        if claims.get("exp", 0) <= time.time():
            return self.expired_response(ids)
        if claims.get("aud") not in (GRAPH_RESOURCE, GRAPH_RESOURCE + "/", GRAPH_APP_ID):
            return self.unauthorized(ids, "Access token validation failure. Invalid audience.")
        granted = set(claims.get("roles") or []) | set((claims.get("scp") or "").split())
        if not granted & needed_permissions(req):
            return self.denied(req, ids)
        return None

    def denied(self, req, ids):
        if "/synchronization" in req.path:
            return error_response(ids, 401, "UnknownError", "", {"WWW-Authenticate": WWW_AUTHENTICATE})
        return error_response(ids, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


ANONYMOUS_APP_ID = "00000000-0000-0000-0000-000000000000"


def throttle_headers(tokens, req):
    """x-ms-throttle-scope / -information of a 429 from the identity & access workload
    (graph-sync-api.md §8.3): <Scope>/<Limit>/<ApplicationId>/<TenantId>."""
    auth = req.header("Authorization") or ""
    claims = tokens.claims(auth.partition(" ")[2].strip()) if auth.lower().startswith("bearer ") else None
    app_id = (claims or {}).get("appid") or ANONYMOUS_APP_ID
    limit = "Read" if req.method == "GET" else "Write"
    return {"x-ms-throttle-scope": f"Tenant_Application/{limit}/{app_id}/{tokens.tenant_id}",
            "x-ms-throttle-information": "ResourceUnitLimitExceeded" if limit == "Read" else "WriteLimitExceeded"}

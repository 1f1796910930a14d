"""Synchronization secrets: masking on read, and the emulator's rule for bad credentials.

Rule (README "Credentials"): a set of credentials is bad when
  - a key the template needs (catalog.Template.required_keys) is missing or empty, or
  - BaseAddress is present but not an http(s) URL, or
  - any secret-like value equals "bad" or "invalid" (any case).
"""

import datetime

from tests.emulator.util import iso

MASK = "********"

# synchronizationSecret members whose values are secret: masked by GET secrets and kept out of logs
SECRET_KEYS = {"password", "secrettoken", "clientsecret", "oauth2clientsecret", "oauth2accesstoken",
               "oauth2refreshtoken", "oauth2authorizationcode", "consumersecret", "appkey", "tokenkey",
               "connectionstring"}

# synchronizationSecret (graph-sync-api.md §5): the names PUT secrets accepts
SECRET_NAMES = [
    "None", "UserName", "Password", "SecretToken", "AppKey", "BaseAddress", "ClientIdentifier", "ClientSecret",
    "SingleSignOnType", "Sandbox", "Url", "Domain", "ConsumerKey", "ConsumerSecret", "TokenKey", "TokenExpiration",
    "Oauth2AccessToken", "Oauth2AccessTokenCreationTime", "Oauth2RefreshToken", "SyncAll", "InstanceName",
    "Oauth2ClientId", "Oauth2ClientSecret", "CompanyId", "UpdateKeyOnSoftDelete", "SynchronizationSchedule",
    "SystemOfRecord", "SandboxName", "EnforceDomain", "SyncNotificationSettings", "SkipOutOfScopeDeletions",
    "Oauth2AuthorizationCode", "Oauth2RedirectUri", "ApplicationTemplateIdentifier", "Oauth2TokenExchangeUri",
    "Oauth2AuthorizationUri", "AuthenticationType", "Server", "PerformInboundEntitlementGrants",
    "HardDeletesEnabled", "SyncAgentCompatibilityKey", "SyncAgentADContainer", "ValidateDomain", "TestReferences",
    "ConnectionString"]
_BY_LOWER = {n.lower(): n for n in SECRET_NAMES}


def canonical_key(key):
    """The enum member name for `key` (case-insensitive), or None."""
    return _BY_LOWER.get(str(key).lower()) if isinstance(key, str) else None


def masked(pairs):
    return [{"key": kv["key"], "value": MASK if kv["key"].lower() in SECRET_KEYS and kv.get("value") else kv.get("value")}
            for kv in pairs]


def problem(template, pairs):
    """None when the credentials are good; else a short reason."""
    values = {str(kv.get("key", "")).lower(): kv.get("value") for kv in pairs if isinstance(kv, dict)}
    for k in template.required_keys:
        if not values.get(k.lower()):
            return f"The credential '{k}' is missing."
    base = values.get("baseaddress")
    if base and not str(base).lower().startswith(("http://", "https://")):
        return "The Tenant URL (BaseAddress) is not an http(s) URL."
    for k, v in values.items():
        if k in SECRET_KEYS and isinstance(v, str) and v.strip().lower() in ("bad", "invalid"):
            return "The target application rejected the credentials (HTTP 401 Unauthorized)."
    return None


def sync_error(template, reason):
    """synchronizationError of a failed run or of a quarantine caused by credentials."""
    return {"code": template.error_code, "message": f"{template.error_message} {reason}".strip(),
            "tenantActionable": True}


def quarantine_object(error, now, next_attempt, series_began=None, series_count=1,
                      reason="EncounteredQuarantineException"):
    return {"currentBegan": iso(now), "error": error, "nextAttempt": iso(next_attempt), "reason": reason,
            "seriesBegan": series_began or iso(now), "seriesCount": series_count}


def later(now, seconds):
    return now + datetime.timedelta(seconds=seconds)

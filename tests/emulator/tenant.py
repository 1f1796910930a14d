"""The tenant model: service principals, their applications, templates, jobs and secrets.

All state lives here, guarded by `Tenant.lock` (one re-entrant lock: requests are short).
Schemas are shared with the catalog until changed (copy on write), so a tenant of ten
thousand service principals starts in a few seconds.
"""

import copy
import hashlib
import threading

from tests.emulator import catalog
from tests.emulator.util import MAX_INTERVAL, NEVER, guid_for, iso7, new_guid

FIRST_PARTY_OWNER = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"   # Microsoft Services' tenant


def new_version():
    """An opaque schema version, changed with every schema change."""
    return f"Date:{iso7()}~{new_guid()}"


def initial_status():
    """status of a job just created (graph-sync-api.md §3.2, §9.4)."""
    return {"code": "NotConfigured", "countSuccessiveCompleteFailures": 0, "escrowsPruned": False,
            "lastExecution": None, "lastSuccessfulExecution": None, "lastSuccessfulExecutionWithExports": None,
            "progress": [], "quarantine": None, "steadyStateFirstAchievedTime": NEVER,
            "steadyStateLastAchievedTime": NEVER, "synchronizedEntryCountByType": [], "troubleshootingUrl": None}


STATUS_KEYS = list(initial_status())


class TemplateState:
    """A template as one application holds it: the catalog's, until updated."""

    def __init__(self, template):
        self.template = template
        self.override = None      # the whole template object after an update (PATCH)
        self.schema = None        # None: the catalog default
        self.version = f"Date:2024-03-11T11:07:48.7217138Z~{guid_for('template-version', template.id)}"

    def current_schema(self):
        return self.schema if self.schema is not None else self.template.schema()


class Application:
    def __init__(self, object_id, app_id, display_name, created):
        self.id = object_id
        self.app_id = app_id
        self.display_name = display_name
        self.created = created
        self.templates = {}       # templateId -> TemplateState

    def to_json(self):
        return {"id": self.id, "deletedDateTime": None, "appId": self.app_id, "createdDateTime": self.created,
                "description": None, "displayName": self.display_name, "identifierUris": [],
                "signInAudience": "AzureADMyOrg", "tags": []}


class ServicePrincipal:
    def __init__(self, sp_id, app_id, display_name, application=None, first_party=False, tenant_id=None,
                 gallery_key=None):
        self.id = sp_id
        self.app_id = app_id
        self.display_name = display_name
        self.application = application
        self.first_party = first_party
        self.tenant_id = tenant_id
        self.gallery_key = gallery_key
        self.jobs = {}            # jobId -> Job, in creation order
        self.secrets = []         # [{"key", "value"}] as last PUT
        self.extra = {}           # properties merged by PATCH /_emulator/servicePrincipals/{id}

    def templates(self):
        return self.application.templates if self.application else {}

    def to_json(self):
        gallery = guid_for("gallery", self.gallery_key) if self.gallery_key else None
        tags = (["WindowsAzureActiveDirectoryIntegratedApp"] if not self.first_party else [])
        if self.gallery_key:
            tags += ["WindowsAzureActiveDirectoryGalleryApplicationPrimaryV1",
                     "WindowsAzureActiveDirectoryCustomSingleSignOnApplication"]
        d = {"id": self.id, "deletedDateTime": None, "accountEnabled": True, "alternativeNames": [],
             "appDisplayName": self.display_name, "appDescription": None, "appId": self.app_id,
             "applicationTemplateId": gallery,
             "appOwnerOrganizationId": FIRST_PARTY_OWNER if self.first_party else self.tenant_id,
             "appRoleAssignmentRequired": not self.first_party, "description": None,
             "disabledByMicrosoftStatus": None, "displayName": self.display_name, "homepage": None,
             "loginUrl": None, "logoutUrl": None, "notes": None, "notificationEmailAddresses": [],
             "preferredSingleSignOnMode": None if self.first_party else "saml",
             "preferredTokenSigningKeyThumbprint": None, "replyUrls": [],
             "servicePrincipalNames": [self.app_id], "servicePrincipalType": "Application",
             "signInAudience": "AzureADMultipleOrgs" if self.first_party else "AzureADMyOrg", "tags": tags,
             "tokenEncryptionKeyId": None,
             "info": {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None, "supportUrl": None,
                      "termsOfServiceUrl": None},
             "samlSingleSignOnSettings": None, "addIns": [], "appRoles": [], "keyCredentials": [],
             "oauth2PermissionScopes": [], "passwordCredentials": [], "resourceSpecificApplicationPermissions": [],
             "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}}
        d.update(self.extra)
        d["displayName"] = self.display_name
        return d


class Job:
    """One synchronizationJob plus what the emulator needs to run it."""

    def __init__(self, job_id, template, sp, schema=None):
        self.id = job_id
        self.template = template          # catalog.Template
        self.template_id = template.id
        self.sp = sp
        self.schedule = {"expiration": None, "interval": MAX_INTERVAL, "state": "Disabled"}
        self.status = initial_status()
        self.settings = [{"name": n, "value": v} for n, v in template.settings]
        self.schema = schema              # None: the template default
        self.schema_version = f"Date:2024-03-11T11:07:48.7217138Z~{guid_for('job-version', job_id)}"
        # run-time state (lifecycle.py)
        self.generation = 0               # bumps cancel scheduled events
        self.running = None               # the cycle in progress: {"began", "activity", "full"}
        self.full_next = True             # next cycle re-imports everything (first cycle, Watermark)
        self.force_deletes = False
        self.cycles = 0
        self.provisioned = set()          # objectIds provisioned on demand
        self.uploaded = 0                 # bulkUpload users waiting for the next cycle
        self.pod_times = []               # provisionOnDemand request times (rate limit)
        self.bulk_times = []
        self.bulk_users = set()           # userNames a bulkUpload has sent (provisioning log: create/update)
        h = int(hashlib.sha256(job_id.encode()).hexdigest()[:8], 16)
        self.population = 40 + h % 4000   # entries in scope, for counts
        self.groups = h % 60

    def current_schema(self):
        return self.schema if self.schema is not None else self.template.schema()

    def to_json(self):
        st = {k: self.status.get(k) for k in STATUS_KEYS}
        return {"id": self.id, "templateId": self.template_id, "schedule": dict(self.schedule),
                "status": copy.deepcopy(st), "synchronizationJobSettings": [dict(s) for s in self.settings]}


class Tenant:
    def __init__(self, tenant_id, domain="contoso.onmicrosoft.com", display_name="Contoso"):
        self.id = tenant_id
        self.hex = tenant_id.replace("-", "").lower()
        self.domain = domain
        self.display_name = display_name
        self.lock = threading.RLock()
        self.sps = {}             # id -> ServicePrincipal, in creation order
        self.by_app_id = {}
        self.apps = {}            # application object id -> Application
        self.apps_by_app_id = {}
        self._order = None        # cached list of service principals (listing)

    def add_sp(self, sp):
        with self.lock:
            self.sps[sp.id] = sp
            self.by_app_id[sp.app_id.lower()] = sp
            if sp.application:
                self.apps[sp.application.id] = sp.application
                self.apps_by_app_id[sp.app_id.lower()] = sp.application
            self._order = None

    def remove_sp(self, sp_id):
        with self.lock:
            sp = self.sps.pop(sp_id)
            self.by_app_id.pop(sp.app_id.lower(), None)
            if sp.application:
                self.apps.pop(sp.application.id, None)
                self.apps_by_app_id.pop(sp.app_id.lower(), None)
            for job in sp.jobs.values():
                job.generation += 1
            self._order = None
            return sp

    def sp_list(self):
        with self.lock:
            if self._order is None:
                self._order = list(self.sps.values())
            return self._order

    def invalidate_order(self):
        with self.lock:
            self._order = None

    def find_sp(self, sp_id=None, app_id=None):
        if app_id is not None:
            return self.by_app_id.get(app_id.lower())
        return self.sps.get(sp_id)

    def find_app(self, app_object_id=None, app_id=None):
        if app_id is not None:
            return self.apps_by_app_id.get(app_id.lower())
        return self.apps.get(app_object_id)

    def sp_of_app(self, app):
        return self.by_app_id.get(app.app_id.lower())

    def new_job_id(self, template_id, with_guid=True):
        base = f"{template_id}.{self.hex}"
        return f"{base}.{new_guid()}" if with_guid else base

    def summary(self):
        with self.lock:
            return {"tenantId": self.id, "domain": self.domain, "servicePrincipals": [
                self.sp_summary(sp) for sp in self.sps.values()]}

    @staticmethod
    def sp_summary(sp):
        return {"id": sp.id, "appId": sp.app_id, "displayName": sp.display_name,
                "templates": list(sp.templates()), "jobs": list(sp.jobs)}


def template_state_json(state, app_id, version):
    """A synchronizationTemplate as Graph returns it (schema inline, see graph-sync-api.md §3.15)."""
    if state.override is not None:
        t = copy.deepcopy(state.override)
    else:
        t = state.template.template_json(app_id)
    if version == "beta" and t.get("metadata"):
        t["metadata"] = [{"key": beta_metadata_key(m["key"]), "value": m["value"]} for m in t["metadata"]]
    return t


def beta_metadata_key(key):
    """beta spells synchronizationMetadata camelCase, except IsSynchronizationAgentAssignmentRequired."""
    if key == "IsSynchronizationAgentAssignmentRequired" or not key:
        return key
    return key[0].lower() + key[1:]


def v1_metadata_key(key):
    if not key:
        return key
    return key[0].upper() + key[1:]


def template_of(sp, template_id):
    """The TemplateState of a service principal's template (case-sensitive id, as Graph)."""
    return sp.templates().get(template_id)


def catalog_template(template_id):
    return catalog.find(template_id)

"""Gallery templates: what each kind of app offers (template metadata, default schema, job
settings, schedule interval, which secrets it needs and how its errors read)."""

from tests.emulator.schemas import (attr, check_expressions, clause, directory, mapping, obj, object_mapping,
                                    rule, scope)
from tests.emulator.util import guid_for

AAD = "Azure Active Directory"
DISCOVERED = ("2024-03-11T11:07:48.7217138Z", "Date:2024-03-11T11:07:48.7217138Z, ActivityId:0f4a1c52-2d0e-4a8b-9f5c-5b7e0c3d9a10")


def _aad_user():
    ref = ["User"]
    attrs = [attr("objectId", anchor=True), attr("accountEnabled", "Boolean", required=True),
             attr("IsSoftDeleted", "Boolean", required=True), attr("userPrincipalName", required=True),
             attr("mail"), attr("mailNickname"), attr("displayName"), attr("givenName"), attr("surname"),
             attr("jobTitle"), attr("department"), attr("companyName"), attr("employeeId"), attr("employeeType"),
             attr("employeeHireDate", "DateTime"), attr("manager", "Reference", referenced=ref),
             attr("telephoneNumber"), attr("mobile"), attr("facsimileTelephoneNumber"), attr("streetAddress"),
             attr("city"), attr("state"), attr("postalCode"), attr("country"), attr("usageLocation"),
             attr("physicalDeliveryOfficeName"), attr("preferredLanguage"), attr("userType"),
             attr("proxyAddresses", multivalued=True), attr("otherMails", multivalued=True),
             attr("appRoleAssignments", multivalued=True), attr("onPremisesSamAccountName"),
             attr("onPremisesImmutableId"), attr("onPremisesDistinguishedName")]
    attrs += [attr(f"extensionAttribute{i}") for i in range(1, 16)]
    return obj("User", attrs, metadata={"PropertyNameAccountEnabled": "accountEnabled",
                                        "PropertyNameSoftDeleted": "IsSoftDeleted"})


def _aad_group():
    return obj("Group", [attr("objectId", anchor=True), attr("displayName", required=True), attr("mail"),
                         attr("mailNickname"), attr("description"), attr("IsSoftDeleted", "Boolean", required=True),
                         attr("members", "Reference", multivalued=True, referenced=["User", "Group"]),
                         attr("owners", "Reference", multivalued=True, referenced=["User"]),
                         attr("securityEnabled", "Boolean"), attr("mailEnabled", "Boolean")],
               metadata={"PropertyNameSoftDeleted": "IsSoftDeleted"})


def aad_directory(tid, with_groups=True, discovered=None):
    objects = [_aad_user()] + ([_aad_group()] if with_groups else [])
    return directory(guid_for(tid, AAD), AAD, objects, discovered)


# ------------------------------------------------------------------ outbound: Salesforce

def salesforce_schema(tid):
    sf = "salesforce.com"
    target = directory(guid_for(tid, sf), sf, [obj("User", [
        attr("Id", anchor=True, mutability="ReadOnly"), attr("Username", required=True), attr("Email", required=True),
        attr("FirstName"), attr("LastName", required=True), attr("Alias", required=True),
        attr("CommunityNickname"), attr("IsActive", "Boolean"), attr("ProfileName"),
        attr("TimeZoneSidKey", required=True), attr("LocaleSidKey", required=True),
        attr("LanguageLocaleKey", required=True), attr("EmailEncodingKey", required=True), attr("Title"),
        attr("Department"), attr("Division"), attr("EmployeeNumber"), attr("FederationIdentifier"),
        attr("Phone"), attr("MobilePhone"), attr("City"), attr("Country"), attr("Street"), attr("PostalCode"),
        attr("ManagerId", "Reference", referenced=["User"]), attr("Roles", multivalued=True)],
        supported_apis=["AppRole"])], DISCOVERED)
    users = object_mapping(f"Synchronize {AAD} Users to {sf}", "User", "User", [
        mapping("Username", "[userPrincipalName]", matching=1),
        mapping("Email", "[mail]"),
        mapping("FirstName", "[givenName]"),
        mapping("LastName", "[surname]"),
        mapping("Alias", 'Mid([mailNickname], "1", "8")'),
        mapping("CommunityNickname", "[mailNickname]"),
        mapping("IsActive", "Not([IsSoftDeleted])", default="True"),
        mapping("ProfileName", "SingleAppRoleAssignment([appRoleAssignments])"),
        mapping("TimeZoneSidKey", None, default="America/Los_Angeles"),
        mapping("LocaleSidKey", None, default="en_US"),
        mapping("LanguageLocaleKey", None, default="en_US"),
        mapping("EmailEncodingKey", None, default="ISO-8859-1"),
        mapping("Title", "[jobTitle]"),
        mapping("Department", "[department]"),
        mapping("Division", "[extensionAttribute11]"),
        mapping("FederationIdentifier", "[userPrincipalName]"),
        mapping("ManagerId", "[manager]"),
    ], scope(("Employees with a mailbox", [clause("mail", "IS NOT NULL"), clause("userType", "EQUALS", ["Member"])]),
             ("Sales and Marketing", [clause("department", "EQUALS", ["Sales", "Marketing"]),
                                      clause("extensionAttribute11", "ENDS_WITH", ["-SALES"])])))
    return {"directories": [aad_directory(tid, with_groups=False), target],
            "synchronizationRules": [rule(guid_for(tid, "USER_OUTBOUND_USER"), "USER_OUTBOUND_USER", AAD, sf, [users])]}


# ------------------------------------------------------------------ outbound: ServiceNow

def servicenow_schema(tid):
    sn = "ServiceNow"
    target = directory(guid_for(tid, sn), sn, [
        obj("User", [attr("sys_id", anchor=True, mutability="ReadOnly"), attr("user_name", required=True),
                     attr("email"), attr("first_name"), attr("last_name"), attr("title"), attr("department"),
                     attr("active", "Boolean"), attr("phone"), attr("mobile_phone"), attr("city"), attr("country"),
                     attr("employee_number"), attr("u_region"), attr("manager", "Reference", referenced=["User"]),
                     attr("roles", multivalued=True)]),
        obj("Group", [attr("sys_id", anchor=True, mutability="ReadOnly"), attr("name", required=True),
                      attr("email"), attr("description"),
                      attr("members", "Reference", multivalued=True, referenced=["User"])])], DISCOVERED)
    users = object_mapping(f"Provision {AAD} Users", "User", "User", [
        mapping("user_name", "[userPrincipalName]", matching=1),
        mapping("email", "[mail]", matching=2),
        mapping("first_name", "[givenName]"),
        mapping("last_name", "[surname]"),
        mapping("title", "[jobTitle]"),
        mapping("department", "[department]"),
        mapping("active", 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'),
        mapping("phone", "[telephoneNumber]"),
        mapping("mobile_phone", "[mobile]"),
        mapping("employee_number", "[employeeId]"),
        mapping("u_region", "[extensionAttribute11]"),
        mapping("manager", "[manager]"),
    ], scope(input_groups=[("Members only", [clause("userType", "EQUALS", ["Member"])])]))
    groups = object_mapping(f"Provision {AAD} Groups", "Group", "Group", [
        mapping("name", "[displayName]", matching=1),
        mapping("email", "[mail]"),
        mapping("description", "[description]"),
        mapping("members", "[members]"),
    ], scope(("Security groups", [clause("securityEnabled", "IS TRUE")])))
    return {"directories": [aad_directory(tid), target],
            "synchronizationRules": [rule(guid_for(tid, "USER_OUTBOUND_USER"), "USER_OUTBOUND_USER", AAD, sn,
                                          [users, groups])]}


# ------------------------------------------------------------------ outbound: SCIM apps

SCIM_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def scim_schema(tid, target_name="customappsso", group_rule_suffix=""):
    target = directory(guid_for(tid, target_name), target_name, [
        obj("User", [attr("id", anchor=True, mutability="ReadOnly"), attr("userName", required=True),
                     attr("active", "Boolean"), attr("displayName"), attr("title"),
                     attr('emails[type eq "work"].value'), attr("preferredLanguage"), attr("name.givenName"),
                     attr("name.familyName"), attr("name.formatted"), attr('addresses[type eq "work"].formatted'),
                     attr('addresses[type eq "work"].locality'), attr('addresses[type eq "work"].country'),
                     attr('phoneNumbers[type eq "work"].value'), attr('phoneNumbers[type eq "mobile"].value'),
                     attr("externalId"), attr(f"{SCIM_USER}:employeeNumber"), attr(f"{SCIM_USER}:department"),
                     attr(f"{SCIM_USER}:manager", "Reference", referenced=["User"])]),
        obj("Group", [attr("id", anchor=True, mutability="ReadOnly"), attr("displayName", required=True),
                      attr("externalId"), attr("members", "Reference", multivalued=True, referenced=["User", "Group"])])],
        DISCOVERED)
    users = object_mapping(f"Provision {AAD} Users", "User", "User", [
        mapping("userName", "[userPrincipalName]", matching=1),
        mapping("active", 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'),
        mapping("displayName", "[displayName]"),
        mapping("title", "[jobTitle]"),
        mapping('emails[type eq "work"].value', "[mail]"),
        mapping("preferredLanguage", "[preferredLanguage]"),
        mapping("name.givenName", "[givenName]"),
        mapping("name.familyName", "[surname]"),
        mapping("name.formatted", 'Join(" ", [givenName], [surname])'),
        mapping('addresses[type eq "work"].locality', "[city]"),
        mapping('addresses[type eq "work"].country', "[country]"),
        mapping('phoneNumbers[type eq "work"].value', "[telephoneNumber]"),
        mapping('phoneNumbers[type eq "mobile"].value', "[mobile]"),
        mapping("externalId", "[mailNickname]"),
        mapping(f"{SCIM_USER}:employeeNumber", "[employeeId]"),
        mapping(f"{SCIM_USER}:department", "[department]"),
        mapping(f"{SCIM_USER}:manager", "[manager]"),
    ])
    groups = object_mapping(f"Provision {AAD} Groups", "Group", "Group", [
        mapping("displayName", "[displayName]", matching=1),
        mapping("externalId", "[objectId]"),
        mapping("members", "[members]"),
    ])
    return {"directories": [aad_directory(tid), target],
            "synchronizationRules": [
                rule(guid_for(tid, "USER_OUTBOUND_USER"), "USER_OUTBOUND_USER", AAD, target_name, [users], priority=1),
                rule(guid_for(tid, "GROUP_OUTBOUND_GROUP") + group_rule_suffix, "GROUP_OUTBOUND_GROUP", AAD,
                     target_name, [groups], priority=2)]}


# ------------------------------------------------------------------ inbound: API-driven, Workday

def api2aad_schema(tid):
    src = "API2AAD"
    core = "urn:ietf:params:scim:schemas:core:2.0:User"
    source = directory(guid_for(tid, src), src, [obj("User", [
        attr("externalId", anchor=True), attr("userName"), attr("active", "Boolean"), attr("displayName"),
        attr("name.givenName"), attr("name.familyName"), attr("title"), attr('emails[type eq "work"].value'),
        attr('phoneNumbers[type eq "work"].value'), attr('addresses[type eq "work"].locality'),
        attr('addresses[type eq "work"].country'), attr("userType"), attr("preferredLanguage"),
        attr(f"{SCIM_USER}:employeeNumber"), attr(f"{SCIM_USER}:department"), attr(f"{SCIM_USER}:organization"),
        attr(f"{SCIM_USER}:manager.value")], metadata={"BaseObjectName": core})])
    users = object_mapping("Provision API Users", "User", "User", [
        mapping("employeeId", "[externalId]", matching=1),
        mapping("accountEnabled", 'Switch([active], , "False", "False", "True", "True")'),
        mapping("displayName", "[displayName]"),
        mapping("givenName", "[name.givenName]"),
        mapping("surname", "[name.familyName]"),
        mapping("userPrincipalName", "[userName]", flow_type="ObjectAddOnly"),
        mapping("mailNickname", 'Replace([userName], , "(?<Suffix>@(.)*)", "Suffix", "", , )',
                flow_type="ObjectAddOnly"),
        mapping("jobTitle", "[title]"),
        mapping("department", f"[{SCIM_USER}:department]"),
        mapping("companyName", f"[{SCIM_USER}:organization]"),
        mapping("city", '[addresses[type eq "work"].locality]'),
        mapping("usageLocation", '[addresses[type eq "work"].country]'),
        mapping("manager", f"[{SCIM_USER}:manager.value]"),
    ])
    return {"directories": [source, aad_directory(tid, with_groups=False)],
            "synchronizationRules": [rule(guid_for(tid, "USER_INBOUND_USER"), "USER_INBOUND_USER", src, AAD, [users])]}


def workday_schema(tid):
    wd = "Workday"
    source = directory(guid_for(tid, wd), wd, [obj("User", [
        attr("WID", anchor=True), attr("WorkerID", required=True), attr("PreferredFirstName"),
        attr("PreferredLastName"), attr("PreferredNameData"), attr("Email"), attr("Department"),
        attr("JobTitle"), attr("Company"), attr("CostCenter"), attr("City"), attr("CountryReferenceTwoLetter"),
        attr("Active", "Boolean"), attr("StatusHireDate", "DateTime"), attr("StatusTerminationDate", "DateTime"),
        attr("ManagerReference", "Reference", referenced=["User"]), attr("WorkerType"), attr("Fax"),
        attr("PrimaryWorkTelephone"), attr("LocalReference")], supported_apis=["Get_Workers"])], DISCOVERED)
    users = object_mapping("Synchronize Workday Worker to Azure Active Directory User", "User", "User", [
        mapping("employeeId", "[WorkerID]", matching=1),
        mapping("accountEnabled", 'Switch([Active], , "1", "True", "0", "False")'),
        mapping("displayName", "[PreferredNameData]"),
        mapping("givenName", "[PreferredFirstName]"),
        mapping("surname", "[PreferredLastName]"),
        mapping("userPrincipalName",
                'SelectUniqueValue(Join("@", NormalizeDiacritics(StripSpaces(Join(".", [PreferredFirstName], '
                '[PreferredLastName]))), "contoso.com"), Join("@", NormalizeDiacritics(StripSpaces(Join(".", '
                'Mid([PreferredFirstName], 1, 1), [PreferredLastName]))), "contoso.com"))',
                flow_type="ObjectAddOnly"),
        mapping("department", "[Department]"),
        mapping("jobTitle", "[JobTitle]"),
        mapping("companyName", "[Company]"),
        mapping("city", "[City]"),
        mapping("usageLocation", "[CountryReferenceTwoLetter]"),
        mapping("employeeHireDate", 'FormatDateTime([StatusHireDate], , "yyyy-MM-ddzzz", "yyyyMMddHHmmss.fZ")'),
        mapping("manager", "[ManagerReference]"),
        mapping("telephoneNumber", "[PrimaryWorkTelephone]"),
    ], scope(("Active employees", [clause("WorkerType", "EQUALS", ["Employee"])])))
    return {"directories": [source, aad_directory(tid, with_groups=False)],
            "synchronizationRules": [rule(guid_for(tid, "USER_INBOUND_USER"), "USER_INBOUND_USER", wd, AAD, [users])]}


# ------------------------------------------------------------------ Cloud Sync (AD -> Entra ID)

def _ad_directory(tid):
    ad = "Active Directory"
    return directory(guid_for(tid, ad), ad, [
        obj("user", [attr("objectGUID", "Binary", anchor=True), attr("sAMAccountName", required=True),
                     attr("userPrincipalName"), attr("mail"), attr("givenName"), attr("sn"), attr("displayName"),
                     attr("cn"), attr("department"), attr("title"), attr("company"), attr("telephoneNumber"),
                     attr("mobile"), attr("l"), attr("c"), attr("co"), attr("userAccountControl", "Integer"),
                     attr("manager", "Reference", referenced=["user"]), attr("proxyAddresses", multivalued=True),
                     attr("distinguishedName"), attr("msDS-ConsistencyGuid", "Binary"), attr("employeeID")],
            metadata={"BaseObjectName": "user"}),
        obj("group", [attr("objectGUID", "Binary", anchor=True), attr("cn", required=True), attr("displayName"),
                      attr("description"), attr("mail"), attr("groupType", "Integer"),
                      attr("member", "Reference", multivalued=True, referenced=["user", "group"])])],
        DISCOVERED)


def cloud_sync_schema(tid):
    ad = "Active Directory"
    users = object_mapping("Provision Active Directory users", "user", "User", [
        mapping("onPremisesImmutableId", "ConvertToBase64([objectGUID])", matching=1, flow_type="ObjectAddOnly"),
        mapping("userPrincipalName",
                'IIF(IsPresent([userPrincipalName]), [userPrincipalName], Join("@", [sAMAccountName], DefaultDomain()))'),
        mapping("accountEnabled", 'Switch(BitAnd([userAccountControl], "2"), "True", "2", "False")'),
        mapping("mail", "[mail]"),
        mapping("mailNickname", "[sAMAccountName]"),
        mapping("displayName", 'Coalesce([displayName], [cn])'),
        mapping("givenName", "[givenName]"),
        mapping("surname", "[sn]"),
        mapping("department", "[department]"),
        mapping("jobTitle", "[title]"),
        mapping("companyName", "[company]"),
        mapping("telephoneNumber", "[telephoneNumber]"),
        mapping("mobile", "[mobile]"),
        mapping("city", "[l]"),
        mapping("country", "[co]"),
        mapping("employeeId", "[employeeID]"),
        mapping("manager", "[manager]"),
        mapping("proxyAddresses", "[proxyAddresses]"),
        mapping("onPremisesSamAccountName", "[sAMAccountName]"),
        mapping("onPremisesDistinguishedName", "[distinguishedName]"),
    ])
    groups = object_mapping("Provision Active Directory groups", "group", "Group", [
        mapping("onPremisesImmutableId", "ConvertToBase64([objectGUID])", matching=1),
        mapping("displayName", "Coalesce([displayName], [cn])"),
        mapping("description", "[description]"),
        mapping("mail", "[mail]"),
        mapping("members", "[member]"),
    ])
    return {"directories": [_ad_directory(tid), aad_directory(tid)],
            "synchronizationRules": [
                rule(guid_for(tid, "USER_INBOUND_USER"), "USER_INBOUND_USER", ad, AAD, [users], priority=1,
                     editable=True),
                rule(guid_for(tid, "GROUP_INBOUND_GROUP") + "#V2", "GROUP_INBOUND_GROUP", ad, AAD, [groups], priority=2)]}


def password_hash_schema(tid):
    ad = "Active Directory"
    users = object_mapping("Synchronize password hashes", "user", "User", [
        mapping("onPremisesImmutableId", "ConvertToBase64([objectGUID])", matching=1),
        mapping("accountEnabled", 'Switch(BitAnd([userAccountControl], "2"), "True", "2", "False")'),
    ], flow_types="Update")
    return {"directories": [_ad_directory(tid), aad_directory(tid, with_groups=False)],
            "synchronizationRules": [rule(guid_for(tid, "PASSWORD_HASH_SYNC"), "PASSWORD_HASH_SYNC", ad, AAD, [users],
                                          editable=False)]}


# ------------------------------------------------------------------ the catalog

class Template:
    """One gallery template. `required_keys`: secrets a job needs (missing -> bad credentials)."""

    def __init__(self, tid, factory_tag, description, gallery_key, schema_fn, interval="PT40M",
                 required_keys=(), error_code="SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
                 error_message=None, agent=False, oauth=False, inbound=False, units="Users",
                 settings=(("QuarantineTooManyDeletesThreshold", "500"),), learn_more=None, preview=False,
                 target_system=None, object_type="User"):
        self.id = tid
        self.factory_tag = factory_tag
        self.description = description
        self.gallery_key = gallery_key
        self.schema_fn = schema_fn
        self.interval = interval
        self.required_keys = tuple(required_keys)
        self.error_code = error_code
        self.error_message = error_message or (
            "We are unable to validate the credentials supplied: the target application answered "
            "401 Unauthorized. Verify the Tenant URL and Secret Token, save, and test the connection again.")
        self.agent = agent
        self.oauth = oauth
        self.inbound = inbound
        self.units = units
        self.settings = list(settings)
        self.learn_more = learn_more or "https://go.microsoft.com/fwlink/?linkid=2095113"
        self.preview = preview
        self.target_system = target_system
        self.object_type = object_type
        self._schema = None

    def schema(self):
        """The template's default schema (built once, shared: callers copy before changing)."""
        if self._schema is None:
            s = self.schema_fn(self.id)
            check_expressions(s)
            self._schema = s
        return self._schema

    def metadata(self, app_id):
        md = [("GalleryApplicationIdentifier", guid_for("gallery", self.gallery_key)),
              ("GalleryApplicationKey", self.gallery_key),
              ("IsOAuthEnabled", "true" if self.oauth else "false"),
              ("IsSynchronizationAgentAssignmentRequired", "true" if self.agent else "false"),
              ("IsSynchronizationAgentRequired", "true" if self.agent else "false"),
              ("IsSynchronizationInPreview", "true" if self.preview else "false"),
              ("SynchronizationLearnMoreIbizaFwLink", self.learn_more)]
        if self.required_keys:
            md.append(("ConfigurationFields", '{"Fields":[' + ",".join(
                '{"Name":"%s","Required":true}' % k for k in self.required_keys) + "]}"))
        return [{"key": k, "value": v} for k, v in md]

    def template_json(self, app_id):
        return {"id": self.id, "applicationId": app_id, "default": True, "description": self.description,
                "discoverable": True, "factoryTag": self.factory_tag, "metadata": self.metadata(app_id)}


def _scim(name):
    return lambda tid: scim_schema(tid, name)


TEMPLATES = {t.id: t for t in [
    Template("salesforce", "salesforce", "Provision users to Salesforce", "salesforce", salesforce_schema,
             required_keys=("BaseAddress",), error_code="SalesforceInvalidCredentials",
             error_message="Your Salesforce.com credentials are invalid. Please check them and try again.",
             target_system="salesforce.com"),
    Template("SfSandboxOutDelta", "SfSandboxOutDelta", "Provision users to Salesforce Sandbox", "salesforcesandbox",
             salesforce_schema, required_keys=("BaseAddress",), error_code="SalesforceInvalidCredentials",
             error_message="Your Salesforce.com credentials are invalid. Please check them and try again.",
             target_system="salesforce.com"),
    Template("ServiceNowOutDelta", "ServiceNowOutDelta", "Provision users and groups to ServiceNow", "servicenow",
             servicenow_schema, required_keys=("InstanceName", "UserName", "Password"),
             error_code="ServiceNowCredentialsInvalid",
             error_message="The ServiceNow instance rejected the administrator credentials (HTTP 401).",
             target_system="ServiceNow"),
    Template("Slack", "CustomSCIM", "Provision users and groups to Slack", "slack", lambda tid: scim_schema(tid, "Slack"),
             required_keys=("BaseAddress", "SecretToken"), oauth=True, target_system="Slack"),
    Template("scim", "CustomSCIM", "Provision users and groups to a SCIM 2.0 application", "customappsso",
             lambda tid: scim_schema(tid, "customappsso", "#V2"), required_keys=("BaseAddress", "SecretToken"),
             target_system="customappsso"),
    Template("atlassian", "CustomSCIM", "Provision users and groups to Atlassian Cloud", "atlassiancloud",
             _scim("Atlassian Cloud"), required_keys=("BaseAddress", "SecretToken"), target_system="Atlassian Cloud"),
    Template("zoom", "CustomSCIM", "Provision users to Zoom", "zoom", _scim("Zoom"),
             required_keys=("BaseAddress", "SecretToken"), target_system="Zoom"),
    Template("dropboxforbusiness", "CustomSCIM", "Provision users and groups to Dropbox Business", "dropboxforbusiness",
             _scim("Dropbox"), required_keys=("BaseAddress", "SecretToken"), target_system="Dropbox"),
    Template("github", "CustomSCIM", "Provision users to GitHub Enterprise Cloud", "githubenterprise",
             _scim("GitHub"), required_keys=("BaseAddress", "SecretToken"), target_system="GitHub"),
    Template("zendesk", "CustomSCIM", "Provision users to Zendesk", "zendesk", _scim("Zendesk"),
             required_keys=("BaseAddress", "SecretToken"), target_system="Zendesk"),
    Template("API2AAD", "API2AAD", "API-driven provisioning to Microsoft Entra ID", "api2aad", api2aad_schema,
             interval="PT40M", inbound=True, units="Users", target_system=AAD, preview=False,
             learn_more="https://go.microsoft.com/fwlink/?linkid=2241520"),
    Template("Workday", "Workday", "Provision workers from Workday to Microsoft Entra ID", "workdaytoazuread",
             workday_schema, required_keys=("BaseAddress", "UserName", "Password"), inbound=True,
             error_code="HybridIdentityServiceInvalidCredentials",
             error_message="Workday rejected the integration system user's credentials.", target_system=AAD,
             object_type="Worker"),
    Template("AD2AADProvisioning", "AD2AADProvisioning", "Provision users and groups from Active Directory to "
             "Microsoft Entra ID", "ad2aadprovisioning", cloud_sync_schema, interval="PT2M", agent=True,
             inbound=True, settings=(("QuarantineTooManyDeletesThreshold", "500"),
                                     ("Domain", '{"DomainFQDN":"contoso.local"}')),
             error_code="HybridSynchronizationActiveDirectoryInvalidCredentials",
             error_message="The provisioning agent could not bind to contoso.local with the gMSA credentials.",
             target_system=AAD, object_type="user"),
    Template("AD2AADPasswordHash", "AD2AADPasswordHash", "Synchronize password hashes from Active Directory to "
             "Microsoft Entra ID", "ad2aadpasswordhash", password_hash_schema, interval="PT2M", agent=True,
             inbound=True, settings=(("Domain", '{"DomainFQDN":"contoso.local"}'),),
             error_code="HybridSynchronizationActiveDirectoryInvalidCredentials", target_system=AAD,
             object_type="user"),
]}


def find(template_id):
    if template_id in TEMPLATES:
        return TEMPLATES[template_id]
    for t in TEMPLATES.values():
        if t.id.lower() == str(template_id).lower():
            return t
    return None

"""/users/{id | userPrincipalName}: the source-directory users of the demo tenant, with the
properties the demo mappings read (Graph's user resource; $select as Graph applies it), and the
users the provisioning log names (id, userPrincipalName, mail, displayName only)."""

import uuid

from tests.emulator.envelope import GraphError, Response, context_url

# Graph returns these when there is no $select (the documented default set)
DEFAULT_SELECT = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                  "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"]

# (given, surname, department, jobTitle, employeeId, preferredLanguage, city, country, extensionAttribute11)
_PEOPLE = [
    ("Adele", "Vance", "Sales", "Account Executive", "100201", "en-US", "Zürich", "CH", "EMEA-SALES"),
    ("Bruno", "Berger", "Finance", "Controller", "100202", "de-CH", "Basel", "CH", None),
    ("Chiara", "Costa", "Engineering", "Site Reliability Engineer", "100203", "it-IT", "Lugano", "CH", "ENG"),
    ("Dmitri", "Dubois", "Human Resources", "HR Partner", "100204", "fr-CH", "Genève", "CH", None),
    ("Emma", "Eriksen", "Marketing", "Brand Manager", "100205", "en-GB", "London", "GB", "EMEA-MKT"),
    ("José", "García", "Sales", "Sales Director", "100206", "es-ES", "Madrid", "ES", "EMEA-SALES"),
]


def _user(tenant, i, person):
    given, family, dept, title, emp, lang, city, country, ext11 = person
    nick = f"{given}.{family}".lower().replace("é", "e").replace("í", "i")
    upn = f"{nick}@{tenant.domain}"
    ext = {f"extensionAttribute{k}": None for k in range(1, 16)}
    ext["extensionAttribute11"] = ext11
    return {"id": str(uuid.uuid5(uuid.UUID(tenant.id), f"user-{i}")), "accountEnabled": i != 3,
            "businessPhones": [f"+41 44 555 01 {i:02d}"], "city": city, "companyName": "Contoso",
            "country": country, "department": dept, "displayName": f"{given} {family}",
            "employeeId": emp, "givenName": given, "jobTitle": title, "mail": upn, "mailNickname": nick,
            "mobilePhone": None if i % 2 else f"+41 79 555 02 {i:02d}", "officeLocation": f"{city} {i}",
            "onPremisesExtensionAttributes": ext, "preferredLanguage": lang, "surname": family,
            "usageLocation": country, "userPrincipalName": upn, "userType": "Member",
            "employeeType": "Employee", "employeeHireDate": f"202{i}-03-01T00:00:00Z",
            "streetAddress": f"Bahnhofstrasse {i + 1}", "state": None, "postalCode": f"80{i:02d}",
            "faxNumber": None, "proxyAddresses": [f"SMTP:{upn}", f"smtp:{nick}@contoso.com"], "otherMails": [],
            "onPremisesSamAccountName": nick[:20], "onPremisesImmutableId": None,
            "onPremisesDistinguishedName": None}


def demo_users(tenant):
    """The users of a tenant (made once, deterministic for the tenant id)."""
    users = getattr(tenant, "_demo_users", None)
    if users is None:
        users = [_user(tenant, i, p) for i, p in enumerate(_PEOPLE)]
        tenant._demo_users = users
    return users


PROPERTIES = {p.lower(): p for p in _user(type("T", (), {"domain": "x", "id": str(uuid.UUID(int=0))})(), 0,
                                            _PEOPLE[0])}


def log_user(app, key):
    """A user the provisioning log names (cycle users, provisionOnDemand subjects), as a user
    resource with only id, userPrincipalName, mail and displayName known; None if unknown."""
    log = app.provisioning_log
    with log.lock:
        found = next(((upn, oid, name) for upn, (oid, name) in log.users.items()
                      if upn.lower() == key.lower() or oid == key.lower()), None)
    if found is None:
        return None
    upn, oid, name = found
    user = {p: None for p in PROPERTIES.values()}
    user.update(id=oid, userPrincipalName=upn, mail=upn, displayName=name)
    return user


def get_user(app, req, version, key):
    users = demo_users(app.tenant)
    user = next((u for u in users if u["id"] == key.lower() or u["userPrincipalName"].lower() == key.lower()), None)
    if user is None:
        user = log_user(app, key)
    if user is None:
        raise GraphError(404, "Request_ResourceNotFound", f"Resource '{key}' does not exist or one of its queried "
                         "reference-property objects are not present.")
    sel = req.option("$select")
    if sel is None:
        names = DEFAULT_SELECT
    else:
        names = []
        for p in (s.strip() for s in sel.split(",")):
            if not p:
                continue
            if p.lower() not in PROPERTIES:
                raise GraphError(400, "BadRequest",
                                 f"Could not find a property named '{p}' on type 'microsoft.graph.user'.")
            names.append(PROPERTIES[p.lower()])
    frag = "users" + (f"({','.join(names)})" if sel is not None else "") + "/$entity"
    body = {"@odata.context": context_url(version, frag)}
    for p in names:
        body[p] = user[p]
    if "id" not in body and sel is None:
        body["id"] = user["id"]
    return Response(200, body)

"""synchronizationSchema documents: builders for the catalog, and the normalisation a PUT body
goes through (defaults for omitted non-nullable members, enum spelling, Graph's member order)."""

import copy

from tests.emulator.envelope import bad_request
from tests.emulator.expressions import ParseError, parse

ENUMS = {
    "attributeType": ["String", "Integer", "Reference", "Binary", "Boolean", "DateTime"],
    "mutability": ["ReadWrite", "ReadOnly", "Immutable", "WriteOnly"],
    "attributeFlowBehavior": ["FlowWhenChanged", "FlowAlways"],
    "attributeFlowType": ["Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly"],
    "attributeMappingSourceType": ["Attribute", "Constant", "Function"],
    "objectDefinitionMetadata": ["PropertyNameAccountEnabled", "PropertyNameSoftDeleted", "IsSoftDeletionSupported",
                                 "IsSynchronizeAllSupported", "ConnectorDataStorageRequired", "Extensions",
                                 "BaseObjectName"],
    "objectMappingMetadata": ["EscrowBehavior", "DisableMonitoringForChanges", "OriginalJoiningProperty",
                              "Disposition", "IsCustomerDefined", "ExcludeFromReporting", "Unsynchronized"],
    "attributeDefinitionMetadata": ["BaseAttributeName", "ComplexObjectDefinition", "IsContainer",
                                    "IsCustomerDefined", "IsDomainQualified", "LinkPropertyNames", "LinkTypeName",
                                    "MaximumLength", "ReferencedProperty"],
}
FLAGS = {
    "objectFlowTypes": ["None", "Add", "Update", "Delete"],
    "directoryDefinitionDiscoverabilities": ["None", "AttributeNames", "AttributeDataTypes", "AttributeReadOnly",
                                             "ReferenceAttributes", "UnknownFutureValue"],
}


def enum_value(kind, value, default=None):
    if value is None:
        return default
    for m in ENUMS[kind]:
        if str(value).lower() == m.lower():
            return m
    raise bad_request(f"Cannot convert the literal '{value}' to the expected type 'microsoft.graph.{kind}'.")


def flags_value(kind, value, default):
    if value is None:
        return default
    members = FLAGS[kind]
    out = []
    for part in str(value).split(","):
        p = part.strip()
        hit = next((m for m in members if m.lower() == p.lower()), None)
        if hit is None:
            raise bad_request(f"The value '{value}' is not valid for the flags enumeration 'microsoft.graph.{kind}'.")
        if hit not in out:
            out.append(hit)
    if len(out) > 1 and "None" in out:
        out.remove("None")
    return ", ".join(out) if out else default


# ------------------------------------------------------------------ builders (catalog data)

def attr(name, type="String", anchor=False, required=False, multivalued=False, mutability="ReadWrite",
         case_exact=False, metadata=None, referenced=None, default=None, flow_null=False):
    return {"anchor": anchor, "apiExpressions": [], "caseExact": case_exact, "defaultValue": default,
            "flowNullValues": flow_null, "metadata": [{"key": k, "value": v} for k, v in (metadata or {}).items()],
            "multivalued": multivalued, "mutability": mutability, "name": name,
            "referencedObjects": [{"referencedObjectName": o, "referencedProperty": None} for o in (referenced or [])],
            "required": required, "type": type}


def obj(name, attributes, metadata=None, supported_apis=None):
    return {"name": name, "supportedApis": list(supported_apis or []),
            "metadata": [{"key": k, "value": v} for k, v in (metadata or {}).items()], "attributes": attributes}


def directory(dir_id, name, objects, discovered=None, read_only=False):
    """`discovered`: (discoveryDateTime, version) when the directory was discovered."""
    return {"id": dir_id, "name": name,
            "discoverabilities": "AttributeNames, AttributeDataTypes" if discovered else "None",
            "discoveryDateTime": discovered[0] if discovered else None, "readOnly": read_only,
            "version": discovered[1] if discovered else None, "objects": objects}


def source_of(expression):
    """attributeMappingSource of an expression text (the catalog writes mappings as text)."""
    if expression is None:
        return None
    return parse(expression)


def mapping(target, expression, matching=0, default=None, flow_type="Always", flow_behavior="FlowWhenChanged"):
    return {"targetAttributeName": target, "matchingPriority": matching, "defaultValue": default,
            "exportMissingReferences": False, "flowBehavior": flow_behavior, "flowType": flow_type,
            "source": source_of(expression)}


def clause(attribute, operator, values=()):
    return {"sourceOperandName": attribute, "operatorName": operator, "targetOperand": {"values": list(values)}}


def scope(*groups, input_groups=(), category_groups=()):
    """groups: (name, [clauses]) of the scoping filter, input_groups and category_groups those of
    inputFilterGroups and categoryFilterGroups; None when no group at all."""
    if not groups and not input_groups and not category_groups:
        return None
    return {"categoryFilterGroups": [{"name": n, "clauses": cs} for n, cs in category_groups],
            "inputFilterGroups": [{"name": n, "clauses": cs} for n, cs in input_groups],
            "groups": [{"name": n, "clauses": cs} for n, cs in groups]}


def object_mapping(name, source_obj, target_obj, mappings, scope_filter=None, enabled=True,
                   flow_types="Add, Update, Delete"):
    return {"name": name, "enabled": enabled, "flowTypes": flow_types, "sourceObjectName": source_obj,
            "targetObjectName": target_obj,
            "metadata": [{"key": "EscrowBehavior", "value": "\"Default\""},
                         {"key": "Disposition", "value": "\"Normal\""}],
            "scope": scope_filter, "attributeMappings": mappings}


def rule(rule_id, name, source_dir, target_dir, mappings, priority=1, editable=True, metadata=None):
    return {"id": rule_id, "name": name, "editable": editable, "priority": priority,
            "sourceDirectoryName": source_dir, "targetDirectoryName": target_dir,
            "containerFilter": {"includedContainers": []}, "groupFilter": {"includedGroups": []},
            "metadata": [{"key": k, "value": v} for k, v in (metadata or {}).items()],
            "objectMappings": mappings}


# ------------------------------------------------------------------ normalisation of PUT bodies

def _obj(v, where):
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise bad_request(f"An object was expected for '{where}'.")
    return v


def _list(v, where):
    if v is None:
        return []
    if not isinstance(v, list):
        raise bad_request(f"A collection was expected for '{where}'.")
    return v


def _bool(v, default, where):
    if v is None:
        return default
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    raise bad_request(f"Cannot convert the literal '{v}' to the expected type 'Edm.Boolean' ({where}).")


def _int(v, default, where):
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise bad_request(f"Cannot convert the literal '{v}' to the expected type 'Edm.Int32' ({where}).")
    try:
        return int(v)
    except ValueError:
        raise bad_request(f"Cannot convert the literal '{v}' to the expected type 'Edm.Int32' ({where}).")


def _str(v, where, nullable=True):
    if v is None:
        if not nullable:
            raise bad_request(f"The property '{where}' must not be null.")
        return None
    if not isinstance(v, str):
        raise bad_request(f"Cannot convert the literal '{v}' to the expected type 'Edm.String' ({where}).")
    return v


def _kv(items, kind, where):
    """A metadata list: {key: <member of enum `kind`>, value: String}."""
    out = []
    for kv in _list(items, where):
        kv = _obj(kv, where)
        out.append({"key": enum_value(kind, kv.get("key")), "value": _str(kv.get("value"), where)})
    return out


def norm_attribute(a):
    a = _obj(a, "attributes")
    return {"anchor": _bool(a.get("anchor"), False, "anchor"),
            "apiExpressions": [{"key": _str(x.get("key"), "apiExpressions"), "value": x.get("value")}
                               for x in map(lambda x: _obj(x, "apiExpressions"), _list(a.get("apiExpressions"), "apiExpressions"))],
            "caseExact": _bool(a.get("caseExact"), False, "caseExact"),
            "defaultValue": _str(a.get("defaultValue"), "defaultValue"),
            "flowNullValues": _bool(a.get("flowNullValues"), False, "flowNullValues"),
            "metadata": _kv(a.get("metadata"), "attributeDefinitionMetadata", "metadata"),
            "multivalued": _bool(a.get("multivalued"), False, "multivalued"),
            "mutability": enum_value("mutability", a.get("mutability"), "ReadWrite"),
            "name": _str(a.get("name"), "name", nullable=False),
            "referencedObjects": [{"referencedObjectName": _str(r.get("referencedObjectName"), "referencedObjectName"),
                                   "referencedProperty": _str(r.get("referencedProperty"), "referencedProperty")}
                                  for r in map(lambda r: _obj(r, "referencedObjects"),
                                               _list(a.get("referencedObjects"), "referencedObjects"))],
            "required": _bool(a.get("required"), False, "required"),
            "type": enum_value("attributeType", a.get("type"), "String")}


def norm_object(o):
    o = _obj(o, "objects")
    return {"name": _str(o.get("name"), "name", nullable=False),
            "supportedApis": [_str(s, "supportedApis") for s in _list(o.get("supportedApis"), "supportedApis")],
            "metadata": _kv(o.get("metadata"), "objectDefinitionMetadata", "metadata"),
            "attributes": [norm_attribute(a) for a in _list(o.get("attributes"), "attributes")]}


def norm_directory(d, new_id):
    d = _obj(d, "directories")
    return {"id": _str(d.get("id"), "id") or new_id(),
            "name": _str(d.get("name"), "name", nullable=False),
            "discoverabilities": flags_value("directoryDefinitionDiscoverabilities", d.get("discoverabilities"), "None"),
            "discoveryDateTime": _str(d.get("discoveryDateTime"), "discoveryDateTime"),
            "readOnly": _bool(d.get("readOnly"), False, "readOnly"),
            "version": _str(d.get("version"), "version"),
            "objects": [norm_object(o) for o in _list(d.get("objects"), "objects")]}


def norm_source(s):
    if s is None:
        return None
    s = _obj(s, "source")
    typ = enum_value("attributeMappingSourceType", s.get("type"), "Attribute")
    name = _str(s.get("name"), "name")
    expression = _str(s.get("expression"), "expression")
    params = []
    for p in _list(s.get("parameters"), "parameters"):
        p = _obj(p, "parameters")
        params.append({"key": _str(p.get("key"), "key"), "value": norm_source(p.get("value"))})
    if expression is None:
        # the service fills the text form from the parts (§7: {"name": ..., "type": "Attribute"})
        if typ == "Attribute" and name is not None:
            expression = f"[{name}]"
        elif typ == "Constant" and name is not None:
            expression = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        elif typ == "Function" and name is not None:
            expression = f"{name}(" + ", ".join(p["value"]["expression"] or "" for p in params if p["value"]) + ")"
    return {"type": typ, "name": name, "expression": expression, "parameters": params}


def norm_attribute_mapping(m):
    m = _obj(m, "attributeMappings")
    return {"targetAttributeName": _str(m.get("targetAttributeName"), "targetAttributeName"),
            "matchingPriority": _int(m.get("matchingPriority"), 0, "matchingPriority"),
            "defaultValue": _str(m.get("defaultValue"), "defaultValue"),
            "exportMissingReferences": _bool(m.get("exportMissingReferences"), False, "exportMissingReferences"),
            "flowBehavior": enum_value("attributeFlowBehavior", m.get("flowBehavior"), "FlowWhenChanged"),
            "flowType": enum_value("attributeFlowType", m.get("flowType"), "Always"),
            "source": norm_source(m.get("source"))}


def norm_filter(f):
    if f is None:
        return None
    f = _obj(f, "scope")

    def groups(key):
        out = []
        for g in _list(f.get(key), key):
            g = _obj(g, key)
            cls = []
            for c in _list(g.get("clauses"), "clauses"):
                c = _obj(c, "clauses")
                t = _obj(c.get("targetOperand"), "targetOperand")
                cls.append({"sourceOperandName": _str(c.get("sourceOperandName"), "sourceOperandName"),
                            "operatorName": _str(c.get("operatorName"), "operatorName"),
                            "targetOperand": {"values": [_str(v, "values") for v in _list(t.get("values"), "values")]}})
            out.append({"name": _str(g.get("name"), "name"), "clauses": cls})
        return out
    return {"categoryFilterGroups": groups("categoryFilterGroups"), "inputFilterGroups": groups("inputFilterGroups"),
            "groups": groups("groups")}


def norm_object_mapping(m):
    m = _obj(m, "objectMappings")
    return {"name": _str(m.get("name"), "name"),
            "enabled": _bool(m.get("enabled"), True, "enabled"),
            "flowTypes": flags_value("objectFlowTypes", m.get("flowTypes"), "Add, Update, Delete"),
            "sourceObjectName": _str(m.get("sourceObjectName"), "sourceObjectName"),
            "targetObjectName": _str(m.get("targetObjectName"), "targetObjectName"),
            "metadata": _kv(m.get("metadata"), "objectMappingMetadata", "metadata"),
            "scope": norm_filter(m.get("scope")),
            "attributeMappings": [norm_attribute_mapping(x) for x in _list(m.get("attributeMappings"), "attributeMappings")]}


def norm_rule(r):
    r = _obj(r, "synchronizationRules")
    cf = _obj(r.get("containerFilter"), "containerFilter") if r.get("containerFilter") is not None else None
    gf = _obj(r.get("groupFilter"), "groupFilter") if r.get("groupFilter") is not None else None
    return {"id": _str(r.get("id"), "id"),
            "name": _str(r.get("name"), "name", nullable=False),
            "editable": _bool(r.get("editable"), True, "editable"),
            "priority": _int(r.get("priority"), 0, "priority"),
            "sourceDirectoryName": _str(r.get("sourceDirectoryName"), "sourceDirectoryName"),
            "targetDirectoryName": _str(r.get("targetDirectoryName"), "targetDirectoryName"),
            "containerFilter": None if cf is None else {"includedContainers": [
                _str(x, "includedContainers") for x in _list(cf.get("includedContainers"), "includedContainers")]},
            "groupFilter": None if gf is None else {"includedGroups": [
                _str(x, "includedGroups") for x in _list(gf.get("includedGroups"), "includedGroups")]},
            "metadata": [{"key": _str(kv.get("key"), "key"), "value": _str(kv.get("value"), "value")}
                         for kv in map(lambda kv: _obj(kv, "metadata"), _list(r.get("metadata"), "metadata"))],
            "objectMappings": [norm_object_mapping(m) for m in _list(r.get("objectMappings"), "objectMappings")]}


def normalize_schema(body, new_id):
    """The stored form of a PUT schema body (raises GraphError 400 for a body Graph refuses)."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a synchronizationSchema object.")
    return {"directories": [norm_directory(d, new_id) for d in _list(body.get("directories"), "directories")],
            "synchronizationRules": [norm_rule(r) for r in _list(body.get("synchronizationRules"), "synchronizationRules")]}


def check_expressions(schema):
    """Every Function source must parse (a schema built by the catalog is checked at start)."""
    for r in schema["synchronizationRules"]:
        for om in r["objectMappings"]:
            for m in om["attributeMappings"]:
                s = m.get("source")
                if s and s.get("type") == "Function":
                    try:
                        parse(s["expression"])
                    except ParseError as e:
                        raise ValueError(f"{r['name']}/{m['targetAttributeName']}: {e}")


def schema_copy(schema):
    return copy.deepcopy(schema)

"""graph-sync-api.md §9.7 (enum serialization), §9.8 (non-nullable fields), §4, §5: every job,
template and schema of the demo tenant, on /v1.0 and /beta."""

import re

import pytest

from tests.conformance.graphhttp import DTO_RE, JOB_ID_RE, q

ENUMS = {
    "statusCode": {"NotConfigured", "NotRun", "Active", "Paused", "Quarantine"},
    "scheduleState": {"Active", "Disabled", "Paused"},
    "executionResult": {"Succeeded", "Failed", "EntryLevelErrors"},
    "quarantineReason": {"EncounteredBaseEscrowThreshold", "EncounteredTotalEscrowThreshold",
                         "EncounteredEscrowProportionThreshold", "EncounteredQuarantineException",
                         "Unknown", "QuarantinedOnDemand", "TooManyDeletes", "IngestionInterrupted"},
    "flowBehavior": {"FlowWhenChanged", "FlowAlways"},
    "flowType": {"Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly"},
    "sourceType": {"Attribute", "Constant", "Function"},
    "attributeType": {"String", "Integer", "Reference", "Binary", "Boolean", "DateTime"},
    "mutability": {"ReadWrite", "ReadOnly", "Immutable", "WriteOnly"},
    "objectFlowTypes": {"None", "Add", "Update", "Delete"},
    "discoverabilities": {"None", "AttributeNames", "AttributeDataTypes", "AttributeReadOnly",
                          "ReferenceAttributes", "UnknownFutureValue"},
    "objectDefinitionMetadata": {"PropertyNameAccountEnabled", "PropertyNameSoftDeleted",
                                 "IsSoftDeletionSupported", "IsSynchronizeAllSupported",
                                 "ConnectorDataStorageRequired", "Extensions", "BaseObjectName"},
    "objectMappingMetadata": {"EscrowBehavior", "DisableMonitoringForChanges", "OriginalJoiningProperty",
                              "Disposition", "IsCustomerDefined", "ExcludeFromReporting", "Unsynchronized"},
    "attributeDefinitionMetadata": {"BaseAttributeName", "ComplexObjectDefinition", "IsContainer",
                                    "IsCustomerDefined", "IsDomainQualified", "LinkPropertyNames",
                                    "LinkTypeName", "MaximumLength", "ReferencedProperty"},
    "arity": {"Binary", "Unary"},
    "multivaluedComparisonType": {"All", "Any"},
}
SYNC_METADATA_V1 = {"GalleryApplicationIdentifier", "GalleryApplicationKey", "IsOAuthEnabled",
                    "IsSynchronizationAgentAssignmentRequired", "IsSynchronizationAgentRequired",
                    "IsSynchronizationInPreview", "OAuthSettings", "SynchronizationLearnMoreIbizaFwLink",
                    "ConfigurationFields"}
SYNC_METADATA_BETA = {"galleryApplicationIdentifier", "galleryApplicationKey", "isOAuthEnabled",
                      "IsSynchronizationAgentAssignmentRequired", "isSynchronizationAgentRequired",
                      "isSynchronizationInPreview", "oAuthSettings", "synchronizationLearnMoreIbizaFwLink",
                      "configurationFields"}
DURATION_RE = re.compile(r"^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
VERSIONS = ["v1.0", "beta"]


def check_flags(value, members, where):
    assert isinstance(value, str), where
    parts = value.split(", ")
    assert all(p in members for p in parts), (where, value)
    assert len(parts) == len(set(parts)), (where, value)


def check_enum(value, members, where):
    assert value in members, (where, value)


def check_int(d, k, where):
    assert k in d, (where, k)
    assert isinstance(d[k], int) and not isinstance(d[k], bool), (where, k, d[k])


def check_bool(d, k, where):
    assert k in d, (where, k)
    assert isinstance(d[k], bool), (where, k, d[k])


def check_dto(d, k, where, nullable=False):
    assert k in d, (where, k)
    if nullable and d[k] is None:
        return
    assert isinstance(d[k], str) and DTO_RE.match(d[k]), (where, k, d[k])


def check_execution(e, where):
    if e is None:
        return
    for k in ("countEntitled", "countEntitledForProvisioning", "countEscrowed", "countEscrowedRaw",
              "countExported", "countExports", "countImported", "countImportedDeltas",
              "countImportedReferenceDeltas"):
        check_int(e, k, where)
    check_enum(e["state"], ENUMS["executionResult"], where)
    check_dto(e, "timeBegan", where)
    check_dto(e, "timeEnded", where)
    assert "error" in e and "activityIdentifier" in e, where
    if e["error"] is not None:
        check_bool(e["error"], "tenantActionable", where)


def check_job(job, where):
    assert JOB_ID_RE.match(job["id"]), (where, job["id"])
    assert isinstance(job["templateId"], str)
    sch = job["schedule"]
    assert "expiration" in sch
    assert isinstance(sch["interval"], str) and DURATION_RE.match(sch["interval"]), (where, sch)
    check_enum(sch["state"], ENUMS["scheduleState"], where)
    st = job["status"]
    check_enum(st["code"], ENUMS["statusCode"], where)
    check_int(st, "countSuccessiveCompleteFailures", where)
    check_bool(st, "escrowsPruned", where)
    check_dto(st, "steadyStateFirstAchievedTime", where)
    check_dto(st, "steadyStateLastAchievedTime", where)
    for k in ("lastExecution", "lastSuccessfulExecution", "lastSuccessfulExecutionWithExports"):
        assert k in st, (where, k)
        check_execution(st[k], f"{where}.{k}")
    assert isinstance(st["progress"], list), where
    for p in st["progress"]:
        check_int(p, "completedUnits", where)
        check_int(p, "totalUnits", where)
        check_dto(p, "progressObservationDateTime", where)
    assert "quarantine" in st and "troubleshootingUrl" in st, where
    if st["quarantine"] is not None:
        qu = st["quarantine"]
        for k in ("currentBegan", "nextAttempt", "seriesBegan"):
            check_dto(qu, k, where)
        check_int(qu, "seriesCount", where)
        check_enum(qu["reason"], ENUMS["quarantineReason"], where)
    assert isinstance(st["synchronizedEntryCountByType"], list), where
    for kv in st["synchronizedEntryCountByType"]:
        assert set(kv) == {"key", "value"}, (where, kv)
        assert isinstance(kv["key"], str)
        check_int(kv, "value", where)
    settings = job["synchronizationJobSettings"]
    assert isinstance(settings, list)
    for s in settings:
        assert set(s) == {"name", "value"}, (where, s)  # keyValuePair: name/value, not key/value
        assert isinstance(s["name"], str)


def check_source(src, where):
    if src is None:
        return
    check_enum(src["type"], ENUMS["sourceType"], where)
    assert "name" in src and "expression" in src, (where, src)
    assert isinstance(src.get("parameters", []), list)
    for p in src.get("parameters", []):
        assert set(p) == {"key", "value"}, (where, p)
        check_source(p["value"], where)


def check_schema(schema, where):
    assert isinstance(schema["version"], str) or schema["version"] is None
    for d in schema["directories"]:
        w = f"{where}/{d.get('name')}"
        check_flags(d["discoverabilities"], ENUMS["discoverabilities"], w)
        check_bool(d, "readOnly", w)
        assert isinstance(d["name"], str) and d["name"]
        assert "discoveryDateTime" in d and "version" in d, w
        for o in d["objects"]:
            assert isinstance(o["name"], str)
            for m in o.get("metadata") or []:
                check_enum(m["key"], ENUMS["objectDefinitionMetadata"], w)
            anchors = 0
            for a in o["attributes"]:
                wa = f"{w}/{o['name']}.{a.get('name')}"
                for k in ("anchor", "caseExact", "flowNullValues", "multivalued", "required"):
                    check_bool(a, k, wa)
                check_enum(a["mutability"], ENUMS["mutability"], wa)
                check_enum(a["type"], ENUMS["attributeType"], wa)
                anchors += a["anchor"]
                for m in a.get("metadata") or []:
                    check_enum(m["key"], ENUMS["attributeDefinitionMetadata"], wa)
            assert anchors <= 1, (w, o["name"], "more than one anchor")
    for r in schema["synchronizationRules"]:
        w = f"{where}/rule {r.get('id')}"
        check_bool(r, "editable", w)
        check_int(r, "priority", w)
        assert isinstance(r["id"], str) and isinstance(r["name"], str), w
        for om in r["objectMappings"]:
            check_bool(om, "enabled", w)
            check_flags(om["flowTypes"], ENUMS["objectFlowTypes"], w)
            for m in om.get("metadata") or []:
                check_enum(m["key"], ENUMS["objectMappingMetadata"], w)
            assert "scope" in om, w
            for am in om["attributeMappings"]:
                wm = f"{w}/{am.get('targetAttributeName')}"
                check_bool(am, "exportMissingReferences", wm)
                check_enum(am["flowBehavior"], ENUMS["flowBehavior"], wm)
                check_enum(am["flowType"], ENUMS["flowType"], wm)
                check_int(am, "matchingPriority", wm)
                assert "source" in am and "defaultValue" in am, wm
                check_source(am["source"], wm)


@pytest.mark.parametrize("version", VERSIONS)
def test_every_job_has_typed_nonnull_fields(demo, g, version):
    gv = g.with_version(version)
    n = 0
    for sp in demo.sps_with_jobs():
        r = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs")
        assert r.status == 200, r
        for job in r.json()["value"]:
            check_job(job, f"{sp['displayName']}/{job['id']}")
            n += 1
    assert n >= 5


@pytest.mark.parametrize("version", VERSIONS)
def test_every_job_schema_has_typed_nonnull_fields(demo, g, version):
    gv = g.with_version(version)
    for sp_id, job_id in demo.all_jobs():
        r = gv.get(demo.job_path(sp_id, job_id) + "/schema")
        assert r.status == 200, r
        check_schema(r.json(), job_id)


@pytest.mark.parametrize("version", VERSIONS)
def test_templates_types_and_metadata_casing(demo, g, version):
    """§4.19, §5: template fields; synchronizationMetadata keys PascalCase on v1.0, camelCase on
    beta (except IsSynchronizationAgentAssignmentRequired)."""
    gv = g.with_version(version)
    allowed = SYNC_METADATA_V1 if version == "v1.0" else SYNC_METADATA_BETA
    seen = 0
    for sp in demo.sps:
        if not sp.get("templates"):
            continue
        r = gv.get(f"/servicePrincipals/{q(sp['id'])}/synchronization/templates")
        assert r.status == 200, r
        ts = r.json()["value"]
        assert sorted(t["id"] for t in ts) == sorted(sp["templates"])
        for t in ts:
            check_bool(t, "default", t["id"])
            check_bool(t, "discoverable", t["id"])
            assert isinstance(t["applicationId"], str) and re.match(r"^[0-9a-f-]{36}$", t["applicationId"]), t
            assert "factoryTag" in t and "description" in t
            for m in t.get("metadata") or []:
                assert set(m) == {"key", "value"}, m
                check_enum(m["key"], allowed, f"{version} template {t['id']}")
                seen += 1
            if "schema" in t and t["schema"] is not None:
                check_schema(dict(t["schema"], version=t["schema"].get("version")), t["id"])
    assert seen > 0, "no template carries metadata"


def test_flags_use_comma_space(demo, g):
    """§9.7: flags are "A, B" (comma + space), e.g. flowTypes "Add, Update, Delete"."""
    found = False
    for sp_id, job_id in demo.all_jobs():
        s = g.get(demo.job_path(sp_id, job_id) + "/schema").json()
        for r in s["synchronizationRules"]:
            for om in r["objectMappings"]:
                if "," in om["flowTypes"]:
                    assert re.match(r"^[A-Za-z]+(, [A-Za-z]+)+$", om["flowTypes"]), om["flowTypes"]
                    found = True
    assert found, "no multi-member flowTypes in the demo tenant"

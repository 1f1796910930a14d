"""Shape comparison of JSON documents: same keys and JSON types, recursively.

`shape_mismatches(expected, actual)` lists every place where `actual` (the emulator's answer)
does not have the shape of `expected` (a payload of graph-sync-api.md / graph-examples):
- a key of `expected` missing from `actual`;
- a different JSON type (object, array, string, boolean, integer, number); `null` in `expected`
  accepts anything (the property is nullable and the example happens to hold null); `null` in
  `actual` where `expected` has a value is accepted unless the property is non-nullable
  (`NON_NULLABLE`, graph-sync-api.md §4);
- an extra key in `actual` that Graph does not have at that place: extra keys are allowed only
  when listed in `extra_ok` (by default every property name of §4 and `@odata.*` annotations).
Array elements of `actual` are each compared with the first element of the `expected` array.
"""

# Every property name of the synchronization types (graph-sync-api.md §4), i.e. the keys Graph
# may send beyond what an example shows.
SYNC_PROPERTIES = frozenset("""
id secrets jobs templates schedule status synchronizationJobSettings templateId schema bulkUpload
expiration interval state
code countSuccessiveCompleteFailures escrowsPruned lastExecution lastSuccessfulExecution
lastSuccessfulExecutionWithExports progress quarantine steadyStateFirstAchievedTime
steadyStateLastAchievedTime synchronizedEntryCountByType troubleshootingUrl
activityIdentifier countEntitled countEntitledForProvisioning countEscrowed countEscrowedRaw
countExported countExports countImported countImportedDeltas countImportedReferenceDeltas error
timeBegan timeEnded
completedUnits progressObservationDateTime totalUnits units
currentBegan nextAttempt reason seriesBegan seriesCount
message tenantActionable
synchronizationRules version directories
discoverabilities discoveryDateTime name objects readOnly
attributes metadata supportedApis
anchor apiExpressions caseExact defaultValue flowNullValues multivalued mutability referencedObjects
required type referencedObjectName referencedProperty
containerFilter editable groupFilter objectMappings priority sourceDirectoryName targetDirectoryName
includedContainers includedGroups
attributeMappings enabled flowTypes scope sourceObjectName targetObjectName
exportMissingReferences flowBehavior flowType matchingPriority source targetAttributeName
expression parameters
categoryFilterGroups groups inputFilterGroups clauses operatorName sourceOperandName targetOperand values
arity multivaluedComparisonType supportedAttributeTypes allowMultipleOccurrences
applicationId default description discoverable factoryTag
key value
evaluationResult evaluationSucceeded parsedExpression parsingSucceeded
target details innerError
ruleId subjects links manager members owners objectId objectTypeName
""".split())

NON_NULLABLE = frozenset("""
countSuccessiveCompleteFailures escrowsPruned steadyStateFirstAchievedTime steadyStateLastAchievedTime
countEntitled countEntitledForProvisioning countEscrowed countEscrowedRaw countExported countExports
countImported countImportedDeltas countImportedReferenceDeltas timeBegan timeEnded
completedUnits progressObservationDateTime totalUnits currentBegan nextAttempt reason seriesBegan
seriesCount tenantActionable discoverabilities readOnly anchor caseExact flowNullValues multivalued
mutability required editable priority enabled flowTypes exportMissingReferences flowBehavior
flowType matchingPriority arity multivaluedComparisonType supportedAttributeTypes
allowMultipleOccurrences applicationId default discoverable interval evaluationSucceeded
parsingSucceeded
""".split())


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def shape_mismatches(expected, actual, path="$", extra_ok=SYNC_PROPERTIES, non_nullable=NON_NULLABLE,
                     key=None):
    out = []
    et, at = json_type(expected), json_type(actual)
    if et == "null":
        return out
    if at == "null":
        if key in non_nullable:
            out.append(f"{path}: null, but {key} is non-nullable ({et} expected)")
        return out
    if et != at and not (et == "number" and at == "integer"):
        out.append(f"{path}: {at}, expected {et}")
        return out
    if et == "object":
        for k, v in expected.items():
            if k not in actual:
                out.append(f"{path}: missing key {k!r}")
            else:
                out.extend(shape_mismatches(v, actual[k], f"{path}.{k}", extra_ok, non_nullable, k))
        for k in actual:
            if k not in expected and not k.startswith("@odata.") and k not in extra_ok:
                out.append(f"{path}: unexpected key {k!r}")
    elif et == "array":
        if expected and actual:
            for i, item in enumerate(actual):
                out.extend(shape_mismatches(expected[0], item, f"{path}[{i}]", extra_ok, non_nullable, key))
    return out


def assert_same_shape(expected, actual, **kw):
    problems = shape_mismatches(expected, actual, **kw)
    assert not problems, "shape differs from Graph's:\n  " + "\n  ".join(problems[:40])

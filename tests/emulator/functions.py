"""The attribute-mapping functions and scoping-filter operators the service lists
(GET .../schema/functions and .../schema/filterOperators), from the Entra ID reference
"Reference for writing expressions for attribute mappings" and the scoping-filter page."""

# (name, [(parameter name, type, required, allowMultipleOccurrences)])
# Parameter names keep the service's casing (graph-sync-api.md §3.13: source, Find, Replacement).
_S, _I, _B, _D, _R = "String", "Integer", "Boolean", "DateTime", "Reference"

FUNCTIONS = [
    ("Append", [("source", _S, True, False), ("suffix", _S, True, False)]),
    ("AppRoleAssignments", [("source", _S, True, False)]),
    ("AppRoleAssignmentsComplex", [("source", _S, True, False)]),
    ("AssertionIssuer", []),
    ("BitAnd", [("value1", _I, True, False), ("value2", _I, True, False)]),
    ("CBool", [("Expression", _S, True, False)]),
    ("CDate", [("Expression", _S, True, False)]),
    ("Coalesce", [("source", _S, True, True)]),
    ("ConvertToBase64", [("source", _S, True, False)]),
    ("ConvertToUTF8Hex", [("source", _S, True, False)]),
    ("Count", [("attribute", _S, True, False)]),
    ("CStr", [("value", _S, True, False)]),
    ("DateAdd", [("interval", _S, True, False), ("value", _I, True, False), ("dateTime", _D, True, False)]),
    ("DateDiff", [("interval", _S, True, False), ("date1", _D, True, False), ("date2", _D, True, False)]),
    ("DateFromNum", [("value", _I, True, False)]),
    ("DefaultDomain", []),
    ("FormatDateTime", [("source", _S, True, False), ("dateTimeStyles", _S, False, False),
                        ("inputFormat", _S, True, False), ("outputFormat", _S, True, False)]),
    ("Guid", []),
    ("IgnoreFlowIfNullOrEmpty", [("expression", _S, True, False)]),
    ("IIF", [("condition", _B, True, False), ("valueIfTrue", _S, True, False), ("valueIfFalse", _S, True, False)]),
    ("InStr", [("value1", _S, True, False), ("value2", _S, True, False), ("start", _I, False, False),
               ("compareType", _S, False, False)]),
    ("IsNull", [("Expression", _S, True, False)]),
    ("IsNullOrEmpty", [("Expression", _S, True, False)]),
    ("IsPresent", [("Expression", _S, True, False)]),
    ("IsString", [("Expression", _S, True, False)]),
    ("Item", [("attribute", _S, True, False), ("index", _I, True, False)]),
    ("Join", [("separator", _S, True, False), ("source", _S, True, True)]),
    ("Left", [("String", _S, True, False), ("NumChars", _I, True, False)]),
    ("Mid", [("source", _S, True, False), ("start", _I, True, False), ("length", _I, True, False)]),
    ("NormalizeDiacritics", [("source", _S, True, False)]),
    ("Not", [("source", _B, True, False)]),
    ("Now", []),
    ("NumFromDate", [("value", _D, True, False)]),
    ("PCase", [("source", _S, True, False), ("wordSeparators", _S, False, False)]),
    ("RandomString", [("Length", _I, True, False), ("MinimumNumbers", _I, False, False),
                      ("MinimumSpecialCharacters", _I, False, False), ("MinimumCapital", _I, False, False),
                      ("MinimumLowerCase", _I, False, False), ("CharactersToAvoid", _S, False, False)]),
    ("Redact", [("source", _S, True, False)]),
    ("RemoveDuplicates", [("attribute", _S, True, False)]),
    ("Replace", [("source", _S, True, False), ("Find", _S, False, False), ("RegexPattern", _S, False, False),
                 ("RegexGroupName", _S, False, False), ("Replacement", _S, False, False),
                 ("ReplacementAttributeName", _S, False, False), ("Template", _S, False, False)]),
    ("SelectUniqueValue", [("uniqueValueRule", _S, True, True)]),
    ("SingleAppRoleAssignment", [("source", _S, True, False)]),
    ("Split", [("source", _S, True, False), ("delimiter", _S, True, False)]),
    ("StripSpaces", [("source", _S, True, False)]),
    ("Switch", [("source", _S, True, False), ("defaultValue", _S, False, False), ("key", _S, True, True),
                ("value", _S, True, True)]),
    ("ToLower", [("source", _S, True, False), ("culture", _S, False, False)]),
    ("ToUpper", [("source", _S, True, False), ("culture", _S, False, False)]),
    ("Trim", [("source", _S, True, False)]),
    ("Word", [("String", _S, True, False), ("WordNumber", _I, True, False), ("Delimiters", _S, True, False)]),
]

# (name, arity, multivaluedComparisonType, supportedAttributeTypes)
FILTER_OPERATORS = [
    ("EQUALS", "Binary", "All", ["String", "Integer", "Boolean", "DateTime", "Reference"]),
    ("NOT EQUALS", "Binary", "All", ["String", "Integer", "Boolean", "DateTime", "Reference"]),
    ("IS TRUE", "Unary", "All", ["Boolean"]),
    ("IS FALSE", "Unary", "All", ["Boolean"]),
    ("IS NULL", "Unary", "All", ["String", "Integer", "Boolean", "DateTime", "Reference", "Binary"]),
    ("IS NOT NULL", "Unary", "All", ["String", "Integer", "Boolean", "DateTime", "Reference", "Binary"]),
    ("REGEX MATCH", "Binary", "All", ["String"]),
    ("NOT REGEX MATCH", "Binary", "All", ["String"]),
    ("Includes", "Binary", "Any", ["String", "Integer"]),
    ("ENDS_WITH", "Binary", "All", ["String"]),
    ("Greater_Than", "Binary", "All", ["Integer", "DateTime"]),
    ("Greater_Than_OR_EQUALS", "Binary", "All", ["Integer", "DateTime"]),
    ("&", "Binary", "All", ["Integer"]),
    ("!&", "Binary", "All", ["Integer"]),
]

BY_NAME = {name.lower(): (name, params) for name, params in FUNCTIONS}


def functions_json():
    return [{"name": name, "parameters": [
        {"allowMultipleOccurrences": multi, "name": p, "required": req, "type": typ}
        for p, typ, req, multi in params]} for name, params in FUNCTIONS]


def filter_operators_json():
    return [{"name": name, "arity": arity, "multivaluedComparisonType": mvc, "supportedAttributeTypes": list(types)}
            for name, arity, mvc, types in FILTER_OPERATORS]

"""The shape comparison helper itself must be able to fail."""

from tests.conformance.shapes import shape_mismatches


def test_identical_shapes_match():
    a = {"id": "x", "schedule": {"interval": "PT40M", "state": "Active", "expiration": None}, "list": [{"key": "a", "value": 1}]}
    b = {"id": "y", "schedule": {"interval": "PT20M", "state": "Paused", "expiration": "2024-01-01T00:00:00Z"},
         "list": [{"key": "b", "value": 2}, {"key": "c", "value": 3}]}
    assert shape_mismatches(a, b) == []


def test_missing_key_wrong_type_extra_key_and_non_nullable():
    want = {"status": {"code": "Active", "escrowsPruned": False, "countSuccessiveCompleteFailures": 0}, "items": [{"n": 1}]}
    got = {"status": {"escrowsPruned": None, "countSuccessiveCompleteFailures": "0", "bogusKey": 1},
           "items": [{"n": 1.5}]}
    problems = shape_mismatches(want, got)
    assert "$.status: missing key 'code'" in problems
    assert "$.status.escrowsPruned: null, but escrowsPruned is non-nullable (boolean expected)" in problems
    assert "$.status.countSuccessiveCompleteFailures: string, expected integer" in problems
    assert "$.status: unexpected key 'bogusKey'" in problems
    assert "$.items[0].n: number, expected integer" in problems
    assert len(problems) == 5


def test_odata_annotations_and_known_properties_are_allowed_extras():
    assert shape_mismatches({"value": []}, {"@odata.context": "x", "value": [], "id": "a"}) == []
    assert shape_mismatches({"a": 1}, {"a": 1, "b": 2}, extra_ok=frozenset()) == ["$: unexpected key 'b'"]


def test_null_in_example_accepts_anything_and_bool_is_not_int():
    assert shape_mismatches({"x": None}, {"x": {"deep": 1}}) == []
    assert shape_mismatches({"x": 0}, {"x": True}) == ["$.x: boolean, expected integer"]

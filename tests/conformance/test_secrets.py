"""Secrets PUT/GET (graph-sync-api.md §2 #21/#21b, §3.16, §9.9) and the body keys of the
credential actions."""

import pytest

from tests.conformance.graphhttp import assert_empty_204, example, graph_error, q

VERSIONS = ["v1.0", "beta"]
NOT_SECRET = {"BaseAddress", "SyncAll", "SyncNotificationSettings", "SkipOutOfScopeDeletions"}


def _secrets(g, sp_id):
    r = g.get(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets")
    assert r.status == 200, r
    body = r.json()
    assert isinstance(body.get("value"), list), body
    for kv in body["value"]:
        assert set(kv) == {"key", "value"}, kv
    return body["value"]


@pytest.mark.parametrize("version", VERSIONS)
def test_put_then_get_secrets_round_trips(fresh_demo, version):
    g = fresh_demo.g.with_version(version)
    sp_id, _ = fresh_demo.any_job()
    body = example("secrets-put-request.json")
    assert_empty_204(g.put(f"/servicePrincipals/{q(sp_id)}/synchronization/secrets", body))
    got = _secrets(g, sp_id)
    assert [kv["key"] for kv in got] == [kv["key"] for kv in body["value"]]
    sent = {kv["key"]: kv["value"] for kv in body["value"]}
    for kv in got:
        if kv["key"] in NOT_SECRET:
            assert kv["value"] == sent[kv["key"]], kv
        else:
            assert isinstance(kv["value"], str), kv  # may be masked (§10: unverified)


def test_put_secrets_replaces_the_whole_collection(fresh_demo):
    """§3.16: the Entra how-to re-sends every entry, so PUT replaces the collection; the how-to's
    read-append-write adds SkipOutOfScopeDeletions."""
    g = fresh_demo.g
    sp_id, _ = fresh_demo.any_job()
    path = f"/servicePrincipals/{q(sp_id)}/synchronization/secrets"
    assert_empty_204(g.put(path, example("secrets-put-request.json")))
    assert_empty_204(g.put(path, {"value": [{"key": "SyncAll", "value": "true"}]}))
    assert _secrets(g, sp_id) == [{"key": "SyncAll", "value": "true"}]
    current = _secrets(g, sp_id)
    current.append({"key": "SkipOutOfScopeDeletions", "value": "True"})
    assert_empty_204(g.put(path, {"value": current}))
    assert _secrets(g, sp_id) == [{"key": "SyncAll", "value": "true"},
                                  {"key": "SkipOutOfScopeDeletions", "value": "True"}]


def test_put_secrets_with_unknown_key_is_400(fresh_demo):
    """synchronizationSecretKeyStringValuePair.key is the enum synchronizationSecret (§4.20, §5):
    a name outside the enum does not deserialize (inferred: OData rejects it with 400)."""
    g = fresh_demo.g
    sp_id, _ = fresh_demo.any_job()
    path = f"/servicePrincipals/{q(sp_id)}/synchronization/secrets"
    assert_empty_204(g.put(path, {"value": [{"key": "SyncAll", "value": "false"}]}))
    r = g.put(path, {"value": [{"key": "NotASecretName", "value": "x"}]})
    graph_error(r, 400)
    assert _secrets(g, sp_id) == [{"key": "SyncAll", "value": "false"}]


def test_put_secrets_on_unknown_service_principal_is_404(fresh_g):
    r = fresh_g.put("/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/secrets",
                    example("secrets-put-request.json"))
    graph_error(r, 404)


def test_validate_credentials_example_body_is_204(fresh_demo):
    """§6 validateCredentials body (credentials given, useSavedCredentials false) -> 204."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    r = g.post(fresh_demo.job_path(sp_id, job_id) + "/validateCredentials",
               example("validate-credentials-request.json"))
    assert_empty_204(r)

"""Throttling (graph-sync-api.md §8.4, §9.15) and every fault action of the emulator's README."""

import http.client
import json
import socket
import time

import pytest

from tests.conformance.graphhttp import GraphHTTP, graph_error, q

SP_LIST = r"^/v1\.0/servicePrincipals$"


def _sp_jobs_path(demo):
    sp = demo.sps_with_jobs()[0]
    return sp, f"/servicePrincipals/{q(sp['id'])}/synchronization/jobs"


def test_429_with_fractional_retry_after_and_body(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 429, "retry_after": "2.128", "action": "status"}])
    r = fresh_g.get("/servicePrincipals")
    err = graph_error(r, 429, "TooManyRequests")
    assert r.header("Retry-After") == "2.128", r
    inner = err["innerError"]
    assert inner["code"] == "429", err
    assert inner["status"] == "429", err
    assert isinstance(inner["message"], str), err
    assert r.header("request-id")
    # other paths are not hit
    assert fresh_g.get("/servicePrincipals/x/synchronization/jobs").status == 404


def test_429_count_limits_hits(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 429, "retry_after": "1", "count": 2}])
    statuses = [fresh_g.get("/servicePrincipals").status for _ in range(4)]
    assert statuses == [429, 429, 200, 200]


def test_rate_zero_never_hits_and_method_filters(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 500, "rate": 0},
                      {"path": SP_LIST, "method": "POST", "status": 500}])
    assert [fresh_g.get("/servicePrincipals").status for _ in range(3)] == [200, 200, 200]


def test_rate_half_hits_some(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 503, "rate": 0.5}])
    statuses = [fresh_g.get("/servicePrincipals?$top=1").status for _ in range(40)]
    assert set(statuses) == {200, 503}, statuses


def test_503_with_and_without_retry_after(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 503, "retry_after": "3", "count": 1},
                      {"path": SP_LIST, "status": 503}])
    r = fresh_g.get("/servicePrincipals")
    graph_error(r, 503, "serviceNotAvailable")
    assert r.header("Retry-After") == "3"
    r = fresh_g.get("/servicePrincipals")
    graph_error(r, 503, "serviceNotAvailable")
    assert r.header("Retry-After") is None


@pytest.mark.parametrize("status, code", [
    (400, "BadRequest"), (401, "InvalidAuthenticationToken"), (403, "Authorization_RequestDenied"),
    (404, "Request_ResourceNotFound"), (500, "generalException"), (503, "serviceNotAvailable"),
    (409, None), (412, None), (504, None),
])
def test_status_action_answers_graph_error(fresh, fresh_g, status, code):
    fresh.set_faults([{"path": SP_LIST, "status": status, "action": "status"}])
    r = fresh_g.get("/servicePrincipals")
    graph_error(r, status, code)


def test_code_and_message_override(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 400, "code": "Request_UnsupportedQuery",
                       "message": "Custom message from the test"}])
    err = graph_error(fresh_g.get("/servicePrincipals"), 400, "Request_UnsupportedQuery")
    assert err["message"] == "Custom message from the test"


def test_reset_closes_without_answer(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "action": "reset", "count": 1}])
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine,
                        BrokenPipeError)):
        fresh_g.get("/servicePrincipals")
    assert fresh_g.get("/servicePrincipals").status == 200


def test_stall_answers_nothing(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "action": "stall", "stall_s": 2, "count": 1}])
    t0 = time.monotonic()
    with pytest.raises((socket.timeout, TimeoutError)):
        fresh_g.get("/servicePrincipals", timeout=0.5)
    assert time.monotonic() - t0 >= 0.4
    # other requests are still served while one stalls
    assert fresh_g.get("/servicePrincipals").status == 200


def test_malformed_is_200_with_truncated_json(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "action": "malformed"}])
    r = fresh_g.get("/servicePrincipals")
    assert r.status == 200, r
    assert r.body, r
    with pytest.raises(ValueError):
        json.loads(r.body)


def test_expire_token_answers_401(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "action": "expire_token"}])
    r = GraphHTTP(fresh.url, token="some-token").get("/servicePrincipals")
    graph_error(r, 401, "InvalidAuthenticationToken")


def test_latency_action_delays(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "action": "latency", "latency_ms": 400}])
    r = fresh_g.get("/servicePrincipals")
    assert r.status == 200
    assert r.elapsed >= 0.35, r.elapsed
    quick = fresh_g.get("/servicePrincipals/x/synchronization/jobs")
    assert quick.status == 404


def test_config_latency(fresh, fresh_g):
    fresh.config(latency_ms=300)
    r = fresh_g.get("/servicePrincipals")
    assert r.status == 200 and r.elapsed >= 0.25, r.elapsed
    fresh.config(latency_ms=0)


def test_clear_faults(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 500}])
    assert fresh_g.get("/servicePrincipals").status == 500
    fresh.clear_faults()
    assert fresh_g.get("/servicePrincipals").status == 200


def test_faults_replace_not_append(fresh, fresh_g):
    fresh.set_faults([{"path": SP_LIST, "status": 500}])
    fresh.set_faults([{"path": "^/v1\\.0/nothing$", "status": 500}])
    assert fresh_g.get("/servicePrincipals").status == 200


def test_control_calls_are_not_subject_to_faults(fresh, fresh_g):
    fresh.set_faults([{"status": 500}, {"action": "latency", "latency_ms": 2000}])
    t0 = time.monotonic()
    summary = fresh.tenant()
    assert summary["servicePrincipals"]
    fresh.requests()
    assert time.monotonic() - t0 < 1.5
    assert fresh_g.get("/servicePrincipals").status == 500


def test_batch_item_429_with_retry_after_in_item_headers(fresh, fresh_demo):
    g = fresh_demo.g
    sp, jobs_path = _sp_jobs_path(fresh_demo)
    fresh.set_faults([{"path": r"/synchronization/jobs$", "status": 429, "retry_after": "1.5",
                       "batch_item": True}])
    # the rule is for batch items only: a direct request is not hit
    assert g.get(jobs_path).status == 200
    r = g.post("/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": jobs_path},
        {"id": "2", "method": "GET", "url": f"/servicePrincipals/{q(sp['id'])}/synchronization/templates"},
    ]})
    assert r.status == 200, r
    items = {i["id"]: i for i in r.json()["responses"]}
    assert items["1"]["status"] == 429, items["1"]
    hdrs = {k.lower(): v for k, v in items["1"]["headers"].items()}
    assert hdrs["retry-after"] == "1.5", items["1"]
    assert items["1"]["body"]["error"]["code"] == "TooManyRequests"
    assert items["2"]["status"] == 200, items["2"]


def test_429_on_identity_path_has_throttle_scope_headers(fresh, fresh_g):
    """§8.3: identity & access workloads answer 429 with x-ms-throttle-scope
    (<Scope>/<Limit>/<ApplicationId>/<TenantId|UserId|ResourceId>) and x-ms-throttle-information."""
    import re
    fresh.set_faults([{"path": SP_LIST, "status": 429, "retry_after": "1"}])
    r = fresh_g.get("/servicePrincipals")
    assert r.status == 429
    scope = r.header("x-ms-throttle-scope")
    assert scope and re.match(r"^(Tenant_Application|Tenant|Application)/(Read|Write|ReadWrite)/[^/]+/[^/]+$", scope), r
    assert r.header("x-ms-throttle-information"), r

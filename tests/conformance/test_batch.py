"""JSON batching, graph-sync-api.md §8.6, §9.16."""

import pytest

from tests.conformance.graphhttp import example, graph_error, q


def _items(r):
    assert r.status == 200, r
    body = r.json()
    assert list(body) == ["responses"] or set(body) == {"responses", "@odata.context"}, body
    out = {}
    for it in body["responses"]:
        assert isinstance(it["id"], str)
        assert isinstance(it["status"], int)
        assert isinstance(it.get("headers", {}), dict), it
        assert it["id"] not in out, it
        out[it["id"]] = it
    return out


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_batch_per_item_statuses(fresh_demo, version):
    g = fresh_demo.g.with_version(version)
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    new_sp = fresh_demo.sp_with_templates()
    r = g.post("/$batch", {"requests": [
        {"id": "get", "method": "GET", "url": f"/servicePrincipals/{q(sp_id)}/synchronization/jobs"},
        {"id": "missing", "method": "GET", "url": "/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs"},
        {"id": "pause", "method": "POST", "url": jp + "/pause", "headers": {"Content-Type": "application/json"}, "body": {}},
        {"id": "create", "method": "POST", "url": f"/servicePrincipals/{q(new_sp['id'])}/synchronization/jobs",
         "headers": {"Content-Type": "application/json"}, "body": {"templateId": new_sp["templates"][0]}},
    ]})
    items = _items(r)
    assert set(items) == {"get", "missing", "pause", "create"}
    assert items["get"]["status"] == 200
    assert job_id in [j["id"] for j in items["get"]["body"]["value"]]
    assert items["missing"]["status"] == 404
    assert items["missing"]["body"]["error"]["code"] == "Request_ResourceNotFound"
    assert items["pause"]["status"] == 204
    assert items["pause"].get("body") in (None, "", {}), items["pause"]
    assert items["create"]["status"] == 201
    assert items["create"]["body"]["status"]["code"] == "NotConfigured"
    # the item really ran
    assert fresh_demo.get_job(sp_id, job_id)["schedule"]["state"] == "Paused"
    h = {k.lower(): v for k, v in items["get"]["headers"].items()}
    assert h.get("content-type", "").startswith("application/json"), items["get"]["headers"]


def test_documented_batch_request_is_accepted(fresh_demo):
    """graph-examples/batch-request.json with the emulator's ids: serial dependsOn chain."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    body = example("batch-request.json")
    for it in body["requests"]:
        it["url"] = (it["url"].replace("60443998-8cf7-4e61-b05c-a53b658cb5e1", sp_id)
                     .replace("SfSandboxOutDelta.e4bbf44533ea4eabb17027f3a92e92aa", job_id))
    items = _items(g.post("/$batch", body))
    assert [items[i]["status"] for i in ("1", "2", "3")] == [200, 204, 200]
    assert items["3"]["body"]["schedule"]["state"] == "Paused"
    assert items["3"]["body"]["status"]["code"] == "Paused"


def test_batch_of_20_is_ok_and_21_is_400(fresh_demo):
    g = fresh_demo.g
    reqs = [{"id": str(i), "method": "GET", "url": "/servicePrincipals?$top=1"} for i in range(21)]
    items = _items(g.post("/$batch", {"requests": reqs[:20]}))
    assert len(items) == 20 and all(i["status"] == 200 for i in items.values())
    fresh_demo.emu.clear_requests()
    r = g.post("/$batch", {"requests": reqs})
    err = graph_error(r, 400)
    assert err["message"] == "Number of requests inside batch exceeds the limit.", err
    assert not [e for e in fresh_demo.emu.requests() if e.get("batch_item")], "items of a refused batch ran"


def test_duplicate_ids_fail_the_whole_batch(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    state = fresh_demo.get_job(sp_id, job_id)["schedule"]["state"]
    for a, b in (("1", "1"), ("a", "A")):  # unique case-insensitively
        r = g.post("/$batch", {"requests": [
            {"id": a, "method": "POST", "url": jp + ("/pause" if state != "Paused" else "/start"),
             "headers": {"Content-Type": "application/json"}, "body": {}},
            {"id": b, "method": "GET", "url": "/servicePrincipals?$top=1"}]})
        graph_error(r, 400)
    assert fresh_demo.get_job(sp_id, job_id)["schedule"]["state"] == state


def test_depends_on_runs_in_order_and_failed_dependency_gives_424(fresh_demo):
    g = fresh_demo.g
    emu = fresh_demo.emu
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    emu.clear_requests()
    r = g.post("/$batch", {"requests": [
        {"id": "3", "method": "GET", "url": jp, "dependsOn": ["2"]},
        {"id": "2", "method": "POST", "url": jp + "/pause", "dependsOn": ["1"],
         "headers": {"Content-Type": "application/json"}, "body": {}},
        {"id": "1", "method": "GET", "url": f"/servicePrincipals/{q(sp_id)}/synchronization/jobs"},
        {"id": "4", "method": "GET", "url": "/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs"},
        {"id": "5", "method": "POST", "url": jp + "/start", "dependsOn": ["4"],
         "headers": {"Content-Type": "application/json"}, "body": {}},
        {"id": "6", "method": "GET", "url": jp, "dependsOn": ["5"]},
    ]})
    items = _items(r)
    assert items["1"]["status"] == 200
    assert items["2"]["status"] == 204
    assert items["3"]["status"] == 200
    assert items["3"]["body"]["schedule"]["state"] == "Paused"  # ran after its dependency
    assert items["4"]["status"] == 404
    assert items["5"]["status"] == 424, items["5"]
    assert items["6"]["status"] == 424, items["6"]  # transitively
    # 5 did not run: the job is still paused
    assert fresh_demo.get_job(sp_id, job_id)["schedule"]["state"] == "Paused"
    log = [e for e in emu.requests() if e.get("batch_item")]
    paths = [(e["method"], e["path"]) for e in log]
    assert ("POST", f"/v1.0{jp}/start") not in paths, paths
    order = [e["path"] for e in log]
    i1 = order.index(f"/v1.0/servicePrincipals/{sp_id}/synchronization/jobs")
    i2 = order.index(f"/v1.0{jp}/pause")
    i3 = [k for k, p in enumerate(order) if p == f"/v1.0{jp}"][0]
    assert i1 < i2 < i3, order


def test_unknown_dependency_is_400(fresh_demo):
    g = fresh_demo.g
    r = g.post("/$batch", {"requests": [{"id": "1", "method": "GET", "url": "/servicePrincipals?$top=1",
                                         "dependsOn": ["9"]}]})
    assert r.status == 400 or _items(r)["1"]["status"] in (400, 424), r


def test_item_body_without_content_type_is_refused(fresh_demo):
    """§8.6: when an item has a body, its headers must include Content-Type. The item must not
    run (the whole batch 400, or that item 400)."""
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    jp = fresh_demo.job_path(sp_id, job_id)
    before = fresh_demo.get_job(sp_id, job_id)["schedule"]["state"]
    action = "/pause" if before != "Paused" else "/start"
    r = g.post("/$batch", {"requests": [
        {"id": "1", "method": "POST", "url": jp + action, "body": {}},
        {"id": "2", "method": "POST", "url": jp + "/restart", "headers": {"X-Other": "1"},
         "body": {"criteria": {"resetScope": "Full"}}}]})
    if r.status == 400:
        graph_error(r, 400)
    else:
        items = _items(r)
        assert items["1"]["status"] == 400, items["1"]
        assert items["2"]["status"] == 400, items["2"]
    assert fresh_demo.get_job(sp_id, job_id)["schedule"]["state"] == before


def test_batch_urls_are_relative_to_the_version_root(fresh_demo):
    g = fresh_demo.g
    sp_id, job_id = fresh_demo.any_job()
    items = _items(g.post("/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": f"servicePrincipals/{q(sp_id)}/synchronization/jobs"},  # no slash
        {"id": "2", "method": "GET", "url": fresh_demo.job_path(sp_id, job_id)},
    ]}))
    assert items["1"]["status"] == 200 and items["2"]["status"] == 200
    items = _items(g.with_version("beta").post("/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": fresh_demo.job_path(sp_id, job_id) + "/schema/functions"}]}))
    assert items["1"]["status"] == 200


def test_batch_items_get_request_ids(fresh_demo):
    g = fresh_demo.g
    items = _items(g.post("/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": "/servicePrincipals/00000000-0000-0000-0000-000000000000/synchronization/jobs"}]}))
    err = items["1"]["body"]["error"]
    assert err["innerError"]["request-id"], err


@pytest.mark.parametrize("body", [b"{\"requests\": [", b"{\"notRequests\": []}",
                                  b"{\"requests\": [{\"id\": \"1\", \"url\": \"/servicePrincipals\"}]}"])
def test_malformed_batch_is_400(fresh_demo, body):
    r = fresh_demo.g.post("/$batch", raw_body=body, content_type="application/json")
    graph_error(r, 400)


def test_batch_is_one_log_entry_plus_one_per_item(fresh_demo):
    g = fresh_demo.g
    emu = fresh_demo.emu
    emu.clear_requests()
    _items(g.post("/$batch", {"requests": [
        {"id": "1", "method": "GET", "url": "/servicePrincipals?$top=1"},
        {"id": "2", "method": "GET", "url": "/servicePrincipals?$top=2"}]}))
    log = emu.requests()
    outer = [e for e in log if not e.get("batch_item")]
    inner = [e for e in log if e.get("batch_item")]
    assert [(e["method"], e["path"], e["status"]) for e in outer] == [("POST", "/v1.0/$batch", 200)]
    assert sorted(e["query"] for e in inner) == ["$top=1", "$top=2"]
    assert all(e["method"] == "GET" and e["path"] == "/v1.0/servicePrincipals" and e["status"] == 200
               for e in inner)
    assert [(e["method"], e["path"]) for e in emu.graph_requests()] == [("POST", "/v1.0/$batch")]

"""Control files on a real mount (DESIGN.md sections 5 and 6; man page CONTROL FILES): each
action sends exactly its request once, input is checked locally first, Graph's refusal is the
result of the tool's own system call (so bash and touch print it), last_error tells the story,
results are read back with cat, and the affected files show the new state on the next read."""

import errno
import json
import os
import re

import pytest

from tests.integration import mount_util as mu
from tests.integration.test_write import (find_job, graph_json, graph_path, graph_rx, job_dir,
                                          last_error, mount_opts, requests_not_get, run,
                                          server_schema)

GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ALLOW_LOCAL = (r"warning: (POST|PUT) .*: (InvalidInput|InvalidDocument)",)


@pytest.fixture
def wmnt(request, tmp_path, mount_factory):
    """The demo tenant mounted with backup_dir=tmp_path/backups (plus the marker's options)."""
    marker = request.node.get_closest_marker("mount")
    options = list(marker.kwargs.get("options", ())) if marker else []
    return mount_factory(options=mount_opts(tmp_path, *options))


def only_change(log, method, path_rx):
    """The one state-changing request of the window; fails if there is any other."""
    changes = requests_not_get(log)
    assert len(changes) == 1, log.describe()
    r = changes[0]
    assert r["method"] == method and re.fullmatch(path_rx, r["path"]), log.describe()
    return r


def shell(d, script):
    return run(["bash", "-c", script], d)


# --- start, pause, restart --------------------------------------------------------------------

def test_touch_start_sends_one_post(wmnt):
    sp, job = find_job(wmnt, "ServiceNowOutDelta")  # a paused job
    d = job_dir(wmnt, sp, job)
    assert json.loads(mu.read_file(d / "schedule.json"))["state"] == "Paused"
    log = wmnt.request_log()
    r = run(["touch", "start"], d)
    assert r.returncode == 0, r.stderr
    req = only_change(log, "POST", graph_rx(sp, job, "/start"))
    assert not req["body"]
    # the next read shows the new state (a cycle may begin at once: only what start settles)
    assert json.loads(mu.read_file(d / "schedule.json"))["state"] == "Active"
    assert json.loads(mu.read_file(d / "status.json"))["code"] != "Paused"
    assert json.loads(mu.read_file(d / "job.json"))["schedule"]["state"] == "Active"


def test_echo_pause_and_the_result_shows(wmnt):
    sp, job = find_job(wmnt)  # Zoom, active
    d = job_dir(wmnt, sp, job)
    assert json.loads(mu.read_file(d / "schedule.json"))["state"] == "Active"
    log = wmnt.request_log()
    r = shell(d, "echo > pause")
    assert r.returncode == 0, r.stderr
    only_change(log, "POST", graph_rx(sp, job, "/pause"))
    assert json.loads(mu.read_file(d / "schedule.json"))["state"] == "Paused"
    assert json.loads(mu.read_file(d / "status.json"))["code"] == "Paused"
    assert re.search(r"POST pause: HTTP 204", mu.read_file(d / "pause", "r"))


@pytest.mark.parametrize("written, scope", [
    ("echo Full > restart", "Full"),
    ("printf full > restart", "Full"),                     # no newline: acts at close
    ("echo 'escrows, WATERMARK' > restart", "Escrows, Watermark"),
    ("echo '{\"criteria\":{\"resetScope\":\"ForceDeletes\"}}' > restart", "ForceDeletes"),
])
def test_restart_sends_the_scope(written, scope, wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    r = shell(d, written)
    assert r.returncode == 0, r.stderr
    req = only_change(log, "POST", graph_rx(sp, job, "/restart"))
    assert json.loads(req["body"]) == {"criteria": {"resetScope": scope}}
    assert req["body"] == json.dumps({"criteria": {"resetScope": scope}}, separators=(",", ":"))


def test_empty_restart_is_the_portals_restart(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    assert shell(d, "echo > restart").returncode == 0
    req = only_change(log, "POST", graph_rx(sp, job, "/restart"))
    assert json.loads(req["body"]) == {"criteria": {}}


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
@pytest.mark.parametrize("written", ["echo Fulll > restart", "echo 'Full, Everything' > restart",
                                     "echo '{\"criteria\":{\"resetScope\":\"All\"}}' > restart",
                                     # a cut JSON body fails at close: bash's builtin echo ignores
                                     # close errors, /bin/echo reports them
                                     "/bin/echo '{\"criteria\":' > restart"])
def test_unknown_restart_scope_is_einval_and_sends_nothing(written, wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    r = shell(d, written)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r
    assert requests_not_get(log) == [], log.describe()
    err = last_error(d)
    assert "EINVAL" in err and ("scope" in err or "JSON" in err or "criteria" in err), err


@pytest.mark.allow_stderr(r"Authorization_RequestDenied", r"HTTP 403")
def test_refused_start_is_printed_by_bash_and_touch(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    wmnt.emu.set_faults([{"method": "POST", "path": "/start$", "status": 403}])
    log = wmnt.request_log()
    r = shell(d, "echo > start")
    assert r.returncode == 1, r
    assert re.search(r"bash: .*(write error|start): Operation not permitted", r.stderr), r.stderr
    req = only_change(log, "POST", graph_rx(sp, job, "/start"))
    assert req["status"] == 403
    err = last_error(d)
    assert "status: 403" in err and "EPERM" in err and "Authorization_RequestDenied" in err, err
    assert "Insufficient privileges to complete the operation." in err, err
    assert re.search(r"^request-id: " + GUID + "$", err, re.M), err
    sent = {k.lower(): v for k, v in req["headers"].items()}["client-request-id"]
    assert re.search(r"^client-request-id: %s$" % re.escape(sent), err, re.M), err
    assert "url: %s/v1.0%s" % (wmnt.url, graph_path(sp, job, "/start")) in err, err
    log.mark()
    r = run(["touch", "start"], d)
    assert r.returncode == 1 and "Operation not permitted" in r.stderr, r
    only_change(log, "POST", graph_rx(sp, job, "/start"))


# --- resetSchema, discover --------------------------------------------------------------------

def test_reset_schema_deletes_and_the_schema_file_follows(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    text = mu.read_file(d / "schema.json", "r")
    mu.write_file(d / "schema.json", text.replace('"userName"', '"customName"', 1), "w")
    assert '"customName"' in mu.read_file(d / "schema.json", "r")
    log = wmnt.request_log()
    assert shell(d, "echo > resetSchema").returncode == 0
    only_change(log, "DELETE", graph_rx(sp, job, "/schema"))
    now = server_schema(wmnt.emu, sp, job)
    assert '"customName"' not in json.dumps(now)
    assert mu.read_file(d / "schema.json") == mu.rendered(now)


def test_touch_discover_posts_for_that_directory(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    defs = server_schema(wmnt.emu, sp, job)["directories"]
    # directories/ shows the definitions by name (their names differ in the demo tenant)
    assert len({x["name"] for x in defs}) == len(defs) > 1
    assert sorted(os.listdir(d / "directories")) == sorted(x["name"] for x in defs)
    target = defs[-1]
    log = wmnt.request_log()
    r = run(["touch", "directories/%s/discover" % target["name"]], d)
    assert r.returncode == 0, r.stderr
    only_change(log, "POST", graph_rx(sp, job, "/schema/directories/%s/discover" % target["id"]))
    assert mu.read_file(d / "schema.json") == mu.rendered(server_schema(wmnt.emu, sp, job))


def test_directories_that_share_a_name_show_their_ids(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    schema = server_schema(wmnt.emu, sp, job)
    first, second = schema["directories"][0], schema["directories"][1]
    second["name"] = first["name"]
    mu.write_file(d / "schema.json", json.dumps(schema).encode())
    names = sorted(os.listdir(d / "directories"))
    both = sorted("%s~%s" % (first["name"], x["id"]) for x in (first, second))
    assert [n for n in names if n.startswith(first["name"])] == both
    log = wmnt.request_log()
    r = run(["touch", "directories/%s~%s/discover" % (first["name"], second["id"])], d)
    assert r.returncode == 0, r.stderr
    only_change(log, "POST", graph_rx(sp, job, "/schema/directories/%s/discover" % second["id"]))


# --- provisionOnDemand, validateCredentials, parseExpression ----------------------------------

def test_provision_on_demand_text_form_uses_the_first_rule(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    rule = server_schema(wmnt.emu, sp, job)["synchronizationRules"][0]["id"]
    user = "0b0e5f5a-4d53-4a8b-9a57-1c1f7d3f5e21"
    log = wmnt.request_log()
    assert shell(d, "echo '%s User' > provisionOnDemand" % user).returncode == 0
    req = only_change(log, "POST", graph_rx(sp, job, "/provisionOnDemand"))
    assert json.loads(req["body"]) == {
        "parameters": [{"ruleId": rule, "subjects": [{"objectId": user, "objectTypeName": "User"}]}]}
    result = json.loads(run(["cat", "provisionOnDemand"], d).stdout)
    assert isinstance(result["key"], dict) and isinstance(result["value"], dict), result
    assert result["key"]["result"] == "Success"
    assert result["value"]["sourceIdentity"]["id"] == user


def test_provision_on_demand_json_form_is_sent_as_written(wmnt, tmp_path):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    rule = server_schema(wmnt.emu, sp, job)["synchronizationRules"][0]["id"]
    body = {"parameters": [{"ruleId": rule, "subjects": [
        {"objectId": "5d6f4a51-0a1e-4c3b-8a6e-2c8f9b1d7e40", "objectTypeName": "User"}]}]}
    src = tmp_path / "pod.json"
    src.write_text(json.dumps(body, indent=2) + "\n")
    log = wmnt.request_log()
    assert run(["cp", str(src), "provisionOnDemand"], d).returncode == 0
    req = only_change(log, "POST", graph_rx(sp, job, "/provisionOnDemand"))
    assert json.loads(req["body"]) == body
    result = json.loads(mu.read_file(d / "provisionOnDemand"))
    assert result["value"]["sourceIdentity"]["id"] == body["parameters"][0]["subjects"][0]["objectId"]


@pytest.mark.allow_stderr(r"validateCredentials: ", r"HTTP 400")
def test_validate_credentials_reads_ok_or_the_error(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    assert shell(d, "echo > validateCredentials").returncode == 0
    req = only_change(log, "POST", graph_rx(sp, job, "/validateCredentials"))
    assert json.loads(req["body"]) == {"useSavedCredentials": True}
    assert mu.read_file(d / "validateCredentials", "r") == "ok\n"
    # Slack's saved token is bad: the write fails and the file shows Graph's error
    sp2, job2 = find_job(wmnt, "Slack")
    d2 = job_dir(wmnt, sp2, job2)
    log.mark()
    r = shell(d2, "echo > validateCredentials")
    assert r.returncode == 1 and "Invalid argument" in r.stderr, r
    only_change(log, "POST", graph_rx(sp2, job2, "/validateCredentials"))
    shown = mu.read_file(d2 / "validateCredentials", "r")
    assert "status: 400" in shown and shown != "ok\n", shown
    assert shown.strip() in last_error(d2) or "status: 400" in last_error(d2)


def test_parse_expression_result_is_readable(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    log = wmnt.request_log()
    expr = 'Join(" ", [givenName], [surname])'
    r = shell(d, "echo '%s' > parseExpression && cat parseExpression" % expr)
    assert r.returncode == 0, r.stderr
    req = only_change(log, "POST", graph_rx(sp, job, "/schema/parseExpression"))
    assert json.loads(req["body"]) == {"expression": expr}
    result = json.loads(r.stdout)
    assert result["parsingSucceeded"] is True
    assert result["parsedExpression"]["name"] == "Join"


@pytest.mark.allow_stderr(r"parseExpression: BadRequest", r"HTTP 400")
def test_refused_expression_starting_with_a_bracket_is_printed_by_bash(wmnt):
    """An attribute expression such as "[givenName]" is text, not a JSON array in progress: the
    write of its line acts, so bash's echo gets Graph's refusal (close errors it ignores)."""
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    wmnt.emu.set_faults([{"method": "POST", "path": "/parseExpression$", "status": 400}])
    log = wmnt.request_log()
    r = shell(d, "echo '[userPrincipalName]' > parseExpression")
    assert r.returncode == 1 and "Invalid argument" in r.stderr, r
    req = only_change(log, "POST", graph_rx(sp, job, "/schema/parseExpression"))
    assert json.loads(req["body"]) == {"expression": "[userPrincipalName]"}


# --- bulkUpload -------------------------------------------------------------------------------

def scim_bulk(n):
    return {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"method": "POST", "bulkId": str(i), "path": "/Users", "data": {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "externalId": "70%04d" % i,
            "userName": "user%d@contoso.com" % i, "active": True}} for i in range(n)]}


def test_bulk_upload_to_the_api_driven_inbound_job(wmnt, tmp_path):
    sp, job = find_job(wmnt, "API2AAD")
    d = job_dir(wmnt, sp, job)
    src = tmp_path / "bulk.json"
    src.write_text(json.dumps(scim_bulk(3), indent=2) + "\n")
    log = wmnt.request_log()
    r = shell(d, 'cat "%s" > bulkUpload' % src)
    assert r.returncode == 0, r.stderr
    req = only_change(log, "POST", graph_rx(sp, job, "/bulkUpload"))
    assert json.loads(req["body"]) == scim_bulk(3)
    assert req["content_type"] == "application/scim+json"
    assert req["status"] == 202
    assert "HTTP 202" in mu.read_file(d / "bulkUpload", "r")


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_bulk_upload_over_fifty_operations_is_refused_locally(wmnt, tmp_path):
    sp, job = find_job(wmnt, "API2AAD")
    d = job_dir(wmnt, sp, job)
    src = tmp_path / "bulk.json"
    src.write_text(json.dumps(scim_bulk(51)))
    log = wmnt.request_log()
    r = shell(d, 'cat "%s" > bulkUpload' % src)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r
    assert requests_not_get(log) == [], log.describe()
    assert "50" in last_error(d)


@pytest.mark.allow_stderr(r"bulkUpload: BadRequest", r"HTTP 400")
def test_bulk_upload_to_another_job_is_graphs_refusal(wmnt, tmp_path):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    src = tmp_path / "bulk.json"
    src.write_text(json.dumps(scim_bulk(1)))
    r = shell(d, 'cat "%s" > bulkUpload' % src)
    assert r.returncode != 0 and "Invalid argument" in r.stderr, r
    assert "API-driven inbound" in last_error(d)


# --- jobs/new and rmdir -----------------------------------------------------------------------

def test_new_job_from_a_template_appears_and_rmdir_deletes_it(wmnt):
    sp, job = find_job(wmnt)
    jobs = wmnt / "servicePrincipals" / sp / "jobs"
    assert sorted(os.listdir(jobs)) == sorted(["new", job])
    log = wmnt.request_log()
    assert shell(jobs, "echo zoom > new").returncode == 0
    req = only_change(log, "POST", graph_rx(sp, None, "/jobs"))
    assert json.loads(req["body"]) == {"templateId": "zoom"}
    created = json.loads(mu.read_file(jobs / "new"))
    assert created["templateId"] == "zoom" and created["id"] != job
    tenant_jobs = [s for s in wmnt.tenant()["servicePrincipals"] if s["id"] == sp][0]["jobs"]
    assert sorted(tenant_jobs) == sorted([job, created["id"]])
    assert sorted(os.listdir(jobs)) == sorted(["new", job, created["id"]]), log.describe()
    assert json.loads(mu.read_file(jobs / created["id"] / "job.json"))["id"] == created["id"]
    # rmdir deletes it
    log.mark()
    os.rmdir(jobs / created["id"])
    only_change(log, "DELETE", graph_rx(sp, created["id"]))
    assert sorted(os.listdir(jobs)) == sorted(["new", job])
    assert mu.os_error(os.stat, jobs / created["id"]) == errno.ENOENT
    assert [s for s in wmnt.tenant()["servicePrincipals"] if s["id"] == sp][0]["jobs"] == [job]


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_new_job_input_is_checked_locally(wmnt):
    sp, _ = find_job(wmnt)
    jobs = wmnt / "servicePrincipals" / sp / "jobs"
    log = wmnt.request_log()
    for written in ("echo 'two words' > new", "echo '{\"name\": \"x\"}' > new"):
        r = shell(jobs, written)
        assert r.returncode != 0 and "Invalid argument" in r.stderr, (written, r)
    assert requests_not_get(log) == [], log.describe()


# --- secrets.json -----------------------------------------------------------------------------

def test_secrets_save_puts_the_whole_set(wmnt, tmp_path):
    sp, _ = find_job(wmnt)
    spdir = wmnt / "servicePrincipals" / sp
    shown = json.loads(mu.read_file(spdir / "secrets.json"))
    masked = [p["key"] for p in shown["value"] if set(p["value"]) == {"*"}]
    assert masked == ["SecretToken"], shown
    new = {"value": [dict(p, value="rotated-token") if p["key"] == "SecretToken"
                     else dict(p, value="true") if p["key"] == "SyncAll" else p for p in shown["value"]]}
    src = tmp_path / "secrets.json"
    src.write_text(json.dumps(new, indent=2) + "\n")
    log = wmnt.request_log()
    r = run(["cp", str(src), "secrets.json"], spdir)
    assert r.returncode == 0, r.stderr
    req = only_change(log, "PUT", graph_rx(sp, None, "/secrets"))
    sent = json.loads(req["body"])["value"]  # the emulator's log redacts secret values
    assert [p["key"] for p in sent] == [p["key"] for p in new["value"]]
    assert [p["value"] for p in sent if p["key"] != "SecretToken"] == \
        [p["value"] for p in new["value"] if p["key"] != "SecretToken"]
    # the new token is the saved one: validating the saved credentials passes
    job_dirs = [n for n in os.listdir(spdir / "jobs") if n != "new"]
    assert shell(spdir / "jobs" / job_dirs[0], "echo > validateCredentials").returncode == 0
    assert mu.read_file(spdir / "secrets.json") == mu.rendered(graph_json(wmnt.emu, graph_path(sp, None,
                                                                                            "/secrets")))
    assert json.loads(mu.read_file(spdir / "secrets.json"))["value"][-1] == {"key": "SyncAll", "value": "true"}


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_secrets_with_a_masked_placeholder_are_refused(wmnt):
    sp, _ = find_job(wmnt)
    spdir = wmnt / "servicePrincipals" / sp
    log = wmnt.request_log()
    r = run(["sed", "-i", 's/"false"/"true"/', "secrets.json"], spdir)
    # sed saves by rename(2): the refusal is EBADMSG there (man page, ERRORS)
    assert r.returncode != 0 and "Bad message" in r.stderr, r
    assert requests_not_get(log) == [], log.describe()
    err = last_error(spdir)
    assert "EINVAL" in err and "SecretToken" in err and "mask" in err, err
    data = json.loads(mu.read_file(spdir / "secrets.json"))
    assert mu.os_error(mu.write_file, spdir / "secrets.json", json.dumps(data).encode()) == errno.EINVAL
    assert requests_not_get(log) == [], log.describe()
    assert sorted(set(os.listdir(spdir)) - {"servicePrincipal.json", "secrets.json", "last_error",
                                            "templates", "jobs", "settings", "backups"}) == []

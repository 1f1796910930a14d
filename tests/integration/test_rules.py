"""The rules tree on a real mount (issue 16): a schema's rules as directories and one-line files
under jobs/<job>/rules/ (read-write, staged) and templates/<t>/rules/ (read-only); grep, diff, cp
and sed -i across apps; pending.diff, commit (one PUT per job, lost-update guard, backup) and
discard; every refusal (EINVAL at the write, reason in last_error); exact round-trip of every
demo schema; expression tests on the demo users (GET /users + parseExpression).

Expected requests are read from the emulator's request log."""

import errno
import json
import os
import subprocess

import pytest

from tests.integration import mount_util as mu

USERS_OM = "Provision Azure Active Directory Users"
SF_OM = "Synchronize Azure Active Directory Users to salesforce.com"
# the daemon logs each refusal and each refused commit
ALLOW = (r"warning: (PUT|POST) .*/schema: (InvalidExpression|InvalidScope|InvalidRules|VersionConflict)",
         r"warning: GET .*/users/.*Request_ResourceNotFound", r"HTTP 404")
TOOL_TIMEOUT = 60

pytestmark = pytest.mark.allow_stderr(*ALLOW)


@pytest.fixture
def rmnt(tmp_path, mount_factory):
    return mount_factory(options=["backup_dir=%s" % (tmp_path / "backups")])


def jobs(m):
    """{template id: job directory} for every demo job (one job per template in the demo)."""
    out = {}
    for sp in m.tenant()["servicePrincipals"]:
        for job in sp["jobs"]:
            out[job.split(".")[0]] = m / "servicePrincipals" / sp["id"] / "jobs" / job
    return out


def job_ids(m, template):
    for sp in m.tenant()["servicePrincipals"]:
        for job in sp["jobs"]:
            if job.split(".")[0] == template:
                return sp["id"], job
    raise AssertionError(template)


def object_mapping(job, name):
    """The directory of the object mapping `name` (in whichever rule holds it)."""
    hits = [r / name for r in (job / "rules").iterdir() if (r / name).is_dir()]
    assert len(hits) == 1, (job, name, hits)
    return hits[0]


def attrs(job, om=USERS_OM):
    return object_mapping(job, om) / "attributes"


def read(p):
    return mu.read_file(p, "r")


def write(p, text):
    """One write(2) of text; the OSError of the write or the close (EINVAL for a refusal)."""
    fd = os.open(str(p), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)   # as a shell's > does
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def last_error(job):
    return read(job / "last_error")


def graph_schema(m, job):
    sp, jid = job_ids(m, job.name.split(".")[0])
    return m.emu.get("/servicePrincipals/%s/synchronization/jobs/%s/schema" % (sp, jid)).json()


def find_om(schema, name):
    for r in schema["synchronizationRules"]:
        for om in r["objectMappings"]:
            if om["name"] == name:
                return om
    raise AssertionError(name)


def find_mapping(schema, om, target):
    return next(m for m in find_om(schema, om)["attributeMappings"] if m["targetAttributeName"] == target)


def touch(p):
    """touch(1), which reports a failed utimensat (pathlib's touch falls back to open)."""
    r = run("touch", str(p), check=False)
    assert r.returncode == 0, r.stderr


def run(*args, cwd=None, check=True):
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=check)


# --- the tree --------------------------------------------------------------------------------------------

def test_tree_of_a_job_shows_rules_object_mappings_and_attribute_files(rmnt):
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    assert sorted(os.listdir(om)) == ["attributes", "enabled", "flowTypes", "scope"]
    assert read(om / "enabled") == "true\n"
    assert read(om / "flowTypes") == "Add, Update, Delete\n"
    assert read(om / "scope") == ("# group: Employees with a mailbox\nmail IS NOT NULL\nuserType EQUALS Member\n\n"
                                  "# group: Sales and Marketing\ndepartment EQUALS Sales, Marketing\n"
                                  "extensionAttribute11 ENDS_WITH -SALES\n")
    alias = om / "attributes" / "Alias"
    assert sorted(os.listdir(alias)) == ["defaultValue", "expression", "flowBehavior", "flowType",
                                         "matchingPriority"]
    assert read(alias / "expression") == 'Mid([mailNickname], "1", "8")\n'
    assert read(alias / "flowType") == "Always\n"
    assert read(alias / "matchingPriority") == "0\n"
    assert read(alias / "defaultValue") == ""
    assert read(om / "attributes" / "Username" / "matchingPriority") == "1\n"
    assert read(om / "attributes" / "TimeZoneSidKey" / "expression") == ""
    assert read(om / "attributes" / "TimeZoneSidKey" / "defaultValue") == "America/Los_Angeles\n"
    # a rule with several object mappings, a scope with an input filter group
    sn = object_mapping(jobs(rmnt)["ServiceNowOutDelta"], USERS_OM).parent
    assert sorted(os.listdir(sn)) == ["Provision Azure Active Directory Groups", USERS_OM]
    assert read(sn / USERS_OM / "scope") == "# input: Members only\nuserType EQUALS Member\n"
    assert read(sn / "Provision Azure Active Directory Groups" / "scope") == \
        "# group: Security groups\nsecurityEnabled IS TRUE\n"
    # names from Graph are made safe; attribute names with brackets, quotes and spaces stay
    slack = attrs(jobs(rmnt)["Slack"])
    assert read(slack / 'emails[type eq "work"].value' / "expression") == "[mail]\n"


def test_every_file_matches_schema_json(rmnt):
    """Every expression file is its mapping's source expression, every field its member."""
    for job in jobs(rmnt).values():
        schema = json.loads(read(job / "schema.json"))
        for rule in schema["synchronizationRules"]:
            for om in rule["objectMappings"]:
                d = job / "rules" / rule["id"] / om["name"]
                assert read(d / "enabled") == ("true\n" if om["enabled"] else "false\n")
                for m in om["attributeMappings"]:
                    a = d / "attributes" / m["targetAttributeName"]
                    src = m["source"]
                    assert read(a / "expression") == (src["expression"] + "\n" if src else ""), a
                    assert read(a / "flowType") == m["flowType"] + "\n"
                    assert read(a / "defaultValue") == (m["defaultValue"] + "\n" if m["defaultValue"] else "")


def test_template_rules_are_read_only(rmnt):
    sp = next(s for s in rmnt.tenant()["servicePrincipals"] if "scim" in s["templates"])
    t = rmnt / "servicePrincipals" / sp["id"] / "templates" / "scim"
    om = object_mapping(t, USERS_OM)
    assert read(om / "attributes" / "userName" / "expression") == "[userPrincipalName]\n"
    assert os.stat(om / "enabled").st_mode & 0o222 == 0
    log = rmnt.request_log()
    with pytest.raises(OSError) as e:
        write(om / "enabled", "false\n")
    assert e.value.errno in (errno.EACCES, errno.EPERM)
    with pytest.raises(OSError):
        os.mkdir(om / "attributes" / "title")
    # no other change either: rmdir, create, rename, truncate, unlink, sed -i
    user_name = om / "attributes" / "userName"
    for change in (lambda: os.rmdir(user_name), lambda: write(user_name / "new", "x\n"),
                   lambda: os.rename(user_name / "flowType", user_name / "x"),
                   lambda: os.truncate(user_name / "expression", 0), lambda: os.unlink(user_name / "expression")):
        with pytest.raises(OSError):
            change()
    assert run("sed", "-i", "s/userPrincipalName/mail/", str(user_name / "expression"), check=False).returncode != 0
    assert read(user_name / "expression") == "[userPrincipalName]\n"
    assert sorted(os.listdir(user_name)) == ["defaultValue", "expression", "flowBehavior", "flowType",
                                             "matchingPriority"]
    assert log.count("PUT") == 0 and log.count("POST") == 0
    assert not (t / "pending.diff").exists() and not (t / "commit").exists()


# --- grep, diff, cp ------------------------------------------------------------------------------------

def test_grep_diff_and_cp_across_two_apps(rmnt):
    j = jobs(rmnt)
    # jobs/ at the root links every job: the shell's glob follows the links, as the issue writes it
    out = run("bash", "-c", "grep -rl extensionAttribute11 jobs/*/rules/", cwd=rmnt.path).stdout.split("\n")
    hits = sorted(p.split("/rules/", 1)[1] for p in out if p)
    assert hits == sorted([
        "%s/%s/attributes/Division/expression" % (object_mapping(j["salesforce"], SF_OM).parent.name, SF_OM),
        "%s/%s/scope" % (object_mapping(j["salesforce"], SF_OM).parent.name, SF_OM),
        "%s/%s/attributes/u_region/expression" % (object_mapping(j["ServiceNowOutDelta"], USERS_OM).parent.name,
                                                   USERS_OM)]), out
    slack, zoom = attrs(j["Slack"]), attrs(j["zoom"])
    # the two SCIM apps map users the same way: diff -r finds nothing
    r = run("diff", "-r", str(slack), str(zoom), check=False)
    assert r.returncode == 0, r.stdout
    write(slack / "name.formatted" / "expression", 'Join(" ", [surname], [givenName])\n')
    r = run("diff", "-r", str(slack), str(zoom), check=False)
    assert r.returncode == 1 and 'Join(" ", [surname], [givenName])' in r.stdout, r
    # copy the edited mapping to Zoom: rmdir, then cp -r (mkdir + one create per file)
    os.rmdir(zoom / "name.formatted")
    assert "name.formatted" not in os.listdir(zoom)
    run("cp", "-r", str(slack / "name.formatted"), str(zoom) + "/")
    assert run("diff", "-r", str(slack), str(zoom), check=False).returncode == 0
    log = rmnt.request_log()
    for job in (j["Slack"], j["zoom"]):
        touch(job / "commit")
        assert read(job / "commit").startswith("committed: 1 changed file")
    assert log.count("PUT", r".*/schema") == 2, log.describe()
    for job in (j["Slack"], j["zoom"]):
        m = find_mapping(graph_schema(rmnt, job), USERS_OM, "name.formatted")
        assert m["source"]["expression"] == 'Join(" ", [surname], [givenName])'
        assert [p["key"] for p in m["source"]["parameters"]] == ["separator", "source", "source"]


def test_a_rules_listing_a_discard_changes_is_listed_anew_at_once(rmnt):
    """The kernel keeps what a listing returned (FOPEN_CACHE_DIR). A rules tree's directory,
    whose schema is fresh, lets that copy go a few milliseconds after its listing ended, with
    others (a walk ends hundreds of thousands of them: ops_dir.c listing_stays); a staged edit
    or its discard drops every copy of the tree at once, so the next listing shows it."""
    sf = jobs(rmnt)["salesforce"]
    a = attrs(sf, SF_OM)
    os.mkdir(a / "City")
    write(a / "City" / "expression", "[city]\n")
    for _ in range(3):
        assert "City" in os.listdir(a)
    touch(sf / "discard")
    assert "City" not in os.listdir(a)
    os.mkdir(a / "City")
    assert "City" in os.listdir(a)


def test_mkdir_and_rmdir_of_attribute_mappings(rmnt):
    sf = jobs(rmnt)["salesforce"]
    a = attrs(sf, SF_OM)
    os.mkdir(a / "City")
    assert sorted(os.listdir(a / "City")) == []       # fields appear as they are written
    write(a / "City" / "expression", "[city]\n")
    assert read(a / "City" / "expression") == "[city]\n"
    os.rmdir(a / "Title")
    diff = read(sf / "pending.diff")
    assert "+++ b/rules/" in diff and "/attributes/City/expression" in diff and "+[city]" in diff
    assert "/attributes/Title/expression\t\n+++ /dev/null\n" in diff
    with pytest.raises(OSError) as e:
        os.mkdir(a / "Username")
    assert e.value.errno == errno.EEXIST
    with pytest.raises(OSError) as e:
        os.mkdir(a / "NoSuchField")
    assert e.value.errno == errno.EINVAL
    err = last_error(sf)
    assert "the target object has no such attribute" in err and "Division" in err
    log = rmnt.request_log()
    touch(sf / "commit")
    assert log.count("PUT") == 1
    om = find_om(graph_schema(rmnt, sf), SF_OM)
    targets = [m["targetAttributeName"] for m in om["attributeMappings"]]
    assert "City" in targets and "Title" not in targets


# --- staged edits -------------------------------------------------------------------------------------

def test_sed_in_six_jobs_then_one_put_each(rmnt):
    j = jobs(rmnt)
    edited = []
    for job in j.values():
        r = run("grep", "-rlx", r"\[department\]", str(job / "rules"), check=False)
        edited += [p for p in r.stdout.split("\n") if p.endswith("/expression")]
    assert len(edited) >= 6, edited
    log = rmnt.request_log()
    for p in edited:
        run("sed", "-i", r"s/\[department\]/ToUpper([department])/", p)
        assert read(p) == "ToUpper([department])\n"
    assert log.count("PUT") == 0, log.describe()
    assert log.count("POST", r".*/schema/parseExpression") == len(edited)
    committed = set()
    for p in edited:
        job = next(d for d in j.values() if p.startswith(str(d) + "/"))
        if job not in committed:
            touch(job / "commit")
            committed.add(job)
    assert len(committed) == len(edited)
    assert log.count("PUT", r".*/schema") == len(committed), log.describe()
    for p in edited:
        assert read(p) == "ToUpper([department])\n"
    for job in committed:
        assert read(job / "pending.diff") == ""


def test_many_edits_in_one_job_are_one_put(rmnt):
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    write(om / "enabled", "false\n")
    write(om / "flowTypes", "Add,Update\n")
    write(om / "attributes" / "Email" / "flowType", "ObjectAddOnly\n")
    write(om / "attributes" / "Email" / "matchingPriority", "2\n")
    write(om / "attributes" / "Email" / "defaultValue", "nobody@contoso.com\n")
    write(om / "attributes" / "Email" / "flowBehavior", "FlowAlways\n")
    write(om / "scope", "# group: Sales\ndepartment EQUALS Sales\n")
    assert read(om / "flowTypes") == "Add, Update\n"
    log = rmnt.request_log()
    touch(sf / "commit")
    assert log.count("PUT") == 1
    body = json.loads(log.entries("PUT")[0]["body"])
    got = find_om(body, SF_OM)
    assert got["enabled"] is False and got["flowTypes"] == "Add, Update"
    assert got["scope"]["groups"] == [{"name": "Sales", "clauses": [{
        "sourceOperandName": "department", "operatorName": "EQUALS", "targetOperand": {"values": ["Sales"]}}]}]
    email = find_mapping(body, SF_OM, "Email")
    assert (email["flowType"], email["matchingPriority"], email["defaultValue"], email["flowBehavior"]) == \
        ("ObjectAddOnly", 2, "nobody@contoso.com", "FlowAlways")
    # what was committed reads back byte for byte
    assert read(om / "scope") == "# group: Sales\ndepartment EQUALS Sales\n"
    assert read(om / "attributes" / "Email" / "defaultValue") == "nobody@contoso.com\n"
    # the replaced schema was backed up
    assert len(mu.backup_files(sf)) == 1


def test_expression_source_is_what_parse_expression_produced(rmnt):
    sf = jobs(rmnt)["salesforce"]
    alias = attrs(sf, SF_OM) / "Alias"
    log = rmnt.request_log()
    text = 'Join("@",[mailNickname],  "contoso.com")'   # spacing as the user wrote it
    write(alias / "expression", text + "\n")
    assert read(alias / "expression") == text + "\n"
    pe = log.entries("POST", r".*/schema/parseExpression")
    assert len(pe) == 1 and json.loads(pe[0]["body"]) == {"expression": text}
    touch(sf / "commit")
    put = json.loads(log.entries("PUT")[0]["body"])
    src = find_mapping(put, SF_OM, "Alias")["source"]
    assert src["expression"] == text and src["name"] == "Join"
    assert [p["value"]["expression"] for p in src["parameters"]] == ['"@"', "[mailNickname]", '"contoso.com"']
    assert read(alias / "expression") == text + "\n"
    # an empty line leaves only the default value
    write(alias / "expression", "\n")
    assert read(alias / "expression") == ""
    touch(sf / "commit")
    assert find_mapping(graph_schema(rmnt, sf), SF_OM, "Alias")["source"] is None


def test_pending_diff_and_discard(rmnt):
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    assert read(sf / "pending.diff") == ""
    write(om / "attributes" / "Department" / "expression", "ToLower([department])\n")
    write(om / "enabled", "false\n")
    rule = om.parent.name
    # the object mapping's name has spaces: each file name ends with a tab, as git writes it
    want = ("--- a/rules/{r}/{o}/enabled\t\n+++ b/rules/{r}/{o}/enabled\t\n@@ -1,1 +1,1 @@\n-true\n+false\n"
            "--- a/rules/{r}/{o}/attributes/Department/expression\t\n"
            "+++ b/rules/{r}/{o}/attributes/Department/expression\t\n@@ -1,1 +1,1 @@\n"
            "-[department]\n+ToLower([department])\n").format(r=rule, o=SF_OM)
    assert read(sf / "pending.diff") == want
    log = rmnt.request_log()
    touch(sf / "discard")
    assert read(sf / "discard") == "discarded\n"
    assert read(sf / "pending.diff") == ""
    assert read(om / "enabled") == "true\n"
    assert read(om / "attributes" / "Department" / "expression") == "[department]\n"
    touch(sf / "commit")
    assert read(sf / "commit") == "nothing to commit\n"
    assert log.count("PUT") == 0


def test_an_undone_edit_commits_nothing(rmnt):
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    write(om / "enabled", "false\n")
    write(om / "attributes" / "Alias" / "expression", "[mailNickname]\n")
    assert read(sf / "pending.diff") != ""
    write(om / "enabled", "true\n")
    write(om / "attributes" / "Alias" / "expression", 'Mid([mailNickname], "1", "8")\n')
    assert read(sf / "pending.diff") == ""
    log = rmnt.request_log()
    touch(sf / "commit")
    assert read(sf / "commit").startswith("nothing to commit")
    assert log.count("PUT") == 0


def test_untouched_and_rewritten_trees_commit_nothing(rmnt):
    """Round trip of every demo schema: every file written back as read (and every scope with
    an extra blank line and CRLF, every expression with CRLF, parsed again) leaves an empty diff
    and sends no PUT."""
    log = rmnt.request_log()
    parsed = 0
    for job in jobs(rmnt).values():
        for root, dirs, files in os.walk(job / "rules"):
            for f in files:
                p = os.path.join(root, f)
                text = read(p)
                write(p, text)
                if f == "scope" and text:
                    write(p, text.replace("\n", "\r\n") + "\n")
                    assert read(p) == text
                if f == "expression" and text:
                    # not the bytes shown: through parseExpression, whose parsed form reads back the same
                    write(p, text.replace("\n", "\r\n"))
                    assert read(p) == text
                    parsed += 1
        assert read(job / "pending.diff") == "", job
        touch(job / "commit")
    assert log.count("PUT") == 0, log.describe()
    assert parsed > 20 and log.count("POST", r".*/schema/parseExpression") == parsed


# --- refusals -------------------------------------------------------------------------------------------

def test_every_refusal_is_einval_with_the_reason_in_last_error(rmnt):
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    a = om / "attributes"
    cases = [
        (a / "Alias" / "expression", "Frobnicate([mail])\n", "Unknown function 'Frobnicate'"),
        (a / "Alias" / "expression", 'Join("@", [mailNick])\n', "unknown attribute [mailNick]; the source object "
                                                                 "has: objectId, accountEnabled"),
        (a / "Alias" / "expression", "Mid([mail], 1\n", "expression:"),
        (om / "scope", "department CONTAINS Sales\n", "no known operator in \"department CONTAINS Sales\"; the "
                                                     "operators are: EQUALS, NOT EQUALS, IS TRUE"),
        (om / "scope", "# group: x\ndepartmnt EQUALS Sales\n", "scope line 2: unknown attribute \"departmnt\"; "
                                                              "the source object has: objectId"),
        (om / "enabled", "yes\n", "enabled: write true or false"),
        (om / "flowTypes", "Add, Remove\n", "\"Remove\" is not one of: None, Add, Update, Delete"),
        (a / "Email" / "flowType", "Sometimes\n", "is not one of: Always, ObjectAddOnly"),
        (a / "Email" / "flowBehavior", "FlowNever\n", "is not one of: FlowWhenChanged, FlowAlways"),
        (a / "Email" / "matchingPriority", "-3\n", "matchingPriority: write a whole number"),
    ]
    log = rmnt.request_log()
    for path, text, reason in cases:
        before = read(path)
        with pytest.raises(OSError) as e:
            write(path, text)
        assert e.value.errno == errno.EINVAL, (path, text)
        assert reason in last_error(sf), (reason, last_error(sf))
        assert read(path) == before
    assert read(sf / "pending.diff") == ""
    with pytest.raises(OSError) as e:
        os.unlink(a / "Email" / "expression")
    assert e.value.errno == errno.EPERM
    assert log.count("PUT") == 0


def test_lost_update_guard_through_commit(rmnt):
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    write(om / "attributes" / "Department" / "expression", "ToUpper([department])\n")
    # someone saves the schema in the portal meanwhile
    sp, jid = job_ids(rmnt, "salesforce")
    schema = graph_schema(rmnt, sf)
    find_mapping(schema, SF_OM, "Title")["defaultValue"] = "Employee"
    schema.pop("@odata.context", None)
    rmnt.emu.set_schema(sp, jid, schema)
    log = rmnt.request_log()
    r = run("touch", str(sf / "commit"), check=False)
    assert r.returncode == 1 and os.strerror(errno.ESTALE) in r.stderr, r
    assert log.count("PUT") == 0
    assert "VersionConflict" in last_error(sf)
    assert read(sf / "commit").startswith("commit failed")
    diff = read(sf / "pending.diff")
    assert "ToUpper([department])" in diff   # the edits stay pending
    # the diff says that Graph's schema moved on, and shows the portal's change undone
    assert diff.startswith("# Graph's schema changed since the first edit (version "), diff
    assert "/attributes/Title/defaultValue\t\n@@ -1,1 +0,0 @@\n-Employee\n" in diff, diff
    touch(sf / "discard")
    assert read(om / "attributes" / "Title" / "defaultValue") == "Employee\n"
    write(om / "attributes" / "Department" / "expression", "ToUpper([department])\n")
    touch(sf / "commit")
    assert log.count("PUT") == 1
    got = graph_schema(rmnt, sf)
    assert find_mapping(got, SF_OM, "Title")["defaultValue"] == "Employee"
    assert find_mapping(got, SF_OM, "Department")["source"]["expression"] == "ToUpper([department])"


# --- expression tests on users ---------------------------------------------------------------------------

def test_expression_test_on_demo_users(rmnt):
    sf = jobs(rmnt)["salesforce"]
    a = attrs(sf, SF_OM)
    users = rmnt.tenant()["users"]
    adele = users[0]
    log = rmnt.request_log()
    got = read(a / "Alias" / "test" / adele["userPrincipalName"])
    assert got == ('expression: Mid([mailNickname], "1", "8")\n'
                   "object: %s (%s)\ninput [mailNickname]: adele.vance\nresult: adele.va\n"
                   % (adele["userPrincipalName"], adele["id"]))
    user_gets = log.gets(r"/v1\.0/users/.*")
    assert user_gets and mu.query_params(user_gets[0]["query"]) == [("$select", "id,userPrincipalName,mailNickname")]
    assert read(a / "Division" / "test" / adele["id"]).endswith("result: EMEA-SALES\n")
    assert read(a / "IsActive" / "test" / adele["id"]).endswith("input [IsSoftDeleted]: False\nresult: True\n")
    # the pending expression is the one tested
    write(a / "Alias" / "expression", 'Join("@", [mailNickname], "contoso.com")\n')
    got = read(a / "Alias" / "test" / users[1]["userPrincipalName"])
    assert got.endswith("result: bruno.berger@contoso.com\n"), got
    # a user Graph does not have: no such file, the reason in last_error
    with pytest.raises(FileNotFoundError):
        read(a / "Alias" / "test" / "nobody@contoso.onmicrosoft.com")
    assert "Request_ResourceNotFound" in last_error(sf)
    # lookup only: test/ lists nothing and is not listed
    assert os.listdir(a / "Alias" / "test") == []
    assert "test" not in os.listdir(a / "Alias")
    assert log.count("PUT") == 0


def test_expression_test_follows_an_edit_at_once(rmnt):
    """Reading the same user's test right after an edit evaluates the new expression (the result
    reused between lookup, stat and open is the one of the expression the mapping has now)."""
    sf = jobs(rmnt)["salesforce"]
    alias = attrs(sf, SF_OM) / "Alias"
    upn = rmnt.tenant()["users"][0]["userPrincipalName"]
    assert read(alias / "test" / upn).endswith("result: adele.va\n")
    write(alias / "expression", 'Join("@", [mailNickname], "contoso.com")\n')
    got = read(alias / "test" / upn)
    assert got.startswith('expression: Join("@", [mailNickname], "contoso.com")\n'), got
    assert got.endswith("result: adele.vance@contoso.com\n"), got
    touch(sf / "discard")
    assert read(alias / "test" / upn).endswith("result: adele.va\n")
    # no expression: nothing to evaluate, and no request for it
    write(alias / "expression", "\n")
    log = rmnt.request_log()
    assert read(alias / "test" / upn) == "expression: (none: the mapping flows its default value only)\n"
    assert log.count("POST") == 0 and log.count("GET", r"/v1\.0/users/.*") == 0


def test_refusals_of_multi_line_values_and_of_sed_i(rmnt):
    """A file that holds one line refuses two; a scope header that is none is refused; sed -i whose
    result Graph cannot parse fails at its rename, with the reason in last_error, and leaves
    neither a change nor its temporary file."""
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    alias = om / "attributes" / "Alias"
    log = rmnt.request_log()
    for path, text, reason in [
            (alias / "expression", "[mail]\n[mailNickname]\n", "expression: one line only"),
            (alias / "defaultValue", "a\nb\n", "defaultValue: one line only"),
            (om / "enabled", "true\nfalse\n", "enabled: one line only"),
            (om / "scope", "# grup: Sales\ndepartment EQUALS Sales\n", "scope line 1: a header is"),
            (om / "scope", "department NOT  EQUALS Sales\n", "separate the attribute from the operator by one space")]:
        before = read(path)
        with pytest.raises(OSError) as e:
            write(path, text)
        assert e.value.errno == errno.EINVAL, (path, text)
        assert reason in last_error(sf), (reason, last_error(sf))
        assert read(path) == before
    r = run("sed", "-i", "s/Mid(/Midd(/", str(alias / "expression"), check=False)
    assert r.returncode != 0 and os.strerror(errno.EINVAL) in r.stderr, r
    assert "Unknown function 'Midd'" in last_error(sf), last_error(sf)
    assert read(alias / "expression") == 'Mid([mailNickname], "1", "8")\n'
    assert sorted(os.listdir(alias)) == ["defaultValue", "expression", "flowBehavior", "flowType",
                                         "matchingPriority"]
    assert read(sf / "pending.diff") == ""
    assert log.count("PUT") == 0


def nonempty_files(root):
    """{relative path: bytes} of the non-empty files under root (a diff has no empty files)."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            data = mu.read_file(p, "rb")
            if data:
                out[os.path.relpath(p, root)] = data
    return out


def test_pending_diff_applies_as_a_patch(rmnt, tmp_path):
    """patch(1) applies pending.diff to a copy of the committed tree and gives the pending tree:
    changed files, an attribute made by mkdir and one removed by rmdir (from and to /dev/null)."""
    sf = jobs(rmnt)["salesforce"]
    om = object_mapping(sf, SF_OM)
    copy = tmp_path / "copy"
    copy.mkdir()
    run("cp", "-r", str(sf / "rules"), str(copy) + "/")
    write(om / "enabled", "false\n")
    write(om / "scope", "# group: Sales\ndepartment EQUALS Sales, Marketing\n\n# group\nmail IS NOT NULL\n")
    os.mkdir(om / "attributes" / "City")
    write(om / "attributes" / "City" / "expression", "[city]\n")
    for f in ("flowType", "matchingPriority", "flowBehavior"):
        write(om / "attributes" / "City" / f, read(om / "attributes" / "Alias" / f))
    os.rmdir(om / "attributes" / "Title")
    diff = read(sf / "pending.diff")
    assert "\n+++ /dev/null\n" in diff and "\n--- /dev/null\n" in diff, diff
    r = subprocess.run(["patch", "-p1", "-E", "-s", "-d", str(copy)], input=diff, capture_output=True, text=True,
                       timeout=TOOL_TIMEOUT)
    assert r.returncode == 0, r
    assert nonempty_files(copy / "rules") == nonempty_files(sf / "rules")


def test_graph_names_are_made_safe_and_edits_reach_the_real_names(rmnt):
    """An object mapping and a target attribute whose names hold '/' show as U+FF0F (as every name
    from Graph does); reading, writing, rmdir and the commit work on the real names."""
    sp, jid = job_ids(rmnt, "salesforce")
    sf = jobs(rmnt)["salesforce"]
    schema = graph_schema(rmnt, sf)
    schema.pop("@odata.context", None)
    om = find_om(schema, SF_OM)
    om["name"] = "Users/Contacts"
    find_mapping(schema, "Users/Contacts", "Alias")["targetAttributeName"] = "Alias/Nick"
    rmnt.emu.set_schema(sp, jid, schema)
    rule = next(r["id"] for r in schema["synchronizationRules"] if om in r["objectMappings"])
    d = sf / "rules" / rule / "Users\uff0fContacts"
    assert "Users\uff0fContacts" in os.listdir(sf / "rules" / rule)
    assert "Alias\uff0fNick" in os.listdir(d / "attributes")
    nick = d / "attributes" / "Alias\uff0fNick"
    assert read(nick / "expression") == 'Mid([mailNickname], "1", "8")\n'
    write(nick / "expression", "[mailNickname]\n")
    write(d / "enabled", "false\n")
    os.rmdir(d / "attributes" / "Title")
    diff = read(sf / "pending.diff")
    assert "+++ b/rules/%s/Users\uff0fContacts/attributes/Alias\uff0fNick/expression\n" % rule in diff, diff
    log = rmnt.request_log()
    touch(sf / "commit")
    assert log.count("PUT") == 1
    got = find_om(graph_schema(rmnt, sf), "Users/Contacts")
    assert got["enabled"] is False
    assert find_mapping(graph_schema(rmnt, sf), "Users/Contacts", "Alias/Nick")["source"]["expression"] == \
        "[mailNickname]"
    assert "Title" not in [m["targetAttributeName"] for m in got["attributeMappings"]]


def test_expression_test_shows_missing_values_and_evaluation_errors(rmnt):
    """A user without a value of an attribute the expression reads shows "(no value)" for it;
    an expression Graph parses but cannot evaluate for the user shows Graph's error."""
    sf = jobs(rmnt)["salesforce"]
    a = attrs(sf, SF_OM)
    users = rmnt.tenant()["users"]
    bruno = users[1]      # a demo user without extensionAttribute11
    got = read(a / "Division" / "test" / bruno["id"])
    assert "\ninput [extensionAttribute11]: (no value)\n" in got, got
    write(a / "Alias" / "expression", 'Mid([mailNickname], [department], "8")\n')
    got = read(a / "Alias" / "test" / users[0]["userPrincipalName"])
    assert got == ('expression: Mid([mailNickname], [department], "8")\n'
                   "object: %s (%s)\ninput [mailNickname]: adele.vance\ninput [department]: Sales\n"
                   "error: 'Sales' is not a valid integer.\n" % (users[0]["userPrincipalName"], users[0]["id"])), got

"""A refused schema.json says where and loses nothing: last_error gives the line and column of a
JSON error, and what was written is kept in backups/refused-<time>.json (the newest ten), for
invalid JSON, a failed check and Graph's refusal alike. Secrets are never kept on disk."""

import errno
import os
import re

import pytest

from tests.integration import mount_util as mu
from tests.integration.test_write import (ALLOW_LOCAL, ALLOW_REFUSED, OLD, REFUSE_PUT, find_job,
                                          job_dir, last_error, requests_not_get, server_schema,
                                          wmnt)  # noqa: F401 (fixture)

REFUSED = r"refused-\d{8}T\d{6}\.\d{3}Z(~\d{2})?\.json"


def refused_files(d):
    return sorted(n for n in os.listdir(d / "backups") if re.fullmatch(REFUSED, n))


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_invalid_json_says_line_and_column_and_is_kept(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    text = mu.read_file(d / "schema.json", "r")
    assert text.count(OLD) >= 1 and text.count("\n") > 100
    # a colon lost deep in the file: the parse stops at the value that follows the key
    broken = text.replace(OLD, OLD.replace(": ", " "), 1)
    at = broken.index(OLD.replace(": ", " ")) + len('"targetAttributeName" ')
    line = broken.count("\n", 0, at) + 1
    column = at - (broken.rfind("\n", 0, at) + 1) + 1
    log = wmnt.request_log()
    assert mu.os_error(mu.write_file, d / "schema.json", broken, "w") == errno.EINVAL
    assert requests_not_get(log) == [], log.describe()
    err = last_error(d)
    assert "schema.json: not valid JSON at line %d, column %d" % (line, column) in err, err
    kept = refused_files(d)
    assert len(kept) == 1, os.listdir(d / "backups")
    assert "backups/%s" % kept[0] in err, err
    assert mu.read_file(d / "backups" / kept[0], "r") == broken


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_column_counts_characters_not_bytes(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    content = '{\n  "naïve": "été" oops\n}\n'
    assert mu.os_error(mu.write_file, d / "schema.json", content, "w") == errno.EINVAL
    # "oops" begins at character 18 of line 2 (byte 21)
    assert "not valid JSON at line 2, column 18" in last_error(d), last_error(d)


@pytest.mark.allow_stderr(*ALLOW_REFUSED)
def test_graph_refusal_keeps_what_was_written(wmnt):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    original = server_schema(wmnt.emu, sp, job)
    edited = mu.read_file(d / "schema.json", "r").replace(OLD, '"targetAttributeName": "mine"')
    wmnt.emu.set_faults(REFUSE_PUT)
    assert mu.os_error(mu.write_file, d / "schema.json", edited, "w") == errno.EINVAL
    wmnt.emu.clear_faults()
    assert server_schema(wmnt.emu, sp, job) == original
    kept = refused_files(d)
    assert len(kept) == 1 and mu.read_file(d / "backups" / kept[0], "r") == edited
    err = last_error(d)
    assert "status: 400" in err and "backups/%s" % kept[0] in err, err


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_only_the_newest_ten_refused_saves_are_kept(wmnt, tmp_path):
    sp, job = find_job(wmnt)
    d = job_dir(wmnt, sp, job)
    for i in range(12):
        assert mu.os_error(mu.write_file, d / "schema.json", '{"n": %d' % i, "w") == errno.EINVAL
    kept = refused_files(d)
    assert len(kept) == 10, kept
    assert [mu.read_file(d / "backups" / k, "r") for k in kept] == ['{"n": %d' % i for i in range(2, 12)]
    assert len(os.listdir(tmp_path / "backups" / sp / job)) == 10


@pytest.mark.allow_stderr(*ALLOW_LOCAL)
def test_refused_secrets_are_not_kept_on_disk(wmnt, tmp_path):
    sp, _ = find_job(wmnt)
    spdir = wmnt / "servicePrincipals" / sp
    secret = '{"value": [{"key": "SecretToken", "value": "s3cr3t-value"} oops'
    assert mu.os_error(mu.write_file, spdir / "secrets.json", secret, "w") == errno.EINVAL
    err = last_error(spdir)
    assert "secrets.json: not valid JSON at line 1, column" in err and "s3cr3t" not in err, err
    for root, _, files in os.walk(tmp_path / "backups"):
        for f in files:
            assert b"s3cr3t" not in (tmp_path / root / f).read_bytes()

"""bulkUpload, graph-sync-api.md §3.10, §9.18."""

import json
import urllib.parse

import pytest

from tests.conformance.graphhttp import graph_error

SCIM = "application/scim+json"


def bulk(n, start=0):
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [{
            "method": "POST", "bulkId": f"bulk-{i}", "path": "/Users",
            "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                                 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                     "externalId": f"E{i:05d}", "userName": f"user{i}@contoso.com",
                     "name": {"givenName": "U", "familyName": str(i)}, "active": True}}
            for i in range(start, start + n)],
        "failOnErrors": None,
    }


@pytest.fixture
def inbound(fresh_demo):
    sp_id, job_id = fresh_demo.inbound_job()
    return fresh_demo.g, fresh_demo.job_path(sp_id, job_id), job_id


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_bulk_upload_is_202_with_location(inbound, version):
    g, jp, job_id = inbound
    gv = g.with_version(version)
    r = gv.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(3)), content_type=SCIM)
    assert r.status == 202, r
    assert r.body.strip() in (b"", b"{}"), r
    loc = r.header("Location")
    assert loc, r
    assert "/auditLogs/provisioning" in loc, loc
    assert f"jobid eq '{job_id}'" in urllib.parse.unquote(loc), loc
    assert r.header("request-id")


def test_bulk_upload_with_50_operations_is_accepted(inbound):
    g, jp, _ = inbound
    r = g.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(50)), content_type=SCIM)
    assert r.status == 202, r


def test_bulk_upload_with_51_operations_is_400(inbound):
    g, jp, _ = inbound
    r = g.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(51)), content_type=SCIM)
    graph_error(r, 400)


@pytest.mark.parametrize("ctype", ["application/json", None, "text/plain"])
def test_bulk_upload_needs_scim_content_type(inbound, ctype):
    g, jp, _ = inbound
    headers = {"Content-Type": None} if ctype is None else None
    r = g.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(1)), content_type=ctype, headers=headers)
    graph_error(r, 400)


def test_bulk_upload_unparsable_body_is_400(inbound):
    g, jp, _ = inbound
    r = g.post(jp + "/bulkUpload", raw_body=b'{"schemas": [', content_type=SCIM)
    graph_error(r, 400)


def test_bulk_upload_scim_content_type_with_charset(inbound):
    g, jp, _ = inbound
    r = g.post(jp + "/bulkUpload", raw_body=json.dumps(bulk(1)), content_type=SCIM + "; charset=utf-8")
    assert r.status == 202, r

"""/servicePrincipals query options and paging, graph-sync-api.md §8.5, §9.17."""

import urllib.parse

import pytest

from tests.conformance.conftest import start_emulator, stop_emulator
from tests.conformance.graphhttp import GraphHTTP, graph_error

N = 250


@pytest.fixture(scope="module")
def large():
    e = start_emulator(tenant=f"large:{N}:20")
    yield e, GraphHTTP(e.url), e.tenant()
    stop_emulator(e)


def _follow(g, first_path, headers=None):
    pages = []
    r = g.get(first_path, headers=headers)
    while True:
        assert r.status == 200, r
        body = r.json()
        pages.append(body)
        nl = body.get("@odata.nextLink")
        if not nl:
            return pages
        r = g.get(nl, headers=headers)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_default_page_is_100_and_next_links_cover_everything(large, version):
    emu, g, tenant = large
    gv = g.with_version(version)
    pages = _follow(gv, "/servicePrincipals")
    assert [len(p["value"]) for p in pages] == [100, 100, 50]
    ids = [sp["id"] for p in pages for sp in p["value"]]
    assert len(ids) == len(set(ids)) == N
    assert set(ids) == {sp["id"] for sp in tenant["servicePrincipals"]}
    for p in pages[:-1]:
        nl = p["@odata.nextLink"]
        assert nl.startswith(f"{emu.url}/{version}/servicePrincipals?"), nl
        assert "$skiptoken=" in urllib.parse.unquote(nl), nl
    assert "@odata.nextLink" not in pages[-1]
    ctx = pages[0].get("@odata.context")
    assert ctx and ctx.endswith(f"/{version}/$metadata#servicePrincipals"), ctx


def test_top_sets_page_size_and_next_link_keeps_query(large):
    emu, g, tenant = large
    pages = _follow(g, "/servicePrincipals?$select=id,appId,displayName&$top=60")
    assert [len(p["value"]) for p in pages] == [60, 60, 60, 60, 10]
    for p in pages:
        for sp in p["value"]:
            assert set(sp) - {"@odata.type"} == {"id", "appId", "displayName"}, sp
    for p in pages[:-1]:
        qs = urllib.parse.parse_qs(urllib.parse.urlsplit(p["@odata.nextLink"]).query)
        assert qs["$top"] == ["60"], qs
        assert qs["$select"] == ["id,appId,displayName"], qs
        assert len(qs["$skiptoken"]) == 1
    assert len({sp["id"] for p in pages for sp in p["value"]}) == N


@pytest.mark.parametrize("top", ["999", "1"])
def test_top_bounds_accepted(large, top):
    emu, g, tenant = large
    r = g.get(f"/servicePrincipals?$top={top}")
    assert r.status == 200, r
    assert len(r.json()["value"]) == min(int(top), N)


@pytest.mark.parametrize("top", ["1000", "0", "-1", "abc"])
def test_top_out_of_range_is_400(large, top):
    emu, g, tenant = large
    err = graph_error(g.get(f"/servicePrincipals?$top={top}"), 400, "Request_UnsupportedQuery")
    if top == "1000":
        assert err["message"] == "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."


def test_select_narrows_and_changes_context(demo, g):
    r = g.get("/servicePrincipals?$select=id,appId,displayName")
    assert r.status == 200, r
    body = r.json()
    assert body["@odata.context"].endswith("/v1.0/$metadata#servicePrincipals(id,appId,displayName)"), body["@odata.context"]
    for sp in body["value"]:
        assert set(sp) - {"@odata.type"} == {"id", "appId", "displayName"}, sp
    full = g.get("/servicePrincipals").json()["value"][0]
    assert {"id", "appId", "displayName"} < set(full), full


def test_filter_startswith_display_name_case_insensitive(demo, g):
    sp = demo.sps[0]
    prefix = sp["displayName"][:4]
    want = sorted(s["id"] for s in demo.sps if s["displayName"].lower().startswith(prefix.lower()))
    for p in (prefix, prefix.lower(), prefix.upper()):
        flt = urllib.parse.quote(f"startswith(displayName, '{p}')")
        r = g.get(f"/servicePrincipals?$select=id,appId,displayName&$filter={flt}")
        assert r.status == 200, r
        assert sorted(s["id"] for s in r.json()["value"]) == want, p


def test_documented_salesforce_lookup(demo, g):
    """§7.1 step 1 verbatim (the demo tenant has Salesforce)."""
    r = g.get("/servicePrincipals?$select=id,appId,displayName&$filter=startswith(displayName, 'salesforce')")
    assert r.status == 200, r
    names = [s["displayName"] for s in r.json()["value"]]
    assert names and all(n.lower().startswith("salesforce") for n in names), names
    assert sorted(names) == sorted(s["displayName"] for s in demo.sps
                                   if s["displayName"].lower().startswith("salesforce"))


@pytest.mark.parametrize("prop", ["appId", "id", "displayName"])
def test_filter_eq(demo, g, prop):
    sp = demo.sps[1]
    flt = urllib.parse.quote(f"{prop} eq '{sp[prop]}'")
    r = g.get(f"/servicePrincipals?$filter={flt}")
    assert r.status == 200, r
    assert [s["id"] for s in r.json()["value"]] == [s["id"] for s in demo.sps if s[prop] == sp[prop]]


def test_filter_no_match_is_empty_page(g):
    flt = urllib.parse.quote("appId eq '00000000-0000-0000-0000-000000000000'")
    r = g.get(f"/servicePrincipals?$filter={flt}")
    assert r.status == 200, r
    assert r.json()["value"] == []
    assert "@odata.nextLink" not in r.json()


def test_unsupported_filter_is_400(g):
    flt = urllib.parse.quote("notAProperty eq 'x'")
    graph_error(g.get(f"/servicePrincipals?$filter={flt}"), 400)
    graph_error(g.get("/servicePrincipals?$filter=" + urllib.parse.quote("startswith(displayName,")), 400)


def test_filter_with_paging_keeps_filter(large):
    emu, g, tenant = large
    # every generated name shares a prefix with others; pick the first two characters of one
    name = tenant["servicePrincipals"][0]["displayName"]
    prefix = name[:2]
    want = {s["id"] for s in tenant["servicePrincipals"] if s["displayName"].lower().startswith(prefix.lower())}
    flt = urllib.parse.quote(f"startswith(displayName,'{prefix}')")
    pages = _follow(g, f"/servicePrincipals?$select=id,appId,displayName&$filter={flt}&$top=7")
    got = [s["id"] for p in pages for s in p["value"]]
    assert len(got) == len(set(got))
    assert set(got) == want
    if len(want) > 7:
        assert len(pages) > 1
        qs = urllib.parse.parse_qs(urllib.parse.urlsplit(pages[0]["@odata.nextLink"]).query)
        assert qs["$filter"] == [f"startswith(displayName,'{prefix}')"], qs


def test_count_only_on_first_page(large):
    emu, g, tenant = large
    hdr = {"ConsistencyLevel": "eventual"}
    pages = _follow(g, "/servicePrincipals?$count=true&$top=100", headers=hdr)
    assert pages[0]["@odata.count"] == N
    for p in pages[1:]:
        assert "@odata.count" not in p


@pytest.mark.parametrize("expr, pick", [
    ("displayName ne '{n}'", lambda sp, n: sp["displayName"] != n),
    ("not(startswith(displayName,'{p}'))", lambda sp, n: not sp["displayName"].lower().startswith(n[:3].lower())),
    ("displayName in ('{n}', 'No such name')", lambda sp, n: sp["displayName"] == n),
])
def test_filter_other_documented_operators(demo, g, expr, pick):
    """§8.5: displayName supports eq, ne, not, in, startsWith."""
    n = demo.sps[2]["displayName"]
    flt = expr.format(n=n.replace("'", "''"), p=n[:3].replace("'", "''"))
    r = g.get("/servicePrincipals?$select=id,displayName&$filter=" + urllib.parse.quote(flt),
              headers={"ConsistencyLevel": "eventual"})
    assert r.status == 200, r
    assert sorted(s["id"] for s in r.json()["value"]) == sorted(s["id"] for s in demo.sps if pick(s, n)), flt


def test_filter_app_id_in(demo, g):
    a, b = demo.sps[0]["appId"], demo.sps[3]["appId"]
    r = g.get("/servicePrincipals?$filter=" + urllib.parse.quote(f"appId in ('{a}','{b}')"))
    assert r.status == 200, r
    assert sorted(s["appId"] for s in r.json()["value"]) == sorted([a, b])


def test_orderby_display_name(demo, g):
    r = g.get("/servicePrincipals?$select=id,displayName&$orderby=displayName")
    assert r.status == 200, r
    names = [s["displayName"] for s in r.json()["value"]]
    assert names == sorted(names, key=str.lower), names
    assert len(names) == len(demo.sps)


def test_search_needs_consistency_level(demo, g):
    """§8.5: $search needs ConsistencyLevel: eventual (plus $count=true)."""
    word = demo.sps[0]["displayName"].split()[0]
    path = "/servicePrincipals?$count=true&$search=" + urllib.parse.quote(f'"displayName:{word}"')
    graph_error(g.get(path), 400)
    r = g.get(path, headers={"ConsistencyLevel": "eventual"})
    assert r.status == 200, r
    body = r.json()
    assert body["value"] and all(word.lower() in s["displayName"].lower() for s in body["value"]), body
    assert body["@odata.count"] == len(body["value"])

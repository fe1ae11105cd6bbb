"""The GraphQL source against a real graphene service on loopback: offset/first paging, auth, failures."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters import ConfigError, load_source, run_import
from adapters.graphql_source import GraphQLSource
from adapters.mapping import FieldMapping, IndicatorRule
from adapters.paging import Paging
from adapters.scales import BandScale, LabelScale
from alliance.errors import InvalidInput
from tests.adapter_servers import (
    BAD_GRADE_ID,
    BAD_USCC_ID,
    GOOD_IDS,
    TOKEN,
    TOTAL,
    Behaviour,
    graphql_app,
    serve,
    uscc_for,
)

QUERY = """
query Enterprises($offset: Int!, $first: Int!) {
  enterprises(offset: $offset, first: $first) {
    totalCount
    items { id uscc name taxGrade penalties score }
  }
}
"""
PAGING = Paging("offset", page_size=10, offset="offset", size="first")


@pytest.fixture(scope="module")
def server():
    behaviour = Behaviour()
    with serve(graphql_app(behaviour), behaviour) as url:
        yield url, behaviour


def mapping() -> FieldMapping:
    return FieldMapping(
        "uscc",
        "name",
        [
            IndicatorRule(
                "TAX_CREDIT", "taxGrade", scale=LabelScale.of("tax", {"五星": "A", "四星": "B", "三星": "C"})
            ),
            IndicatorRule("ADMIN_PENALTY", "penalties", type="int"),
            IndicatorRule(
                "PARK_GRADE",
                "score",
                scale=BandScale.of(
                    "score", [{"min": 80, "value": "A"}, {"min": 70, "value": "B"}, {"min": 0, "value": "C"}]
                ),
            ),
        ],
    )


def source(url: str, mode: str = "ok", **kw) -> GraphQLSource:
    kw.setdefault("headers", {"Authorization": f"Bearer {TOKEN}"})
    kw.setdefault("paging", PAGING)
    kw.setdefault("retries", 0)
    kw.setdefault("backoff", 0)
    return GraphQLSource(
        f"{url}/{mode}/graphql",
        QUERY,
        items="enterprises.items",
        total="enterprises.totalCount",
        id_field="id",
        **kw,
    )


async def test_pages_by_offset_and_first_with_auth(server):
    url, _ = server
    src = source(url)
    report = await run_import(src, mapping())
    assert report.ok, report.aborted
    assert (report.read, report.mapped) == (TOTAL, TOTAL - 2)
    assert await src.total_hint() == TOTAL
    assert {p.origin for p in report.problems} == {f"record id {BAD_USCC_ID}", f"record id {BAD_GRADE_ID}"}
    assert [r.uscc for r in report.records] == [uscc_for(i) for i in GOOD_IDS]
    # score 61..85 through the bands: 61-69 → C, 70-79 → B, 80+ → A
    grades = {r.origin: r.indicators["PARK_GRADE"] for r in report.records}
    assert (grades["record id 1"], grades["record id 10"], grades["record id 25"]) == ("C", "B", "A")


async def test_without_auth_the_run_aborts(server):
    url, _ = server
    report = await run_import(source(url, headers={}), mapping())
    assert report.aborted is not None and "HTTP 401" in report.aborted and report.records == []


async def test_a_graphql_error_on_page_3_aborts_and_nothing_is_committed(server):
    url, _ = server
    report = await run_import(source(url, "broken"), mapping())
    assert report.aborted is not None
    assert "page 3" in report.aborted and "credit database unavailable" in report.aborted
    assert report.read == 20 and report.records == []


async def test_an_http_500_on_page_3_aborts(server):
    url, _ = server
    report = await run_import(source(url, "fail500", retries=1), mapping())
    assert report.aborted is not None and "HTTP 500" in report.aborted and report.records == []


async def test_a_timeout_on_page_2_aborts(server):
    url, _ = server
    report = await run_import(source(url, "hang", timeout=0.3), mapping())
    assert report.aborted is not None and "page 2" in report.aborted and "no answer" in report.aborted
    assert report.records == []


@pytest.mark.parametrize(
    ("query", "paging", "expected"),
    [
        ("mutation M($offset: Int!, $first: Int!) { wipe }", PAGING, "only a query"),
        (
            "query Q($offset: Int!) { enterprises(offset: $offset, first: 5) { totalCount } }",
            PAGING,
            "$first",
        ),
        ("query { enterprises(offset: 0 first: 5 { totalCount } }", PAGING, "syntax error"),
        (QUERY, Paging("next_link"), "REST only"),
        (QUERY + "\nquery Other { __typename }", PAGING, "exactly one operation"),
    ],
    ids=["mutation", "undeclared-variable", "syntax", "next-link", "two-operations"],
)
def test_a_broken_query_template_is_refused_up_front(query, paging, expected):
    with pytest.raises(InvalidInput) as e:
        GraphQLSource("http://127.0.0.1:9/graphql", query, items="x", paging=paging)
    assert expected in str(e.value)


CONFIG = """
[source]
kind = "graphql"
url = "{url}/ok/graphql"
query_file = "enterprises.graphql"
items = "enterprises.items"
total = "enterprises.totalCount"
id_field = "id"
retries = 0
[source.headers]
Authorization = "Bearer ${{TOKEN}}"
[source.variables]
region = "420100"
[source.paging]
style = "offset"
offset = "offset"
size = "first"
page_size = 8

[mapping]
uscc = "uscc"
name = "name"
[mapping.indicators.ADMIN_PENALTY]
field = "penalties"
type = "int"
[mapping.indicators.PARK_SCORE]
field = "score"
max = 100
"""


async def test_from_configuration_with_a_query_file(server, tmp_path: Path):
    url, _ = server
    # The static variable $region travels with the paging ones (a wrong region would give no items).
    query = QUERY.replace("$first: Int!)", "$first: Int!, $region: String)").replace(
        "first: $first)", "first: $first, region: $region)"
    )
    (tmp_path / "enterprises.graphql").write_text(query, encoding="utf-8")
    src, fm = load_source(tomllib.loads(CONFIG.format(url=url)), tmp_path, env={"TOKEN": TOKEN})
    report = await run_import(src, fm)
    assert report.ok, report.aborted
    assert report.read == TOTAL and report.mapped == TOTAL - 1  # only the bad USCC: no grade is mapped here
    assert report.records[0].indicators == {"ADMIN_PENALTY": 1, "PARK_SCORE": 61.0}
    elsewhere = tomllib.loads(CONFIG.format(url=url).replace('"420100"', '"310000"'))
    src, fm = load_source(elsewhere, tmp_path, env={"TOKEN": TOKEN})
    assert (await run_import(src, fm)).read == 0


def test_a_missing_query_file_is_a_configuration_error(server, tmp_path: Path):
    url, _ = server
    with pytest.raises(ConfigError, match=r"enterprises\.graphql"):
        load_source(tomllib.loads(CONFIG.format(url=url)), tmp_path, env={"TOKEN": TOKEN})

"""The REST source against a real Starlette service on loopback: auth, paging, 500s, timeouts, retries."""

from __future__ import annotations

import time
import tomllib
import uuid
from pathlib import Path

import pytest

from adapters import ConfigError, load_source, run_import
from adapters.mapping import FieldMapping, IndicatorRule
from adapters.paging import Paging
from adapters.rest_source import RestSource
from adapters.scales import LabelScale
from tests.adapter_servers import (
    BAD_GRADE_ID,
    BAD_USCC_ID,
    GOOD_IDS,
    TOKEN,
    TOTAL,
    Behaviour,
    rest_app,
    serve,
    uscc_for,
)

AUTH = {"Authorization": f"Bearer {TOKEN}"}
TAX = LabelScale.of("tax", {"五星": "A", "四星": "B", "三星": "C"})


@pytest.fixture(scope="module")
def server():
    behaviour = Behaviour()
    with serve(rest_app(behaviour), behaviour) as url:
        yield url, behaviour


def mapping() -> FieldMapping:
    return FieldMapping(
        "code",
        "company.name",
        [
            IndicatorRule("TAX_CREDIT", "credit.taxGrade", scale=TAX),
            IndicatorRule("ADMIN_PENALTY", "credit.penalties", type="int"),
            IndicatorRule("REG_CAPITAL", "credit.capitalWan", factor=1e4),
        ],
    )


def source(url: str, mode: str = "ok", **kw) -> RestSource:
    kw.setdefault("headers", AUTH)
    kw.setdefault("items", "data.items")
    kw.setdefault("id_field", "id")
    kw.setdefault("paging", Paging("page", page_size=10))
    kw.setdefault("retries", 0)
    kw.setdefault("backoff", 0)
    return RestSource(f"{url}/{mode}", "/enterprises", **kw)


async def test_pages_through_with_auth_and_reports_records_it_cannot_map(server):
    url, _ = server
    report = await run_import(source(url), mapping())
    assert report.ok and report.committable
    assert (report.read, report.mapped, report.problem_count) == (TOTAL, TOTAL - 2, 2)
    by_origin = {p.origin: p.reason for p in report.problems}
    assert "check character should be" in by_origin[f"record id {BAD_USCC_ID}"]
    assert "unknown grade label '六星' for TAX_CREDIT" in by_origin[f"record id {BAD_GRADE_ID}"]
    assert [r.uscc for r in report.records] == [uscc_for(i) for i in GOOD_IDS]
    first = report.records[0]
    assert first.origin == "record id 1"
    assert first.name == "东湖测试企业1号有限公司"
    assert first.indicators == {"TAX_CREDIT": "B", "ADMIN_PENALTY": 1, "REG_CAPITAL": 1_010_000.0}


async def test_without_the_auth_header_the_run_aborts(server):
    url, _ = server
    report = await run_import(source(url, headers={}), mapping())
    assert not report.ok and not report.committable
    assert "HTTP 401" in report.aborted and "auth" in report.aborted
    assert report.records == [] and report.read == 0


async def test_a_500_on_page_3_aborts_and_nothing_is_committed(server):
    url, _ = server
    report = await run_import(source(url, "fail500", retries=1), mapping())
    assert report.aborted is not None
    assert "page 3" in report.aborted and "HTTP 500" in report.aborted and "2 attempts" in report.aborted
    assert report.read == 20  # pages 1 and 2 were read ...
    assert report.records == [] and not report.committable  # ... and are not committed


async def test_without_all_or_nothing_the_records_before_the_failure_are_kept(server):
    url, _ = server
    report = await run_import(source(url, "fail500"), mapping(), all_or_nothing=False)
    assert report.aborted is not None and report.committable
    assert [r.uscc for r in report.records] == [uscc_for(i) for i in GOOD_IDS if i <= 20]


async def test_a_page_that_hangs_past_the_timeout_aborts_the_run(server):
    url, _ = server
    started = time.monotonic()
    report = await run_import(source(url, "hang", timeout=0.3, retries=1), mapping())
    assert time.monotonic() - started < 2.5  # the server would hang for 3 s
    assert report.aborted is not None
    assert "page 2" in report.aborted and "no answer within 0.3 s" in report.aborted
    assert report.read == 10 and report.records == []


async def test_a_transient_503_is_retried(server):
    url, behaviour = server
    mode = f"flaky-{uuid.uuid4().hex[:8]}"
    report = await run_import(source(url, mode, retries=2), mapping())
    assert report.ok and report.mapped == TOTAL - 2
    assert behaviour.requests[f"{mode}/page2"] == 2


async def test_with_no_retries_the_same_503_aborts(server):
    url, _ = server
    report = await run_import(source(url, f"flaky-{uuid.uuid4().hex[:8]}", retries=0), mapping())
    assert report.aborted is not None and "HTTP 503" in report.aborted and "1 attempts" in report.aborted


@pytest.mark.parametrize(
    "paging",
    [
        Paging("cursor", page_size=7, cursor="cursor", next_cursor="meta.next_cursor"),
        Paging("offset", page_size=6, offset="offset", size="limit"),
        Paging("next_link", page_size=10, next_link="links.next"),  # relative links
    ],
    ids=["cursor", "offset", "next_link"],
)
async def test_other_paging_styles_read_the_whole_collection(server, paging):
    url, _ = server
    report = await run_import(source(url, paging=paging), mapping())
    assert report.ok, report.aborted
    assert report.read == TOTAL and report.mapped == TOTAL - 2


async def test_a_service_that_caps_the_page_size_is_followed_by_its_total(server):
    url, _ = server
    # The service returns 4 items where 10 were asked for; its total says there is more.
    report = await run_import(source(url, "capped", total="data.total"), mapping())
    assert report.ok and report.read == TOTAL


async def test_a_top_level_list_and_an_item_that_is_not_an_object(server):
    url, _ = server
    src = RestSource(f"{url}/ok", "/all", headers=AUTH, retries=0)
    report = await run_import(src, mapping())
    assert (report.read, report.mapped) == (4, 3)
    assert report.problems[0].origin == "page 1 item 4" and "not an object" in report.problems[0].reason


async def test_a_wrong_items_path_aborts_with_the_path(server):
    url, _ = server
    report = await run_import(source(url, items="data.rows"), mapping())
    assert report.aborted is not None and "data.rows" in report.aborted


async def test_a_service_that_is_not_there_aborts():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    report = await run_import(source(f"http://127.0.0.1:{port}"), mapping())
    assert report.aborted is not None and "connection failed" in report.aborted


CONFIG = """
[source]
kind = "rest"
base_url = "{url}/ok"
path = "/enterprises"
items = "data.items"
id_field = "id"
total = "data.total"
timeout = 5
retries = 0
[source.headers]
Authorization = "Bearer ${{PARK_TOKEN}}"
[source.paging]
style = "page"
page = "page"
size = "size"
page_size = 10

[mapping]
uscc = "code"
name = "company.name"
[mapping.indicators.TAX_CREDIT]
field = "credit.taxGrade"
scale = "tax"
[mapping.indicators.REG_CAPITAL]
field = "credit.capitalWan"
unit = "万元->元"

[scales.tax]
"五星" = "A"
"四星" = "B"
"三星" = "C"
"""


async def test_from_configuration_with_the_token_from_the_environment(server):
    url, _ = server
    config = tomllib.loads(CONFIG.format(url=url))
    src, fm = load_source(config, Path("."), env={"PARK_TOKEN": TOKEN})
    assert TOKEN not in src.describe()
    report = await run_import(src, fm)
    assert report.ok and report.mapped == TOTAL - 2
    assert report.records[1].indicators == {"TAX_CREDIT": "C", "REG_CAPITAL": 1_020_000.0}


def test_an_unset_environment_variable_is_a_configuration_error(server):
    url, _ = server
    config = tomllib.loads(CONFIG.format(url=url))
    with pytest.raises(ConfigError, match="PARK_TOKEN is not set"):
        load_source(config, Path("."), env={})

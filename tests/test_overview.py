"""The alliance overview: the park's `stats` (SQLite and PostgreSQL), and OverviewService against the real gateway
with real park nodes and faulty parks on loopback, read through /dashboard.json."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from alliance.core.records import EnterpriseRecord
from alliance.core.standard import demo_standard_path
from alliance.park.node import ParkNode
from alliance.services.auth import PARK_OPERATOR, Principal
from alliance.services.overview import (
    CACHE_KEY,
    AllianceOverview,
    ListingCount,
    listing_trend,
    parse_stats,
)
from alliance.services.park_client import ParkCallFailed
from tests.conftest import need
from tests.federation_fixtures import GOOD_PARKS, Alliance, small_alliance
from tests.park_fixtures import GOOD, FakeAlliance, make_records, make_uscc, write_park_config
from tests.storage_fixtures import postgres_schema

CHINA = timezone(timedelta(hours=8))
RECOGNISABLE = {"AAA", "AA", "A"}  # ACS 2025.1: recognition from grade A up


def month_start(months_ago: int) -> date:
    today = datetime.now(CHINA).date()
    index = today.year * 12 + today.month - 1 - months_ago
    return date(index // 12, index % 12 + 1, 1)


# ---------------------------------------------------------------------------------------------- park stats


@pytest.fixture(scope="module")
def fake_alliance() -> Iterator[FakeAlliance]:
    with FakeAlliance().running() as fake:
        yield fake


@pytest.fixture(params=["sqlite", "postgresql"])
async def node(request: pytest.FixtureRequest, fake_alliance: FakeAlliance, tmp_path: Path) -> AsyncIterator[ParkNode]:
    cfg = write_park_config(tmp_path, f"st-{uuid.uuid4().hex[:8]}", "统计园区", alliance_url=fake_alliance.url)
    fake_alliance.register_config(cfg)
    if request.param == "sqlite":
        park = await ParkNode.open(cfg)
        yield park
        await park.close()
        return
    url = os.environ.get("ALLIANCE_TEST_DATABASE_URL", "")
    need(bool(url), "PostgreSQL is not configured: install it and set ALLIANCE_TEST_DATABASE_URL")
    async with postgres_schema(url) as schema:
        park = await ParkNode.open(replace(cfg, database_url=url), schema=schema)
        yield park
        await park.close()


async def test_park_stats_count_current_valid_ratings_and_listings_by_month(node: ParkNode) -> None:
    records = make_records(12)
    await node.import_records(records)
    op = Principal("op@park", PARK_OPERATOR, park_id=node.id)
    empty = await node.stats()
    assert (empty.enterprises, empty.rated) == (12, 12) and empty.listings == []

    await node.list_enterprise(op, uscc=records[0].uscc, kind="red", reason="纳税信用A级", legal_basis="办法第5条",
                               since="2025-01-15")
    await node.list_enterprise(op, uscc=records[1].uscc, kind="red", reason="守信", legal_basis="办法第5条",
                               since="2025-01-31")
    black = await node.list_enterprise(op, uscc=records[2].uscc, kind="black", reason="严重失信",
                                       legal_basis="办法第12条", since="2025-03-02")
    await node.list_enterprise(op, uscc=records[3].uscc, kind="black", reason="严重失信", legal_basis="办法第12条",
                               since="2025-03-10")
    await node.delist(op, black.id, "已修复")  # withdrawn listings still count in the trend
    revoked = await node.rating(records[4].uscc)
    await node.revoke(op, revoked.jti or "", "数据有误")

    stats = await node.stats()
    assert stats.enterprises == 12
    assert stats.rated == 10  # one black-listed (suspended), one revoked
    views = await node.ratings([r.uscc for r in records])
    expected = Counter(v.grade for v in views if v.status == "VALID")
    assert {g.grade: g.count for g in stats.grades} == dict(expected)
    assert all((g.standard_id, g.standard_version) == ("ACS", "2025.1") for g in stats.grades)
    assert [(x.month, x.kind, x.count) for x in stats.listings] == [
        ("2025-01", "red", 2), ("2025-03", "black", 2)
    ]


# ---------------------------------------------------------------------------------------------- pure parts


def test_parse_stats_accepts_the_contract_and_refuses_garbage() -> None:
    good = {"park": {"stats": {"enterprises": 5, "rated": 3,
                               "grades": [{"grade": "AA", "standardId": "ACS", "standardVersion": "2025.1",
                                           "count": 3}],
                               "listings": [{"month": "2025-02", "kind": "BLACK", "count": 1}]}}}
    enterprises, rated, grades, listings = parse_stats(good)
    assert (enterprises, rated, grades[0].count, listings[0].kind) == (5, 3, 3, "black")

    def broken(**change: Any) -> dict[str, Any]:
        stats = json.loads(json.dumps(good))
        stats["park"]["stats"].update(change)
        return stats

    for bad, why in [
        ({"park": None}, "no statistics"),
        (broken(rated=4), "does not add up"),
        (broken(enterprises=-1), "not a count"),
        (broken(enterprises=True), "not a count"),
        (broken(grades="AA"), "not a list"),
        (broken(listings=[{"month": "2025-13", "kind": "RED", "count": 1}]), "YYYY-MM"),
        (broken(listings=[{"month": "2025-01", "kind": "GREY", "count": 1}]), "neither RED nor BLACK"),
        (broken(grades=[{"grade": "", "standardId": "ACS", "standardVersion": "1", "count": 0}], rated=0),
         "grade"),
    ]:
        with pytest.raises(ParkCallFailed) as caught:
            parse_stats(bad)
        assert caught.value.kind == "ERROR" and why in caught.value.detail


def test_listing_trend_fills_every_month_and_bounds_the_window() -> None:
    points = listing_trend([ListingCount("2026-03", "red", 2), ListingCount("2026-03", "red", 1),
                            ListingCount("2026-05", "black", 4)], "2026-06")
    assert [p.month for p in points][:3] == ["2025-07", "2025-08", "2025-09"] and points[-1].month == "2026-06"
    assert len(points) == 12
    assert {p.month: (p.red, p.black) for p in points if p.red or p.black} == {"2026-03": (3, 0),
                                                                               "2026-05": (0, 4)}
    long_ago = listing_trend([ListingCount("2019-01", "red", 1), ListingCount("2027-01", "black", 1)], "2026-06")
    assert len(long_ago) == 36 and long_ago[-1].month == "2027-01"  # future-dated listings are kept


# ---------------------------------------------------------------------------------------------- the alliance


OPERATOR_LIST = """mutation($i: ListingInput!) { listEnterprise(input: $i) { id } }"""
LISTINGS = [  # park, record, kind, months ago
    ("wuhan-east-lake", 0, "RED", 1),
    ("wuhan-east-lake", 1, "RED", 4),
    ("wuhan-east-lake", 2, "BLACK", 1),
    ("shanghai-zhangjiang", 0, "RED", 4),
    ("shanghai-zhangjiang", 1, "BLACK", 2),
    ("changsha-hi-tech", 0, "RED", 0),
]


# Enterprises rated A, B, C and D under ACS 2025.1 (D by the veto on dishonest debtors): only A is recognised.
WEAK = [
    dict(GOOD, TAX_CREDIT="B", ADMIN_PENALTY=2, RD_INTENSITY=2, INVENTION_PATENTS=1, COMMITMENT_FULFILMENT=80),
    dict(GOOD, TAX_CREDIT="B", ADMIN_PENALTY=2, RD_INTENSITY=1, INVENTION_PATENTS=0, COMMITMENT_FULFILMENT=60),
    dict(GOOD, TAX_CREDIT="M", ADMIN_PENALTY=3, RD_INTENSITY=0, INVENTION_PATENTS=0, COMMITMENT_FULFILMENT=50,
         QUALITY_SAMPLING=80),
    dict(GOOD, DISHONEST_DEBTOR=True),
]


async def import_more(net: Alliance, park_id: str, records: list[EnterpriseRecord]) -> None:
    """Import into a running park's database beside it, as its CLI would."""
    node = await ParkNode.open(net.configs[park_id])
    try:
        await node.import_records(records)
    finally:
        await node.close()
    net.records[park_id] = net.records[park_id] + records


def list_on_park(net: Alliance, park_id: str, uscc: str, kind: str, since: date) -> None:
    token = net.token(PARK_OPERATOR, subject=f"op@{park_id}", park_id=park_id)
    r = httpx.post(f"{net.parks[park_id].url}/graphql", headers={"authorization": f"Bearer {token}"}, timeout=10,
                   json={"query": OPERATOR_LIST, "variables": {"i": {
                       "uscc": uscc, "kind": kind, "reason": "联盟概览测试", "legalBasis": "园区信用管理办法",
                       "since": since.isoformat()}}})
    assert "errors" not in r.json(), r.text


@contextmanager
def dashboard_alliance(tmp: Path) -> Iterator[Alliance]:
    """The federation tests' alliance, with the dashboard mounted and something to show: listings over several
    months, a second standard, a park that adopts no standard, a suspended park and an open circuit."""
    with small_alliance(tmp, faulty=True) as net:
        net.admin("mutation($d: JSON!) { publishStandard(document: $d) { version } }",
                  {"d": json.loads(demo_standard_path("2026.1").read_text(encoding="utf-8"))})
        adopt = """mutation($p: String!, $v: String!, $a: Boolean!) {
                   adoptStandard(parkId: $p, standardId: "ACS", version: $v, adopt: $a) { id } }"""
        net.admin(adopt, {"p": "chengdu-hi-tech", "v": "2025.1", "a": False})
        for pid in ("wuhan-east-lake", "shanghai-zhangjiang"):
            net.admin(adopt, {"p": pid, "v": "2026.1", "a": True})
        net.admin('mutation { suspendPark(id: "jining-hi-tech", reason: "年度复核未通过") { id } }')
        weak = [EnterpriseRecord(make_uscc(900 + i, "430100"), f"长沙测试企业{i:02d}有限公司", indicators)
                for i, indicators in enumerate(WEAK)]
        asyncio.run(import_more(net, "changsha-hi-tech", weak))
        for pid, n, kind, ago in LISTINGS:
            list_on_park(net, pid, net.records[pid][n].uscc, kind, month_start(ago))
        breaker = net.services.federation.breaker("down-park")
        for _ in range(breaker.threshold):  # as if rating queries had found it down again and again
            breaker.record_failure()
        yield net


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alliance]:
    with dashboard_alliance(tmp_path_factory.mktemp("overview")) as world:
        yield world


@pytest.fixture(scope="module")
def overview(net: Alliance) -> dict[str, Any]:
    r = httpx.get(f"{net.gateway.url}/dashboard.json", timeout=30)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    return r.json()


def park_grades(net: Alliance, park_id: str, black: set[str]) -> Counter[str]:
    """The grades a park hands out for its enterprises, from its rating endpoint; black-listed ones suspended."""
    codes = [r.uscc for r in net.records[park_id]]
    r = httpx.post(f"{net.parks[park_id].url}/graphql", timeout=10, json={
        "query": "query($c: [String!]!) { ratings(usccs: $c) { uscc grade } }", "variables": {"c": codes}})
    return Counter(i["grade"] for i in r.json()["data"]["ratings"] if i["uscc"] not in black)


def test_every_park_with_health_latency_and_figures(net: Alliance, overview: dict[str, Any]) -> None:
    parks = {p["id"]: p for p in overview["parks"]}
    assert list(parks) == [pid for pid, *_ in GOOD_PARKS] + ["down-park", "hanging-park", "garbage-park",
                                                             "wrong-key-park"]
    black = {net.records[pid][n].uscc for pid, n, kind, _ in LISTINGS if kind == "BLACK"}
    for pid, name, city, _ in GOOD_PARKS:
        p = parks[pid]
        assert (p["name"], p["city"], p["outcome"], p["available"]) == (name, city, "OK", True)
        assert 0 < p["latency_ms"] < 2000 and p["breaker"] == "closed"
        assert p["enterprises"] == len(net.records[pid])
        grades = park_grades(net, pid, black)
        assert {g["grade"]: g["count"] for g in p["grades"]} == dict(grades)
        assert p["rated"] == sum(grades.values())
    assert parks["jining-hi-tech"]["status"] == "suspended"

    # The faulty ones each cost their own row, with the reason.
    assert (parks["down-park"]["outcome"], parks["down-park"]["breaker"]) == ("CIRCUIT_OPEN", "open")
    assert parks["down-park"]["latency_ms"] is None
    assert parks["hanging-park"]["outcome"] == "TIMEOUT" and "no answer within 600 ms" in parks["hanging-park"][
        "detail"]
    assert parks["hanging-park"]["latency_ms"] < 1500
    assert parks["garbage-park"]["outcome"] == "ERROR" and "garbage" in parks["garbage-park"]["detail"]
    assert all(parks[p]["enterprises"] is None for p in ("down-park", "hanging-park", "garbage-park"))
    # A park's figures are its own account, not signed: the node with the wrong key still reports them.
    assert parks["wrong-key-park"]["outcome"] == "OK" and parks["wrong-key-park"]["rated"] == 1

    totals = overview["totals"]
    good = [parks[pid] for pid, *_ in GOOD_PARKS] + [parks["wrong-key-park"]]
    assert totals["parks"] == 9 and totals["available"] == 6 and totals["active"] == 8
    assert totals["enterprises"] == sum(p["enterprises"] for p in good)
    assert totals["rated"] == sum(p["rated"] for p in good)
    assert (totals["red"], totals["black"]) == (4, 2)
    assert overview["grade_order"][:6] == ["AAA", "AA", "A", "B", "C", "D"]


def test_recognition_matrix_follows_the_alliance_rules(net: Alliance, overview: dict[str, Any]) -> None:
    ids = [p["id"] for p in overview["parks"]]
    cells = {(c["issuer"], c["recogniser"]): c for row in overview["matrix"] for c in row}
    assert len(overview["matrix"]) == len(ids) and all(len(row) == len(ids) for row in overview["matrix"])
    assert [[c["recogniser"] for c in row] for row in overview["matrix"]] == [ids] * len(ids)

    black = {net.records[pid][n].uscc for pid, n, kind, _ in LISTINGS if kind == "BLACK"}
    grades = park_grades(net, "changsha-hi-tech", black)
    assert {"A", "B", "C", "D"} <= set(grades)
    total = sum(grades.values())
    recognisable = sum(n for g, n in grades.items() if g in RECOGNISABLE)
    row = {r: cells["changsha-hi-tech", r] for r in ids}
    assert row["changsha-hi-tech"]["share"] == 1.0  # its own ratings, whatever the grade
    for other in ("wuhan-east-lake", "shanghai-zhangjiang", "down-park", "wrong-key-park"):
        assert (row[other]["total"], row[other]["recognised"]) == (total, recognisable)
    refusals = {r["reason"]: r["count"] for r in row["wuhan-east-lake"]["refusals"]}
    assert refusals == {f"not recognised by 武汉东湖新技术开发区: grade {g} is below A, the minimum for recognition "
                        f"under ACS 2025.1": grades[g] for g in ("B", "C", "D")}
    # 成都 adopts no standard, 济宁 is suspended: they recognise nothing, and 济宁's own ratings are not recognised.
    assert row["chengdu-hi-tech"]["share"] == 0.0
    assert "has not adopted the standard ACS 2025.1" in row["chengdu-hi-tech"]["refusals"][0]["reason"]
    assert row["jining-hi-tech"]["share"] == 0.0
    assert all(cells["jining-hi-tech", r]["recognised"] == 0 for r in ids)
    assert cells["chengdu-hi-tech", "wuhan-east-lake"]["share"] > 0  # adopting is about recognising others
    # Parks that did not answer have no figures: their rows are unknown, not zero.
    for silent in ("down-park", "hanging-park", "garbage-park"):
        assert all(cells[silent, r]["total"] is None and cells[silent, r]["share"] is None for r in ids)
    assert 0 < overview["totals"]["recognition_share"] < 1


def test_listing_trends_and_standards_adoption(overview: dict[str, Any]) -> None:
    trends = {t["month"]: (t["red"], t["black"]) for t in overview["trends"]}
    assert len(trends) == 12 and overview["trends"][-1]["month"] == month_start(0).strftime("%Y-%m")
    expected: dict[str, list[int]] = {}
    for _, _, kind, ago in LISTINGS:
        counts = expected.setdefault(month_start(ago).strftime("%Y-%m"), [0, 0])
        counts[kind == "BLACK"] += 1
    assert {m: v for m, v in trends.items() if v != (0, 0)} == {m: tuple(v) for m, v in expected.items()}

    standards = {(s["id"], s["version"]): s for s in overview["standards"]}
    old, new = standards["ACS", "2025.1"], standards["ACS", "2026.1"]
    assert (old["status"], new["status"]) == ("superseded", "published")
    assert len(old["adopted_by"]) == 8 and "chengdu-hi-tech" not in old["adopted_by"]
    assert new["adopted_by"] == ["wuhan-east-lake", "shanghai-zhangjiang"] and new["min_grade"]


def test_overview_is_cached_and_round_trips(net: Alliance, overview: dict[str, Any]) -> None:
    started = time.monotonic()
    again = httpx.get(f"{net.gateway.url}/dashboard.json", timeout=30).json()
    assert again == overview and time.monotonic() - started < 0.5  # no second fan-out: the hanging park waits 0.6 s
    assert AllianceOverview.from_dict(overview).to_dict() == overview
    asyncio.run(net.services.cache.delete(CACHE_KEY))  # the in-process cache is loop-free
    fresh = httpx.get(f"{net.gateway.url}/dashboard.json", timeout=30).json()
    assert fresh["generated_at"] >= overview["generated_at"] and fresh["parks"][0]["latency_ms"] is not None

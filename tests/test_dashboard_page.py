"""/dashboard: the HTML itself (every park, the matrix, nothing from outside the gateway) and the page rendered in
headless Chromium, with screenshots kept in tests/artifacts/ (dashboard.png, dashboard-mobile.png)."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from starlette.applications import Starlette

from alliance.errors import AllianceError
from alliance.gateway.dashboard import dashboard_routes, render_dashboard
from alliance.services.overview import AllianceOverview, ParkOverview, listing_trend
from tests.conftest import ROOT, need
from tests.federation_fixtures import GOOD_PARKS, Alliance
from tests.test_overview import dashboard_alliance

ARTIFACTS = ROOT / "tests" / "artifacts"
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'  # a name, never fetched
REFERENCE = re.compile(r"""(?:\b(?:src|href|action|poster|srcset)\s*=\s*["']([^"']*)["'])|url\(\s*["']?([^"')]*)""",
                       re.IGNORECASE)


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alliance]:
    with dashboard_alliance(tmp_path_factory.mktemp("dashboard")) as world:
        yield world


@pytest.fixture(scope="module")
def page(net: Alliance) -> httpx.Response:
    return httpx.get(f"{net.gateway.url}/dashboard", timeout=30)


def references(text: str) -> list[str]:
    return [a or b for a, b in REFERENCE.findall(text)]


def test_the_page_lists_every_park_and_the_whole_matrix(net: Alliance, page: httpx.Response) -> None:
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    faulty = [("down-park", "停机园区"), ("hanging-park", "超时园区"), ("garbage-park", "乱码园区"),
              ("wrong-key-park", "错钥园区")]
    parks = [(pid, name) for pid, name, *_ in GOOD_PARKS] + faulty
    for pid, name in parks:
        assert f'<tr class="park" data-park="{pid}"><th scope="row">{name}<' in html
    assert html.count('class="cell"') == 81
    assert 'data-issuer="wuhan-east-lake" data-recogniser="chengdu-hi-tech" data-share="0.0000"' in html
    assert 'data-issuer="down-park" data-recogniser="wuhan-east-lake" data-share=""' in html
    for label in ("园区", "健康", "时延", "评级企业数", "等级分布", "互认矩阵", "红黑名单趋势", "标准与采用",
                  "超时未应答", "应答出错", "熔断中", "已暂停", "未采用标准 ACS 2025.1"):
        assert label in html, label


def test_nothing_is_loaded_from_outside_the_gateway(net: Alliance, page: httpx.Response) -> None:
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "style-src 'self'" in csp and "script-src" not in csp
    css = httpx.get(f"{net.gateway.url}/dashboard/static/dashboard.css", timeout=10)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for text in (page.text, css.text):
        assert "<script" not in text and "@import" not in text
        for ref in references(text):
            assert ref.startswith(("/", "#", "data:")) or ref.startswith(net.gateway.url), ref
        outside = re.findall(r"https?://[^\s\"'<>)]+", text.replace(SVG_NAMESPACE, ""))
        assert all(u.startswith(net.gateway.url) for u in outside), outside
    assert "/dashboard/static/dashboard.css" in references(page.text)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", head[16:24])


def screenshot(url: str, shot: Path, size: str, profile: Path) -> None:
    shot.unlink(missing_ok=True)
    run = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={profile}", f"--screenshot={shot}", f"--window-size={size}", url],
        capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0 and shot.exists(), run.stderr[-3000:]


def test_the_page_in_headless_chromium(net: Alliance, tmp_path: Path) -> None:
    need(shutil.which("chromium") is not None, "Chromium is not installed: apt-get install chromium")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    desktop, mobile = ARTIFACTS / "dashboard.png", ARTIFACTS / "dashboard-mobile.png"
    screenshot(f"{net.gateway.url}/dashboard", desktop, "1400,2000", tmp_path / "profile-desktop")
    assert png_size(desktop) == (1400, 2000) and desktop.stat().st_size > 60_000
    screenshot(f"{net.gateway.url}/dashboard", mobile, "420,1600", tmp_path / "profile-mobile")
    assert png_size(mobile) == (420, 1600) and mobile.stat().st_size > 20_000


def test_an_empty_park_renders_with_escaped_names() -> None:
    lonely = ParkOverview("solo-park", "孤园<区>", "某市", "active", "closed", "OK", latency_ms=3.0, enterprises=0,
                          rated=0)
    trend = tuple(listing_trend([], "2026-01"))
    html = render_dashboard(AllianceOverview("2026-01-01T00:00:00+00:00", (lonely,), (), (), trend, (), {}))
    assert "孤园&lt;区&gt;" in html and "暂无有效评级" in html and "暂无可比较的跨园区评级" in html
    assert "联盟尚未发布评价标准" in html and "<区>" not in html


async def test_a_failing_service_gives_a_clear_503() -> None:
    async def down() -> None:
        raise AllianceError("database unavailable")

    services = SimpleNamespace(overview=SimpleNamespace(overview=down))
    app = Starlette(routes=dashboard_routes(lambda: services))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        page, data = await client.get("/dashboard"), await client.get("/dashboard.json")
    assert page.status_code == 503 and "概览暂不可用" in page.text and "database unavailable" in page.text
    assert data.status_code == 503 and data.json() == {"error": "overview unavailable: database unavailable"}

"""The alliance dashboard (联盟概览 · 效果可视化) at /dashboard, and the same overview as JSON at /dashboard.json.

A thin front-end over `OverviewService`: every figure and every recognition decision comes from the service
layer; this module only draws. Server-rendered HTML with inline SVG charts drawn here, one stylesheet served
from alliance/gateway/static, no script, and nothing from anywhere but the gateway itself (the Content Security
Policy says so to the browser, too).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from alliance.core.recognition_matrix import MatrixCell
from alliance.errors import AllianceError
from alliance.services.overview import AllianceOverview, OverviewService, ParkOverview, StandardAdoption, TrendPoint

log = logging.getLogger("alliance.dashboard")

STATIC = Path(__file__).resolve().parent / "static"
CHINA = timezone(timedelta(hours=8))
REFRESH_SECONDS = 60
CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "no-cache"}

# Best → worst; a standard with more grades than these gets grey for the rest.
GRADE_COLOURS = ["#1b7f4b", "#43a047", "#9ccc65", "#fbc02d", "#fb8c00", "#e53935"]
OTHER_GRADE = "#90a4ae"
RED, BLACK = "#d93025", "#37474f"
UNKNOWN_CELL = "#e6e9ec"

OUTCOME = {"OK": "正常", "TIMEOUT": "超时未应答", "ERROR": "应答出错", "CIRCUIT_OPEN": "熔断中"}
BREAKER = {"closed": "闭合", "half_open": "半开（试探中）", "open": "断开"}
MEMBER = {"active": "正常", "suspended": "已暂停"}
STANDARD_STATUS = {"draft": "草稿", "published": "现行", "superseded": "已被取代", "retired": "已废止"}


# ---------------------------------------------------------------------------------------------- routes


def dashboard_routes(services_getter: Callable[[], Any]) -> list[Route]:
    """The dashboard's routes; `services_getter()` gives the running AllianceServices."""

    def overview_service() -> OverviewService:
        return services_getter().overview

    async def load() -> AllianceOverview | str:
        """The overview, or why there is none (the database or the cache is down): never a traceback."""
        try:
            return await overview_service().overview()
        except AllianceError as exc:
            return exc.message
        except Exception as exc:
            log.exception("dashboard overview failed")
            return type(exc).__name__

    async def page(_: Request) -> Response:
        overview = await load()
        if isinstance(overview, str):
            return HTMLResponse(render_unavailable(overview), status_code=503, headers=HEADERS)
        return HTMLResponse(render_dashboard(overview), headers=HEADERS)

    async def as_json(_: Request) -> Response:
        overview = await load()
        if isinstance(overview, str):
            return JSONResponse({"error": f"overview unavailable: {overview}"}, status_code=503)
        return JSONResponse(overview.to_dict(), headers={"Cache-Control": "no-cache"})

    async def stylesheet(_: Request) -> Response:
        return FileResponse(STATIC / "dashboard.css", media_type="text/css",
                            headers={"Cache-Control": "public, max-age=300"})

    return [
        Route("/dashboard", page),
        Route("/dashboard.json", as_json),
        Route("/dashboard/static/dashboard.css", stylesheet),
    ]


# ---------------------------------------------------------------------------------------------- helpers


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _text_width(text: str, size: float) -> float:
    """Rough rendered width: CJK and full-width characters are one em, the rest about 0.6 em."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def _num(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _pct(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _grade_colour(order: Sequence[str], grade: str) -> str:
    i = list(order).index(grade) if grade in order else len(GRADE_COLOURS)
    return GRADE_COLOURS[i] if i < len(GRADE_COLOURS) else OTHER_GRADE


def _mix(a: str, b: str, t: float) -> str:
    ra, ga, ba = (int(a[i:i + 2], 16) for i in (1, 3, 5))
    rb, gb, bb = (int(b[i:i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(round(x + (y - x) * t) for x, y in ((ra, rb), (ga, gb), (ba, bb))))


# Heat-map scale: red (nothing recognised) → amber → green (everything recognised).
SCALE = [(0.0, "#c62828"), (0.5, "#f9c74f"), (1.0, "#1b7f4b")]


def heat_colour(share: float) -> str:
    share = min(1.0, max(0.0, share))
    for (t0, c0), (t1, c1) in itertools.pairwise(SCALE):
        if share <= t1:
            return _mix(c0, c1, (share - t0) / (t1 - t0))
    return SCALE[-1][1]


def _ink(fill: str) -> str:
    """Dark text on a light fill, white on a dark one."""
    r, g, b = (int(fill[i:i + 2], 16) for i in (1, 3, 5))
    return "#1f2328" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


def _svg(width: float, height: float, label: str, body: str, cls: str = "chart") -> str:
    return (f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{_e(label)}">{body}</svg>')


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


# The service layer explains itself in English; these are the explanations the dashboard knows how to say in
# Chinese. Anything else is shown as it is rather than hidden.
_DETAILS = [
    (re.compile(r"^no answer within (\d+) ms$"), "{0} 毫秒内无应答"),
    (re.compile(r"^cannot reach the park: (.+)$"), "无法连接（{0}）"),
    (re.compile(r"^the park answered HTTP (\d+)$"), "应答 HTTP {0}"),
    (re.compile(r"^the park answered garbage \((.*)\)$"), "应答内容无法识别（{0}）"),
    (re.compile(r"^circuit open after repeated failures$"), "连续失败，暂停访问"),
]
# Refusals that lie with the recognising park (it adopts no such standard, it is suspended); every other one lies
# with the ratings, that is with the issuing park.
_RECOGNISER_SIDE = re.compile(r"has not adopted the standard|: the park is suspended from the alliance$")
_REFUSALS = [
    (re.compile(r"has not adopted the standard (.+)$"), "未采用标准 {0}"),
    (re.compile(r"grade (\S+) is below (\S+), the minimum for recognition under (.+)$"),
     "等级 {0} 低于互认最低等级 {1}（{2}）"),
    (re.compile(r"the issuing park is suspended from the alliance$"), "签发园区已暂停成员资格"),
    (re.compile(r"the park is suspended from the alliance$"), "认可园区已暂停成员资格"),
    (re.compile(r"the standard (.+?) is retired$"), "标准 {0} 已废止"),
    (re.compile(r"the standard (.+?) is a draft, never published$"), "标准 {0} 尚未发布"),
    (re.compile(r"the standard (.+?) is not one the alliance published$"), "标准 {0} 并非联盟发布"),
    (re.compile(r"the standard (.+?) is unknown to the alliance$"), "联盟未知的标准 {0}"),
]


def _zh(text: str, table: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, template in table:
        match = pattern.search(text)
        if match:
            return template.format(*match.groups())
    return text


# ---------------------------------------------------------------------------------------------- charts


def rated_chart(parks: Sequence[ParkOverview]) -> str:
    """Enterprises and rated enterprises per park, as paired horizontal bars."""
    size, row_h, top, bar_w = 13, 30, 30, 420
    label_w = min(240, max([_text_width(p.name, size) for p in parks] + [60])) + 12
    width, height = label_w + bar_w + 64, top + row_h * len(parks) + 8
    top_value = max([p.enterprises or 0 for p in parks] + [1])
    out = [
        f'<rect x="{label_w}" y="6" width="12" height="12" fill="#90a4ae"/>'
        f'<text x="{label_w + 18}" y="16" class="legend">企业数</text>'
        f'<rect x="{label_w + 80}" y="6" width="12" height="12" fill="#1b7f4b"/>'
        f'<text x="{label_w + 98}" y="16" class="legend">评级企业数（有效评级）</text>'
    ]
    for i, p in enumerate(parks):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 10}" y="{y + row_h / 2 + 4}" text-anchor="end" class="label">'
                   f'{_e(p.name)}</text>')
        if not p.available:
            out.append(f'<text x="{label_w + 4}" y="{y + row_h / 2 + 4}" class="muted">不可用：'
                       f'{_e(OUTCOME.get(p.outcome, p.outcome))}</text>')
            continue
        for j, (value, fill, what) in enumerate(((p.enterprises or 0, "#90a4ae", "企业数"),
                                                  (p.rated or 0, "#1b7f4b", "评级企业数"))):
            w = max(1.5, bar_w * value / top_value) if value else 0
            by = y + 3 + j * 12
            out.append(f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="10" rx="2" fill="{fill}">'
                       f'<title>{_e(p.name)} {what}：{value}</title></rect>'
                       f'<text x="{label_w + w + 5:.1f}" y="{by + 9}" class="value">{value}</text>')
    return _svg(width, height, "各园区企业数与评级企业数", "".join(out))


def grade_chart(parks: Sequence[ParkOverview], order: Sequence[str]) -> str:
    """Each park's current grades as one 100 % stacked bar, so parks of any size compare."""
    size, row_h, top, bar_w = 13, 30, 32, 440
    label_w = min(240, max([_text_width(p.name, size) for p in parks] + [60])) + 12
    width, height = label_w + bar_w + 80, top + row_h * len(parks) + 8
    seen = [g for g in order if any(p.grade_counts().get(g) for p in parks)] or list(order)
    out = []
    x = label_w
    for g in seen:  # legend
        out.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{_grade_colour(order, g)}"/>'
                   f'<text x="{x + 16}" y="18" class="legend">{_e(g)}</text>')
        x += 26 + _text_width(g, 12) + 10
    for i, p in enumerate(parks):
        y = top + i * row_h
        out.append(f'<text x="{label_w - 10}" y="{y + row_h / 2 + 3}" text-anchor="end" class="label">'
                   f'{_e(p.name)}</text>')
        counts = p.grade_counts()
        total = sum(counts.values())
        if not p.available or not total:
            note = "不可用" if not p.available else "暂无有效评级"
            out.append(f'<text x="{label_w + 4}" y="{y + row_h / 2 + 3}" class="muted">{note}</text>')
            continue
        x = float(label_w)
        grades = [g for g in order if counts.get(g)] + [g for g in counts if g not in order]
        for g in grades:
            n = counts[g]
            w = bar_w * n / total
            fill = _grade_colour(order, g)
            out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" fill="{fill}">'
                       f'<title>{_e(p.name)} {_e(g)} 级：{n} 家（{n / total:.0%}）</title></rect>')
            if w >= 22:
                out.append(f'<text x="{x + w / 2:.1f}" y="{y + row_h / 2 + 3}" text-anchor="middle" '
                           f'class="inbar" fill="{_ink(fill)}">{n}</text>')
            x += w
        out.append(f'<text x="{label_w + bar_w + 8}" y="{y + row_h / 2 + 3}" class="value">共 {total} 家</text>')
    return _svg(width, height, "各园区等级分布", "".join(out))


def _cell_title(cell: MatrixCell, names: dict[str, str]) -> str:
    head = f"签发：{names.get(cell.issuer, cell.issuer)} → 认可：{names.get(cell.recogniser, cell.recogniser)}"
    if cell.total is None:
        return f"{head}\n签发园区数据不可用"
    if cell.total == 0:
        return f"{head}\n签发园区暂无有效评级"
    lines = [head, f"互认 {cell.recognised}/{cell.total} 项评级（{_pct(cell.share)}）"]
    if cell.issuer == cell.recogniser and cell.share == 1:
        lines.append("本园区自身的评级")
    lines.extend(f"未互认 {n} 项：{_zh(reason, _REFUSALS)}" for reason, n in cell.refusals)
    return "\n".join(lines)


def matrix_chart(parks: Sequence[ParkOverview], matrix: Sequence[Sequence[MatrixCell]]) -> str:
    """The heat map: issuing parks down, recognising parks across, colour = share recognised."""
    size, cell = 13, 46
    names = {p.id: p.name for p in parks}
    longest = max([_text_width(p.name, size) for p in parks] + [60])
    label_w = min(240, longest) + 16
    head_h = min(240, longest) * 0.66 + 30
    n = len(parks)
    grid_w = n * cell
    legend_y = head_h + n * cell + 26
    width, height = max(label_w + grid_w + 20, 560), legend_y + 56
    out = [f'<text x="{label_w - 10}" y="{head_h - 8}" text-anchor="end" class="axis">签发园区 ↓ ／ 认可园区 →</text>']
    for j, p in enumerate(parks):
        x = label_w + j * cell + cell / 2 + 4
        out.append(f'<text transform="translate({x:.1f},{head_h - 8}) rotate(-40)" class="label">'
                   f'{_e(p.name)}</text>')
    for i, row in enumerate(matrix):
        y = head_h + i * cell
        out.append(f'<text x="{label_w - 10}" y="{y + cell / 2 + 4}" text-anchor="end" class="label">'
                   f'{_e(parks[i].name)}</text>')
        for j, c in enumerate(row):
            x = label_w + j * cell
            share = c.share
            fill = UNKNOWN_CELL if share is None else heat_colour(share)
            own = ' stroke="#1f2328" stroke-width="2" stroke-dasharray="4 3"' if i == j else ""
            out.append(
                f'<g class="cell" data-issuer="{_e(c.issuer)}" data-recogniser="{_e(c.recogniser)}" '
                f'data-share="{"" if share is None else f"{share:.4f}"}">'
                f'<rect x="{x + 1}" y="{y + 1}" width="{cell - 2}" height="{cell - 2}" rx="3" fill="{fill}"{own}/>'
                f'<text x="{x + cell / 2}" y="{y + cell / 2 + 4}" text-anchor="middle" class="inbar" '
                f'fill="{"#6b7280" if share is None else _ink(fill)}">{_pct(share)}</text>'
                f'<title>{_e(_cell_title(c, names))}</title></g>'
            )
    # Legend: the colour scale, the "no figures" swatch and the diagonal.
    lx = label_w
    stops = "".join(f'<stop offset="{t * 100:.0f}%" stop-color="{c}"/>' for t, c in SCALE)
    out.append(f'<defs><linearGradient id="heat-scale" x1="0" x2="1" y1="0" y2="0">{stops}</linearGradient></defs>'
               f'<text x="{lx}" y="{legend_y - 6}" class="legend">互认比例</text>'
               f'<rect x="{lx}" y="{legend_y}" width="200" height="12" rx="2" fill="url(#heat-scale)"/>')
    for t in (0, 0.5, 1):
        out.append(f'<text x="{lx + 200 * t:.0f}" y="{legend_y + 28}" text-anchor="middle" class="tick">'
                   f'{t:.0%}</text>')
    out.append(f'<rect x="{lx + 230}" y="{legend_y}" width="12" height="12" rx="2" fill="{UNKNOWN_CELL}"/>'
               f'<text x="{lx + 248}" y="{legend_y + 10}" class="legend">无数据（园区不可用或无评级）</text>'
               f'<rect x="{lx + 230}" y="{legend_y + 20}" width="12" height="12" rx="2" fill="none" '
               f'stroke="#1f2328" stroke-width="1.5" stroke-dasharray="3 2"/>'
               f'<text x="{lx + 248}" y="{legend_y + 30}" class="legend">对角线：园区自身的评级</text>')
    return _svg(width, height, "互认矩阵热力图", "".join(out), cls="chart heatmap")


def _nice_step(top: int, ticks: int = 4) -> int:
    raw = max(1.0, top / ticks)
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return int(m * magnitude)
    return int(10 * magnitude)


def trend_chart(trends: Sequence[TrendPoint]) -> str:
    """Red and black listings per month across the alliance, as paired columns."""
    left, right, top, bottom = 44, 12, 34, 58
    plot_w, plot_h = 600, 130
    width, height = left + plot_w + right, top + plot_h + bottom
    peak = max([max(t.red, t.black) for t in trends] + [1])
    step = _nice_step(peak)
    top_value = step * math.ceil(peak / step)
    out = [f'<rect x="{left}" y="8" width="12" height="12" fill="{RED}"/>'
           f'<text x="{left + 16}" y="18" class="legend">红名单（守信激励）</text>'
           f'<rect x="{left + 150}" y="8" width="12" height="12" fill="{BLACK}"/>'
           f'<text x="{left + 166}" y="18" class="legend">黑名单（失信惩戒）</text>']
    for v in range(0, top_value + 1, step):
        y = top + plot_h - plot_h * v / top_value
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{v}</text>')
    n = max(1, len(trends))
    group = plot_w / n
    bar = max(2.0, min(16.0, group * 0.36))
    every = math.ceil(n / 12)
    for i, t in enumerate(trends):
        gx = left + i * group + group / 2
        for value, fill, dx, what in ((t.red, RED, -bar - 1, "红名单"), (t.black, BLACK, 1, "黑名单")):
            h = plot_h * value / top_value
            out.append(f'<rect x="{gx + dx:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                       f'fill="{fill}"><title>{_e(t.month)} {what}：{value}</title></rect>')
        year, month = t.month.split("-")
        if i % every == 0 or i == n - 1:
            out.append(f'<text x="{gx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="tick">'
                       f'{int(month)}月</text>')
        if i == 0 or month == "01":  # the year under the first month and under each January
            out.append(f'<text x="{gx:.1f}" y="{top + plot_h + 30}" text-anchor="middle" class="tick">'
                       f'{year}</text>')
    out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" class="axisline"/>')
    out.append(f'<text x="{left}" y="{height - 4}" class="muted">'
               "按列入日期（since）所在月份统计，含已移出名单者</text>")
    return _svg(width, height, "红黑名单趋势", "".join(out))


def _meter(value: int, total: int, width: int = 140) -> str:
    w = width * value / total if total else 0
    body = (f'<rect x="0" y="3" width="{width}" height="10" rx="3" fill="#e6e9ec"/>'
            f'<rect x="0" y="3" width="{w:.1f}" height="10" rx="3" fill="#1b7f4b"/>')
    return _svg(width, 16, f"{value}/{total}", body, cls="meter")


# ---------------------------------------------------------------------------------------------- sections


def _cards(o: AllianceOverview) -> str:
    t = o.totals
    cards = [
        ("成员园区", _num(t.get("parks")), f"在线 {t.get('available', 0)} · 正常成员 {t.get('active', 0)}"),
        ("企业总数", _num(t.get("enterprises")), "在线园区合计"),
        ("评级企业数", _num(t.get("rated")), "持有效评级"),
        ("跨园区互认率", _pct(t.get("recognition_share")), "评级 × 其他园区"),
        ("红名单", _num(t.get("red")), "累计列入"),
        ("黑名单", _num(t.get("black")), "累计列入"),
    ]
    return '<section class="cards">' + "".join(
        f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div><div class="s">{_e(s)}</div>'
        f"</div>" for k, v, s in cards) + "</section>"


def _latency(p: ParkOverview) -> str:
    if p.latency_ms is None:
        return '<span class="muted">—</span>'
    cls = "ok" if p.available and p.latency_ms < 150 else "warn" if p.available and p.latency_ms < 400 else "bad"
    return f'<span class="lat {cls}">{p.latency_ms:.0f} ms</span>'


def _health(p: ParkOverview) -> str:
    if p.available:
        return '<span class="dot ok"></span>正常'
    detail = _zh(p.detail, _DETAILS) if p.detail else ""
    return (f'<span class="dot bad"></span>{_e(OUTCOME.get(p.outcome, p.outcome))}'
            + (f'<span class="why">{_e(detail)}</span>' if detail else ""))


def _mini_grades(p: ParkOverview, order: Sequence[str]) -> str:
    counts = p.grade_counts()
    total = sum(counts.values())
    if not p.available:
        return '<span class="muted">—</span>'
    if not total:
        return '<span class="muted">暂无有效评级</span>'
    width, x, body = 160, 0.0, []
    for g in [g for g in order if counts.get(g)] + [g for g in counts if g not in order]:
        w = width * counts[g] / total
        body.append(f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="14" fill="{_grade_colour(order, g)}">'
                    f'<title>{_e(g)}：{counts[g]}</title></rect>')
        x += w
    text = " ".join(f"{g} {counts[g]}" for g in order if counts.get(g))
    return _svg(width, 18, f"等级分布 {text}", "".join(body), cls="meter")


def _parks_table(o: AllianceOverview) -> str:
    rows = []
    for p in o.parks:
        member = MEMBER.get(p.status, p.status)
        rows.append(
            f'<tr class="park" data-park="{_e(p.id)}"><th scope="row">{_e(p.name)}<span class="pid">{_e(p.id)}'
            f'</span></th><td>{_e(p.city)}</td>'
            f'<td><span class="badge {"" if p.status == "active" else "warn"}">{_e(member)}</span></td>'
            f"<td>{_health(p)}</td><td>{_e(BREAKER.get(p.breaker, p.breaker))}</td><td>{_latency(p)}</td>"
            f'<td class="n">{_num(p.enterprises)}</td><td class="n">{_num(p.rated)}</td>'
            f"<td>{_mini_grades(p, o.grade_order)}</td></tr>"
        )
    return ('<div class="scroll"><table class="parks"><thead><tr><th>园区</th><th>城市</th><th>成员状态</th>'
            "<th>健康</th><th>熔断器</th><th>时延</th><th>企业数</th><th>评级企业数</th><th>等级分布</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def refusal_summary(parks: Sequence[ParkOverview], matrix: Sequence[Sequence[MatrixCell]], limit: int = 5) -> str:
    """Why ratings go unrecognised across parks, largest first: (park concerned, reason) → ratings refused."""
    names = {p.id: p.name for p in parks}
    tally: dict[tuple[str, str], int] = {}
    for row in matrix:
        for c in row:
            if c.issuer == c.recogniser:
                continue
            for reason, n in c.refusals:
                who = c.recogniser if _RECOGNISER_SIDE.search(reason) else c.issuer
                key = (who, _zh(reason, _REFUSALS))
                tally[key] = tally.get(key, 0) + n
    if not tally:
        compared = any(c.total for row in matrix for c in row if c.issuer != c.recogniser)
        message = "各园区之间的现行有效评级均已互认。" if compared else "暂无可比较的跨园区评级。"
        return f'<p class="muted">{message}</p>'
    ranked = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    rows = "".join(f'<tr><th scope="row">{_e(names.get(who, who))}</th><td>{_e(why)}</td><td class="n">{n}</td></tr>'
                   for (who, why), n in ranked[:limit])
    more = f"；另有 {len(ranked) - limit} 项原因未列出" if len(ranked) > limit else ""
    return ('<div class="scroll"><table class="refusals"><thead><tr><th>相关园区</th>'
            f"<th>原因</th><th>未互认次数</th></tr></thead><tbody>{rows}</tbody></table></div>"
            f'<p class="note">一项评级不被一个园区认可，计一次{more}。</p>')


def _standards_table(standards: Sequence[StandardAdoption], parks: Sequence[ParkOverview]) -> str:
    if not standards:
        return '<p class="muted">联盟尚未发布评价标准。</p>'
    names = {p.id: p.name for p in parks}
    total = len(parks)
    rows = []
    for s in standards:
        # Say the shorter list: who adopted it, or (when most did) who did not.
        others = [names[p.id] for p in parks if p.id not in s.adopted_by]
        if len(s.adopted_by) > total / 2 and others:
            adopters = "未采用：" + "、".join(others)
        else:
            adopters = "、".join(names.get(pid, pid) for pid in s.adopted_by) or "暂无园区采用"
        rows.append(
            f'<tr class="standard"><th scope="row">{_e(s.id)} {_e(s.version)}<div class="detail">{_e(s.title)}'
            "</div></th>"
            f'<td><span class="badge {s.status}">{_e(STANDARD_STATUS.get(s.status, s.status))}</span></td>'
            f'<td class="n">{_e(s.min_grade)}</td>'
            f'<td>{_meter(len(s.adopted_by), total)}<span class="frac">{len(s.adopted_by)}/{total}</span>'
            f'<div class="detail">{_e(adopters)}</div></td></tr>'
        )
    return ('<div class="scroll"><table class="standards"><thead><tr><th>标准</th><th>状态</th>'
            "<th>互认最低等级</th><th>采用园区</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def render_dashboard(o: AllianceOverview) -> str:
    parks = o.parks
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<title>园区信用联盟 · 联盟概览</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/static/dashboard.css">
</head>
<body>
<header class="top">
  <div><h1>园区信用联盟 · 联盟概览</h1><p>效果可视化：成员园区、评级、互认与红黑名单一览</p></div>
  <div class="stamp">数据时间 {_e(_when(o.generated_at))}（北京时间）<br>每 {REFRESH_SECONDS} 秒自动刷新 ·
  <a href="/dashboard.json">JSON 数据</a></div>
</header>
<main>
{_cards(o)}
<section class="panel" id="parks"><h2>园区 · 健康与时延</h2>
<p class="note">各园区节点实时应答的统计；不可用的园区单独标出，不影响其余园区。</p>
{_parks_table(o)}</section>
<div class="grid">
<section class="panel" id="rated"><h2>评级企业数</h2>{rated_chart(parks)}</section>
<section class="panel" id="grades"><h2>等级分布</h2>{grade_chart(parks, o.grade_order)}</section>
</div>
<div class="grid">
<section class="panel" id="matrix"><h2>互认矩阵</h2>
<p class="note">每格为签发园区（行）现行有效评级中，认可园区（列）按联盟互认规则予以认可的比例：认可园区须为正常成员、
已采用评级所依据的标准版本，标准未废止，等级不低于该标准的互认最低等级。</p>
<div class="scroll">{matrix_chart(parks, o.matrix)}</div></section>
<div class="column">
<section class="panel" id="refusals"><h2>未互认的主要原因</h2>{refusal_summary(parks, o.matrix)}</section>
<section class="panel" id="trends"><h2>红黑名单趋势</h2>{trend_chart(o.trends)}</section>
<section class="panel" id="standards"><h2>标准与采用</h2>{_standards_table(o.standards, parks)}</section>
</div>
</div>
</main>
<footer>数据来源：各成员园区节点的统计接口（park.stats）与联盟园区登记、标准库；园区统计为园区自报数字，评级本身以签名凭证为准。</footer>
</body>
</html>
"""


def render_unavailable(reason: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}"><title>园区信用联盟 · 联盟概览</title>
<link rel="stylesheet" href="/dashboard/static/dashboard.css"></head>
<body><header class="top"><div><h1>园区信用联盟 · 联盟概览</h1></div></header>
<main><section class="panel"><h2>概览暂不可用</h2>
<p>联盟服务暂时无法汇总数据（{_e(reason)}），请稍后刷新。</p></section></main>
</body></html>
"""

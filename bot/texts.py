"""The bot's words: Chinese text for a phone screen, within WeChat's 2,047-byte limit of a text reply.

Presentation only: everything said here comes from the service layer's reports. The service layer explains
itself in English (recognition verdicts, attestation verdicts); `zh_reason` renders the explanations it knows
in Chinese and keeps any other one as it is rather than hide it.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from alliance.services.enterprises import EnterpriseReport, RatingView, SearchHit
from alliance.services.standards import StandardsSnapshot

REPLY_LIMIT = 2047  # bytes of UTF-8: WeChat cuts a longer passive text reply, or refuses it
CHINA = timezone(timedelta(hours=8))
MORE = "……（内容较长，完整信息请在小程序中查看）"

HELP = """园区信用联盟 · 使用帮助
• 查询 + 统一社会信用代码或企业名称
  例：查询 914403001922038216
• 互认：各成员园区是否认可该评级及原因
• 标准：联盟现行评价标准简介
• 绑定 + 绑定码：绑定本企业（绑定码由企业所在园区发放）
• 订阅 / 退订：评级、互认、名单变动通知
• 解绑：解除与企业的绑定
• 帮助：显示本说明"""

WELCOME = "欢迎关注园区信用联盟！\n在这里可以查询企业在联盟各成员园区的信用评级及互认情况。\n\n" + HELP

SOURCE_STATUS = {
    "TIMEOUT": "超时未应答",
    "ERROR": "应答出错",
    "CIRCUIT_OPEN": "暂时无法访问",
}

VERDICT_STATUS = {
    "VALID": "有效",
    "REVOKED": "已撤销",
    "SUSPENDED": "已暂停",
    "EXPIRED": "已过期",
    "NOT_YET_VALID": "尚未生效",
    "FORGED": "签名无效",
    "UNKNOWN_KEY": "签名密钥未知",
    "KEY_COMPROMISED": "签名密钥已泄露",
    "MALFORMED": "格式错误",
    "PARK_MISMATCH": "签发园区不符",
    "PARK_SUSPENDED": "签发园区已被暂停",
    "PARK_STATEMENT_INVALID": "园区声明无效",
    "NOT_ACCREDITED": "园区未获该标准资质",
    "STANDARD_REFUSED": "评价标准不被认可",
    "STATUS_UNKNOWN": "状态无法确认",
    "ERROR": "无法核验",
}

LISTING_KIND = {"red": "红名单", "black": "黑名单"}


# Reasons -------------------------------------------------------------------------------------------------
_PART_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(?P<p>.+?)'s rating is not valid: revoked by (?P<x>.+)$"), "{p}的评级已被撤销"),
    (re.compile(r"^(?P<p>.+?)'s rating is not valid: suspended by (?P<x>.+)$"), "{p}的评级已被暂停"),
    (re.compile(r"^(?P<p>.+?)'s rating is not valid: .*expired.*$"), "{p}的评级已过期"),
    (re.compile(r"^(?P<p>.+?)'s rating is not valid: (?P<r>.+)$"), "{p}的评级无效（{r}）"),
    (re.compile(r"^the standard (?P<k>.+?) is retired$"), "标准 {k} 已废止"),
    (re.compile(r"^the standard (?P<k>.+?) is a draft, never published$"), "标准 {k} 尚未发布"),
    (re.compile(r"^the standard (?P<k>.+?) is not one the alliance published$"), "标准 {k} 并非联盟发布"),
    (re.compile(r"^the standard (?P<k>.+?) is unknown to the alliance$"), "联盟未知的标准 {k}"),
    (re.compile(r"^(?P<m>.+?) has not adopted the standard (?P<k>.+)$"), "未采用标准 {k}"),
    (re.compile(r"^grade (?P<g>\S+) is below (?P<n>\S+), the minimum for recognition under (?P<k>.+)$"),
     "等级 {g} 低于互认最低等级 {n}（{k}）"),
]

_REASON_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^not recognised by (?P<m>.+?): the park is suspended from the alliance$"), "该园区已暂停成员资格"),
    (re.compile(r"^not recognised by (?P<m>.+?): black-listed by (?P<p>.+?) \((?P<r>.*)\)$"),
     "已被{p}列入黑名单（{r}）"),
    (re.compile(r"^not recognised by (?P<m>.+?): no member park holds a rating for it$"), "尚无成员园区为其评级"),
    (re.compile(r"^rated by (?P<m>.+?) itself: grade (?P<g>\S+)$"), "本园区评定为 {g} 级"),
    (re.compile(r"^recognised by (?P<m>.+?): grade (?P<g>\S+) by (?P<p>.+?) under (?P<k>.+)$"),
     "认可{p}评定的 {g} 级（{k}）"),
]
_NOT_RECOGNISED = re.compile(r"^not recognised by (?P<m>.+?): (?P<rest>.+)$")


def _part(text: str) -> str:
    for pattern, template in _PART_PATTERNS:
        match = pattern.match(text)
        if match:
            return template.format(**match.groupdict())
    return text


def zh_reason(reason: str) -> str:
    """A recognition verdict's reason in Chinese, where the pattern is known."""
    for pattern, template in _REASON_PATTERNS:
        match = pattern.match(reason)
        if match:
            return template.format(**match.groupdict())
    match = _NOT_RECOGNISED.match(reason)
    if match:
        return "；".join(_part(p.strip()) for p in match.group("rest").split("; "))
    return reason


def zh_uscc_problem(reason: str) -> str:
    """alliance.core.uscc's reasons, in Chinese."""
    m = re.match(r"a USCC has 18 characters, got (\d+)", reason)
    if m:
        return f"应为 18 位，实为 {m.group(1)} 位"
    m = re.match(r"characters outside the USCC alphabet: (.+)", reason)
    if m:
        return f"含有不允许的字符 {m.group(1)}（代码中不使用 I、O、S、V、Z）"
    m = re.match(r"(organisation code )?check character should be (\S+), got (\S+)", reason)
    if m:
        which = "组织机构代码校验位" if m.group(1) else "校验位"
        return f"{which}应为 {m.group(2)}，实为 {m.group(3)}"
    m = re.match(r"registration department (\S) is not", reason)
    if m:
        return f"登记管理部门代码 {m.group(1)} 无效"
    m = re.match(r"region code (\S+) must be 6 digits", reason)
    if m:
        return f"行政区划码 {m.group(1)} 应为 6 位数字"
    return reason


# Formatting ----------------------------------------------------------------------------------------------
def fit(text: str, limit: int = REPLY_LIMIT) -> str:
    """Cut `text` at a line boundary so that it fits `limit` bytes, saying that there is more."""
    if len(text.encode("utf-8")) <= limit:
        return text
    budget = limit - len(("\n" + MORE).encode("utf-8"))
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        n = len(line.encode("utf-8")) + 1
        if size + n > budget:
            break
        kept.append(line)
        size += n
    if not kept:  # a single huge line: cut inside it, on a character boundary
        kept = [text.encode("utf-8")[:budget - 1].decode("utf-8", errors="ignore")]
    return "\n".join(kept) + "\n" + MORE


def day(value: datetime | None) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d") if value else "—"


def grade_label(snapshot: StandardsSnapshot | None, rating: RatingView) -> str:
    if snapshot is None or not rating.standard_id or not rating.standard_version or not rating.grade:
        return ""
    standard = snapshot.standard_for(rating.standard_id, rating.standard_version)
    if standard is None:
        return ""
    return next((b.label for b in standard.grade_bands if b.grade == rating.grade and b.label), "")


def _title(report: EnterpriseReport) -> str:
    return f"【{report.name or '企业'}】\n统一社会信用代码：{report.uscc}"


def report_text(report: EnterpriseReport, snapshot: StandardsSnapshot | None) -> str:
    """The answer to 查询: rating, issuing park, validity, recognition count (and who does not), listings."""
    lines = [_title(report)]
    if not report.ratings:
        lines.append("联盟成员园区暂无该企业的信用评级。")
    for r in report.ratings:
        label = grade_label(snapshot, r)
        grade = f"{r.grade}（{label}）" if label else (r.grade or "—")
        lines.append(f"信用等级：{grade}")
        lines.append(f"评级园区：{r.park.name}")
        if r.standard_id:
            lines.append(f"评价标准：{r.standard_id} {r.standard_version}")
        lines.append(f"有效期：{day(r.issued_at)} 至 {day(r.expires_at)}")
        if r.score is not None:
            lines.append(f"评分：{r.score:g}")
        if not r.verdict:
            lines.append(f"⚠ 该评级{VERDICT_STATUS.get(r.verdict.status, '无效')}，不能用于互认")
    total = len(report.recognition)
    if total:
        lines.append(f"联盟互认：{report.recognised_count}/{total} 个成员园区认可")
        refused = [v for v in report.recognition if not v.recognised]
        if refused and report.ratings:
            lines.append("未认可：")
            lines.extend(f"· {v.park.name}：{zh_reason(v.reason)}" for v in refused[:6])
            if len(refused) > 6:
                lines.append(f"· 另有 {len(refused) - 6} 个园区，回复“互认”查看")
    active = [lv for lv in report.listings if lv.active]
    if active:
        lines.append("名单：")
        lines.extend(f"· {LISTING_KIND.get(lv.kind, lv.kind)}（{lv.park.name}，自 {lv.since}）：{lv.reason}"
                     for lv in active)
    incentives = sorted({m.measure.name for m in report.measures if m.measure.kind == "incentive"})
    punishments = sorted({m.measure.name for m in report.measures if m.measure.kind == "punishment"})
    if incentives:
        lines.append("守信激励：" + "、".join(incentives))
    if punishments:
        lines.append("失信惩戒：" + "、".join(punishments))
    lines.extend(_missing(report))
    lines.append("回复“互认”查看各园区详情")
    return fit("\n".join(lines))


def _missing(report: EnterpriseReport) -> list[str]:
    silent = [s for s in report.sources if s.status in SOURCE_STATUS]
    if not silent:
        return []
    names = "、".join(f"{s.park.name}（{SOURCE_STATUS[s.status]}）" for s in silent)
    return [f"提示：{names}，其结果暂缺。"]


def recognition_text(report: EnterpriseReport) -> str:
    """The answer to 互认: every member park, whether it recognises the rating, and why."""
    lines = [f"{_title(report)}\n联盟互认详情：{report.recognised_count}/{len(report.recognition)} 个园区认可"]
    for v in sorted(report.recognition, key=lambda v: not v.recognised):
        mark = "✅" if v.recognised else "❌"
        lines.append(f"{mark} {v.park.name}：{zh_reason(v.reason)}")
    if not report.recognition:
        lines.append("联盟暂无成员园区。")
    lines.extend(_missing(report))
    return fit("\n".join(lines))


def choices_text(query: str, hits: list[SearchHit]) -> str:
    lines = [f"找到 {len(hits)} 家与“{query}”相关的企业，请回复序号查看："]
    for i, hit in enumerate(hits, 1):
        grade = f"，{hit.grade}" if hit.grade else ""
        lines.append(f"{i}. {hit.name or '（未知名称）'}（{hit.uscc}{grade}）")
    return fit("\n".join(lines))


def not_found_text(query: str) -> str:
    return (f"未找到与“{query}”相关的企业。\n请核对企业全称，或直接发送 18 位统一社会信用代码，"
            "例如：查询 914403001922038216")


def standard_text(snapshot: StandardsSnapshot) -> str:
    """The answer to 标准: the standards in force, in brief."""
    if not snapshot.current:
        return "联盟尚未发布现行评价标准。"
    parts = []
    for standard in snapshot.current.values():
        lines = [f"【{standard.title}】", f"版本：{standard.id} {standard.version}（{standard.effective_date} 起施行）",
                 f"评级有效期：{standard.validity_days} 天"]
        bands = [f"{b.grade}（{b.label}）≥{b.min_score:g} 分" if b.label else f"{b.grade} ≥{b.min_score:g} 分"
                 for b in standard.grade_bands]
        if bands:
            lines.append("等级：" + "；".join(bands))
        lines.append(f"互认条件：{standard.min_recognition_grade} 级及以上，且认可园区采用同一标准版本")
        if standard.indicators:
            top = sorted(standard.indicators, key=lambda i: -i.weight)[:5]
            lines.append(f"评价指标 {len(standard.indicators)} 项，主要有：" + "、".join(
                f"{i.name}（{i.weight * 100:g}%）" for i in top))
        if standard.veto_items:
            lines.append("一票否决：" + "、".join(v.name for v in standard.veto_items))
        parts.append("\n".join(lines))
    return fit("\n\n".join(parts))

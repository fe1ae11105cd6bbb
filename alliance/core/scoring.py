"""Scoring: an enterprise's indicator values → score, grade and the breakdown behind them.

Arithmetic is done in Decimal under a fixed context and the final score is rounded half-up to 2 decimals, so
every park computes the same score for the same input on any machine. The grade comes from the rounded
score, so a reader can check it against the published bands; a veto (一票否决) caps the grade at its own (never
lifting it), and never changes the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Any

from alliance.core.standard import (
    NUMERIC_OPS,
    BandsRule,
    BooleanRule,
    DeductionRule,
    Indicator,
    LinearRule,
    MappingRule,
    Rule,
    Standard,
    VetoCondition,
    is_number,
    to_decimal,
)
from alliance.errors import InvalidInput

# Fixed rather than inherited: a caller's decimal context must not change a rating
_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")
_DETAIL = Decimal("0.0001")


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    name: str
    value: Any  # the value scored: as given, or the rule's neutral value; None when missing
    points: float | None  # 0..100; None when excluded
    weight: float  # effective weight: the declared one, renormalised when indicators are excluded
    contribution: float  # points × weight on the standard's scale; the contributions add up to score - scale min
    note: str = ""


@dataclass(frozen=True)
class VetoHit:
    code: str  # the veto item's code, or the indicator's code when a missing value is a veto
    name: str
    grade: str
    reason: str


@dataclass(frozen=True)
class ScoreResult:
    score: float
    grade: str
    breakdown: tuple[IndicatorScore, ...]
    veto: VetoHit | None
    missing: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "grade": self.grade,
            "veto": None
            if self.veto is None
            else {
                "code": self.veto.code,
                "name": self.veto.name,
                "grade": self.veto.grade,
                "reason": self.veto.reason,
            },
            "missing": list(self.missing),
            "breakdown": [
                {
                    "code": item.code,
                    "name": item.name,
                    "value": item.value,
                    "points": item.points,
                    "weight": item.weight,
                    "contribution": item.contribution,
                    "note": item.note,
                }
                for item in self.breakdown
            ],
        }


def rule_points(rule: Rule, value: Any) -> Decimal:
    """Points (0..100) for a value the rule accepts (see `input_problem`)."""
    with localcontext(_CONTEXT):
        match rule:
            case MappingRule():
                return dict(rule.points)[value]
            case BandsRule():
                x = to_decimal(value)
                for band in rule.bands:
                    if band.contains(x):
                        return band.points
                raise InvalidInput(f"{value!r} is outside the bands {rule.coverage()}")
            case LinearRule():
                x = min(max(to_decimal(value), rule.min), rule.max)
                share = (x - rule.min) / (rule.max - rule.min)
                return (share if rule.direction == "increasing" else 1 - share) * _HUNDRED
            case BooleanRule():
                return rule.true_points if value else rule.false_points
            case DeductionRule():
                return max(Decimal(0), rule.start - rule.per_occurrence * to_decimal(value))
    raise AssertionError(f"unreachable: unknown rule {rule!r}")


def condition_holds(condition: VetoCondition, value: Any) -> bool:
    """Whether a veto condition holds on a provided (already type-checked) value."""
    op, target = condition.op, condition.value
    if op == "true":
        return value is True
    if op == "eq":
        return _same(value, target)
    if op == "ne":
        return not _same(value, target)
    if op == "in":
        return any(_same(value, item) for item in target)
    if op in NUMERIC_OPS and is_number(value) and is_number(target):
        x, y = to_decimal(value), to_decimal(target)
        return {"gt": x > y, "ge": x >= y, "lt": x < y, "le": x <= y}[op]
    return False


def _same(a: Any, b: Any) -> bool:
    # True == 1 in Python; a boolean indicator must not match a numeric operand or the reverse
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if is_number(a) and is_number(b):
        return to_decimal(a) == to_decimal(b)
    return a == b


def _check_input(standard: Standard, indicators: Mapping[str, Any]) -> None:
    if not isinstance(indicators, Mapping):
        raise InvalidInput(f"indicators must be an object of code → value, not {type(indicators).__name__}")
    problems = []
    known = {indicator.code for indicator in standard.indicators}
    unknown = sorted(str(code) for code in indicators if code not in known)
    if unknown:
        expected = ", ".join(sorted(known))
        listed = ", ".join(unknown)
        problems.append(f"unknown indicator codes {listed} (standard {standard.key} has {expected})")
    for indicator in standard.indicators:
        value = indicators.get(indicator.code)
        if value is not None:
            problem = indicator.rule.input_problem(value)
            if problem:
                problems.append(f"{indicator.code} ({indicator.name}): {problem}")
    if problems:
        raise InvalidInput("cannot score these indicators", problems=problems)


@dataclass
class _Line:
    indicator: Indicator
    value: Any
    points: Decimal | None  # None: excluded
    note: str


def _line(indicator: Indicator, value: Any) -> _Line:
    rule = indicator.rule
    if value is not None:
        note = ""
        if isinstance(rule, LinearRule) and not rule.min <= to_decimal(value) <= rule.max:
            note = f"clamped to [{rule.min}, {rule.max}]"
        return _Line(indicator, value, rule_points(rule, value), note)
    policy = indicator.missing
    if policy == "neutral":
        return _Line(indicator, rule.neutral, rule_points(rule, rule.neutral), "missing: scored the neutral value")
    if policy == "exclude":
        return _Line(indicator, None, None, "missing: excluded, the other weights renormalised")
    if policy == "veto":
        return _Line(indicator, None, Decimal(0), "missing: scored 0 and vetoed")
    return _Line(indicator, None, Decimal(0), "missing: scored 0")


def _vetoes(standard: Standard, indicators: Mapping[str, Any]) -> list[VetoHit]:
    hits = []
    for item in standard.veto_items:
        value = indicators.get(item.condition.indicator)
        if value is not None and condition_holds(item.condition, value):
            reason = f"一票否决：{item.name}（{item.condition.indicator} = {value!r}）"
            hits.append(VetoHit(item.code, item.name, item.grade, reason))
    for indicator in standard.indicators:
        if indicator.missing == "veto" and indicators.get(indicator.code) is None:
            reason = f"一票否决：缺少必需指标 {indicator.name}（{indicator.code}）"
            hits.append(VetoHit(indicator.code, indicator.name, standard.grades[-1], reason))
    return hits


def score(standard: Standard, indicators: Mapping[str, Any]) -> ScoreResult:
    """Score one enterprise's indicator values (code → value; None or absent means missing)."""
    _check_input(standard, indicators)
    with localcontext(_CONTEXT):
        lines = [_line(indicator, indicators.get(indicator.code)) for indicator in standard.indicators]
        counted = [line for line in lines if line.points is not None]
        total_weight = sum((to_decimal(line.indicator.weight) for line in counted), Decimal(0))
        if not counted:
            raise InvalidInput(
                "cannot score these indicators",
                problems=["every indicator is missing and excluded: there is nothing to score"],
            )
        span = standard.scale_max - standard.scale_min
        breakdown = []
        raw = Decimal(0)
        for line in lines:
            if line.points is None:
                weight = contribution = Decimal(0)
            else:
                weight = to_decimal(line.indicator.weight) / total_weight
                contribution = weight * line.points * span / _HUNDRED
            raw += contribution
            breakdown.append(
                IndicatorScore(
                    code=line.indicator.code,
                    name=line.indicator.name,
                    value=line.value,
                    points=None if line.points is None else float(line.points.quantize(_DETAIL, ROUND_HALF_UP)),
                    weight=float(weight.quantize(Decimal("0.000001"), ROUND_HALF_UP)),
                    contribution=float(contribution.quantize(_DETAIL, ROUND_HALF_UP)),
                    note=line.note,
                )
            )
        # the weighted mean of 0..100 points stays in 0..100; clamp anyway against rounding at the edges
        final = min(max(standard.scale_min + raw, standard.scale_min), standard.scale_max)
        final = final.quantize(_CENT, ROUND_HALF_UP)
    veto = None
    for hit in _vetoes(standard, indicators):
        if veto is None or standard.grade_rank(hit.grade) > standard.grade_rank(veto.grade):
            veto = hit
    grade = standard.grade_for_score(final)
    # A veto caps the grade: it can only make it worse, never lift a poor score.
    if veto and standard.grade_rank(veto.grade) > standard.grade_rank(grade):
        grade = veto.grade
    missing = tuple(indicator.code for indicator in standard.indicators if indicators.get(indicator.code) is None)
    return ScoreResult(float(final), grade, tuple(breakdown), veto, missing)

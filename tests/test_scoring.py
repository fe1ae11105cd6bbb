"""Scoring: hand-computed examples per rule kind, missing-value policies, vetoes, determinism and properties."""

from __future__ import annotations

import itertools
import json
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.core.scoring import ScoreResult, condition_holds, rule_points, score
from alliance.core.standard import (
    BandsRule,
    BooleanRule,
    DeductionRule,
    LinearRule,
    MappingRule,
    Rule,
    Standard,
    VetoCondition,
    demo_standard_path,
    load_standard_file,
    validate_standard,
)
from alliance.errors import InvalidInput

DEMO = load_standard_file(demo_standard_path("2025.1"))
DEMO_2026 = load_standard_file(demo_standard_path("2026.1"))
FAST = settings(max_examples=200, deadline=None)

TOP = {
    "TAX_CREDIT": "A",
    "ADMIN_PENALTY": 0,
    "SOCIAL_INSURANCE_ARREARS": 0,
    "DISHONEST_DEBTOR": False,
    "RD_INTENSITY": 8.5,
    "INVENTION_PATENTS": 7,
    "ABNORMAL_OPERATION": False,
    "COMMITMENT_FULFILMENT": 100,
    "ENV_CREDIT": "绿牌",
    "QUALITY_SAMPLING": 98.5,
}

GRADES = [
    {"grade": "A", "min_score": 80},
    {"grade": "B", "min_score": 60},
    {"grade": "C", "min_score": 40},
    {"grade": "D", "min_score": 0},
]


def make_standard(
    indicators: list[dict[str, Any]],
    *,
    veto_items: list[dict[str, Any]] | None = None,
    scale: tuple[float, float] = (0, 100),
    grades: list[dict[str, Any]] | None = None,
) -> Standard:
    """A small valid standard around the given indicators (weights as given)."""
    return validate_standard({
        "id": "TEST",
        "version": "2025.1",
        "title": "测试标准",
        "effective_date": "2025-01-01",
        "validity_days": 365,
        "scale": {"min": scale[0], "max": scale[1]},
        "indicators": indicators,
        "veto_items": veto_items or [],
        "grades": grades or GRADES,
        "recognition": {"min_grade": (grades or GRADES)[-1]["grade"]},
        "measures": {"per_grade": {}},
    })  # fmt: skip


def indicator(code: str, rule: dict[str, Any], weight: float = 1.0, missing: str = "zero") -> dict[str, Any]:
    return {"code": code, "name": code, "description": "", "weight": weight, "rule": rule, "missing": missing}


def single(rule: dict[str, Any], **kwargs: Any) -> Standard:
    return make_standard([indicator("X", rule, **kwargs)])


def points_of(standard: Standard, value: Any) -> float:
    result = score(standard, {"X": value})
    return result.breakdown[0].points  # type: ignore[return-value]


# --- each rule kind by hand --------------------------------------------------------------------------------

MAPPING = {"kind": "mapping", "points": {"A": 100, "B": 85, "M": 70, "C": 40, "D": 0}, "neutral": "M"}
BANDS = {
    "kind": "bands",
    "bands": [{"from": 0, "to": 1, "points": 100}, {"from": 1, "to": 3, "points": 60}, {"from": 3, "points": 0}],
}
LINEAR_UP = {"kind": "linear", "min": 0, "max": 10, "direction": "increasing"}
LINEAR_DOWN = {"kind": "linear", "min": 20, "max": 60, "direction": "decreasing"}
BOOLEAN = {"kind": "boolean", "true_points": 0, "false_points": 100}
DEDUCTION = {"kind": "deduction", "start": 100, "per_occurrence": 25}


@pytest.mark.parametrize(
    ("rule", "value", "points"),
    [
        (MAPPING, "A", 100), (MAPPING, "B", 85), (MAPPING, "M", 70), (MAPPING, "C", 40), (MAPPING, "D", 0),
        (BANDS, 0, 100), (BANDS, 0.999, 100), (BANDS, 1, 60), (BANDS, 2.5, 60), (BANDS, 3, 0), (BANDS, 1e6, 0),
        (LINEAR_UP, 0, 0), (LINEAR_UP, 2.5, 25), (LINEAR_UP, 10, 100), (LINEAR_UP, -4, 0), (LINEAR_UP, 37, 100),
        (LINEAR_DOWN, 20, 100), (LINEAR_DOWN, 30, 75), (LINEAR_DOWN, 60, 0), (LINEAR_DOWN, 5, 100),
        (LINEAR_DOWN, 90, 0),
        (BOOLEAN, True, 0), (BOOLEAN, False, 100),
        (DEDUCTION, 0, 100), (DEDUCTION, 1, 75), (DEDUCTION, 3, 25), (DEDUCTION, 4, 0), (DEDUCTION, 9, 0),
        (DEDUCTION, 2.0, 50),
    ],
)  # fmt: skip
def test_rule_points_by_hand(rule: dict[str, Any], value: Any, points: float) -> None:
    standard = single(rule)
    assert points_of(standard, value) == points
    # one indicator with weight 1 on a 0..100 scale: the score is the points
    assert score(standard, {"X": value}).score == points


def test_linear_thirds_round_half_up_to_cents() -> None:
    standard = single({"kind": "linear", "min": 0, "max": 3, "direction": "increasing"})
    assert score(standard, {"X": 1}).score == 33.33
    assert score(standard, {"X": 2}).score == 66.67
    assert score(standard, {"X": 1}).breakdown[0].points == 33.3333


def test_final_rounding_is_half_up() -> None:
    standard = single({"kind": "linear", "min": 0, "max": 100, "direction": "increasing"})
    # half-even (and binary floats) would give 12.34 and 0.12; half-up gives 12.35 and 0.13
    assert score(standard, {"X": 12.345}).score == 12.35
    assert score(standard, {"X": 0.125}).score == 0.13
    assert score(standard, {"X": 2.675}).score == 2.68


def test_weighted_sum_by_hand() -> None:
    standard = make_standard([
        indicator("TAX", MAPPING, 0.5),
        indicator("PENALTY", DEDUCTION, 0.3),
        indicator("RD", LINEAR_UP, 0.2),
    ])  # fmt: skip
    result = score(standard, {"TAX": "B", "PENALTY": 1, "RD": 4})
    # 0.5 × 85 + 0.3 × 75 + 0.2 × 40 = 42.5 + 22.5 + 8 = 73
    assert result.score == 73.0
    assert result.grade == "B"
    assert [line.contribution for line in result.breakdown] == [42.5, 22.5, 8.0]
    assert [line.weight for line in result.breakdown] == [0.5, 0.3, 0.2]


def test_score_is_mapped_onto_the_scale() -> None:
    grades = [{"grade": "A", "min_score": 700}, {"grade": "B", "min_score": 300}]
    standard = make_standard([indicator("X", LINEAR_UP)], scale=(300, 850), grades=grades)
    # 300 + 550 × 40% = 520
    result = score(standard, {"X": 4})
    assert result.score == 520.0 and result.grade == "B"
    assert result.breakdown[0].contribution == 220.0
    assert score(standard, {"X": 10}).score == 850.0
    assert score(standard, {"X": 0}).score == 300.0


def test_demo_top_grade_by_hand() -> None:
    result = score(DEMO, TOP)
    # 18 + 12 + 8 + 10 + 0.12 × 85 + 8 + 8 + 8 + 8 + 0.08 × 92.5 = 97.6
    assert result.score == 97.6
    assert result.grade == "AAA"
    assert result.veto is None and result.missing == ()
    assert DEMO.recognisable(result.grade)
    assert sum(line.contribution for line in result.breakdown) == pytest.approx(97.6)


def test_demo_middle_grades() -> None:
    # B tax (85), one penalty (75), arrears 2 months (60), R&D 3% (30), 1 patent (50), commitment 90% (75),
    # 蓝牌 (80), quality 95% (75):
    # 15.3 + 9 + 4.8 + 10 + 3.6 + 4 + 8 + 6 + 6.4 + 6 = 73.1 → A
    values = {
        "TAX_CREDIT": "B", "ADMIN_PENALTY": 1, "SOCIAL_INSURANCE_ARREARS": 2, "DISHONEST_DEBTOR": False,
        "RD_INTENSITY": 3, "INVENTION_PATENTS": 1, "ABNORMAL_OPERATION": False, "COMMITMENT_FULFILMENT": 90,
        "ENV_CREDIT": "蓝牌", "QUALITY_SAMPLING": 95,
    }  # fmt: skip
    result = score(DEMO, values)
    assert result.score == 73.1 and result.grade == "A"
    result = score(DEMO, {**values, "ABNORMAL_OPERATION": True})  # - 8
    assert result.score == 65.1 and result.grade == "B"
    assert not DEMO.recognisable(result.grade)


# --- vetoes ------------------------------------------------------------------------------------------------


def test_dishonest_debtor_is_vetoed_to_d() -> None:
    result = score(DEMO, {**TOP, "DISHONEST_DEBTOR": True})
    assert result.grade == "D"
    assert result.veto is not None
    assert result.veto.code == "VETO_DISHONEST_DEBTOR" and result.veto.name == "失信被执行人"
    assert "失信被执行人" in result.veto.reason
    assert result.score == 87.6  # the score is still reported; only the grade is forced


def test_the_worst_of_several_vetoes_wins() -> None:
    env_black = score(DEMO, {**TOP, "ENV_CREDIT": "黑牌"})
    assert env_black.grade == "C" and env_black.veto and env_black.veto.code == "VETO_ENV_BLACK"
    both = score(DEMO, {**TOP, "ENV_CREDIT": "黑牌", "TAX_CREDIT": "D"})
    assert both.grade == "D" and both.veto and both.veto.code == "VETO_TAX_D"


def test_a_veto_caps_the_grade_and_never_lifts_it() -> None:
    # A veto forces its grade over a better score, but a worse score keeps its worse grade.
    standard = make_standard(
        [indicator("X", LINEAR_UP, 0.5), indicator("FLAG", BOOLEAN, 0.5)],
        veto_items=[{"code": "V", "name": "否决", "condition": {"indicator": "FLAG", "op": "true"}, "grade": "C"}],
    )
    result = score(standard, {"X": 0, "FLAG": True})
    assert result.score == 0.0 and result.grade == "D" and result.veto is not None
    capped = score(standard, {"X": 100, "FLAG": True})
    assert capped.grade == "C" and capped.veto is not None


@pytest.mark.parametrize(
    ("op", "operand", "value", "holds"),
    [
        ("eq", "D", "D", True), ("eq", "D", "C", False), ("ne", "D", "C", True), ("ne", "D", "D", False),
        ("in", ["C", "D"], "C", True), ("in", ["C", "D"], "A", False),
        ("gt", 3, 4, True), ("gt", 3, 3, False), ("ge", 3, 3, True), ("lt", 3, 2.5, True), ("lt", 3, 3, False),
        ("le", 3, 3.0, True), ("le", 3, 3.5, False), ("eq", 3, 3.0, True),
        ("true", None, True, True), ("true", None, False, False),
        ("eq", 1, True, False), ("eq", True, 1, False),  # True == 1 in Python, not here
    ],
)  # fmt: skip
def test_condition_operators(op: str, operand: Any, value: Any, holds: bool) -> None:
    assert condition_holds(VetoCondition("X", op, operand), value) is holds


def test_numeric_veto_conditions() -> None:
    standard = make_standard(
        [indicator("PENALTY", DEDUCTION)],
        veto_items=[
            {
                "code": "V",
                "name": "处罚过多",
                "condition": {"indicator": "PENALTY", "op": "ge", "value": 5},
                "grade": "D",
            }
        ],
    )
    assert score(standard, {"PENALTY": 4}).veto is None
    assert score(standard, {"PENALTY": 5}).grade == "D"


# --- missing values ----------------------------------------------------------------------------------------


def two(missing: str, rule: dict[str, Any] = LINEAR_UP) -> Standard:
    return make_standard([indicator("X", rule, 0.5, missing), indicator("Y", LINEAR_UP, 0.5)])


def test_missing_zero_scores_zero() -> None:
    result = score(two("zero"), {"Y": 10})
    assert result.score == 50.0 and result.missing == ("X",)
    assert result.breakdown[0].points == 0 and result.breakdown[0].note.startswith("missing")


def test_missing_neutral_scores_the_neutral_value() -> None:
    result = score(two("neutral", {**LINEAR_UP, "neutral": 6}), {"Y": 10})
    assert result.score == 80.0  # (60 + 100) / 2
    assert result.breakdown[0].value == 6 and result.missing == ("X",)
    result = score(two("neutral", MAPPING), {"Y": 10})
    assert result.score == 85.0  # neutral M = 70


def test_missing_exclude_reweights_the_others() -> None:
    result = score(two("exclude"), {"Y": 4})
    assert result.score == 40.0  # Y alone, reweighted to 1
    assert result.breakdown[0].points is None and result.breakdown[0].weight == 0
    assert result.breakdown[1].weight == 1.0 and result.breakdown[1].contribution == 40.0
    three = make_standard([
        indicator("X", LINEAR_UP, 0.2, "exclude"),
        indicator("Y", LINEAR_UP, 0.3),
        indicator("Z", LINEAR_UP, 0.5),
    ])  # fmt: skip
    # (0.3 × 100 + 0.5 × 40) / 0.8 = 62.5
    assert score(three, {"Y": 10, "Z": 4}).score == 62.5


def test_missing_veto_forces_the_worst_grade() -> None:
    result = score(two("veto"), {"Y": 10})
    assert result.grade == "D" and result.score == 50.0
    assert result.veto is not None and result.veto.code == "X" and result.veto.grade == "D"
    assert "X" in result.veto.reason
    demo = score(DEMO, {k: v for k, v in TOP.items() if k != "DISHONEST_DEBTOR"})
    assert demo.grade == "D" and demo.veto and demo.veto.code == "DISHONEST_DEBTOR"


def test_none_counts_as_missing() -> None:
    assert score(two("zero"), {"X": None, "Y": 10}) == score(two("zero"), {"Y": 10})


def test_demo_missing_policies() -> None:
    result = score(DEMO, {"DISHONEST_DEBTOR": False})
    assert set(result.missing) == set(TOP) - {"DISHONEST_DEBTOR"}
    lines = {line.code: line for line in result.breakdown}
    assert lines["TAX_CREDIT"].value == "M" and lines["TAX_CREDIT"].points == 70  # neutral
    assert lines["RD_INTENSITY"].points is None  # excluded
    assert lines["ADMIN_PENALTY"].points == 0  # zero
    # (0.18 × 70 + 0.1 × 100 + 0.08 × 50 + 0.08 × 80) / 0.72 = 33 / 0.72 = 45.833…
    assert result.score == 45.83 and result.grade == "C"


def test_everything_excluded_is_refused() -> None:
    standard = make_standard([indicator("X", LINEAR_UP, 1, "exclude")])
    with pytest.raises(InvalidInput, match="nothing to score"):
        score(standard, {})


def test_older_input_scores_under_the_later_standard() -> None:
    # 2026.1 adds WAGE_ARREARS with a neutral default, so a 2025.1 input still scores
    result = score(DEMO_2026, TOP)
    assert result.missing == ("WAGE_ARREARS",) and result.grade == "AAA"
    assert score(DEMO_2026, {**TOP, "WAGE_ARREARS": True}).grade == "C"


# --- bad input ---------------------------------------------------------------------------------------------


def test_unknown_codes_are_listed() -> None:
    with pytest.raises(InvalidInput) as caught:
        score(DEMO, {**TOP, "FOO": 1, "BAR": 2})
    assert "unknown indicator codes BAR, FOO" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("RD_INTENSITY", "high", "RD_INTENSITY (研发投入强度): 'high' is not a number"),
        ("RD_INTENSITY", True, "RD_INTENSITY (研发投入强度): True is not a number"),
        ("RD_INTENSITY", float("nan"), "RD_INTENSITY (研发投入强度): nan is not a number"),
        ("TAX_CREDIT", "E", "TAX_CREDIT (纳税信用等级): 'E' is not one of the labels A, B, M, C, D"),
        ("TAX_CREDIT", 1, "TAX_CREDIT (纳税信用等级): 1 is not one of the labels"),
        ("DISHONEST_DEBTOR", 1, "DISHONEST_DEBTOR (失信被执行人): 1 is not true or false"),
        ("DISHONEST_DEBTOR", "否", "'否' is not true or false"),
        ("ADMIN_PENALTY", 1.5, "ADMIN_PENALTY (行政处罚): 1.5 is not a count"),
        ("ADMIN_PENALTY", -1, "-1 is not a count"),
        ("INVENTION_PATENTS", -1, "INVENTION_PATENTS (知识产权): -1 is outside the bands [0, ∞)"),
        ("SOCIAL_INSURANCE_ARREARS", "3个月", "'3个月' is not a number"),
    ],
)
def test_wrong_values_name_the_indicator_and_value(code: str, value: Any, expected: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        score(DEMO, {**TOP, code: value})
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        score(DEMO, {**TOP, "TAX_CREDIT": "E", "RD_INTENSITY": "x", "NOPE": 1})
    assert len(caught.value.problems) == 3


def test_indicators_must_be_a_mapping() -> None:
    with pytest.raises(InvalidInput, match="must be an object"):
        score(DEMO, [("TAX_CREDIT", "A")])  # type: ignore[arg-type]


# --- result shape and determinism --------------------------------------------------------------------------


def test_to_dict_is_json_ready() -> None:
    result = score(DEMO, {**TOP, "DISHONEST_DEBTOR": True})
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["score"] == 87.6 and data["grade"] == "D"
    assert data["veto"]["code"] == "VETO_DISHONEST_DEBTOR"
    assert data["missing"] == []
    assert data["breakdown"][0] == {
        "code": "TAX_CREDIT", "name": "纳税信用等级", "value": "A", "points": 100.0, "weight": 0.18,
        "contribution": 18.0, "note": "",
    }  # fmt: skip
    assert score(DEMO, TOP).to_dict()["veto"] is None


def test_result_is_frozen() -> None:
    result = score(DEMO, TOP)
    with pytest.raises(AttributeError):
        result.grade = "D"  # type: ignore[misc]


def test_callers_decimal_context_changes_nothing() -> None:
    expected = score(DEMO, {**TOP, "RD_INTENSITY": 1 / 3})
    with localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = ROUND_DOWN
        assert score(DEMO, {**TOP, "RD_INTENSITY": 1 / 3}) == expected


def test_rule_points_direct() -> None:
    rule = LinearRule(Decimal(0), Decimal(10), "increasing")
    assert rule_points(rule, 5) == Decimal(50)


# --- properties --------------------------------------------------------------------------------------------


def value_for(rule: Rule) -> st.SearchStrategy[Any]:
    """Values a rule accepts."""
    if isinstance(rule, MappingRule):
        return st.sampled_from(rule.labels())
    if isinstance(rule, BooleanRule):
        return st.booleans()
    if isinstance(rule, DeductionRule):
        return st.integers(0, 30)
    if isinstance(rule, LinearRule):
        low, high = float(rule.min) - 20, float(rule.max) + 20
        return st.integers(int(low), int(high)) | st.floats(low, high, allow_nan=False)
    assert isinstance(rule, BandsRule)
    low = -1e3 if rule.bands[0].lower is None else float(rule.bands[0].lower)
    high = 1e3 if rule.bands[-1].upper is None else float(rule.bands[-1].upper)
    return st.floats(low, high, exclude_max=rule.bands[-1].upper is not None, allow_nan=False)


def inputs_for(standard: Standard) -> st.SearchStrategy[dict[str, Any]]:
    """Indicator dicts where each indicator is present, None, or absent."""
    parts = {ind.code: st.one_of(st.just("<absent>"), st.none(), value_for(ind.rule)) for ind in standard.indicators}
    return st.fixed_dictionaries(parts).map(lambda d: {k: v for k, v in d.items() if v != "<absent>"})


@st.composite
def random_standards(draw: st.DrawFn) -> Standard:
    count = draw(st.integers(1, 5))
    raw_weights = draw(st.lists(st.integers(1, 20), min_size=count, max_size=count))
    indicators = []
    points = st.integers(0, 100)
    for n, raw_weight in enumerate(raw_weights):
        kind = draw(st.sampled_from(["mapping", "bands", "linear", "boolean", "deduction"]))
        if kind == "mapping":
            labels = draw(st.lists(st.sampled_from("ABCDEFM"), min_size=1, max_size=5, unique=True))
            rule: dict[str, Any] = {"kind": kind, "points": {label: draw(points) for label in labels}}
        elif kind == "bands":
            cuts = sorted(draw(st.lists(st.integers(-50, 50), min_size=1, max_size=4, unique=True)))
            bands = [{"to": cuts[0], "points": draw(points)}]
            bands += [{"from": a, "to": b, "points": draw(points)} for a, b in itertools.pairwise(cuts)]
            bands.append({"from": cuts[-1], "points": draw(points)})
            rule = {"kind": kind, "bands": bands}
        elif kind == "linear":
            low = draw(st.integers(-100, 100))
            rule = {
                "kind": kind, "min": low, "max": low + draw(st.integers(1, 100)),
                "direction": draw(st.sampled_from(["increasing", "decreasing"])),
            }  # fmt: skip
        elif kind == "boolean":
            rule = {"kind": kind, "true_points": draw(points), "false_points": draw(points)}
        else:
            rule = {"kind": kind, "start": draw(points), "per_occurrence": draw(st.integers(1, 50))}
        missing = draw(st.sampled_from(["zero", "exclude"]))
        weight = raw_weight / sum(raw_weights)
        indicators.append(indicator(f"I{n}", rule, weight, missing))
    # exact weights: put the float rounding remainder on the last one
    indicators[-1]["weight"] = 1 - sum(ind["weight"] for ind in indicators[:-1])
    low = draw(st.integers(-100, 100))
    high = low + draw(st.integers(1, 1000))
    cuts = sorted(draw(st.sets(st.integers(low + 1, high), min_size=1, max_size=5)), reverse=True)
    grades = [{"grade": f"G{i}", "min_score": cut} for i, cut in enumerate(cuts)]
    grades.append({"grade": f"G{len(cuts)}", "min_score": low})
    return make_standard(indicators, scale=(low, high), grades=grades)


def band_grade(standard: Standard, value: float) -> str:
    """The grade straight from the published document, independently of the code under test."""
    for band in standard.document["grades"]:
        if value >= band["min_score"]:
            return band["grade"]
    return standard.document["grades"][-1]["grade"]


def _scoreable(standard: Standard, values: dict[str, Any]) -> bool:
    return any(ind.missing != "exclude" or values.get(ind.code) is not None for ind in standard.indicators)


@FAST
@given(data=st.data())
def test_score_within_scale_and_grade_matches_bands(data: st.DataObject) -> None:
    standard = data.draw(st.sampled_from([DEMO, DEMO_2026]) | random_standards())
    values = data.draw(inputs_for(standard))
    if not _scoreable(standard, values):
        with pytest.raises(InvalidInput):
            score(standard, values)
        return
    result = score(standard, values)
    assert float(standard.scale_min) <= result.score <= float(standard.scale_max)
    assert result.score == round(result.score, 2)
    by_score = band_grade(standard, result.score)
    if result.veto is None:
        assert result.grade == by_score
    else:  # a veto caps the grade: the worse of the two
        worse = max(by_score, result.veto.grade, key=standard.grade_rank)
        assert result.grade == worse


@FAST
@given(data=st.data())
def test_score_is_monotone_in_monotone_indicators(data: st.DataObject) -> None:
    standard = data.draw(st.sampled_from([DEMO, DEMO_2026]) | random_standards())
    monotone = [ind for ind in standard.indicators if ind.monotone != "none"]
    if not monotone:
        return
    target = data.draw(st.sampled_from(monotone))
    others = data.draw(inputs_for(standard))
    first, second = sorted([data.draw(value_for(target.rule)), data.draw(value_for(target.rule))])
    low = score(standard, {**others, target.code: first}).score
    high = score(standard, {**others, target.code: second}).score
    if target.monotone == "increasing":
        assert high >= low, (target.code, first, second)
    else:
        assert high <= low, (target.code, first, second)


@FAST
@given(values=inputs_for(DEMO), veto=st.sampled_from(["DISHONEST_DEBTOR", "TAX_CREDIT", "MISSING"]))
def test_a_veto_always_wins(values: dict[str, Any], veto: str) -> None:
    if veto == "DISHONEST_DEBTOR":
        values = {**values, "DISHONEST_DEBTOR": True}
    elif veto == "TAX_CREDIT":
        values = {**values, "TAX_CREDIT": "D"}
    else:
        values = {k: v for k, v in values.items() if k != "DISHONEST_DEBTOR"}
    result = score(DEMO, values)
    assert result.grade == "D" and result.veto is not None and result.veto.grade == "D"
    assert not DEMO.recognisable(result.grade)


@FAST
@given(data=st.data())
def test_deterministic_whatever_the_key_order(data: st.DataObject) -> None:
    standard = data.draw(st.sampled_from([DEMO, DEMO_2026]))
    values = data.draw(inputs_for(standard))
    shuffled = dict(data.draw(st.permutations(list(values.items()))))
    first: ScoreResult = score(standard, values)
    assert score(standard, shuffled) == first
    assert json.dumps(score(standard, shuffled).to_dict(), sort_keys=True) == json.dumps(
        first.to_dict(), sort_keys=True
    )

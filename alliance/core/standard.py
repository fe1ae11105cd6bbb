"""Evaluation standards (联盟园区信用评价标准): validate, load and query a versioned standard document.

A standard is a JSON document described by schema/rating-standard.schema.json. `validate_standard` checks it
against the schema and then checks what a schema cannot say (weights sum to 1, grade bands tile the scale,
references resolve), reporting every problem at once so an admin can fix the document in one go.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from alliance.errors import InvalidInput

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "rating-standard.schema.json"
STANDARDS_DIR = Path(__file__).resolve().parents[1] / "data" / "standards"

WEIGHT_TOLERANCE = Decimal("1e-9")
MISSING_POLICIES = ("zero", "neutral", "veto", "exclude")
NUMERIC_OPS = ("gt", "ge", "lt", "le")
_VERSION_RE = re.compile(r"^(\d{4})\.(\d+)$")


# --- values ---


def is_number(value: Any) -> bool:
    """A finite int or float; bool is excluded although Python treats it as an int."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def to_decimal(value: Any) -> Decimal:
    # repr() gives the shortest round-tripping text of a float, so 0.1 becomes Decimal("0.1") on every machine
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value.normalize())


# --- rules ---
# Each rule knows which inputs it accepts (`input_problem`) and in which direction its points move
# (`directions`); the arithmetic lives in alliance.core.scoring.


@dataclass(frozen=True)
class MappingRule:
    points: tuple[tuple[str, Decimal], ...]
    neutral: Any = None
    kind: str = "mapping"

    def labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.points)

    def input_problem(self, value: Any) -> str | None:
        if isinstance(value, str) and value in self.labels():
            return None
        return f"{value!r} is not one of the labels {', '.join(self.labels())}"

    def directions(self) -> frozenset[str]:
        return frozenset()  # labels have no order


@dataclass(frozen=True)
class Band:
    lower: Decimal | None  # inclusive; None: unbounded
    upper: Decimal | None  # exclusive; None: unbounded
    points: Decimal

    def contains(self, x: Decimal) -> bool:
        return (self.lower is None or x >= self.lower) and (self.upper is None or x < self.upper)


@dataclass(frozen=True)
class BandsRule:
    bands: tuple[Band, ...]
    neutral: Any = None
    kind: str = "bands"

    def input_problem(self, value: Any) -> str | None:
        if not is_number(value):
            return f"{value!r} is not a number"
        x = to_decimal(value)
        if not any(band.contains(x) for band in self.bands):
            return f"{value!r} is outside the bands {self.coverage()}"
        return None

    def coverage(self) -> str:
        low, high = self.bands[0].lower, self.bands[-1].upper
        return f"[{'-∞' if low is None else _fmt(low)}, {'∞' if high is None else _fmt(high)})"

    def directions(self) -> frozenset[str]:
        steps = [b.points - a.points for a, b in itertools.pairwise(self.bands)]
        found = set()
        if all(step >= 0 for step in steps):
            found.add("increasing")
        if all(step <= 0 for step in steps):
            found.add("decreasing")
        return frozenset(found)


@dataclass(frozen=True)
class LinearRule:
    min: Decimal
    max: Decimal
    direction: str
    neutral: Any = None
    kind: str = "linear"

    def input_problem(self, value: Any) -> str | None:
        return None if is_number(value) else f"{value!r} is not a number"

    def directions(self) -> frozenset[str]:
        return frozenset({self.direction})


@dataclass(frozen=True)
class BooleanRule:
    true_points: Decimal
    false_points: Decimal
    neutral: Any = None
    kind: str = "boolean"

    def input_problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{value!r} is not true or false"

    def directions(self) -> frozenset[str]:
        # False < True, so the rule increases when true scores at least as much as false
        found = set()
        if self.true_points >= self.false_points:
            found.add("increasing")
        if self.true_points <= self.false_points:
            found.add("decreasing")
        return frozenset(found)


@dataclass(frozen=True)
class DeductionRule:
    start: Decimal
    per_occurrence: Decimal
    neutral: Any = None
    kind: str = "deduction"

    def input_problem(self, value: Any) -> str | None:
        # spreadsheets hand counts over as 2.0; accept integral floats, refuse 2.5 and negatives
        if is_number(value) and float(value).is_integer() and value >= 0:
            return None
        return f"{value!r} is not a count (a whole number ≥ 0)"

    def directions(self) -> frozenset[str]:
        return frozenset({"decreasing"})


Rule = MappingRule | BandsRule | LinearRule | BooleanRule | DeductionRule


# --- the standard ---


@dataclass(frozen=True)
class Measure:
    code: str
    kind: str  # "incentive" | "punishment"
    name: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "kind": self.kind, "name": self.name, "description": self.description}


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    description: str
    weight: float
    rule: Rule
    missing: str
    monotone: str  # "increasing" | "decreasing" | "none": declared, or derived from the rule
    unit: str | None = None


@dataclass(frozen=True)
class VetoCondition:
    indicator: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class VetoItem:
    code: str
    name: str
    condition: VetoCondition
    grade: str
    description: str = ""


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min_score: Decimal
    label: str = ""


@dataclass(frozen=True, repr=False)
class Standard:
    id: str
    version: str
    title: str
    effective_date: date
    validity_days: int
    grades: tuple[str, ...]  # best → worst
    min_recognition_grade: str
    indicators: tuple[Indicator, ...]
    veto_items: tuple[VetoItem, ...]
    document: dict[str, Any] = field(compare=False, hash=False, repr=False)
    description: str = ""
    scale_min: Decimal = Decimal(0)
    scale_max: Decimal = Decimal(100)
    grade_bands: tuple[GradeBand, ...] = ()
    per_grade_measures: dict[str, tuple[Measure, ...]] = field(default_factory=dict, compare=False, hash=False)
    red_list_measures: tuple[Measure, ...] = ()
    black_list_measures: tuple[Measure, ...] = ()

    def __repr__(self) -> str:
        # the generated repr would print the whole document into every assertion message and log line
        return f"Standard({self.key!r}, indicators={len(self.indicators)}, grades={'/'.join(self.grades)})"

    @property
    def key(self) -> str:
        return f"{self.id} {self.version}"

    def indicator(self, code: str) -> Indicator:
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise InvalidInput(f"unknown indicator {code!r} in standard {self.key}")

    def grade_rank(self, grade: str) -> int:
        """0 for the best grade, growing towards the worst."""
        try:
            return self.grades.index(grade)
        except ValueError:
            raise InvalidInput(
                f"unknown grade {grade!r} in standard {self.key} (grades: {', '.join(self.grades)})"
            ) from None

    def is_at_least(self, grade: str, other: str) -> bool:
        """True when `grade` is as good as `other` or better."""
        return self.grade_rank(grade) <= self.grade_rank(other)

    def recognisable(self, grade: str) -> bool:
        return self.is_at_least(grade, self.min_recognition_grade)

    def grade_for_score(self, score: float | Decimal) -> str:
        value = score if isinstance(score, Decimal) else to_decimal(score)
        for band in self.grade_bands:
            if value >= band.min_score:
                return band.grade
        return self.grades[-1]

    def measures_for_grade(self, grade: str) -> list[Measure]:
        self.grade_rank(grade)  # refuse unknown grades instead of answering "no measures"
        return list(self.per_grade_measures.get(grade, ()))

    def measures_for_listing(self, kind: str) -> list[Measure]:
        if kind == "red":
            return list(self.red_list_measures)
        if kind == "black":
            return list(self.black_list_measures)
        raise InvalidInput(f"unknown listing kind {kind!r} (expected 'red' or 'black')")


# --- versions and files ---


def _version_key(version: str) -> tuple[int, int]:
    match = _VERSION_RE.match(version) if isinstance(version, str) else None
    if not match:
        raise InvalidInput(f"bad standard version {version!r} (expected <year>.<release>, e.g. 2025.1)")
    return int(match.group(1)), int(match.group(2))


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, equal to or newer than `b`; numeric per part (2025.2 < 2025.10)."""
    ka, kb = _version_key(a), _version_key(b)
    return (ka > kb) - (ka < kb)


def demo_standard_path(version: str = "2025.1") -> Path:
    _version_key(version)  # also keeps path separators out of the file name
    return STANDARDS_DIR / f"acs-{version}.json"


def load_standard_file(path: str | Path) -> Standard:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidInput(f"cannot read standard file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"standard file {path} is not UTF-8: {exc.reason} at byte {exc.start}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"standard file {path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    return validate_standard(document)


# --- validation ---


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def json_path(parts: Any) -> str:
    """indicators[3].rule.kind from a jsonschema path deque; 'document' for the root."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


def schema_problems(document: Any) -> list[str]:
    errors = _validator().iter_errors(document)
    return [f"{json_path(error.absolute_path)}: {error.message}" for error in errors]


def validate_standard(document: Any) -> Standard:
    """Validate a standard document and build the `Standard`; InvalidInput listing every problem otherwise."""
    if not isinstance(document, dict):
        raise InvalidInput(
            "malformed standard", problems=[f"a standard must be a JSON object, not {_json_type(document)}"]
        )
    problems = schema_problems(document) + _Semantics(document).problems()
    if problems:
        raise InvalidInput("malformed standard", problems=problems)
    return _build(document)


def _json_type(value: Any) -> str:
    names: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        ((int, float), "a number"),
        (str, "a string"),
        (list, "an array"),
        (type(None), "null"),
    ]
    for types, name in names:
        if isinstance(value, types):
            return name
    return type(value).__name__


def _list_of_dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _num(value: Any) -> Decimal | None:
    return to_decimal(value) if is_number(value) else None


class _Semantics:
    """Checks a schema cannot express. Defensive: runs on documents that also failed the schema, skipping
    whatever has the wrong shape (the schema already reported it), so one pass reports everything."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.found: list[str] = []
        self.grades: list[str] | None = None  # best → worst, de-duplicated
        self.rules: dict[str, Rule] = {}  # indicator code → rule, for rules that could be built

    def problems(self) -> list[str]:
        self.check_scale()
        self.check_indicators()
        self.check_grades()
        self.check_recognition()
        self.check_vetoes()
        self.check_measures()
        return self.found

    def add(self, path: str, message: str) -> None:
        self.found.append(f"{path}: {message}")

    def scale(self) -> tuple[Decimal, Decimal] | None:
        scale = self.doc.get("scale")
        if not isinstance(scale, dict):
            return None
        low, high = _num(scale.get("min")), _num(scale.get("max"))
        if low is None or high is None or low >= high:
            return None
        return low, high

    def check_scale(self) -> None:
        scale = self.doc.get("scale")
        if isinstance(scale, dict):
            low, high = _num(scale.get("min")), _num(scale.get("max"))
            if low is not None and high is not None and low >= high:
                self.add("scale", f"min ({_fmt(low)}) must be below max ({_fmt(high)})")

    # indicators

    def check_indicators(self) -> None:
        indicators = _list_of_dicts(self.doc.get("indicators"))
        first_seen: dict[str, int] = {}
        for i, raw in indicators:
            code = raw.get("code")
            if isinstance(code, str):
                if code in first_seen:
                    self.add(
                        f"indicators[{i}].code",
                        f"duplicate indicator code {code!r} (also indicators[{first_seen[code]}])",
                    )
                else:
                    first_seen[code] = i
            self.check_indicator(i, raw)
        weights = [raw.get("weight") for _, raw in indicators]
        if indicators and all(is_number(w) for w in weights):
            total = sum((to_decimal(w) for w in weights), Decimal(0))
            if abs(total - 1) > WEIGHT_TOLERANCE:
                self.add("indicators", f"the weights sum to {_fmt(total)}, not 1")

    def check_indicator(self, i: int, raw: dict[str, Any]) -> None:
        path = f"indicators[{i}]"
        rule_raw = raw.get("rule")
        if not isinstance(rule_raw, dict):
            return
        rule_problems = _rule_problems(rule_raw)
        for where, message in rule_problems:
            self.add(f"{path}.rule{where}", message)
        if rule_problems or schema_problems_for_rule(rule_raw):
            return
        rule = _build_rule(rule_raw)
        code = raw.get("code")
        if isinstance(code, str):
            self.rules.setdefault(code, rule)
        if rule.neutral is not None:
            problem = rule.input_problem(rule.neutral)
            if problem:
                self.add(f"{path}.rule.neutral", problem)
        if raw.get("missing") == "neutral" and rule.neutral is None:
            self.add(f"{path}.missing", "the neutral policy needs rule.neutral (the value scored when missing)")
        declared = raw.get("monotone")
        if declared in ("increasing", "decreasing") and declared not in rule.directions():
            derived = _derive_monotone(rule)
            self.add(f"{path}.monotone", f"declared {declared!r} but the {rule.kind} rule is {derived!r}")

    # grades

    def check_grades(self) -> None:
        raw_grades = self.doc.get("grades")
        bands = _list_of_dicts(raw_grades)
        names = [band.get("grade") for _, band in bands]
        if isinstance(raw_grades, list):  # otherwise grade references cannot be judged; the schema said why
            self.grades = list(dict.fromkeys(name for name in names if isinstance(name, str)))
        first_seen: dict[str, int] = {}
        for i, band in bands:
            name = band.get("grade")
            if isinstance(name, str):
                if name in first_seen:
                    self.add(f"grades[{i}].grade", f"duplicate grade {name!r} (also grades[{first_seen[name]}])")
                first_seen.setdefault(name, i)
        scale = self.scale()
        if scale is None or not bands or len(bands) != len(raw_grades):
            return
        low, high = scale
        previous: Decimal | None = None
        for i, band in bands:
            path = f"grades[{i}]"
            min_score, max_score = _num(band.get("min_score")), _num(band.get("max_score"))
            if min_score is None:
                return  # the schema reported it; bands cannot be followed any further
            if min_score < low or min_score > high:
                self.add(f"{path}.min_score", f"{_fmt(min_score)} is outside the scale [{_fmt(low)}, {_fmt(high)}]")
            if max_score is not None and max_score <= min_score:
                self.add(f"{path}.max_score", f"{_fmt(max_score)} must be above min_score {_fmt(min_score)}")
                max_score = None  # reported; judge the band's position by min_score alone
            if previous is None:
                if max_score is not None and max_score != high:
                    self.add(
                        f"{path}.max_score",
                        f"the best grade must reach the scale max {_fmt(high)}, not {_fmt(max_score)}",
                    )
            elif min_score >= previous:
                self.add(
                    path,
                    f"overlaps grades[{i - 1}]: min_score {_fmt(min_score)} is not below "
                    f"{_fmt(previous)} (min_score must strictly decrease from best to worst)",
                )
            elif max_score is not None and max_score < previous:
                self.add(path, f"gap between {_fmt(max_score)} and {_fmt(previous)}: no grade covers those scores")
            elif max_score is not None and max_score > previous:
                self.add(
                    path,
                    f"overlaps grades[{i - 1}]: max_score {_fmt(max_score)} is above its min_score {_fmt(previous)}",
                )
            previous = min_score
        if previous is not None and previous > low:
            self.add(
                f"grades[{len(bands) - 1}].min_score",
                f"gap: scores from {_fmt(low)} to below {_fmt(previous)} get no grade "
                f"(the worst grade's min_score must equal the scale min {_fmt(low)})",
            )

    def grade_problem(self, path: str, grade: Any) -> None:
        if self.grades is not None and isinstance(grade, str) and grade not in self.grades:
            known = ", ".join(self.grades) or "none"
            self.add(path, f"unknown grade {grade!r} (the grades are {known})")

    def check_recognition(self) -> None:
        recognition = self.doc.get("recognition")
        if isinstance(recognition, dict):
            self.grade_problem("recognition.min_grade", recognition.get("min_grade"))

    # vetoes

    def check_vetoes(self) -> None:
        codes = {raw.get("code") for _, raw in _list_of_dicts(self.doc.get("indicators"))}
        first_seen: dict[str, int] = {}
        for i, item in _list_of_dicts(self.doc.get("veto_items")):
            path = f"veto_items[{i}]"
            code = item.get("code")
            if isinstance(code, str):
                if code in first_seen:
                    self.add(f"{path}.code", f"duplicate veto code {code!r} (also veto_items[{first_seen[code]}])")
                first_seen.setdefault(code, i)
            self.grade_problem(f"{path}.grade", item.get("grade"))
            condition = item.get("condition")
            if not isinstance(condition, dict):
                continue
            target = condition.get("indicator")
            if isinstance(target, str) and target not in codes:
                self.add(f"{path}.condition.indicator", f"unknown indicator {target!r}")
                continue
            rule = self.rules.get(target) if isinstance(target, str) else None
            if rule is not None:
                self.check_condition(f"{path}.condition", condition, rule)

    def check_condition(self, path: str, condition: dict[str, Any], rule: Rule) -> None:
        op, has_value, value = condition.get("op"), "value" in condition, condition.get("value")
        if op == "true":
            if not isinstance(rule, BooleanRule):
                self.add(f"{path}.op", f"'true' needs a boolean indicator, not a {rule.kind} one")
            elif has_value and value is not True:
                self.add(f"{path}.value", "'true' takes no value")
            return
        if op not in ("eq", "ne", "in", *NUMERIC_OPS):
            return
        if not has_value:
            self.add(path, f"op {op!r} needs a value")
            return
        if op in NUMERIC_OPS:
            if isinstance(rule, MappingRule | BooleanRule):
                self.add(f"{path}.op", f"{op!r} needs a numeric indicator, not a {rule.kind} one")
            elif not is_number(value):
                self.add(f"{path}.value", f"{value!r} is not a number")
            return
        operands = value if op == "in" else [value]
        if op == "in" and (not isinstance(value, list) or not value):
            self.add(f"{path}.value", "'in' needs a non-empty list")
            return
        for operand in operands:
            problem = _operand_problem(rule, operand)
            if problem:
                self.add(f"{path}.value", problem)

    # measures

    def check_measures(self) -> None:
        measures = self.doc.get("measures")
        if not isinstance(measures, dict):
            return
        per_grade = measures.get("per_grade")
        if isinstance(per_grade, dict):
            for grade, items in per_grade.items():
                self.grade_problem(f"measures.per_grade.{grade}", grade)
                self.check_measure_list(f"measures.per_grade.{grade}", items, None)
        self.check_measure_list("measures.red_list", measures.get("red_list"), "incentive")
        self.check_measure_list("measures.black_list", measures.get("black_list"), "punishment")

    def check_measure_list(self, path: str, items: Any, kind: str | None) -> None:
        first_seen: dict[str, int] = {}
        for i, measure in _list_of_dicts(items):
            code = measure.get("code")
            if isinstance(code, str):
                if code in first_seen:
                    self.add(
                        f"{path}[{i}].code",
                        f"duplicate measure code {code!r} (also {path}[{first_seen[code]}])",
                    )
                first_seen.setdefault(code, i)
            if kind and measure.get("kind") in ("incentive", "punishment") and measure.get("kind") != kind:
                self.add(f"{path}[{i}].kind", f"this list holds {kind} measures, not {measure.get('kind')!r}")


def _operand_problem(rule: Rule, operand: Any) -> str | None:
    # a numeric operand of eq/ne/in need not lie inside the bands: it just never matches
    if isinstance(rule, BandsRule | LinearRule | DeductionRule):
        return None if is_number(operand) else f"{operand!r} is not a number"
    return rule.input_problem(operand)


@lru_cache(maxsize=1)
def _rule_validator() -> Draft202012Validator:
    defs = _validator().schema["$defs"]
    return Draft202012Validator({"$defs": defs, "$ref": "#/$defs/rule"})


def schema_problems_for_rule(rule_raw: dict[str, Any]) -> bool:
    """Whether a rule is too malformed to build (the document-level schema pass already reported why)."""
    return any(True for _ in _rule_validator().iter_errors(rule_raw))


def _rule_problems(rule: dict[str, Any]) -> list[tuple[str, str]]:
    """Rule checks beyond the schema, as (sub-path, message)."""
    found: list[tuple[str, str]] = []
    kind = rule.get("kind")
    if kind == "linear":
        low, high = _num(rule.get("min")), _num(rule.get("max"))
        if low is not None and high is not None and low >= high:
            found.append(("", f"linear min ({_fmt(low)}) must be below max ({_fmt(high)})"))
    elif kind == "bands":
        bands = _list_of_dicts(rule.get("bands"))
        last = len(bands) - 1
        for n, (i, band) in enumerate(bands):
            lower, upper = _num(band.get("from")), _num(band.get("to"))
            where = f".bands[{i}]"
            if lower is None and n > 0:
                found.append((where, "only the first band may omit 'from'"))
            if upper is None and n < last:
                found.append((where, "only the last band may omit 'to'"))
            if lower is not None and upper is not None and lower >= upper:
                found.append((where, f"from ({_fmt(lower)}) must be below to ({_fmt(upper)})"))
            if n < last:
                next_lower = _num(bands[n + 1][1].get("from"))
                if upper is not None and next_lower is not None and upper < next_lower:
                    found.append(
                        (
                            where,
                            f"gap between {_fmt(upper)} and {_fmt(next_lower)}: bands must be contiguous [from, to)",
                        )
                    )
                elif upper is not None and next_lower is not None and upper > next_lower:
                    found.append(
                        (
                            where,
                            f"overlaps the next band: to ({_fmt(upper)}) is above its from ({_fmt(next_lower)})",
                        )
                    )
    return found


def _derive_monotone(rule: Rule) -> str:
    directions = rule.directions()
    for direction in ("increasing", "decreasing"):
        if direction in directions:
            return direction
    return "none"


# --- building (only from a valid document) ---


def _d(value: Any) -> Decimal:
    return to_decimal(value)


def _build_rule(raw: dict[str, Any]) -> Rule:
    kind = raw["kind"]
    neutral = raw.get("neutral")
    if kind == "mapping":
        return MappingRule(tuple((label, _d(p)) for label, p in raw["points"].items()), neutral)
    if kind == "bands":
        bands = tuple(Band(_num(b.get("from")), _num(b.get("to")), _d(b["points"])) for b in raw["bands"])
        return BandsRule(bands, neutral)
    if kind == "linear":
        return LinearRule(_d(raw["min"]), _d(raw["max"]), raw["direction"], neutral)
    if kind == "boolean":
        return BooleanRule(_d(raw["true_points"]), _d(raw["false_points"]), neutral)
    if kind == "deduction":
        return DeductionRule(_d(raw["start"]), _d(raw["per_occurrence"]), neutral)
    raise AssertionError(f"unreachable: rule kind {kind!r} passed the schema")


def _frozen(value: Any) -> Any:
    # an 'in' operand arrives as a list; a tuple keeps Standard hashable
    return tuple(value) if isinstance(value, list) else value


def _build_measures(items: list[dict[str, Any]] | None) -> tuple[Measure, ...]:
    return tuple(Measure(m["code"], m["kind"], m["name"], m["description"]) for m in items or ())


def _build(doc: dict[str, Any]) -> Standard:
    indicators = []
    for raw in doc["indicators"]:
        rule = _build_rule(raw["rule"])
        indicators.append(
            Indicator(
                code=raw["code"],
                name=raw["name"],
                description=raw["description"],
                weight=raw["weight"],
                rule=rule,
                missing=raw["missing"],
                monotone=raw.get("monotone") or _derive_monotone(rule),
                unit=raw.get("unit"),
            )
        )
    vetoes = tuple(
        VetoItem(
            code=v["code"],
            name=v["name"],
            grade=v["grade"],
            description=v.get("description", ""),
            condition=VetoCondition(
                v["condition"]["indicator"], v["condition"]["op"], _frozen(v["condition"].get("value"))
            ),
        )
        for v in doc.get("veto_items", ())
    )
    measures = doc["measures"]
    return Standard(
        id=doc["id"],
        version=doc["version"],
        title=doc["title"],
        effective_date=date.fromisoformat(doc["effective_date"]),
        validity_days=doc["validity_days"],
        grades=tuple(band["grade"] for band in doc["grades"]),
        min_recognition_grade=doc["recognition"]["min_grade"],
        indicators=tuple(indicators),
        veto_items=vetoes,
        document=doc,
        description=doc.get("description", ""),
        scale_min=_d(doc["scale"]["min"]),
        scale_max=_d(doc["scale"]["max"]),
        grade_bands=tuple(GradeBand(b["grade"], _d(b["min_score"]), b.get("label", "")) for b in doc["grades"]),
        per_grade_measures={g: _build_measures(items) for g, items in measures["per_grade"].items()},
        red_list_measures=_build_measures(measures.get("red_list")),
        black_list_measures=_build_measures(measures.get("black_list")),
    )

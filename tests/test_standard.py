"""The standard document: schema, semantic checks, loading, versions and the Standard queries."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from alliance.core.standard import (
    SCHEMA_PATH,
    Standard,
    compare_versions,
    demo_standard_path,
    load_standard_file,
    validate_standard,
)
from alliance.errors import InvalidInput

VERSIONS = ("2025.1", "2026.1")


def demo_document(version: str = "2025.1") -> dict[str, Any]:
    return json.loads(demo_standard_path(version).read_text(encoding="utf-8"))


def problems_of(document: Any) -> list[str]:
    with pytest.raises(InvalidInput) as caught:
        validate_standard(document)
    assert caught.value.message.startswith("malformed standard")
    return caught.value.problems


# --- the contract ------------------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _object_schemas(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" and ("properties" in node) and "if" not in path:
            found.append((path, node))
        for key, value in node.items():
            found += _object_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _object_schemas(value, f"{path}/{i}")
    return found


def test_schema_closes_every_object() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    objects = _object_schemas(schema)
    # the rule union is closed by its branches (each with additionalProperties false), selected by kind
    open_ones = [path for path, node in objects if "additionalProperties" not in node and "allOf" not in node]
    assert objects and not open_ones
    assert all(node.get("additionalProperties") is False for path, node in objects if "allOf" not in node)


@pytest.mark.parametrize("version", VERSIONS)
def test_demo_standards_match_the_schema_directly(version: str) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(demo_document(version))) == []


# --- the demo standards ------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_demo_standards_validate(version: str) -> None:
    standard = load_standard_file(demo_standard_path(version))
    assert isinstance(standard, Standard)
    assert standard.id == "ACS" and standard.version == version
    assert standard.key == f"ACS {version}"
    assert standard.grades == ("AAA", "AA", "A", "B", "C", "D")
    assert standard.min_recognition_grade == "A"
    assert standard.validity_days == 365
    assert standard.effective_date == date(int(version[:4]), 1, 1)
    assert abs(sum(indicator.weight for indicator in standard.indicators) - 1) < 1e-9
    assert standard.document == demo_document(version)


def test_demo_standard_content() -> None:
    standard = load_standard_file(demo_standard_path())
    codes = [indicator.code for indicator in standard.indicators]
    assert codes == [
        "TAX_CREDIT", "ADMIN_PENALTY", "SOCIAL_INSURANCE_ARREARS", "DISHONEST_DEBTOR", "RD_INTENSITY",
        "INVENTION_PATENTS", "ABNORMAL_OPERATION", "COMMITMENT_FULFILMENT", "ENV_CREDIT", "QUALITY_SAMPLING",
    ]  # fmt: skip
    assert {indicator.rule.kind for indicator in standard.indicators} == {
        "mapping", "bands", "linear", "boolean", "deduction",
    }  # fmt: skip
    assert {indicator.missing for indicator in standard.indicators} == {"zero", "neutral", "veto", "exclude"}
    assert standard.indicator("TAX_CREDIT").name == "纳税信用等级"
    assert standard.indicator("RD_INTENSITY").monotone == "increasing"
    assert standard.indicator("ADMIN_PENALTY").monotone == "decreasing"
    assert standard.indicator("TAX_CREDIT").monotone == "none"
    assert standard.veto_items[0].code == "VETO_DISHONEST_DEBTOR"


def test_the_later_demo_version_supersedes_the_first() -> None:
    first = load_standard_file(demo_standard_path("2025.1"))
    later = load_standard_file(demo_standard_path("2026.1"))
    assert first.id == later.id
    assert compare_versions(first.version, later.version) < 0
    assert later.effective_date > first.effective_date
    assert {i.code for i in later.indicators} - {i.code for i in first.indicators} == {"WAGE_ARREARS"}


def test_grade_queries() -> None:
    standard = load_standard_file(demo_standard_path())
    assert standard.grade_rank("AAA") == 0 and standard.grade_rank("D") == 5
    assert standard.is_at_least("AA", "A") and standard.is_at_least("A", "A")
    assert not standard.is_at_least("B", "A")
    assert [g for g in standard.grades if standard.recognisable(g)] == ["AAA", "AA", "A"]
    assert standard.grade_for_score(90) == "AAA" and standard.grade_for_score(89.99) == "AA"
    assert standard.grade_for_score(0) == "D" and standard.grade_for_score(100) == "AAA"
    with pytest.raises(InvalidInput, match="unknown grade 'E'"):
        standard.grade_rank("E")
    with pytest.raises(InvalidInput):
        standard.recognisable("AAAA")


def test_measures() -> None:
    standard = load_standard_file(demo_standard_path())
    top = standard.measures_for_grade("AAA")
    assert {m.name for m in top} >= {"绿色通道", "容缺受理", "减少检查频次", "优先推荐政策扶持"}
    assert all(m.kind == "incentive" for m in top)
    bottom = standard.measures_for_grade("D")
    assert {m.name for m in bottom} >= {"重点监管", "限制参与政府采购", "限制申报财政资金"}
    assert all(m.kind == "punishment" for m in bottom)
    assert standard.measures_for_grade("B") == []
    assert all(m.kind == "incentive" for m in standard.measures_for_listing("red"))
    assert all(m.kind == "punishment" for m in standard.measures_for_listing("black"))
    assert standard.measures_for_listing("black")
    assert top[0].to_dict()["code"] == top[0].code
    # callers get copies: mutating one changes nothing for the next caller
    top.clear()
    assert standard.measures_for_grade("AAA")
    with pytest.raises(InvalidInput):
        standard.measures_for_grade("E")
    with pytest.raises(InvalidInput, match="'red' or 'black'"):
        standard.measures_for_listing("grey")


def test_standard_is_frozen() -> None:
    standard = load_standard_file(demo_standard_path())
    with pytest.raises(AttributeError):
        standard.version = "2099.1"  # type: ignore[misc]


# --- versions and files ------------------------------------------------------------------------------------


def test_compare_versions() -> None:
    assert compare_versions("2025.2", "2025.10") == -1
    assert compare_versions("2025.10", "2026.1") == -1
    assert compare_versions("2026.1", "2025.10") == 1
    assert compare_versions("2025.1", "2025.1") == 0
    assert sorted(["2026.1", "2025.10", "2025.2"], key=lambda v: tuple(map(int, v.split(".")))) == [
        "2025.2", "2025.10", "2026.1",
    ]  # fmt: skip
    for bad in ("2025", "v2025.1", "2025.1.1", "25.1", ""):
        with pytest.raises(InvalidInput, match="bad standard version"):
            compare_versions(bad, "2025.1")


def test_demo_standard_path() -> None:
    assert demo_standard_path().name == "acs-2025.1.json"
    assert demo_standard_path("2026.1").is_file()
    with pytest.raises(InvalidInput):
        demo_standard_path("../../etc/passwd")


def test_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "id": "ACS",\n  "version": 2025.1,,\n}\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"not valid JSON: .* line 3 column 21"):
        load_standard_file(path)


def test_unreadable_and_non_object_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        load_standard_file(tmp_path / "absent.json")
    (tmp_path / "latin1.json").write_bytes('{"title": "é"}'.encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        load_standard_file(tmp_path / "latin1.json")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InvalidInput, match="must be a JSON object, not an array"):
        load_standard_file(tmp_path / "list.json")


def test_file_with_bom_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + demo_standard_path().read_bytes())
    assert load_standard_file(path).key == "ACS 2025.1"


@pytest.mark.parametrize("value", [None, [], "ACS", 3, True])
def test_non_objects_are_refused(value: Any) -> None:
    problems = problems_of(value)
    assert len(problems) == 1 and "must be a JSON object" in problems[0]


# --- malformed standards -----------------------------------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A mutation that sets a dotted path such as 'indicators.3.rule.kind'."""

    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return mutate


def _reweight(doc: dict[str, Any]) -> None:
    doc["indicators"][0]["weight"] = 0.3  # was 0.18: the sum becomes 1.12


def _duplicate_code(doc: dict[str, Any]) -> None:
    doc["indicators"][4]["code"] = "TAX_CREDIT"


def _overlap_by_min(doc: dict[str, Any]) -> None:
    doc["grades"][2]["min_score"] = 85  # A starts above AA's 80
    doc["grades"][2]["max_score"] = 90


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "unknown rule kind": (
        _set("indicators.3.rule.kind", "fancy"),
        "indicators[3].rule.kind: 'fancy' is not one of ['mapping', 'bands', 'linear', 'boolean', 'deduction']",
    ),
    "rule missing its fields": (_delete("indicators.4.rule.max"), "indicators[4].rule: 'max' is a required property"),
    "rule with a foreign field": (_set("indicators.4.rule.bands", []), "('bands' was unexpected)"),
    "weights not summing to 1": (_reweight, "indicators: the weights sum to 1.12, not 1"),
    "duplicate indicator code": (_duplicate_code, "indicators[4].code: duplicate indicator code 'TAX_CREDIT'"),
    "overlapping grade bands (min_score)": (_overlap_by_min, "grades[2]: overlaps grades[1]"),
    "overlapping grade bands (max_score)": (_set("grades.3.max_score", 75), "grades[3]: overlaps grades[2]"),
    "gapped grade bands (max_score)": (_set("grades.3.max_score", 65), "grades[3]: gap between 65 and 70"),
    "gapped grade bands (bottom)": (_set("grades.5.min_score", 10), "grades[5].min_score: gap: scores from 0"),
    "best grade short of the scale max": (_set("grades.0.max_score", 99), "must reach the scale max 100"),
    "grade band outside the scale": (_set("grades.5.min_score", -10), "-10 is outside the scale [0, 100]"),
    "grade max below its min": (_set("grades.1.max_score", 70), "grades[1].max_score: 70 must be above"),
    "duplicate grade": (_set("grades.1.grade", "AAA"), "grades[1].grade: duplicate grade 'AAA'"),
    "unknown grade in recognition": (_set("recognition.min_grade", "E"), "recognition.min_grade: unknown grade 'E'"),
    "unknown grade in a veto": (_set("veto_items.0.grade", "F"), "veto_items[0].grade: unknown grade 'F'"),
    "unknown grade in measures": (_set("measures.per_grade.Z", []), "measures.per_grade.Z: unknown grade 'Z'"),
    "veto on an unknown indicator": (
        _set("veto_items.0.condition.indicator", "NO_SUCH"),
        "veto_items[0].condition.indicator: unknown indicator 'NO_SUCH'",
    ),
    "veto 'true' on a non-boolean": (
        _set("veto_items.0.condition.indicator", "RD_INTENSITY"),
        "'true' needs a boolean indicator",
    ),
    "veto comparing a label numerically": (
        _set("veto_items.1.condition.op", "gt"),
        "veto_items[1].condition.op: 'gt' needs a numeric indicator",
    ),
    "veto on an unknown label": (_set("veto_items.1.condition.value", "E"), "'E' is not one of the labels"),
    "veto 'in' without a list": (_set("veto_items.1.condition.op", "in"), "'in' needs a non-empty list"),
    "veto without a value": (_delete("veto_items.1.condition.value"), "op 'eq' needs a value"),
    "duplicate veto code": (_set("veto_items.1.code", "VETO_DISHONEST_DEBTOR"), "duplicate veto code"),
    "mapping with no entries": (_set("indicators.0.rule.points", {}), "indicators[0].rule.points: {} should be"),
    "mapping points above 100": (_set("indicators.0.rule.points.A", 120), "120 is greater than the maximum"),
    "neutral label unknown": (_set("indicators.0.rule.neutral", "N"), "indicators[0].rule.neutral: 'N' is not one"),
    "neutral policy without a neutral value": (
        _delete("indicators.0.rule.neutral"),
        "indicators[0].missing: the neutral policy needs rule.neutral",
    ),
    "bands gapped": (_set("indicators.2.rule.bands.1.from", 2), "indicators[2].rule.bands[0]: gap between 1 and 2"),
    "bands overlapping": (
        _set("indicators.2.rule.bands.1.to", 4),
        "indicators[2].rule.bands[1]: overlaps the next band",
    ),
    "band upside down": (_set("indicators.2.rule.bands.0.to", 0), "from (0) must be below to (0)"),
    "open band in the middle": (_delete("indicators.2.rule.bands.1.to"), "only the last band may omit 'to'"),
    "linear min not below max": (_set("indicators.4.rule.min", 10), "linear min (10) must be below max (10)"),
    "monotone declared against the rule": (
        _set("indicators.1.monotone", "increasing"),
        "indicators[1].monotone: declared 'increasing' but the deduction rule is 'decreasing'",
    ),
    "unknown missing policy": (_set("indicators.1.missing", "ignore"), "indicators[1].missing: 'ignore' is not"),
    "weight not positive": (_set("indicators.1.weight", 0), "indicators[1].weight: 0 is less than or equal"),
    "bad version": (_set("version", "2025-1"), "version: '2025-1' does not match"),
    "bad date": (_set("effective_date", "2025-02-30"), "effective_date: '2025-02-30' is not a 'date'"),
    "validity not positive": (_set("validity_days", 0), "validity_days: 0 is less than the minimum of 1"),
    "scale upside down": (_set("scale.min", 100), "scale: min (100) must be below max (100)"),
    "unexpected property": (_set("signature", "x"), "document: Additional properties are not allowed"),
    "unexpected indicator property": (_set("indicators.0.colour", "red"), "indicators[0]: Additional properties"),
    "missing required property": (_delete("grades"), "document: 'grades' is a required property"),
    "red list with a punishment": (
        _set("measures.red_list.0.kind", "punishment"),
        "measures.red_list[0].kind: this list holds incentive measures",
    ),
    "duplicate measure code": (
        _set("measures.per_grade.AAA.1.code", "GREEN_CHANNEL"),
        "measures.per_grade.AAA[1].code: duplicate measure code 'GREEN_CHANNEL'",
    ),
    "unknown measure kind": (_set("measures.black_list.0.kind", "fine"), "'fine' is not one of"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_standard_is_refused(case: str) -> None:
    mutate, expected = MALFORMED[case]
    document = demo_document()
    mutate(document)
    problems = problems_of(document)
    assert any(expected in problem for problem in problems), problems


def test_refusal_does_not_change_the_document() -> None:
    document = demo_document()
    _reweight(document)
    before = copy.deepcopy(document)
    problems_of(document)
    assert document == before


def test_several_problems_are_all_reported() -> None:
    document = demo_document()
    document["indicators"][3]["rule"]["kind"] = "fancy"  # schema
    _duplicate_code(document)  # semantic
    _reweight(document)  # semantic
    document["grades"][3]["max_score"] = 65  # gap
    _overlap_by_min(document)  # overlap
    document["recognition"]["min_grade"] = "E"  # reference
    document["veto_items"][0]["condition"]["indicator"] = "NO_SUCH"  # reference
    document["extra"] = True  # schema
    problems = problems_of(document)
    expected = [
        "indicators[3].rule.kind: 'fancy' is not one of",
        "indicators[4].code: duplicate indicator code",
        "the weights sum to 1.12",
        "grades[2]: overlaps grades[1]",
        "grades[3]: gap between 65",
        "recognition.min_grade: unknown grade 'E'",
        "veto_items[0].condition.indicator: unknown indicator 'NO_SUCH'",
        "('extra' was unexpected)",
    ]
    for text in expected:
        assert any(text in problem for problem in problems), (text, problems)
    with pytest.raises(InvalidInput) as caught:
        validate_standard(document)
    # the message carries every problem, so a CLI or GraphQL error shows them all
    assert all(problem in caught.value.message for problem in problems)


def test_weight_tolerance() -> None:
    document = demo_document()
    # 0.18 split as floats in three: the float sum misses 1 by far less than 1e-9
    third = 0.18 / 3
    document["indicators"][0]["weight"] = third * 2
    document["indicators"][1]["weight"] = 0.12 + third
    validate_standard(document)
    document["indicators"][1]["weight"] = 0.12 + third + 1e-8
    assert any("the weights sum to" in p for p in problems_of(document))


def test_grade_bands_without_max_score_are_implied() -> None:
    document = demo_document()
    for band in document["grades"]:
        del band["max_score"]
    standard = validate_standard(document)
    assert standard.grade_for_score(79.99) == "A"


def test_veto_operands_may_be_numeric_on_numeric_indicators() -> None:
    document = demo_document()
    document["veto_items"].append({
        "code": "VETO_PENALTIES",
        "name": "行政处罚过多",
        "condition": {"indicator": "ADMIN_PENALTY", "op": "ge", "value": 5},
        "grade": "C",
    })  # fmt: skip
    document["veto_items"].append({
        "code": "VETO_ENV",
        "name": "环保信用红牌或黑牌",
        "condition": {"indicator": "ENV_CREDIT", "op": "in", "value": ["红牌", "黑牌"]},
        "grade": "C",
    })  # fmt: skip
    standard = validate_standard(document)
    assert [v.condition.op for v in standard.veto_items][-2:] == ["ge", "in"]
    assert standard.veto_items[-1].condition.value == ("红牌", "黑牌")
    assert hash(standard) == hash(validate_standard(document))  # usable as a cache key

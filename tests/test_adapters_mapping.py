"""The mapping layer on its own: scales, types, units, defaults, USCCs, and configuration errors."""

from __future__ import annotations

import tomllib

import pytest

from adapters import jsonpath
from adapters.base import RawRecord
from adapters.mapping import FieldMapping, IndicatorRule, MappingError, scales_from_config
from adapters.scales import BandScale, LabelScale
from alliance.core.uscc import build
from alliance.errors import InvalidInput

CODE = build("9", "1", "430100", "MA4L0001")


def mapped(rules: list[IndicatorRule], **fields) -> dict:
    mapping = FieldMapping("uscc", "name", rules)
    return mapping.map_record(RawRecord("row 2", {"uscc": CODE, "name": "长沙测试", **fields})).indicators


def refusal(rules: list[IndicatorRule], **fields) -> str:
    with pytest.raises(MappingError) as e:
        mapped(rules, **fields)
    return e.value.reason


STARS = LabelScale.of("stars", {"五星": "A", "四星": "B", "A级": "A", "5": "A"})


@pytest.mark.parametrize("label", ["五星", " 五星 ", "Ａ级", "a级", 5, 5.0, "5"])
def test_labels_match_as_people_type_them(label):
    assert mapped([IndicatorRule("TAX_CREDIT", "g", scale=STARS)], g=label) == {"TAX_CREDIT": "A"}


def test_an_unknown_label_names_the_label_the_indicator_and_the_known_labels():
    reason = refusal([IndicatorRule("TAX_CREDIT", "g", scale=STARS)], g="六星")
    assert reason.startswith("TAX_CREDIT: 未知的等级标签 '六星'")
    assert "unknown grade label '六星' for TAX_CREDIT — known: 五星, 四星, A级, 5" in reason


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,234.5", 1234.5), ("１２", 12.0), ("12.5%", 12.5), (" 7 ", 7.0), (3, 3.0), ("1，000", 1000.0)],
)
def test_numbers_as_offices_write_them(raw, expected):
    assert mapped([IndicatorRule("X", "v")], v=raw) == {"X": expected}


@pytest.mark.parametrize("raw", ["abc", "nan", "inf", [1], "1.2.3"])
def test_what_is_not_a_number(raw):
    assert "not a number" in refusal([IndicatorRule("X", "v")], v=raw)


def test_unit_conversions_and_integers():
    rules = [
        IndicatorRule("CAPITAL", "wan", factor=1e4),
        IndicatorRule("RATIO", "permille", factor=0.1),
        IndicatorRule("COUNT", "n", type="int"),
    ]
    assert mapped(rules, wan="123.45", permille="1.5", n="2.0") == {
        "CAPITAL": 1234500.0,
        "RATIO": 0.15,
        "COUNT": 2,
    }
    assert "not an integer" in refusal(rules, wan=1, permille=1, n="2.5")


@pytest.mark.parametrize(
    ("raw", "expected"), [("是", True), ("否", False), ("有", True), ("N", False), (1, True)]
)
def test_yes_and_no(raw, expected):
    assert mapped([IndicatorRule("HT", "b", type="bool")], b=raw) == {"HT": expected}


def test_defaults_optional_and_required_fields():
    rules = [
        IndicatorRule("PENALTY", "p", type="int", default=0),
        IndicatorRule("AWARD", "a", required=False),
        IndicatorRule("SCORE", "s"),
    ]
    assert mapped(rules, p="", s="70") == {"PENALTY": 0, "SCORE": 70.0}
    assert "missing field s for SCORE" in refusal(rules)
    assert "empty value for SCORE" in refusal(rules, s="  ")


def test_a_range_and_score_bands():
    bands = BandScale.of(
        "b", [{"min": 60, "value": "C"}, {"min": 90, "value": "A"}, {"min": 75, "value": "B"}]
    )
    rule = IndicatorRule("GRADE", "score", scale=bands, minimum=0, maximum=100)
    assert [mapped([rule], score=s)["GRADE"] for s in (100, 90, 89.9, 75, 60)] == ["A", "A", "B", "B", "C"]
    assert "below the lowest band" in refusal([rule], score=59)
    assert "out of range" in refusal([rule], score=101)


def test_uscc_is_normalised_and_checked():
    mapping = FieldMapping("uscc", "name", [])
    spaced = " ".join([CODE[:6], CODE[6:12], CODE[12:]]).lower()
    assert mapping.map_record(RawRecord("row 2", {"uscc": spaced, "name": "x"})).uscc == CODE
    wrong = CODE[:-1] + ("0" if CODE[-1] != "0" else "1")
    with pytest.raises(
        MappingError, match=r"统一社会信用代码无效 .* \(invalid USCC .*check character should be"
    ):
        mapping.map_record(RawRecord("row 2", {"uscc": wrong, "name": "x"}))


def test_every_problem_of_a_row_is_reported_together():
    mapping = FieldMapping("uscc", "name", [IndicatorRule("TAX", "g", scale=STARS), IndicatorRule("N", "n")])
    with pytest.raises(MappingError) as e:
        mapping.map_record(RawRecord("row 9", {"uscc": "123", "name": "", "g": "七星", "n": "x"}))
    reasons = e.value.reason.split("; ")
    assert len(reasons) == 4
    assert "18 characters" in reasons[0] and "missing enterprise name" in reasons[1]


def test_json_paths():
    doc = {"a": {"b": [{"c": 1}, {"c": 2}]}, "x.y": 3, "名称": {"全称": "z"}}
    assert jsonpath.compile_path("a.b[1].c")(doc) == 2
    assert jsonpath.compile_path("$.a.b[0]")(doc) == {"c": 1}
    assert jsonpath.compile_path('["x.y"]')(doc) == 3
    assert jsonpath.compile_path("名称.全称")(doc) == "z"
    assert jsonpath.compile_path("a.b[5].c")(doc) is jsonpath.MISSING
    assert jsonpath.compile_path("")(doc) is doc
    with pytest.raises(InvalidInput, match="not a JSON path"):
        jsonpath.parse("a..b")


def test_a_column_name_with_a_dot_is_read_literally_first():
    rules = [IndicatorRule("TAX", "1.纳税等级", scale=STARS)]
    assert mapped(rules, **{"1.纳税等级": "五星"}) == {"TAX": "A"}


def test_known_indicators_refuse_a_code_the_standard_does_not_have():
    with pytest.raises(InvalidInput, match="TAX_CREDT"):
        FieldMapping("u", "n", [IndicatorRule("TAX_CREDT", "g")], known_indicators={"TAX_CREDIT"})


def test_passthrough_rows_are_checked_too():
    mapping = FieldMapping.passthrough(known_indicators={"TAX_CREDIT"})
    raw = RawRecord(
        "record 1", {"uscc": CODE, "name": "x", "indicators": {"TAX_CREDIT": "A"}, "extra": {"k": 1}}
    )
    record = mapping.map_record(raw)
    assert record.indicators == {"TAX_CREDIT": "A"} and record.extra == {"k": 1}
    with pytest.raises(MappingError, match="unknown indicator code"):
        mapping.map_record(RawRecord("record 2", {"uscc": CODE, "name": "x", "indicators": {"NOPE": 1}}))


def config_problems(text: str, known: set[str] | None = None) -> list[str]:
    config = tomllib.loads(text)
    problems: list[str] = []
    scales = scales_from_config(config.get("scales"), problems)
    FieldMapping.from_config(config.get("mapping"), scales, known_indicators=known, problems=problems)
    return problems


def test_a_correct_mapping_configuration_has_no_problems():
    text = """
    [mapping]
    uscc = "code"
    name = "name"
    [mapping.indicators]
    SCORE = "score"                      # short form: a number
    [mapping.indicators.TAX]
    field = "grade"
    scale = { "A级" = "A", "B级" = "B" }  # an inline scale
    [mapping.indicators.GRADE]
    field = "score"
    scale = "hundred"
    [scales.hundred]
    bands = [{ min = 85, value = "A" }, { min = 0, value = "B" }]
    """
    assert config_problems(text) == []


def test_every_configuration_problem_is_reported_at_once():
    text = """
    [mapping]
    uscc = "code"
    nmae = "name"
    [mapping.indicators.TAX]
    feild = "grade"
    scale = "stars"
    [mapping.indicators.CAP]
    field = "cap"
    unit = "万元->美元"
    [mapping.indicators.R]
    field = "r"
    unit = "‰->%"
    multiply = 0.1
    [mapping.indicators.L]
    field = "l"
    type = "number"
    scale = { "优" = 1 }
    [mapping.indicators.B]
    field = "b"
    type = "boolean"
    [scales.levels]
    "优" = 1
    "优 " = 2
    [scales.bands]
    bands = [{ min = "x", value = "A" }]
    """
    problems = "\n".join(config_problems(text, known={"TAX", "CAP", "R", "L"}))
    for expected in [
        "[mapping] 缺少 name",
        "unknown key; did you mean name?",
        "[mapping.indicators.TAX] 缺少 field",
        "unknown key; did you mean field?",
        "unknown scale",
        "unknown unit conversion",
        "use either unit or multiply",
        "the scale's values give the type",
        "must be one of: number, int, bool, label",
        "ambiguous label",
        "band 1 must be",
        "未知的指标代码 B (unknown indicator code)",
    ]:
        assert expected in problems

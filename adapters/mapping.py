"""The mapping layer: a park's field names, grade scales and units → the standard's codes and values.

`FieldMapping.map_record(raw)` makes one `EnterpriseRecord` or raises `MappingError` whose reason lists
every problem of that row (so the park fixes a row in one go). The mapping does not know the standard: it
maps to the codes the configuration names, and the park node validates against the standard afterwards.
Given `known_indicators`, it refuses a configuration that targets a code the standard does not have.

Messages are Chinese first with the English in parentheses, the style of every user-facing message here.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters import jsonpath, units
from adapters.base import RawRecord
from adapters.jsonpath import MISSING
from adapters.scales import BandScale, LabelScale, Scale, label_key, scale_from_config
from adapters.tables import TableReader
from alliance.core import uscc as uscc_rules
from alliance.core.records import EnterpriseRecord, IndicatorValue
from alliance.errors import InvalidInput

TYPES = ("number", "int", "bool", "label")
_TRUE = frozenset({"是", "有", "对", "true", "t", "yes", "y", "1", "√", "✓", "✔"})
_FALSE = frozenset({"否", "无", "没有", "错", "false", "f", "no", "n", "0", "×", "✗", "✘"})
_OMIT: Any = object()  # an optional indicator without a value: left out of the record


class MappingError(Exception):
    """A row that cannot be mapped; `reason` says why (several reasons are joined by "; ")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def field_getter(name: str) -> Callable[[dict[str, Any]], Any]:
    """How a configured field is read from a row: a column name, or a JSON path for nested documents.

    A name with a dot or a bracket is tried as a literal key first, so a spreadsheet column "1.纳税等级" still
    works, and then as a path ("credit.taxGrade", "ratings[0].grade").
    """
    if "." not in name and "[" not in name:

        def get_column(fields: dict[str, Any]) -> Any:
            return fields.get(name, MISSING)

        return get_column
    path = jsonpath.compile_path(name)

    def get_path(fields: dict[str, Any]) -> Any:
        value = fields.get(name, MISSING)
        return path(fields) if value is MISSING else value

    return get_path


def _is_blank(value: Any) -> bool:
    return value is None or value is MISSING or (type(value) is str and not value.strip())


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_number(raw: Any) -> float:
    """A finite float from a cell or JSON value; raises ValueError.

    Accepts what offices type: thousands separators (1,234 and 1，234), full-width digits, a trailing % or ‰
    (the number is taken as written; use a unit conversion to change its scale).
    """
    kind = type(raw)
    if kind is float or kind is int:
        value = float(raw)
    elif kind is str:
        try:
            value = float(raw)
        except ValueError:
            text = unicodedata.normalize("NFKC", raw)
            text = "".join(text.split()).replace(",", "").rstrip("%‰")
            value = float(text)
    else:
        raise ValueError(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


@dataclass
class IndicatorRule:
    """How one indicator's value is read and converted."""

    code: str
    field: str
    type: str = "number"  # the type read from the field: number, int, bool, label
    scale: Scale | None = None
    factor: float = 1.0  # unit conversion, applied to numbers before range checks and bands
    default: Any = MISSING  # the value when the field is missing or empty (an indicator value, not a label)
    required: bool = True
    minimum: float | None = None
    maximum: float | None = None
    get: Callable[[dict[str, Any]], Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.get = field_getter(self.field)

    def value(self, fields: dict[str, Any]) -> Any:
        raw = self.get(fields)
        if _is_blank(raw):
            if self.default is not MISSING:
                return self.default
            if not self.required:
                return _OMIT
            if raw is MISSING:
                raise MappingError(f"缺少字段 {self.field} (missing field {self.field} for {self.code})")
            raise MappingError(f"{self.code}: {self.field} 为空 (empty value for {self.code})")
        scale = self.scale
        if type(scale) is LabelScale:
            value = scale.lookup(raw)
            if value is MISSING:
                known = ", ".join(scale.labels)
                raise MappingError(
                    f"{self.code}: 未知的等级标签 '{_show(raw)}' "
                    f"(unknown grade label '{_show(raw)}' for {self.code} — known: {known})"
                )
            return value
        kind = self.type
        if kind == "label":
            return raw.strip() if type(raw) is str else str(raw)
        if kind == "bool":
            return self._bool(raw)
        try:
            number = to_number(raw)
        except ValueError:
            raise MappingError(
                f"{self.code}: '{_show(raw)}' 不是数字 (not a number in {self.field})"
            ) from None
        if self.factor != 1.0:
            # Rounded so that 123.45 万元 is 1234500 元, not 1234500.0000000002.
            number = round(number * self.factor, 9)
        if (self.minimum is not None and number < self.minimum) or (
            self.maximum is not None and number > self.maximum
        ):
            raise MappingError(
                f"{self.code}: {_show(raw)} 超出范围 [{self.minimum}, {self.maximum}] "
                f"(out of range for {self.code})"
            )
        if kind == "int":
            if not number.is_integer():
                raise MappingError(f"{self.code}: '{_show(raw)}' 不是整数 (not an integer in {self.field})")
            number = int(number)
        if scale is not None:  # score bands
            value = scale.lookup(number)
            if value is MISSING:
                raise MappingError(
                    f"{self.code}: {_show(raw)} 低于等级表 {scale.name} 的最低分段 "
                    f"(below the lowest band of {scale.name})"
                )
            return value
        return number

    def _bool(self, raw: Any) -> bool:
        if type(raw) is bool:
            return raw
        key = label_key(raw)
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
        raise MappingError(f"{self.code}: '{_show(raw)}' 不是 是/否 (not a yes/no value in {self.field})")


class FieldMapping:
    """The mapping of one park's rows to enterprise records."""

    def __init__(
        self,
        uscc: str,
        name: str,
        indicators: Iterable[IndicatorRule] = (),
        *,
        extra: Mapping[str, str] | None = None,
        indicators_from: str | None = None,
        extra_from: str | None = None,
        known_indicators: set[str] | None = None,
    ) -> None:
        self.uscc_field = uscc
        self.name_field = name
        self.indicators = tuple(indicators)
        self.extra = dict(extra or {})
        # A field holding a ready {code: value} table (the node's own database), taken as it is.
        self.indicators_from = indicators_from
        self.extra_from = extra_from  # likewise a ready {key: value} table for the record's `extra`
        self.known_indicators = known_indicators
        if known_indicators is not None:
            unknown = sorted(r.code for r in self.indicators if r.code not in known_indicators)
            if unknown:
                raise InvalidInput(
                    "映射到了标准中没有的指标 (mapping targets indicators the standard does not have)",
                    [f"未知的指标代码 {code} (unknown indicator code)" for code in unknown],
                )
        self._uscc = field_getter(uscc)
        self._name = field_getter(name)
        self._extra = [(key, field_getter(f)) for key, f in self.extra.items()]
        self._from = field_getter(indicators_from) if indicators_from else None
        self._extra_from = field_getter(extra_from) if extra_from else None

    @classmethod
    def passthrough(cls, known_indicators: set[str] | None = None) -> FieldMapping:
        """For rows that already carry the standard's codes.

        A row is {"uscc": ..., "name": ..., "indicators": {code: value}, "extra": {...}}.
        """
        return cls(
            "uscc",
            "name",
            indicators_from="indicators",
            extra_from="extra",
            known_indicators=known_indicators,
        )

    def columns(self) -> dict[str, bool]:
        """The fields this mapping reads and whether each is required (for a spreadsheet's header check)."""
        wanted = {self.uscc_field: True, self.name_field: True}
        for rule in self.indicators:
            needed = rule.required and rule.default is MISSING
            wanted[rule.field] = wanted.get(rule.field, False) or needed
        for f in self.extra.values():
            wanted.setdefault(f, False)
        if self.indicators_from:
            wanted.setdefault(self.indicators_from, False)
        return wanted

    def map_record(self, raw: RawRecord) -> EnterpriseRecord:
        fields = raw.fields
        reasons: list[str] = []
        code = self._code(fields, reasons)
        name = self._name(fields)
        if _is_blank(name):
            reasons.append(f"缺少企业名称 (missing enterprise name in {self.name_field})")
        else:
            name = name.strip() if type(name) is str else str(name)
        indicators: dict[str, IndicatorValue] = {}
        if self._from is not None:
            self._take_ready(fields, indicators, reasons)
        for rule in self.indicators:
            try:
                value = rule.value(fields)
            except MappingError as e:
                reasons.append(e.reason)
            else:
                if value is not _OMIT:
                    indicators[rule.code] = value
        if reasons:
            raise MappingError("; ".join(reasons))
        extra: dict[str, Any] = {}
        if self._extra_from is not None:
            ready = self._extra_from(fields)
            if isinstance(ready, dict):
                extra.update(ready)
        for key, get in self._extra:
            value = get(fields)
            if not _is_blank(value):
                extra[key] = value.strip() if type(value) is str else value
        return EnterpriseRecord(code, name, indicators, raw.origin, extra)

    def _code(self, fields: dict[str, Any], reasons: list[str]) -> str:
        raw = self._uscc(fields)
        if _is_blank(raw):
            reasons.append(f"缺少统一社会信用代码 (missing USCC in {self.uscc_field})")
            return ""
        if type(raw) is int:  # an all-digit code that a spreadsheet stored as a number
            raw = str(raw)
        try:
            return uscc_rules.validate(raw)
        except uscc_rules.InvalidUSCC as e:
            reasons.append(f"统一社会信用代码无效 '{_show(raw)}' (invalid USCC {_show(raw)!r}: {e.reason})")
            return ""

    def _take_ready(self, fields: dict[str, Any], out: dict[str, IndicatorValue], reasons: list[str]) -> None:
        assert self._from is not None
        table = self._from(fields)
        if _is_blank(table):
            return
        if not isinstance(table, dict):
            reasons.append(f"{self.indicators_from} 不是指标表 (not a table of indicator values)")
            return
        known = self.known_indicators
        for code, value in table.items():
            if known is not None and code not in known:
                reasons.append(f"未知的指标代码 {code} (unknown indicator code)")
            elif value is not None and not isinstance(value, str | int | float | bool):
                reasons.append(f"{code}: 值的类型不支持 {type(value).__name__} (unsupported value type)")
            else:
                out[code] = value

    @classmethod
    def from_config(
        cls,
        table: Any,
        scales: Mapping[str, Scale],
        *,
        known_indicators: set[str] | None = None,
        problems: list[str] | None = None,
    ) -> FieldMapping | None:
        """Read a `[mapping]` table. Problems are appended to `problems` (or raised when it is None)."""
        own = problems if problems is not None else []
        reader = TableReader(table, "mapping", own)
        uscc = reader.get("uscc", str)
        name = reader.get("name", str)
        indicators_from = reader.get("indicators_from", str, None)
        extra_table = reader.get("extra", dict, {})
        extra = {}
        for key, f in (extra_table or {}).items():
            if isinstance(f, str):
                extra[key] = f
            else:
                own.append(f"[mapping.extra] {key} 应为字段名 (must be a field name)")
        rules = []
        specs = reader.get("indicators", dict, {}) or {}
        for code, spec in specs.items():
            rule = _rule_from_config(code, spec, scales, own)
            if rule is not None:
                rules.append(rule)
        reader.finish()
        if not specs and not indicators_from:
            own.append("[mapping.indicators] 没有任何指标 (no indicators mapped)")
        if known_indicators is not None:
            own.extend(
                f"[mapping.indicators.{code}] 未知的指标代码 {code} (unknown indicator code)"
                for code in specs
                if code not in known_indicators
            )
        if own and problems is None:
            raise InvalidInput("映射配置有误 (invalid mapping)", own)
        if own or uscc is None or name is None:
            return None
        try:
            return cls(
                uscc,
                name,
                rules,
                extra=extra,
                indicators_from=indicators_from,
                known_indicators=known_indicators,
            )
        except InvalidInput as e:  # a field that is not a valid JSON path
            if problems is None:
                raise
            problems.append(f"[mapping] {e.message}")
            return None


def _rule_from_config(
    code: str, spec: Any, scales: Mapping[str, Scale], problems: list[str]
) -> IndicatorRule | None:
    where = f"mapping.indicators.{code}"
    if isinstance(spec, str):  # short form: CODE = "field" (a number)
        spec = {"field": spec}
    start = len(problems)
    reader = TableReader(spec, where, problems)
    field_name = reader.get("field", str)
    kind = reader.choice("type", TYPES, "")
    scale_spec = reader.get("scale", (str, dict), None)
    unit = reader.get("unit", str, None)
    multiply = reader.get("multiply", float, None)
    default = reader.get("default", (str, int, float, bool), MISSING)
    required = reader.get("required", bool, True)
    minimum = reader.get("min", float, None)
    maximum = reader.get("max", float, None)
    reader.finish()

    scale: Scale | None = None
    if isinstance(scale_spec, str):
        scale = scales.get(scale_spec)
        if scale is None:
            near = ", ".join(sorted(scales)) or "none defined"
            problems.append(f"[{where}] 未定义的等级表 {scale_spec} (unknown scale; defined: {near})")
    elif isinstance(scale_spec, dict):
        try:
            scale = scale_from_config(f"{code} (inline)", scale_spec)
        except InvalidInput as e:
            problems.extend(f"[{where}] {p}" for p in e.problems)

    factor = 1.0
    if unit is not None and multiply is not None:
        problems.append(f"[{where}] unit 与 multiply 只能用一个 (use either unit or multiply)")
    elif unit is not None:
        f = units.factor(unit)
        if f is None:
            problems.append(
                f"[{where}] 未知的单位换算 {unit} "
                f"(unknown unit conversion; known: {', '.join(units.CONVERSIONS)})"
            )
        else:
            factor = f
    elif multiply is not None:
        factor = multiply

    if isinstance(scale, LabelScale):
        if kind not in ("", "label"):
            problems.append(
                f"[{where}] 使用标签等级表时不能设 type = {kind} (the scale's values give the type)"
            )
        if factor != 1.0 or minimum is not None or maximum is not None:
            problems.append(f"[{where}] 标签等级表不能与单位换算或范围同用 (labels take no unit or range)")
        kind = "label"
    elif isinstance(scale, BandScale):
        if kind not in ("", "number", "int"):
            problems.append(f"[{where}] 分段等级表读取的是数字 (score bands read a number, not {kind})")
    elif kind in ("bool", "label") and (factor != 1.0 or minimum is not None or maximum is not None):
        problems.append(f"[{where}] type = {kind} 不能有单位换算或范围 (no unit or range for {kind})")
    if len(problems) > start or field_name is None:
        return None
    try:
        return IndicatorRule(
            code=code,
            field=field_name,
            type=kind or "number",
            scale=scale,
            factor=factor,
            default=default,
            required=required,
            minimum=minimum,
            maximum=maximum,
        )
    except InvalidInput as e:  # a field that is not a valid JSON path
        problems.append(f"[{where}] field: {e.message}")
        return None


def scales_from_config(table: Any, problems: list[str]) -> dict[str, Scale]:
    """Read the `[scales]` table: one sub-table per named local scale."""
    if table is None:
        return {}
    if not isinstance(table, dict):
        problems.append("[scales] 应为表 (must be a table)")
        return {}
    scales: dict[str, Scale] = {}
    for name, spec in table.items():
        try:
            scales[name] = scale_from_config(name, spec)
        except InvalidInput as e:
            problems.extend(f"[scales.{name}] {p}" for p in e.problems)
    return scales

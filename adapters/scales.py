"""Local grade scales: how a park's own labels (五星, 优良中差, A级) or score bands become indicator values.

Labels are compared after NFKC normalisation, trimming and case-folding, because the same grade arrives
as "Ａ", "a " or "A" depending on who typed the spreadsheet; numbers that Excel stored as 5.0 match the
label "5".
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from adapters.jsonpath import MISSING
from alliance.core.records import IndicatorValue
from alliance.errors import InvalidInput


def label_key(value: Any) -> str:
    """The form in which a label is looked up."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip().casefold()


@dataclass(frozen=True)
class LabelScale:
    """A mapping of labels to values: {"五星": "A", "四星": "B"} or {"优": 95, "良": 80}."""

    name: str
    values: dict[str, IndicatorValue]  # label_key(label) -> value
    labels: tuple[str, ...]  # as configured, for messages

    @classmethod
    def of(cls, name: str, table: dict[str, Any]) -> LabelScale:
        if not table:
            raise InvalidInput(f"等级表 {name} 为空 (scale {name} has no labels)")
        values: dict[str, IndicatorValue] = {}
        problems = []
        for label, value in table.items():
            if not isinstance(value, str | int | float | bool):
                problems.append(f"等级表 {name} 中 '{label}' 的值不是数字、文字或布尔值 (unsupported value)")
                continue
            key = label_key(label)
            if key in values and values[key] != value:
                problems.append(f"等级表 {name} 中 '{label}' 与另一个标签相同但取值不同 (ambiguous label)")
            values[key] = value
        if problems:
            raise InvalidInput(f"等级表 {name} 有误 (invalid scale)", problems)
        return cls(name, values, tuple(table))

    def lookup(self, raw: Any) -> Any:
        """The value for `raw`, or MISSING when the label is unknown."""
        return self.values.get(label_key(raw), MISSING)


@dataclass(frozen=True)
class BandScale:
    """Score bands: a number maps to the value of the highest band whose `min` it reaches (百分制 → A/B/C)."""

    name: str
    bands: tuple[tuple[float, IndicatorValue], ...]  # (min, value), highest min first

    @classmethod
    def of(cls, name: str, bands: list[Any]) -> BandScale:
        parsed: list[tuple[float, IndicatorValue]] = []
        for i, band in enumerate(bands, 1):
            ok = (
                isinstance(band, dict)
                and set(band) == {"min", "value"}
                and isinstance(band["min"], int | float)
                and not isinstance(band["min"], bool)
                and math.isfinite(band["min"])
                and isinstance(band["value"], str | int | float | bool)
            )
            if not ok:
                raise InvalidInput(
                    f"等级表 {name} 的第 {i} 个分段应为 {{ min = 数字, value = 值 }} "
                    f"(band {i} must be {{ min = <number>, value = <value> }})"
                )
            parsed.append((float(band["min"]), band["value"]))
        if not parsed:
            raise InvalidInput(f"等级表 {name} 没有分段 (scale {name} has no bands)")
        parsed.sort(key=lambda b: b[0], reverse=True)
        return cls(name, tuple(parsed))

    @property
    def lowest(self) -> float:
        return self.bands[-1][0]

    def lookup(self, number: float) -> Any:
        for low, value in self.bands:
            if number >= low:
                return value
        return MISSING


Scale = LabelScale | BandScale


def scale_from_config(name: str, table: Any) -> Scale:
    """A `[scales.NAME]` table: labels = values, or `bands = [{ min = 90, value = "A" }, ...]`."""
    if not isinstance(table, dict):
        raise InvalidInput(f"等级表 {name} 应为表 (scale {name} must be a table)")
    if "bands" in table:
        if len(table) != 1 or not isinstance(table["bands"], list):
            raise InvalidInput(
                f"等级表 {name}: bands 应为列表且不能与标签混用 (bands must be a list, not mixed with labels)"
            )
        return BandScale.of(name, table["bands"])
    return LabelScale.of(name, table)

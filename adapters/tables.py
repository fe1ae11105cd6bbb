"""Reading a TOML table with clear errors: wrong types and unknown keys (typos) are reported, all at once.

A park joins by writing configuration, so a typo such as `encodig = "gb18030"` must not be silently ignored:
every key a table does not know is a problem, with the nearest known key suggested.
"""

from __future__ import annotations

import difflib
from typing import Any

_REQUIRED: Any = object()

_KIND_NAMES = {
    str: "文字 (a string)",
    int: "整数 (an integer)",
    float: "数字 (a number)",
    bool: "true 或 false (a boolean)",
    dict: "表 (a table)",
    list: "列表 (a list)",
}


def _accepts(value: Any, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


class TableReader:
    """Reads keys of one table; `finish()` reports the keys nobody asked for."""

    def __init__(self, table: Any, where: str, problems: list[str]) -> None:
        self.where = where
        self.problems = problems
        if not isinstance(table, dict):
            problems.append(f"[{where}] 应为表 (must be a table)")
            table = {}
        self.table: dict[str, Any] = table
        self.used: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self.table

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _REQUIRED) -> Any:
        """The value of `key` when it has one of the `kind`s; else a problem and `default` (or None)."""
        self.used.add(key)
        if key not in self.table:
            if default is _REQUIRED:
                self.problems.append(f"[{self.where}] 缺少 {key} (missing key {key})")
                return None
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if any(_accepts(value, k) for k in kinds):
            return float(value) if kinds == (float,) else value
        wanted = " 或 ".join(_KIND_NAMES.get(k, k.__name__) for k in kinds)
        self.problems.append(f"[{self.where}] {key} 应为{wanted} (wrong type: got {value!r})")
        return None if default is _REQUIRED else default

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if key in self.table and value is not None and value not in choices:
            self.problems.append(
                f"[{self.where}] {key} = {value!r} 不是可选值之一 (must be one of: {', '.join(choices)})"
            )
            return default
        return value if value is not None else default

    def positive(self, key: str, kind: type, default: Any) -> Any:
        value = self.get(key, kind, default)
        if value is not None and value <= 0:
            self.problems.append(f"[{self.where}] {key} 应大于 0 (must be positive, got {value!r})")
            return default
        return value

    def finish(self) -> None:
        for key in self.table:
            if key not in self.used:
                near = difflib.get_close_matches(key, sorted(self.used), n=1)
                hint = f"; did you mean {near[0]}?" if near else ""
                self.problems.append(f"[{self.where}] 未知的配置项 {key} (unknown key{hint})")

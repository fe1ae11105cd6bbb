"""A small JSON path: how the mapping and the HTTP sources point into a nested JSON document.

Only what a configuration needs: dotted keys (`data.items`), list indexes (`ratings[0].grade`), quoted
keys for names that contain dots or brackets (`["注册资本.万元"]`), and an optional leading `$`. No
wildcards or filters: a path names one value, so a missing value can be reported precisely.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from alliance.errors import InvalidInput


class _Missing:
    """The value at a path that does not exist (distinct from a JSON null)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()

_TOKEN = re.compile(r"""\.?([^.\[\]"']+)|\[(\d+)\]|\[\s*(?:"([^"]*)"|'([^']*)')\s*\]""")

Getter = Callable[[Any], Any]


def parse(path: str) -> tuple[str | int, ...]:
    """Split a path into keys (str) and list indexes (int); raise InvalidInput when it is not a path."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:]
    steps: list[str | int] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise InvalidInput(f"JSON 路径无法解析 '{path}' (not a JSON path: stuck at character {pos + 1})")
        key, index, dq, sq = m.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(key if key is not None else (dq if dq is not None else sq))
        pos = m.end()
    return tuple(steps)


def compile_path(path: str) -> Getter:
    """A function document -> value at `path`, or MISSING."""
    steps = parse(path)
    if not steps:
        return _identity
    if len(steps) == 1 and isinstance(steps[0], str):
        # The common case (a top-level key) without the loop.
        key = steps[0]

        def get_key(doc: Any) -> Any:
            return doc.get(key, MISSING) if isinstance(doc, dict) else MISSING

        return get_key

    def get(doc: Any) -> Any:
        for step in steps:
            if isinstance(step, str):
                if not isinstance(doc, dict):
                    return MISSING
                doc = doc.get(step, MISSING)
            else:
                if not isinstance(doc, list) or step >= len(doc):
                    return MISSING
                doc = doc[step]
            if doc is MISSING:
                return MISSING
        return doc

    return get


def _identity(doc: Any) -> Any:
    return doc

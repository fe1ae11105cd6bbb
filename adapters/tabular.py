"""The header check shared by the spreadsheet sources (CSV and .xlsx).

Done once, before any row is read: a missing mapped column is one clear error, not one problem per row.
Header cells are matched after NFKC normalisation and trimming, so "研发投入（万元） " in the file
matches "研发投入(万元)" in the configuration; matched columns are renamed to the configured name, so the
mapping reads them under the names it was given.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from adapters.base import SourceError


def _norm(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def header_name(cell: Any) -> str:
    if cell is None:
        return ""
    return str(cell).replace("\ufeff", "").strip()


def header_names(cells: Any) -> list[str]:
    """The header's names, without the empty cells at its end (a sheet's dimension often reaches further)."""
    names = [header_name(c) for c in cells]
    while names and not names[-1]:
        names.pop()
    return names


def match_header(header: list[str], columns: Mapping[str, bool], where: str) -> list[str]:
    """The header with mapped columns renamed to their configured names.

    `columns` maps each configured column to whether it is required. Raises SourceError naming every
    missing required column and every mapped column the header has twice.
    """
    if not any(header):
        raise SourceError(f"{where}: 表头为空 (the header row is empty)")
    wanted = {_norm(name): name for name in columns}
    keys = list(header)
    found: dict[str, int] = {}
    twice: list[str] = []
    for i, cell in enumerate(header):
        name = wanted.get(_norm(cell))
        if name is None:
            continue
        if name in found:
            twice.append(name)
        found[name] = i
        keys[i] = name
    missing = [name for name, required in columns.items() if required and name not in found]
    problems = []
    if missing:
        shown = ", ".join(missing)
        problems.append(f"缺少列 {shown} (missing column {shown})")
    if twice:
        shown = ", ".join(twice)
        problems.append(f"列 {shown} 出现了不止一次 (duplicate column {shown})")
    if problems:
        head = ", ".join(h for h in header if h)[:200]
        hint = ""
        if not found:
            hint = (
                "；所有映射的列都没找到，是否编码或表头行 header_row 配置不对 (wrong encoding or header_row?)"
            )
        raise SourceError(f"{where}: {'; '.join(problems)}{hint}。表头是: {head}")
    return keys

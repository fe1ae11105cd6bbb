"""A park's import configuration (TOML): which source, how its rows map, how strict the run is.

    [source]   kind = "csv" | "xlsx" | "rest" | "graphql" | "database", and that kind's settings
    [mapping]  uscc, name, [mapping.indicators.CODE] ..., [mapping.extra]
    [scales]   named local grade scales: [scales.NAME] "五星" = "A" ...
               or score bands: bands = [{ min = 90, value = "A" }, ...]
    [import]   all_or_nothing, max_bad_rows, duplicates, limit_problems

Every problem in the configuration is collected and raised together as one ConfigError, so a park fixes its
file in one go; unknown keys are problems too (with the nearest known key suggested). `${NAME}` in headers,
query parameters, GraphQL variables and URLs is replaced by the environment variable NAME, so credentials stay
out of the file. See docs/adapters.md for a complete example per kind of source.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters import encodings, jsonpath
from adapters.base import RatingSource
from adapters.database_source import DatabaseSource, Fetch
from adapters.mapping import FieldMapping, scales_from_config
from adapters.paging import STYLES, Paging
from adapters.tables import TableReader
from alliance.errors import InvalidInput

KINDS = ("csv", "xlsx", "rest", "graphql", "database")
DUPLICATES = ("reject", "keep_last")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ConfigError(InvalidInput):
    """The configuration is wrong; `problems` lists everything that is."""


@dataclass(frozen=True)
class ImportOptions:
    # A run whose source fails (HTTP 500, timeout, undecodable file) commits nothing. False: commit what was
    # read before the failure (the report still says the run was aborted).
    all_or_nothing: bool = True
    # Abort the run when more rows than this cannot be mapped (None: no limit; the rest is always imported).
    max_bad_rows: int | None = None
    # "reject": a USCC seen again is reported as a problem and the later row skipped; "keep_last": every row
    # goes to the sink and storage keeps the last (no memory spent remembering USCCs).
    duplicates: str = "reject"
    limit_problems: int = 1000  # problems kept in the report (all are counted)


@dataclass(frozen=True)
class ImportPlan:
    source: RatingSource
    mapping: FieldMapping
    options: ImportOptions


def read_config(path: Path | str) -> dict[str, Any]:
    """Parse a TOML file; a syntax error becomes a ConfigError naming the file and line."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError(
            f"无法读取配置文件 {path} (cannot read the configuration: {e.strerror or e})"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path.name}: TOML 语法错误 (TOML syntax error: {e})") from None


def load_import(
    config: Mapping[str, Any],
    base_dir: Path,
    *,
    database: Fetch | None = None,
    known_indicators: set[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> ImportPlan:
    """Source, mapping and options from a park's configuration; raises ConfigError with every problem."""
    problems: list[str] = []
    source, mapping = _load(config, base_dir, database, known_indicators, env, problems)
    options = load_options(config.get("import", {}), problems)
    if problems:
        raise ConfigError("导入配置有误 (invalid import configuration)", problems)
    assert source is not None and mapping is not None
    return ImportPlan(source, mapping, options)


def load_source(
    config: Mapping[str, Any],
    base_dir: Path,
    *,
    database: Fetch | None = None,
    known_indicators: set[str] | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[RatingSource, FieldMapping]:
    """The source and mapping from the `[source]`, `[mapping]` and `[scales]` tables."""
    problems: list[str] = []
    source, mapping = _load(config, base_dir, database, known_indicators, env, problems)
    if problems:
        raise ConfigError("导入配置有误 (invalid import configuration)", problems)
    assert source is not None and mapping is not None
    return source, mapping


def load_options(table: Any, problems: list[str] | None = None) -> ImportOptions:
    own = problems if problems is not None else []
    reader = TableReader(table, "import", own)
    all_or_nothing = reader.get("all_or_nothing", bool, True)
    max_bad_rows = reader.get("max_bad_rows", int, None)
    if max_bad_rows is not None and max_bad_rows < 0:
        own.append("[import] max_bad_rows 不能为负 (must not be negative)")
        max_bad_rows = None
    duplicates = reader.choice("duplicates", DUPLICATES, "reject")
    limit_problems = reader.positive("limit_problems", int, 1000)
    reader.finish()
    if own and problems is None:
        raise ConfigError("导入配置有误 (invalid import configuration)", own)
    return ImportOptions(all_or_nothing, max_bad_rows, duplicates, limit_problems)


def _load(
    config: Mapping[str, Any],
    base_dir: Path,
    database: Fetch | None,
    known_indicators: set[str] | None,
    env: Mapping[str, str] | None,
    problems: list[str],
) -> tuple[RatingSource | None, FieldMapping | None]:
    env = os.environ if env is None else env
    if "source" not in config:
        problems.append("缺少 [source] 表 (missing the [source] table)")
        return None, None
    scales = scales_from_config(config.get("scales"), problems)
    source_table = config["source"]
    kind = source_table.get("kind") if isinstance(source_table, dict) else None
    if kind == "database" and "mapping" not in config:
        mapping: FieldMapping | None = FieldMapping.passthrough(known_indicators)
    else:
        mapping = FieldMapping.from_config(
            config.get("mapping"), scales, known_indicators=known_indicators, problems=problems
        )
    reader = TableReader(source_table, "source", problems)
    if not reader.has("kind"):
        problems.append(f"[source] 缺少 kind，应为 {' / '.join(KINDS)} (missing kind: which kind of source?)")
        return None, mapping
    kind = reader.choice("kind", KINDS, "")
    if not kind:
        return None, mapping
    start = len(problems)
    build = {"csv": _csv, "xlsx": _xlsx, "rest": _rest, "graphql": _graphql, "database": _database}[kind]
    columns = mapping.columns() if mapping is not None else {}
    try:
        source = build(reader, base_dir=base_dir, columns=columns, env=env, database=database)
    except InvalidInput as e:
        problems.extend(f"[source] {p}" for p in e.problems)
        source = None
    reader.finish()
    return (source if len(problems) == start else None), mapping


def _path(reader: TableReader, base_dir: Path) -> Path:
    value = reader.get("path", str)
    path = Path(value or "")
    return path if path.is_absolute() else base_dir / path


def _csv(reader: TableReader, *, base_dir: Path, columns: dict[str, bool], **_: Any) -> RatingSource:
    from adapters.csv_source import CsvSource

    path = _path(reader, base_dir)
    encoding = reader.get("encoding", str, "auto")
    if encodings.canonical(encoding) is None:
        reader.problems.append(f"[source] 未知的编码 {encoding} (unknown encoding; try auto, utf-8, gb18030)")
        encoding = "auto"
    delimiter = reader.get("delimiter", str, ",")
    if len(delimiter) != 1:
        reader.problems.append("[source] delimiter 应为一个字符 (must be one character)")
        delimiter = ","
    header_row = reader.positive("header_row", int, 1)
    return CsvSource(path, encoding=encoding, delimiter=delimiter, header_row=header_row, columns=columns)


def _xlsx(reader: TableReader, *, base_dir: Path, columns: dict[str, bool], **_: Any) -> RatingSource:
    from adapters.xlsx_source import XlsxSource

    path = _path(reader, base_dir)
    sheet = reader.get("sheet", str, None)
    header_row = reader.positive("header_row", int, 1)
    return XlsxSource(path, sheet=sheet, header_row=header_row, columns=columns)


def _rest(reader: TableReader, *, env: Mapping[str, str], **_: Any) -> RatingSource:
    from adapters.rest_source import RestSource

    http = _http_settings(reader, env)
    return RestSource(
        _expand(reader.get("base_url", str) or "", env, "base_url", reader.problems),
        reader.get("path", str, ""),
        params=_strings_expanded(reader, "params", env),
        items=reader.get("items", str, ""),
        paging=_paging(reader.get("paging", dict, {}), reader.problems, graphql=False),
        **http,
    )


def _graphql(reader: TableReader, *, base_dir: Path, env: Mapping[str, str], **_: Any) -> RatingSource:
    from adapters.graphql_source import GraphQLSource

    query = reader.get("query", str, None)
    query_file = reader.get("query_file", str, None)
    if (query is None) == (query_file is None):
        reader.problems.append(
            "[source] query 与 query_file 需要且只能有一个 (give either query or query_file)"
        )
        query = "query { __typename }"
    elif query_file is not None:
        file = Path(query_file) if Path(query_file).is_absolute() else base_dir / query_file
        try:
            query = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as e:
            reader.problems.append(f"[source] 无法读取 query_file {file} (cannot read: {e})")
            query = "query { __typename }"
    http = _http_settings(reader, env)
    return GraphQLSource(
        _expand(reader.get("url", str) or "", env, "url", reader.problems),
        query or "",
        items=reader.get("items", str),
        variables=_strings_expanded(reader, "variables", env),
        operation=reader.get("operation", str, None),
        paging=_paging(reader.get("paging", dict, {}), reader.problems, graphql=True),
        **http,
    )


def _database(reader: TableReader, *, database: Fetch | None, **_: Any) -> RatingSource:
    id_field = reader.get("id_field", str, "id")
    if database is None:
        raise InvalidInput(
            "kind = database 需要园区节点提供数据库读取函数 "
            "(kind = database needs the park node's database: pass database=... to load_source)"
        )
    return DatabaseSource(database, id_field=id_field)


def _http_settings(reader: TableReader, env: Mapping[str, str]) -> dict[str, Any]:
    return {
        "headers": _strings_expanded(reader, "headers", env),
        "id_field": reader.get("id_field", str, None),
        "total": reader.get("total", str, None),
        "timeout": reader.positive("timeout", float, 10.0),
        "retries": max(0, reader.get("retries", int, 2)),
        "backoff": max(0.0, reader.get("backoff", float, 0.5)),
        "verify_tls": reader.get("verify_tls", bool, True),
    }


def _strings_expanded(reader: TableReader, key: str, env: Mapping[str, str]) -> dict[str, Any]:
    table = reader.get(key, dict, {}) or {}
    out: dict[str, Any] = {}
    for name, value in table.items():
        if isinstance(value, str):
            out[name] = _expand(value, env, f"{key}.{name}", reader.problems)
        elif isinstance(value, int | float | bool):
            out[name] = value
        else:
            reader.problems.append(f"[source.{key}] {name} 应为文字或数字 (must be a string or a number)")
    return out


def _expand(text: str, env: Mapping[str, str], where: str, problems: list[str]) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in env:
            problems.append(
                f"[source] {where}: 环境变量 {name} 未设置 (environment variable {name} is not set)"
            )
            return ""
        return env[name]

    return _ENV.sub(one, text)


def _paging(table: Any, problems: list[str], *, graphql: bool) -> Paging:
    reader = TableReader(table, "source.paging", problems)
    styles = tuple(s for s in STYLES if not (graphql and s == "next_link"))
    style = reader.choice("style", styles, "none")
    defaults = Paging()
    paging = Paging(
        style=style,
        page_size=reader.positive("page_size", int, defaults.page_size),
        page=reader.get("page", str, defaults.page),
        size=reader.get("size", str, defaults.size),
        offset=reader.get("offset", str, defaults.offset),
        cursor=reader.get("cursor", str, defaults.cursor),
        first_page=reader.get("first_page", int, defaults.first_page),
        next_cursor=reader.get("next_cursor", str, ""),
        has_next=reader.get("has_next", str, ""),
        next_link=reader.get("next_link", str, defaults.next_link),
        max_pages=reader.positive("max_pages", int, defaults.max_pages),
    )
    for key in ("next_cursor", "has_next", "next_link"):
        path = getattr(paging, key)
        try:
            jsonpath.parse(path)
        except InvalidInput as e:
            problems.append(f"[source.paging] {key}: {e.message}")
    if style == "cursor" and not paging.next_cursor:
        problems.append(
            "[source.paging] style = cursor 需要 next_cursor 路径 (cursor paging needs next_cursor)"
        )
    reader.finish()
    return paging

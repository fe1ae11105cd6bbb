"""Loading a park's configuration: every kind of source, options, the node's own database, clear errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters import ConfigError, load_import, load_source, read_config, run_import, run_plan
from adapters.csv_source import CsvSource
from adapters.database_source import DatabaseSource
from adapters.rest_source import RestSource
from adapters.xlsx_source import XlsxSource
from alliance.core.records import EnterpriseRecord
from alliance.core.uscc import build

MAPPING = """
[mapping]
uscc = "统一社会信用代码"
name = "企业名称"
[mapping.indicators.ADMIN_PENALTY]
field = "行政处罚次数"
type = "int"
"""


def code(i: int) -> str:
    return build("9", "1", "310115", f"{i:08d}")


def test_each_file_kind_and_paths_relative_to_the_configuration(tmp_path: Path):
    csv_config = tomllib.loads(
        '[source]\nkind = "csv"\npath = "data/p.csv"\nencoding = "gb18030"\n' + MAPPING
    )
    source, _ = load_source(csv_config, tmp_path)
    assert isinstance(source, CsvSource) and source.path == tmp_path / "data" / "p.csv"
    assert source.encoding == "gb18030" and source.columns == {
        "统一社会信用代码": True,
        "企业名称": True,
        "行政处罚次数": True,
    }
    xlsx_config = tomllib.loads('[source]\nkind = "xlsx"\npath = "/srv/p.xlsx"\nsheet = "Q3"\n' + MAPPING)
    source, _ = load_source(xlsx_config, tmp_path)
    assert isinstance(source, XlsxSource) and source.path == Path("/srv/p.xlsx") and source.sheet == "Q3"


def test_a_rest_source_with_its_settings():
    config = tomllib.loads(
        """
        [source]
        kind = "rest"
        base_url = "https://api.${HOST}/v1"
        path = "/enterprises"
        items = "data"
        timeout = 3
        retries = 4
        [source.params]
        status = "active"
        [source.paging]
        style = "cursor"
        cursor = "after"
        next_cursor = "meta.next"
        page_size = 500
        """
        + MAPPING.replace("统一社会信用代码", "uscc")
    )
    source, _ = load_source(config, Path("."), env={"HOST": "park.example.cn"})
    assert isinstance(source, RestSource)
    assert source.base_url == "https://api.park.example.cn/v1" and source.params == {"status": "active"}
    assert (source.timeout, source.retries, source.paging.style, source.paging.page_size) == (
        3.0,
        4,
        "cursor",
        500,
    )


@pytest.mark.parametrize(
    ("source_table", "expected"),
    [
        ('kind = "ftp"', "must be one of: csv, xlsx, rest, graphql, database"),
        ('path = "x.csv"', "missing kind"),
        ('kind = "csv"\npath = "x.csv"\nencodig = "gb18030"', "unknown key; did you mean encoding?"),
        ('kind = "csv"\npath = "x.csv"\nencoding = "big6"', "unknown encoding"),
        ('kind = "csv"\npath = "x.csv"\nheader_row = 0', "header_row 应大于 0"),
        ('kind = "csv"', "[source] 缺少 path"),
        (
            'kind = "rest"\nbase_url = "http://x"\n[source.paging]\nstyle = "cursor"',
            "cursor paging needs next_cursor",
        ),
        (
            'kind = "rest"\nbase_url = "http://x"\n[source.paging]\nstyle = "pages"',
            "must be one of: none, page",
        ),
        ('kind = "rest"\nbase_url = "http://x"\ntimeout = "10s"', "timeout 应为数字"),
        ('kind = "graphql"\nurl = "http://x"\nitems = "a"', "give either query or query_file"),
        ('kind = "database"', "needs the park node's database"),
    ],
)
def test_configuration_errors_say_what_is_wrong(source_table, expected):
    config = tomllib.loads(f"[source]\n{source_table}\n{MAPPING}")
    with pytest.raises(ConfigError) as e:
        load_source(config, Path("."))
    assert any(expected in p for p in e.value.problems), e.value.problems


def test_known_indicators_are_checked_when_loading():
    config = tomllib.loads('[source]\nkind = "csv"\npath = "x.csv"\n' + MAPPING)
    with pytest.raises(ConfigError, match="ADMIN_PENALTY"):
        load_source(config, Path("."), known_indicators={"TAX_CREDIT"})


def test_a_toml_syntax_error_names_the_file(tmp_path: Path):
    (tmp_path / "park.toml").write_text('[source]\nkind = "csv\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"park.toml: TOML 语法错误 .*line 2"):
        read_config(tmp_path / "park.toml")


async def test_import_options_from_the_configuration(tmp_path: Path):
    header = "统一社会信用代码,企业名称,行政处罚次数\n"
    body = "".join(f"{code(i)},企业{i},{'x' if i < 3 else i}\n" for i in range(10))
    (tmp_path / "p.csv").write_text(header + body, encoding="utf-8")
    (tmp_path / "park.toml").write_text(
        '[park]\nname = "张江"\n\n[source]\nkind = "csv"\npath = "p.csv"\n'
        + MAPPING
        + "\n[import]\nall_or_nothing = false\nmax_bad_rows = 2\nlimit_problems = 1\n",
        encoding="utf-8",
    )
    plan = load_import(read_config(tmp_path / "park.toml"), tmp_path)
    assert (plan.options.all_or_nothing, plan.options.max_bad_rows, plan.options.limit_problems) == (
        False,
        2,
        1,
    )
    report = await run_plan(plan)
    assert report.aborted is not None and "max_bad_rows = 2" in report.aborted
    assert report.problem_count == 3 and len(report.problems) == 1


def test_bad_import_options():
    config = tomllib.loads(
        '[source]\nkind = "csv"\npath = "x.csv"\n' + MAPPING + '[import]\nduplicates = "merge"\n'
    )
    with pytest.raises(ConfigError, match="must be one of: reject, keep_last"):
        load_import(config, Path("."))


async def test_the_node_s_own_database_as_records_and_as_rows():
    async def records():
        yield EnterpriseRecord(code(1), "甲", {"TAX_CREDIT": "A"}, origin="db 1", extra={"region": "浦东"})
        yield EnterpriseRecord("91310115X", "乙", {"TAX_CREDIT": "B"}, origin="db 2")
        yield EnterpriseRecord(code(3), "丙", {"TAX_CREDT": "B"}, origin="db 3")

    source, mapping = load_source(
        {"source": {"kind": "database"}}, Path("."), database=records, known_indicators={"TAX_CREDIT"}
    )
    assert isinstance(source, DatabaseSource)
    report = await run_import(source, mapping)
    assert [r.origin for r in report.records] == ["db 1"]
    assert report.records[0].extra == {"region": "浦东"}
    reasons = {p.origin: p.reason for p in report.problems}
    assert "invalid USCC" in reasons["db 2"] and "unknown indicator code" in reasons["db 3"]

    def rows():  # a plain iterable of dicts, mapped like any other source's rows
        return [{"id": 7, "统一社会信用代码": code(7), "企业名称": "丁", "行政处罚次数": 2}, "not a row"]

    config = tomllib.loads('[source]\nkind = "database"\n' + MAPPING)
    report = await run_import(*load_source(config, Path("."), database=rows))
    assert [(r.origin, r.indicators) for r in report.records] == [("record id 7", {"ADMIN_PENALTY": 2})]
    assert report.problems[0].origin == "record 2" and "not a record" in report.problems[0].reason


def test_every_example_in_the_configuration_reference_loads():
    docs = Path(__file__).resolve().parents[1] / "docs" / "adapters.md"
    text = docs.read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:]]
    kinds = []
    for block in blocks:
        config = tomllib.loads(block)
        plan = load_import(
            config, docs.parent, database=list, env={"PARK_API_TOKEN": "t", "PARTNER_TOKEN": "t"}
        )
        kinds.append(config["source"]["kind"])
        assert plan.source.describe()
    assert kinds == ["csv", "xlsx", "rest", "graphql", "database"]

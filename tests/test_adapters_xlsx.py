"""Excel workbooks made with openpyxl: typed cells, row numbers as Excel shows them, bad files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from openpyxl import Workbook

from adapters import load_source, run_import
from alliance.core.uscc import build

CONFIG = """
[source]
kind = "xlsx"
path = "park.xlsx"
{extra}

[mapping]
uscc = "统一社会信用代码"
name = "企业名称"
[mapping.indicators.QUALITY]
field = "质量评价"
scale = "youliang"
[mapping.indicators.ADMIN_PENALTY]
field = "行政处罚次数"
type = "int"
[mapping.indicators.HIGH_TECH]
field = "高新技术企业"
type = "bool"
[mapping.indicators.RD_RATIO]
field = "研发投入占比(‰)"
unit = "‰->%"
max = 100

[scales.youliang]
"优" = 95
"良" = 80
"中" = 65
"差" = 40
"""
HEADER = ["统一社会信用代码", "企业名称", "质量评价", "行政处罚次数", "高新技术企业", "研发投入占比(‰)"]


def code(i: int) -> str:
    return build("9", "1", "510100", f"{i:08d}")


def workbook(path: Path, rows: list[list], *, title: str = "2024Q3", extra_sheet: bool = True) -> Path:
    book = Workbook()
    sheet = book.active
    if extra_sheet:  # the data is not on the first sheet
        sheet.title = "说明"
        sheet.append(["本表由园区信用办导出"])
        sheet = book.create_sheet(title)
    else:
        sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def load(tmp_path: Path, extra: str = 'sheet = "2024Q3"'):
    return load_source(tomllib.loads(CONFIG.format(extra=extra)), tmp_path)


async def test_typed_cells_and_excel_row_numbers(tmp_path):
    rows = [
        HEADER,
        [code(1), "成都测试一号", "优", 0, "是", 12.5],  # row 2
        [
            code(2),
            "成都测试二号",
            "良",
            3.0,
            True,
            "8",
        ],  # row 3: a float count, a real boolean, a text number
        [None, None, None, None, None, None],  # row 4: empty
        [code(3), "成都测试三号", "极好", 1, "否", 3],  # row 5: unknown label
        [code(4), "成都测试四号", "中", 1.5, "否", 3],  # row 6: not an integer
        [code(5), "成都测试五号", "差", 0, "不详", 3],  # row 7: not a yes/no
        [code(6), "成都测试六号", "差", 0, "否", 2000],  # row 8: 200 % is out of range
        [code(7), "  成都测试七号  ", " 良 ", 2, "否", None],  # row 9: padded text; empty ratio
    ]
    workbook(tmp_path / "park.xlsx", rows)
    source, mapping = load(tmp_path)
    report = await run_import(source, mapping)
    assert report.ok, report.aborted
    records = {r.origin: r for r in report.records}
    assert list(records) == ["row 2", "row 3"]
    assert records["row 2"].indicators == {
        "QUALITY": 95,
        "ADMIN_PENALTY": 0,
        "HIGH_TECH": True,
        "RD_RATIO": 1.25,
    }
    assert records["row 3"].indicators == {
        "QUALITY": 80,
        "ADMIN_PENALTY": 3,
        "HIGH_TECH": True,
        "RD_RATIO": 0.8,
    }
    reasons = {p.origin: p.reason for p in report.problems}
    assert list(reasons) == ["row 5", "row 6", "row 7", "row 8", "row 9"]
    assert "unknown grade label '极好' for QUALITY — known: 优, 良, 中, 差" in reasons["row 5"]
    assert "not an integer" in reasons["row 6"]
    assert "not a yes/no value" in reasons["row 7"]
    assert "out of range" in reasons["row 8"]
    assert "empty value for RD_RATIO" in reasons["row 9"]
    assert await source.total_hint() == 8


async def test_the_first_sheet_and_a_header_below_a_title(tmp_path):
    rows = [["成都高新区企业信用数据"], HEADER, [code(1), "成都测试一号", "优", 0, "是", 1]]
    workbook(tmp_path / "park.xlsx", rows, extra_sheet=False)
    report = await run_import(*load(tmp_path, "header_row = 2"))
    assert report.ok and [r.origin for r in report.records] == ["row 3"]


async def test_a_missing_column_is_reported_before_any_row(tmp_path):
    rows = [HEADER[:-1], *([code(i), "x", "优", 0, "是"] for i in range(1, 30))]
    workbook(tmp_path / "park.xlsx", rows)
    report = await run_import(*load(tmp_path))
    assert report.aborted is not None and "missing column 研发投入占比(‰)" in report.aborted
    assert report.read == 0 and report.records == []


async def test_values_beyond_the_header_make_the_row_malformed(tmp_path):
    rows = [HEADER, [code(1), "一号", "优", 0, "是", 1, "多出来的"], [code(2), "二号", "优", 0, "是", 1]]
    workbook(tmp_path / "park.xlsx", rows)
    report = await run_import(*load(tmp_path))
    assert [p.origin for p in report.problems] == [
        "row 2"
    ] and "beyond the 6 header columns" in report.problems[0].reason
    assert report.mapped == 1


async def test_an_unknown_sheet_names_the_sheets_there_are(tmp_path):
    workbook(tmp_path / "park.xlsx", [HEADER])
    report = await run_import(*load(tmp_path, 'sheet = "2023Q4"'))
    assert report.aborted is not None and "2023Q4" in report.aborted and "说明, 2024Q3" in report.aborted


@pytest.mark.parametrize("content", [b"uscc,name\n1,2\n", b""], ids=["csv-renamed", "empty"])
async def test_a_file_that_is_not_a_workbook(tmp_path, content):
    (tmp_path / "park.xlsx").write_bytes(content)
    report = await run_import(*load(tmp_path))
    assert report.aborted is not None and "not a valid .xlsx file" in report.aborted

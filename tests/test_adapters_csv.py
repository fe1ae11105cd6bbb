"""CSV files as a park exports them: UTF-8 with and without BOM, GB18030, malformed rows, wrong encodings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters import load_source, run_import
from alliance.core.uscc import build

HEADER = ["统一社会信用代码", "企业名称", "纳税信用等级", "行政处罚次数", "注册资本（万元）", "所属行业"]
CONFIG = """
[source]
kind = "csv"
path = "park.csv"
encoding = "{encoding}"
header_row = {header_row}
delimiter = "{delimiter}"

[mapping]
uscc = "统一社会信用代码"
name = "企业名称"
[mapping.extra]
industry = "所属行业"
[mapping.indicators.TAX_CREDIT]
field = "纳税信用等级"
scale = "tax_grade"
[mapping.indicators.ADMIN_PENALTY]
field = "行政处罚次数"
type = "int"
default = 0
[mapping.indicators.REG_CAPITAL]
field = "注册资本(万元)"   # the file writes full-width brackets: matched all the same
unit = "万元->元"

[scales.tax_grade]
"五星" = "A"
"四星" = "B"
"三星" = "C"
"""


def code(i: int) -> str:
    return build("9", "1", "420100", f"{i:08d}")


def good_row(i: int) -> list[str]:
    return [code(i), f"光谷测试企业{i}号", ("五星", "四星", "三星")[i % 3], str(i % 4), f"{i}.5", "软件"]


def write(path: Path, lines: list[list[str]] | list[str], encoding: str, *, delimiter: str = ",") -> Path:
    text = "".join((delimiter.join(line) if isinstance(line, list) else line) + "\r\n" for line in lines)
    path.write_bytes(text.encode(encoding))
    return path


def load(tmp_path: Path, encoding: str = "auto", header_row: int = 1, delimiter: str = ","):
    config = tomllib.loads(
        CONFIG.format(encoding=encoding, header_row=header_row, delimiter=delimiter.replace("\t", "\\t"))
    )
    return load_source(config, tmp_path)


@pytest.mark.parametrize(
    ("file_encoding", "configured", "resolved"),
    [
        ("utf-8", "auto", "utf-8"),
        ("utf-8-sig", "auto", "utf-8-sig"),
        ("gb18030", "auto", "gb18030"),
        ("gb18030", "gb18030", "gb18030"),
        ("gbk", "GBK", "gbk"),
        ("utf-8-sig", "utf-8", "utf-8-sig"),  # Excel's BOM tolerated when UTF-8 is configured
    ],
)
async def test_the_encodings_offices_use(tmp_path, file_encoding, configured, resolved):
    write(tmp_path / "park.csv", [HEADER, *(good_row(i) for i in range(1, 6))], file_encoding)
    source, mapping = load(tmp_path, configured)
    report = await run_import(source, mapping)
    assert report.ok, report.aborted
    assert report.mapped == 5 and report.problems == []
    assert source.resolved == resolved
    first = report.records[0]
    assert (
        first.uscc == code(1) and first.name == "光谷测试企业1号"
    )  # decoded, and no BOM in the first column
    assert first.indicators == {"TAX_CREDIT": "B", "ADMIN_PENALTY": 1, "REG_CAPITAL": 15000.0}
    assert first.extra == {"industry": "软件"} and first.origin == "row 2"


async def test_unmappable_rows_are_reported_with_their_row_numbers_and_the_rest_imported(tmp_path):
    bad_uscc = code(4)[:-1] + ("0" if code(4)[-1] != "0" else "1")
    lines = [
        HEADER,
        good_row(1),  # line 2
        f'{code(2)},"多行名称\r\n有限公司",五星,0,1,软件',  # lines 3-4: a quoted line break
        [code(3), "丙公司", "六星", "0", "1", "软件"],  # line 5: unknown grade
        [bad_uscc, "丁公司", "五星", "0", "1", "软件"],  # line 6: wrong check character
        [code(5), "戊公司", "五星", "0"],  # line 7: two fields short (malformed)
        [code(6), "己公司", "四星", "两次", "1", "软件"],  # line 8: not a number
        "",  # line 9: blank, skipped
        good_row(7),  # line 10
    ]
    write(tmp_path / "park.csv", lines, "gb18030")
    source, mapping = load(tmp_path)
    report = await run_import(source, mapping)
    assert report.ok and report.committable
    assert [r.origin for r in report.records] == ["row 2", "row 3", "row 10"]
    assert report.records[1].name == "多行名称\r\n有限公司"
    reasons = {p.origin: p.reason for p in report.problems}
    assert list(reasons) == ["row 5", "row 6", "row 7", "row 8"]
    assert (
        "未知的等级标签 '六星'" in reasons["row 5"]
        and "unknown grade label '六星' for TAX_CREDIT" in reasons["row 5"]
    )
    assert "check character should be" in reasons["row 6"]
    assert "row has 4 fields, the header has 6" in reasons["row 7"]
    assert "'两次'" in reasons["row 8"] and "not a number" in reasons["row 8"]


async def test_a_missing_column_is_reported_once_before_any_row_is_read(tmp_path):
    header = [h for h in HEADER if h != "纳税信用等级"]
    write(
        tmp_path / "park.csv",
        [header, *([c for j, c in enumerate(good_row(i)) if j != 2] for i in range(50))],
        "utf-8",
    )
    source, mapping = load(tmp_path)
    report = await run_import(source, mapping)
    assert report.aborted is not None and "missing column 纳税信用等级" in report.aborted
    assert report.read == 0 and report.problems == [] and report.records == []


async def test_a_missing_column_with_a_default_is_not_required(tmp_path):
    header = [h for h in HEADER if h != "行政处罚次数"]
    rows = [[c for j, c in enumerate(good_row(i)) if j != 3] for i in range(1, 4)]
    write(tmp_path / "park.csv", [header, *rows], "utf-8")
    source, mapping = load(tmp_path)
    report = await run_import(source, mapping)
    assert report.ok and report.mapped == 3
    assert all(r.indicators["ADMIN_PENALTY"] == 0 for r in report.records)


async def test_a_gb18030_file_read_as_utf_8_names_the_line_and_byte_offset(tmp_path):
    title = "export 2024Q3,,,,,"
    data = write(tmp_path / "park.csv", [title, HEADER, good_row(1)], "gb18030").read_bytes()
    source, mapping = load(tmp_path, "utf-8", header_row=2)
    report = await run_import(source, mapping)
    with pytest.raises(UnicodeDecodeError) as e:
        data.decode("utf-8")
    offset = e.value.start  # (not the first non-ASCII byte: 统 in GB18030, CD B3, happens to be valid UTF-8)
    assert offset > len(title) + 2
    assert report.aborted is not None
    assert f"not decodable as utf-8 at line 2, byte offset {offset}" in report.aborted
    assert report.records == []


async def test_bad_bytes_late_in_the_file_abort_the_whole_run(tmp_path):
    rows = [HEADER, *(good_row(i) for i in range(1, 2400))]
    path = write(tmp_path / "park.csv", rows, "utf-8")
    # Line 2300 was pasted from a GB18030 export into this UTF-8 file.
    before = path.read_bytes().split(b"\r\n")[:2299]
    pasted = ",".join(good_row(9999)).encode("gb18030")
    after = path.read_bytes().split(b"\r\n")[2300:]
    path.write_bytes(b"\r\n".join([*before, pasted, *after]))
    offset = sum(len(line) + 2 for line in before) + len(code(9999)) + 1  # the name's first byte

    source, mapping = load(tmp_path, "utf-8")
    report = await run_import(source, mapping)
    assert report.read > 0  # rows before the bad bytes were read ...
    assert report.records == [] and not report.committable  # ... and none is committed
    assert f"line 2300, byte offset {offset}" in report.aborted

    kept = await run_import(*load(tmp_path, "utf-8"), all_or_nothing=False)
    assert kept.committable and len(kept.records) == kept.read > 0


async def test_a_utf_8_bom_with_gb18030_configured_is_refused(tmp_path):
    write(tmp_path / "park.csv", [HEADER, good_row(1)], "utf-8-sig")
    report = await run_import(*load(tmp_path, "gb18030"))
    assert report.aborted is not None and "byte order mark" in report.aborted and report.read == 0


async def test_a_utf_8_file_read_as_gb18030_is_caught(tmp_path):
    # GB18030 decodes most UTF-8 bytes into the wrong characters; the header check catches it.
    write(tmp_path / "park.csv", [HEADER, good_row(1)], "utf-8")
    report = await run_import(*load(tmp_path, "gb18030"))
    assert report.aborted is not None and report.records == []
    assert "wrong encoding" in report.aborted or "not decodable" in report.aborted


async def test_auto_refuses_a_file_that_is_neither_utf_8_nor_gb18030(tmp_path):
    path = write(tmp_path / "park.csv", [HEADER, good_row(1)], "utf-8")
    path.write_bytes(path.read_bytes() + b"\xff\xfe\xff,x\r\n")
    report = await run_import(*load(tmp_path, "auto"))
    assert report.aborted is not None
    assert (
        "not decodable as utf-8 at line 3" in report.aborted and "nor as gb18030 at line 1" in report.aborted
    )


async def test_title_rows_blank_lines_and_trailing_empty_cells(tmp_path):
    lines = [
        "东湖高新区 2024 年第三季度企业信用数据,,,,,",
        "",
        HEADER,
        good_row(1),
        ",,,,,,,",
        [*good_row(2), "", ""],
        "",
    ]
    write(tmp_path / "park.csv", lines, "utf-8-sig")
    report = await run_import(*load(tmp_path, header_row=3))
    assert report.ok and report.problems == []
    assert [r.origin for r in report.records] == ["row 4", "row 6"]


async def test_excel_unicode_text_utf_16_tab_separated(tmp_path):
    write(tmp_path / "park.csv", [HEADER, good_row(1), good_row(2)], "utf-16", delimiter="\t")
    report = await run_import(*load(tmp_path, delimiter="\t"))
    assert report.ok and report.mapped == 2


async def test_an_empty_or_absent_file_aborts(tmp_path):
    (tmp_path / "park.csv").write_bytes(b"")
    report = await run_import(*load(tmp_path))
    assert report.aborted is not None and "empty file" in report.aborted
    (tmp_path / "park.csv").unlink()
    report = await run_import(*load(tmp_path))
    assert report.aborted is not None and "cannot open" in report.aborted


async def test_a_header_with_a_mapped_column_twice_aborts(tmp_path):
    write(tmp_path / "park.csv", [[*HEADER, "企业名称"], [*good_row(1), "x"]], "utf-8")
    report = await run_import(*load(tmp_path))
    assert report.aborted is not None and "duplicate column 企业名称" in report.aborted


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
def test_the_first_undecodable_byte_is_found_across_chunk_boundaries(tmp_path, monkeypatch, chunk):
    from adapters import encodings

    monkeypatch.setattr(encodings, "_CHUNK", chunk)
    good = "企业名称,纳税信用等级\n光谷一号,五星\n".encode()
    for cut in (0, 5, len(good) - 1):  # a bad byte at several places, also inside a character
        data = good[:cut] + b"\xff" + good[cut:]
        path = tmp_path / "x.csv"
        path.write_bytes(data)
        with pytest.raises(UnicodeDecodeError) as e:
            data.decode("utf-8")
        expected = (e.value.start, data[: e.value.start].count(b"\n") + 1)
        assert encodings.first_undecodable(path, "utf-8") == expected
    path.write_bytes(good[:-2])  # ends inside a character
    assert encodings.first_undecodable(path, "utf-8") == (len(good) - 4, 2)

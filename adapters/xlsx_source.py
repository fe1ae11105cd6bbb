"""Excel workbooks (.xlsx) as a rating source, streamed with openpyxl's read-only mode.

Read-only mode parses the sheet as it goes instead of loading it, so memory does not grow with the sheet;
`data_only` takes the values Excel cached for formulas rather than the formulas themselves.
"""

from __future__ import annotations

import zipfile
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

from adapters.base import RawRecord, SourceError
from adapters.tabular import header_names, match_header
from adapters.threaded import in_batches


class XlsxSource:
    def __init__(
        self,
        path: Path | str,
        *,
        sheet: str | None = None,
        header_row: int = 1,
        columns: Mapping[str, bool] | None = None,
    ) -> None:
        self.path = Path(path)
        self.sheet = sheet  # None: the first sheet
        self.header_row = header_row
        self.columns = dict(columns or {})
        self._rows_hint: int | None = None

    def describe(self) -> str:
        sheet = f", sheet {self.sheet}" if self.sheet else ""
        return f"Excel 文件 {self.path}{sheet}"

    async def total_hint(self) -> int | None:
        return self._rows_hint  # known once the sheet is open (from its recorded dimensions)

    async def records(self) -> AsyncIterator[RawRecord]:
        async for record in in_batches(self._rows()):
            yield record

    def _open(self) -> Any:
        from openpyxl import load_workbook  # imported here: a park that uses CSV does not pay for openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        where = self.path.name
        try:
            return load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError) as e:
            raise SourceError(
                f"{where}: 不是有效的 .xlsx 文件；旧版 .xls 请在 Excel 中另存为 .xlsx "
                f"(not a valid .xlsx file: {e})"
            ) from None
        except OSError as e:
            raise SourceError(f"{where}: 无法打开文件 (cannot open: {e.strerror or e})") from None

    def _rows(self) -> Iterator[RawRecord]:
        where = self.path.name
        book = self._open()
        try:
            if self.sheet is None:
                sheet = book.worksheets[0]
            elif self.sheet in book.sheetnames:
                sheet = book[self.sheet]
            else:
                raise SourceError(
                    f"{where}: 没有名为 {self.sheet} 的工作表 (no sheet {self.sheet!r}; "
                    f"sheets: {', '.join(book.sheetnames)})"
                )
            where = f"{where} [{sheet.title}]"
            if sheet.max_row:
                self._rows_hint = max(0, sheet.max_row - self.header_row)
            yield from self._parse(sheet.iter_rows(values_only=True), where)
        finally:
            book.close()  # read-only workbooks keep the file open until closed

    def _parse(self, rows: Iterator[tuple[Any, ...]], where: str) -> Iterator[RawRecord]:
        header: tuple[Any, ...] | None = None
        for _ in range(self.header_row):
            header = next(rows, None)
        if header is None:
            raise SourceError(f"{where}: 工作表为空，没有表头 (empty sheet: no header row)")
        keys = match_header(header_names(header), self.columns, where)
        width = len(keys)
        # Read-only mode yields one tuple per sheet row, gaps included, so counting gives Excel's row numbers.
        for number, row in enumerate(rows, self.header_row + 1):
            cells = [c.strip() if type(c) is str else c for c in row]
            if all(c is None or c == "" for c in cells):
                continue
            if len(cells) > width:
                if any(c is not None and c != "" for c in cells[width:]):
                    yield RawRecord(
                        f"row {number}",
                        {},
                        f"该行在表头之外还有数据 (row has values beyond the {width} header columns)",
                    )
                    continue
                cells = cells[:width]
            elif len(cells) < width:
                # A short row's last cells are empty (some writers stop at the last cell with a value).
                cells.extend([None] * (width - len(cells)))
            yield RawRecord(f"row {number}", dict(zip(keys, cells, strict=True)))

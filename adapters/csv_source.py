"""CSV files as a rating source: streamed with the csv module, in the encodings Chinese offices use."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

from adapters import encodings
from adapters.base import RawRecord, SourceError
from adapters.tabular import header_names, match_header
from adapters.threaded import in_batches
from alliance.errors import InvalidInput


class CsvSource:
    def __init__(
        self,
        path: Path | str,
        *,
        encoding: str = "auto",
        delimiter: str = ",",
        header_row: int = 1,
        columns: Mapping[str, bool] | None = None,
    ) -> None:
        codec = encodings.canonical(encoding)
        if codec is None:
            raise InvalidInput(f"未知的编码 {encoding} (unknown encoding)")
        self.path = Path(path)
        self.encoding = codec
        self.delimiter = delimiter
        self.header_row = header_row
        # Configured column -> required (usually `FieldMapping.columns()`), checked against the header first.
        self.columns = dict(columns or {})
        self.resolved: str | None = None  # the encoding actually used, once known

    def describe(self) -> str:
        enc = self.encoding
        if enc == encodings.AUTO and self.resolved:
            enc = f"auto → {self.resolved}"
        return f"CSV 文件 {self.path} (encoding {enc})"

    async def total_hint(self) -> int | None:
        return await asyncio.to_thread(self._count_lines)

    def _count_lines(self) -> int | None:
        # Counting newlines in binary is fast (no decoding) and close enough for a progress bar.
        try:
            with self.path.open("rb") as f:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
        except OSError:
            return None
        return max(0, lines - self.header_row)

    async def records(self) -> AsyncIterator[RawRecord]:
        async for record in in_batches(self._rows()):
            yield record

    def _rows(self) -> Iterator[RawRecord]:
        where = self.path.name
        try:
            encoding = encodings.resolve(self.path, self.encoding)
        except OSError as e:
            raise SourceError(f"{where}: 无法打开文件 (cannot open: {e.strerror or e})") from None
        self.resolved = encoding
        try:
            with self.path.open(encoding=encoding, newline="") as f:
                yield from self._parse(csv.reader(f, delimiter=self.delimiter), where)
        except UnicodeDecodeError:
            bad = encodings.first_undecodable(self.path, encoding)
            raise encodings.undecodable(self.path, encoding, bad or (0, 0)) from None
        except csv.Error as e:
            raise SourceError(f"{where}: CSV 格式错误 (malformed CSV: {e})") from None

    def _parse(self, reader: Any, where: str) -> Iterator[RawRecord]:
        header: list[str] | None = None
        for _ in range(self.header_row):
            header = next(reader, None)
        if header is None:
            raise SourceError(f"{where}: 文件为空，没有表头 (empty file: no header row)")
        keys = match_header(header_names(header), self.columns, where)
        width = len(keys)
        line = reader.line_num  # physical lines read so far; a record starts on the next one
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(row):
                continue  # blank lines and rows of empty cells, common at the end of exports
            n = len(row)
            if n != width:
                if n > width and not any(c.strip() for c in row[width:]):
                    row = row[:width]  # trailing empty cells
                else:
                    yield RawRecord(
                        f"row {start}",
                        {},
                        f"该行有 {n} 列，表头有 {width} 列 (row has {n} fields, the header has {width})",
                    )
                    continue
            yield RawRecord(f"row {start}", dict(zip(keys, row, strict=True)))

"""Text encodings of files from Chinese offices: UTF-8 with or without a BOM, GB18030 (and its GBK subset).

`auto` decides by the bytes, not by guessing from statistics: a BOM names the encoding; otherwise a file
that decodes as UTF-8 from start to end is UTF-8 (GB18030 text practically never is valid UTF-8), and
anything else is read as GB18030. When a file does not decode, the error names the line and byte offset of
the first bad byte so the park can find it.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from adapters.base import SourceError

AUTO = "auto"
_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def canonical(name: str) -> str | None:
    """The codec name for a configured encoding ("auto" stays "auto"); None when Python has no such codec."""
    if name.strip().lower() == AUTO:
        return AUTO
    try:
        return codecs.lookup(name.strip()).name
    except LookupError:
        return None


def bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def first_undecodable(path: Path, encoding: str) -> tuple[int, int] | None:
    """(byte offset, line number) of the first byte that `encoding` cannot decode; None when all decode.

    Reads in chunks through an incremental decoder, so memory stays flat however large the file.
    """
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0  # bytes before the current chunk
    lines = 0  # newlines before the current chunk
    with path.open("rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            final = not chunk
            pending = len(decoder.getstate()[0])  # bytes of a character cut at the previous chunk's end
            try:
                decoder.decode(chunk, final)
            except UnicodeDecodeError as e:
                # e.start counts from the pending bytes, which belong to the previous chunk.
                bad = offset - pending + e.start
                before = chunk[: max(0, e.start - pending)]
                return bad, lines + before.count(b"\n") + 1
            if final:
                return None
            offset += len(chunk)
            lines += chunk.count(b"\n")


def resolve(path: Path, configured: str) -> str:
    """The codec to read `path` with, given the configured encoding; SourceError when it cannot be read."""
    with path.open("rb") as f:
        head = f.read(4)
    bom = bom_encoding(head)
    if configured == AUTO:
        if bom:
            return bom
        bad_utf8 = first_undecodable(path, "utf-8")
        if bad_utf8 is None:
            return "utf-8"
        bad_gb = first_undecodable(path, "gb18030")
        if bad_gb is None:
            return "gb18030"
        raise undecodable(path, "utf-8", bad_utf8, also=("gb18030", bad_gb))
    if bom:
        if bom == "utf-8-sig" and configured in ("utf-8", "utf-8-sig"):
            return "utf-8-sig"  # tolerate the BOM Excel writes rather than making it part of the first column
        if not configured.startswith(bom.split("-sig")[0]):
            raise SourceError(
                f"{path.name}: 配置的编码是 {configured}，但文件以 {bom} 的字节顺序标记开头；"
                f'请改为 encoding = "auto" '
                f"(configured {configured} but the file starts with a {bom} byte order mark)"
            )
    return configured


def undecodable(
    path: Path, encoding: str, where: tuple[int, int], *, also: tuple[str, tuple[int, int]] | None = None
) -> SourceError:
    """The error for a file that `encoding` (and, for auto, also the second encoding tried) cannot decode."""
    offset, line = where
    zh = f"第 {line} 行（字节偏移 {offset}）无法按 {encoding} 解码"
    en = f"not decodable as {encoding} at line {line}, byte offset {offset}"
    if also is not None:
        other, (offset2, line2) = also
        zh += f"，按 {other} 也不行（第 {line2} 行，字节偏移 {offset2}）"
        en += f"; nor as {other} at line {line2}, byte offset {offset2}"
    return SourceError(
        f'{path.name}: {zh}；请检查文件编码，或设 encoding = "auto" / "gb18030" / "utf-8" ({en})'
    )

"""The first sheet of an .xlsx/.xlsm workbook, read row by row in bounded memory.

python-calamine reads a whole sheet into memory before the first row comes back: 290 MB for a
street's 260,000-row ledger, more than the rest of the import together. This reader decompresses
the sheet's XML a megabyte at a time and hands out each row as it is complete, so its memory is the
shared strings plus one chunk, whatever the length of the sheet.

Cells come back as calamine gives them, so `normalise.text` treats both alike: text as str, numbers
as float, booleans as bool, date-formatted numbers as date (or datetime when they carry a time).
Row lists are positional (column A first, gaps as None) and rows come in sheet order with missing
rows as empty lists, so a row's index is its row number in Excel.

The XML is scanned with regular expressions rather than a tree parser: a spreadsheet's sheet XML is
machine-written and flat, and at 4 million cells the scan takes about a third of the time of
ElementTree's iterparse (7.6 s against 14 s). Cells written with the usual attribute order
(r, s, t) take the fast path; any row it cannot account for completely is parsed cell by cell.

A workbook is a zip of someone else's XML, so nothing here trusts it (docs/security.md, hostile files):
every part is size-checked from the zip's directory before it is opened (declared size, compression
ratio) and read through a byte budget; every pattern is linear — no attribute scan runs past a `<`, no
element body past the next element of its kind, and a sheet's text after its last `</row>` is checked
for unclosed rows instead of being searched for their ends (that search, once per unclosed `<row>`,
made a 5 KB workbook cost 137 s); and the caller's deadline is checked between chunks.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import time
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import Any

CHUNK_CHARS = 1 << 20
MB = 1 << 20
SMALL_PART_BYTES = 16 * MB  # workbook, relationships and styles are read whole: kilobytes in real files
MAX_ELEMENT_CHARS = 16 * MB  # one row or one shared string; Excel's own cell limit is 32,767 characters
MAX_ENTRIES = 10_000  # zip members: zipfile keeps a record of each in memory before anything is checked
RATIO_FLOOR = 8 * MB  # parts smaller than this are harmless whatever their compression ratio
EXCEL_MAX_ROW = 1_048_576
_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix (x:row)
# Attribute text stops at the next "<" as well as ">": XML allows neither raw in an attribute, and a scan
# that crossed them could run to the end of the text once per tag.
_ROW = re.compile(rf"<{_P}row\b([^<>]*?)(?:/>|>(.*?)</{_P}row>)", re.S)
_ROW_OPEN = re.compile(rf"<{_P}row\b")
_SI_OPEN = re.compile(rf"<{_P}si\b")
_ROW_END = re.compile(rf"</{_P}row>")
_SI_END = re.compile(rf"</{_P}si>")
_OPENING = {"row": _ROW_OPEN, "si": _SI_OPEN}
_ENDING = {"row": _ROW_END, "si": _SI_END}
# The fast path: r, then s, then t, and a plain <v> or an inline string. A rich inline string's body may
# not run into the next cell, so a cell left open costs only the text up to the next one.
_FAST_CELL = re.compile(
    r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|>(?:<f\b[^<>]*?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>)?</c>"
    r'|><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>|>(<is>(?:[^<]|<(?!/?c[\s>/]))*?</is>)</c>)',
    re.S,
)
_CELL = re.compile(
    rf"<{_P}c\b([^<>]*?)(?:/>|>((?:[^<]|<(?!/?{_P}c[\s>/]))*?)</{_P}c>)",
    re.S,
)
_ATTR = re.compile(r"""\b([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")  # XML allows either quote
_V = re.compile(rf"<{_P}v>([^<]*)</{_P}v>")
_T = re.compile(rf"<{_P}t(?:\s[^<>]*)?>([^<]*)</{_P}t>|<{_P}t\s*/>")
_PHONETIC = re.compile(rf"<{_P}rPh\b(?:[^<]|<(?!/?{_P}rPh\b))*?</{_P}rPh>", re.S)
_SI = re.compile(rf"<{_P}si\b[^<>]*?(?:/>|>(.*?)</{_P}si>)", re.S)
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)["']""")
_CELL_REF = re.compile(r"""\br\s*=\s*["']([A-Z]{1,3})\d+["']""")
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how OOXML writes control characters: _x000D_
_DIMENSION = re.compile(rf"""<{_P}dimension\s+ref\s*=\s*["'][A-Z]*\d*:?[A-Z]*(\d+)["']""")

# Built-in number formats that show a date or time (ECMA-376 18.8.30, with the CJK ones Excel and
# WPS write for Chinese locales).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)}


def _attrs(tag: str) -> dict[str, str]:
    return {name: double or single for name, double, single in _ATTR.findall(tag)}


class XlsxError(Exception):
    """The file is not a workbook this reader understands (not a zip, no sheet, too large, malformed);
    the message is the user's, in Chinese, and the cause stays chained for the log."""


DAMAGED = "文件已损坏或不完整，请在 Excel 中重新另存后再导入"
# What a damaged or truncated archive raises while it is read: each one means "not a workbook we can read".
DAMAGED_FILE_ERRORS = (
    KeyError,
    IndexError,
    zipfile.BadZipFile,
    UnicodeDecodeError,
    ValueError,
    OSError,
    EOFError,
)


@dataclass(frozen=True)
class Limits:
    """How much a workbook may cost: the caller's settings (LINLI_IMPORT_*), in bytes and seconds."""

    max_unzipped: int = 2048 * MB  # the first sheet and the shared strings together, decompressed
    max_ratio: int = 200  # decompressed ÷ compressed, for parts above RATIO_FLOOR
    deadline: float | None = None  # time.monotonic() after which reading stops
    tick: Callable[[], None] | None = None  # called between chunks (the caller's heartbeat)

    @property
    def max_strings(self) -> int:
        # The shared strings are held in memory (about 2.5 bytes per byte of XML): an eighth of the budget.
        return self.max_unzipped // 8

    def check_time(self) -> None:
        if self.tick is not None:
            self.tick()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TimeLimit


class TimeLimit(XlsxError):
    """The caller's deadline passed while reading; the caller words the message (it knows the limit)."""


class _Budget:
    """Decompressed bytes a part may still yield: a hard cap on what is read, whatever the zip declares."""

    def __init__(self, limit: int, what: str) -> None:
        self.left, self.limit, self.what = limit, limit, what

    def spend(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise XlsxError(_too_large(self.what, self.limit))


def _too_large(what: str, limit: int) -> str:
    return f"{what}解压后超过 {limit // MB} MB 的上限，可能是恶意构造的文件（压缩炸弹），已拒绝导入"


def read_first_sheet(path: Path, limits: Limits | None = None) -> tuple[Iterator[list[Any]], int]:
    """The first sheet's rows, lazily, and how many rows its dimension declares (0 if it does not)."""
    limits = limits or Limits()
    try:
        _check_directory(path)
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError("文件不是 Excel 工作簿（.xlsx），可能扩展名不对或已损坏") from exc
    try:
        sheet, strings_path, styles_path, base = _parts(archive)
        _check_sizes(archive, sheet, strings_path, limits)
        # Damage deep in the file must show before the first row is written, not halfway through.
        for name in (sheet, strings_path):
            if name is not None and name in archive.NameToInfo:
                _verify(archive, name, _Budget(limits.max_unzipped, "工作表"), limits)
        ctx = _Context(
            _shared_strings(archive, strings_path, limits), _date_styles(archive, styles_path), base
        )
        rest = _chunks(archive, sheet, _Budget(limits.max_unzipped, "工作表"), limits)
        head = next(rest, "")
    except XlsxError:
        archive.close()
        raise
    except DAMAGED_FILE_ERRORS as exc:
        archive.close()
        raise XlsxError(DAMAGED) from exc
    found = _DIMENSION.search(head[:4096])
    total = int(found.group(1)) if found else 0
    return _rows(archive, head, rest, ctx, limits), total


def _check_directory(path: Path) -> None:
    """Refuse a zip of very many members before zipfile builds a record for each of them."""
    with path.open("rb") as fh:
        end = zipfile._EndRecData(fh)  # type: ignore[attr-defined]  # the end record, as ZipFile reads it
    if end is None:
        raise zipfile.BadZipFile("no end of central directory")
    if end[zipfile._ECD_ENTRIES_TOTAL] > MAX_ENTRIES:  # type: ignore[attr-defined]
        raise XlsxError(f"压缩包内的文件多于 {MAX_ENTRIES:,} 个，不是正常的 Excel 工作簿，已拒绝导入")


def _check_sizes(archive: zipfile.ZipFile, sheet: str, strings: str | None, limits: Limits) -> None:
    """Refuse from the zip's own directory, before decompressing anything large: the parts read whole
    must be small, the sheet and strings within the budget, and no large part compressed like a bomb
    (ordinary sheets compress 5–30 times; deflate's ceiling, reached only by repetition, is ~1,000)."""
    info = archive.getinfo(sheet)
    sizes = [("工作表", info, limits.max_unzipped)]
    if strings is not None and strings in archive.NameToInfo:
        sizes.append(("共享字符串", archive.getinfo(strings), limits.max_strings))
    total = sum(i.file_size for _, i, _ in sizes)
    if total > limits.max_unzipped:
        raise XlsxError(_too_large("工作表", limits.max_unzipped))
    for what, part, cap in sizes:
        if part.file_size > cap:
            raise XlsxError(_too_large(what, cap))
        ratio = part.file_size / max(1, part.compress_size)
        if part.file_size > RATIO_FLOOR and ratio > limits.max_ratio:
            raise XlsxError(
                f"{what}的压缩比异常（{ratio:,.0f} 倍，上限 {limits.max_ratio} 倍），"
                "可能是恶意构造的文件（压缩炸弹），已拒绝导入"
            )


def _read_small(archive: zipfile.ZipFile, name: str) -> str:
    """A part read whole (workbook, relationships, styles): at most SMALL_PART_BYTES, declared or read."""
    if archive.getinfo(name).file_size > SMALL_PART_BYTES:
        raise XlsxError(_too_large(name, SMALL_PART_BYTES))
    with archive.open(name) as stream:
        data = stream.read(SMALL_PART_BYTES + 1)
    if len(data) > SMALL_PART_BYTES:
        raise XlsxError(_too_large(name, SMALL_PART_BYTES))
    return data.decode("utf-8")


def _parts(archive: zipfile.ZipFile) -> tuple[str, str | None, str | None, datetime]:
    """The first sheet's part, the shared strings and styles parts, and the date system's day 0."""
    workbook = _read_small(archive, "xl/workbook.xml")
    rels = _read_small(archive, "xl/_rels/workbook.xml.rels")
    targets: dict[str, tuple[str, str]] = {}
    for element in re.findall(rf"<{_P}Relationship\b[^<>]*>", rels):
        attrs = _attrs(element)
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        targets[attrs.get("Id", "")] = (attrs.get("Type", "").rsplit("/", 1)[-1], target)
    first = re.search(rf"<{_P}sheet\b[^<>]*>", workbook)
    if first is None:
        raise KeyError("the workbook lists no sheet")
    rid = next((v for k, v in _attrs(first.group(0)).items() if k.endswith(":id")), "")
    sheet = targets[rid][1]
    by_type = dict(targets.values())
    pr = re.search(rf"<{_P}workbookPr\b[^<>]*>", workbook)
    date1904 = bool(pr and _attrs(pr.group(0)).get("date1904") in {"1", "true"})
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)  # noqa: DTZ001  (calendar arithmetic)
    return sheet, by_type.get("sharedStrings"), by_type.get("styles"), base


class _Counted(io.RawIOBase):
    """A zip member's bytes, charged to a budget as they are decompressed."""

    def __init__(self, stream: Any, budget: _Budget) -> None:
        self.stream, self.budget = stream, budget

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        self.budget.spend(len(data))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()
        super().close()


def _chunks(
    archive: zipfile.ZipFile, name: str, budget: _Budget, limits: Limits
) -> Generator[str, None, None]:
    raw = _Counted(archive.open(name), budget)
    with io.TextIOWrapper(io.BufferedReader(raw, MB), encoding="utf-8") as stream:
        while chunk := stream.read(CHUNK_CHARS):
            limits.check_time()
            yield chunk


def _verify(archive: zipfile.ZipFile, name: str, budget: _Budget, limits: Limits) -> None:
    """Read a part to its end, so zipfile checks its CRC: a damaged part fails here, before any row."""
    with archive.open(name) as stream:
        while data := stream.read(MB):
            budget.spend(len(data))
            limits.check_time()


def _last_end(text: str, name: str, start: int) -> int:
    """Where the last end tag of `name` at or after `start` finishes, or -1: found with rfind from the
    end of the text, so each chunk costs its own length, not the length of all that waits before it."""
    end, local = _ENDING[name], f"{name}>"
    at = len(text)
    while (at := text.rfind(local, start, at)) >= 0:
        opening = text.rfind("</", max(start, at - 64), at)
        if opening >= 0 and end.fullmatch(text, opening, at + len(local)):
            return at + len(local)
    return -1


def _whole(chunks: Iterable[str], name: str) -> Iterator[str]:
    """The text of `chunks` again, cut only after an element's end: what follows it waits for the next
    chunk, so no element is split. What waits may not exceed MAX_ELEMENT_CHARS, and what is left at the
    end may hold no element that never closed (only self-closing ones)."""
    rest = ""
    for chunk in chunks:
        start = max(0, len(rest) - 64)  # an end tag may straddle the two chunks
        rest += chunk
        if (cut := _last_end(rest, name, start)) >= 0:
            yield rest[:cut]
            rest = rest[cut:]
        elif len(rest) > MAX_ELEMENT_CHARS:
            raise XlsxError(f"工作簿中有一行或一个单元格超过 {MAX_ELEMENT_CHARS // MB} MB，已拒绝导入")
    if rest:
        _check_closed(rest, name)
        yield rest


def _check_closed(tail: str, name: str) -> None:
    """Every opening tag of `name` in `tail` (text after the last end tag) must close itself
    (`<row r="9"/>`). Each check stops at the next "<", so this is linear however many tags there are."""
    for found in _OPENING[name].finditer(tail):
        after = found.end()
        stop = tail.find("<", after)
        gt = tail.find(">", after, stop if stop >= 0 else len(tail))
        if gt < 0 or tail[gt - 1] != "/":
            what = "行" if name == "row" else "字符串"
            raise XlsxError(
                f"工作簿的内容不完整（有未结束的{what}），文件可能已损坏或是恶意构造的，已拒绝导入"
            )


def _text_of(xml: str) -> str:
    """The text of a rich or plain string item: its runs' <t>, without phonetic guides."""
    if "rPh" in xml:
        xml = _PHONETIC.sub("", xml)
    return _decoded("".join(_T.findall(xml)))


def _decoded(xml_text: str) -> str:
    text = unescape(xml_text)
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _shared_strings(archive: zipfile.ZipFile, name: str | None, limits: Limits) -> list[str]:
    if name is None or name not in archive.NameToInfo:
        return []
    chunks = _chunks(archive, name, _Budget(limits.max_strings, "共享字符串"), limits)
    return [_text_of(body) for piece in _whole(chunks, "si") for body in _SI.findall(piece)]


def _date_styles(archive: zipfile.ZipFile, name: str | None) -> frozenset[str]:
    """Indexes (as the `s` attribute spells them) of the cell formats that show a date or time."""
    if name is None or name not in archive.NameToInfo:
        return frozenset()
    styles = _read_small(archive, name)
    custom = {
        int(attrs["numFmtId"]): unescape(attrs.get("formatCode", ""))
        for element in re.findall(rf"<{_P}numFmt\b[^<>]*>", styles)
        if "numFmtId" in (attrs := _attrs(element))
    }
    xfs = ""
    if opening := re.search(rf"<{_P}cellXfs\b[^<>]*>", styles):
        closing = re.compile(rf"</{_P}cellXfs>").search(styles, opening.end())
        xfs = styles[opening.end() : closing.start() if closing else len(styles)]
    dates = set()
    for index, element in enumerate(re.findall(rf"<{_P}xf\b[^<>]*>", xfs)):
        fmt = int(_attrs(element).get("numFmtId", "0"))
        if fmt in _DATE_FORMAT_IDS or (fmt in custom and _is_date_format(custom[fmt])):
            dates.add(str(index))
    return frozenset(dates)


def _is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date or time: y, m, d, h or s outside quoted text,
    escapes and [colour]/[$-locale] brackets ([h]-style elapsed time counts). Excel keeps format codes
    to 255 characters; a longer one is not a date format Linli reads."""
    if len(code) > 255:
        return False
    plain = re.sub(r'"[^"]*"|\\.|_.|\*.', "", code)
    plain = re.sub(r"\[(?![hms]+\])[^\]]*\]", "", plain, flags=re.I)
    return code.lower() != "general" and bool(re.search(r"[ymdhs]", plain, re.I))


@lru_cache(maxsize=4096)
def _column(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _date_value(serial: float, base: datetime) -> date | datetime:
    if base.year == 1899 and serial < 60:
        serial += 1  # Excel's 1900 counts a 29 February that never was; dates before it are a day off
    seconds = round(serial * 86400)
    moment = base + timedelta(seconds=seconds)
    return moment.date() if seconds % 86400 == 0 else moment


def _value(kind: str, raw: str | None, inline: str | None, style: str, ctx: _Context) -> Any:
    if kind == "s":
        return ctx.shared[int(raw)] if raw else None
    if kind == "inlineStr":
        return _text_of(inline or "")
    if raw is None or raw == "":
        return None
    if kind in {"str", "e"}:
        return unescape(raw)
    if kind == "b":
        return raw.strip() in {"1", "true"}
    if kind == "d":
        return datetime.fromisoformat(raw.strip())
    number = float(raw)
    if style in ctx.date_styles:
        return _date_value(number, ctx.base)
    return number


class _Context:
    __slots__ = ("base", "date_styles", "shared")

    def __init__(self, shared: list[str], date_styles: frozenset[str], base: datetime) -> None:
        self.shared, self.date_styles, self.base = shared, date_styles, base


def _cells(body: str, ctx: _Context) -> list[Any]:
    fast = _FAST_CELL.findall(body)
    if len(fast) == body.count("<c"):
        row: list[Any] = []
        for letters, style, kind, raw, plain, inline in fast:
            at = _column(letters)
            if at > len(row):
                row += [None] * (at - len(row))
            if kind == "s":
                row.append(ctx.shared[int(raw)])
            elif plain:  # an inline string of one run, the commonest cell a generator writes
                row.append(_decoded(plain) if "&" in plain or "_x" in plain else plain)
            else:
                row.append(_value(kind, raw, inline, style, ctx))
        return row
    return _slow_cells(body, ctx)


def _slow_cells(body: str, ctx: _Context) -> list[Any]:
    """Any attribute order, namespace prefixes, cells without a reference."""
    row: list[Any] = []
    for attrs_text, inner in _CELL.findall(body):
        attrs = _attrs(attrs_text)
        ref = _CELL_REF.search(attrs_text)
        at = _column(ref.group(1)) if ref else len(row)
        if at > len(row):
            row += [None] * (at - len(row))
        found = _V.search(inner or "")
        inline = inner if attrs.get("t") == "inlineStr" else None
        row.append(
            _value(attrs.get("t", ""), found.group(1) if found else None, inline, attrs.get("s", ""), ctx)
        )
    return row


def _rows(
    archive: zipfile.ZipFile,
    head: str,
    rest: Generator[str, None, None],
    ctx: _Context,
    limits: Limits,
) -> Iterator[list[Any]]:
    number = 0  # the last row handed out
    try:
        for piece in _whole(itertools.chain([head], rest), "row"):
            limits.check_time()
            for attrs, body in _ROW.findall(piece):
                found = _ROW_NUMBER.search(attrs)
                at = int(found.group(1)) if found else number + 1
                if at > EXCEL_MAX_ROW:
                    raise XlsxError(f"工作表的行号 {at} 超出 Excel 的上限 {EXCEL_MAX_ROW:,}，文件可能已损坏")
                while number + 1 < at:
                    number += 1
                    yield []
                number = at
                yield _cells(body, ctx) if body else []
    except DAMAGED_FILE_ERRORS as exc:
        raise XlsxError(DAMAGED) from exc
    finally:
        rest.close()
        archive.close()

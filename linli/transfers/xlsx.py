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
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator
from datetime import date, datetime, timedelta
from functools import lru_cache
from html import unescape
from pathlib import Path
from typing import Any

CHUNK_CHARS = 1 << 20
_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix (x:row)
_ROW = re.compile(rf"<{_P}row\b([^>]*?)(?:/>|>(.*?)</{_P}row>)", re.S)
# The fast path: r, then s, then t, and a plain <v> or an inline string.
_FAST_CELL = re.compile(
    r'<c r="([A-Z]{1,3})\d+"(?: s="(\d+)")?(?: t="(\w+)")?'
    r"(?:/>|>(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?(?:<v>([^<]*)</v>)?</c>"
    r'|><is><t(?: xml:space="preserve")?>([^<]*)</t></is></c>|>(<is>.*?</is>)</c>)',
    re.S,
)
_CELL = re.compile(rf"<{_P}c\b([^>]*?)(?:/>|>(.*?)</{_P}c>)", re.S)
_ATTR = re.compile(r"""\b([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")  # XML allows either quote
_V = re.compile(rf"<{_P}v>([^<]*)</{_P}v>")
_T = re.compile(rf"<{_P}t(?:\s[^>]*)?>([^<]*)</{_P}t>|<{_P}t\s*/>")
_PHONETIC = re.compile(rf"<{_P}rPh\b.*?</{_P}rPh>", re.S)
_SI = re.compile(rf"<{_P}si\b[^>]*?(?:/>|>(.*?)</{_P}si>)", re.S)
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)["']""")
_CELL_REF = re.compile(r"""\br\s*=\s*["']([A-Z]{1,3})\d+["']""")
_LAST_ROW_END = re.compile(rf".*</{_P}row>", re.S)
_LAST_SI_END = re.compile(rf".*</{_P}si>", re.S)
_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how OOXML writes control characters: _x000D_
_DIMENSION = re.compile(rf"""<{_P}dimension\s+ref\s*=\s*["'][A-Z]*\d*:?[A-Z]*(\d+)["']""")

# Built-in number formats that show a date or time (ECMA-376 18.8.30, with the CJK ones Excel and
# WPS write for Chinese locales).
_DATE_FORMAT_IDS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59), *range(71, 82)}


def _attrs(tag: str) -> dict[str, str]:
    return {name: double or single for name, double, single in _ATTR.findall(tag)}


class XlsxError(Exception):
    """The file is not a workbook this reader understands (not a zip, no sheet); the message is the
    user's, in Chinese, and the cause stays chained for the log."""


def read_first_sheet(path: Path) -> tuple[Iterator[list[Any]], int]:
    """The first sheet's rows, lazily, and how many rows its dimension declares (0 if it does not)."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise XlsxError("文件不是 Excel 工作簿（.xlsx），可能扩展名不对或已损坏") from exc
    try:
        # Damage deep in the file must show before the first row is written, not halfway through.
        if (bad := archive.testzip()) is not None:
            raise zipfile.BadZipFile(f"{bad} is damaged")
        sheet, strings_path, styles_path, base = _parts(archive)
        ctx = _Context(_shared_strings(archive, strings_path), _date_styles(archive, styles_path), base)
        rest = _chunks(archive, sheet)
        head = next(rest, "")
    except (KeyError, zipfile.BadZipFile, UnicodeDecodeError, ValueError, OSError, EOFError) as exc:
        archive.close()
        raise XlsxError("文件已损坏或不完整，请在 Excel 中重新另存后再导入") from exc
    found = _DIMENSION.search(head[:4096])
    total = int(found.group(1)) if found else 0
    return _rows(archive, head, rest, ctx), total


def _parts(archive: zipfile.ZipFile) -> tuple[str, str | None, str | None, datetime]:
    """The first sheet's part, the shared strings and styles parts, and the date system's day 0."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets: dict[str, tuple[str, str]] = {}
    for element in re.findall(rf"<{_P}Relationship\b[^>]*>", rels):
        attrs = _attrs(element)
        target = attrs.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        targets[attrs.get("Id", "")] = (attrs.get("Type", "").rsplit("/", 1)[-1], target)
    first = re.search(rf"<{_P}sheet\b[^>]*>", workbook)
    if first is None:
        raise KeyError("the workbook lists no sheet")
    rid = next((v for k, v in _attrs(first.group(0)).items() if k.endswith(":id")), "")
    sheet = targets[rid][1]
    by_type = dict(targets.values())
    pr = re.search(rf"<{_P}workbookPr\b[^>]*>", workbook)
    date1904 = bool(pr and _attrs(pr.group(0)).get("date1904") in {"1", "true"})
    base = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)  # noqa: DTZ001  (calendar arithmetic)
    return sheet, by_type.get("sharedStrings"), by_type.get("styles"), base


def _chunks(archive: zipfile.ZipFile, name: str) -> Generator[str, None, None]:
    with io.TextIOWrapper(archive.open(name), encoding="utf-8") as stream:
        while chunk := stream.read(CHUNK_CHARS):
            yield chunk


def _whole(chunks: Iterable[str], last_end: re.Pattern[str]) -> Iterator[str]:
    """The text of `chunks` again, cut only after an element's end (`last_end` finds the last one in
    the text so far): what follows it waits for the next chunk, so no element is split."""
    rest = ""
    for chunk in chunks:
        rest += chunk
        if last := last_end.match(rest):
            yield rest[: last.end()]
            rest = rest[last.end() :]
    if rest:
        yield rest


def _text_of(xml: str) -> str:
    """The text of a rich or plain string item: its runs' <t>, without phonetic guides."""
    if "rPh" in xml:
        xml = _PHONETIC.sub("", xml)
    return _decoded("".join(_T.findall(xml)))


def _decoded(xml_text: str) -> str:
    text = unescape(xml_text)
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _shared_strings(archive: zipfile.ZipFile, name: str | None) -> list[str]:
    if name is None or name not in archive.namelist():
        return []
    pieces = _whole(_chunks(archive, name), _LAST_SI_END)
    return [_text_of(body) for piece in pieces for body in _SI.findall(piece)]


def _date_styles(archive: zipfile.ZipFile, name: str | None) -> frozenset[str]:
    """Indexes (as the `s` attribute spells them) of the cell formats that show a date or time."""
    if name is None or name not in archive.namelist():
        return frozenset()
    styles = archive.read(name).decode("utf-8")
    custom = {
        int(attrs["numFmtId"]): unescape(attrs.get("formatCode", ""))
        for element in re.findall(rf"<{_P}numFmt\b[^>]*>", styles)
        if "numFmtId" in (attrs := _attrs(element))
    }
    xfs = re.search(rf"<{_P}cellXfs\b[^>]*>(.*?)</{_P}cellXfs>", styles, re.S)
    dates = set()
    for index, element in enumerate(re.findall(rf"<{_P}xf\b[^>]*>", xfs.group(1) if xfs else "")):
        fmt = int(_attrs(element).get("numFmtId", "0"))
        if fmt in _DATE_FORMAT_IDS or (fmt in custom and _is_date_format(custom[fmt])):
            dates.add(str(index))
    return frozenset(dates)


def _is_date_format(code: str) -> bool:
    """Whether a custom number format shows a date or time: y, m, d, h or s outside quoted text,
    escapes and [colour]/[$-locale] brackets ([h]-style elapsed time counts)."""
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
    archive: zipfile.ZipFile, head: str, rest: Generator[str, None, None], ctx: _Context
) -> Iterator[list[Any]]:
    number = 0  # the last row handed out
    try:
        for piece in _whole(itertools.chain([head], rest), _LAST_ROW_END):
            for attrs, body in _ROW.findall(piece):
                found = _ROW_NUMBER.search(attrs)
                at = int(found.group(1)) if found else number + 1
                while number + 1 < at:
                    number += 1
                    yield []
                number = at
                yield _cells(body, ctx) if body else []
    finally:
        rest.close()
        archive.close()

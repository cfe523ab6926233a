"""Reading the ledgers (台账) community workers keep: .xlsx/.xls/.ods and .csv, messy as they come.

The header is found among the first rows; it may span up to three rows with
merged cells (a title above, group headers such as "基本信息" over several
columns). A column's name is the nearest non-empty header cell above the data.
"""

from __future__ import annotations

import csv
import itertools
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from linli.core.errors import DomainError
from linli.registry import normalise

HEADER_SEARCH_ROWS = 10
HEADER_MAX_ROWS = 3
CSV_FIELD_LIMIT = csv.field_size_limit()  # Python's 131,072 characters: far above any real cell

RESIDENT_COLUMNS: dict[str, list[str]] = {
    "name": ["姓名", "名字", "居民姓名"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码"],
    "gender": ["性别"],
    "birth_date": ["出生日期", "出生年月", "生日"],
    "ethnicity": ["民族"],
    "phone": ["联系电话", "手机号", "手机号码", "联系方式", "电话"],
    "residence_type": ["人口类型", "户籍类型", "居住类型", "人员类别"],
    "building": ["楼栋", "楼栋号", "楼号", "幢"],
    "entrance": ["单元", "单元号"],
    "room": ["房号", "门牌号", "房间号", "室"],
    "grid": ["网格", "所属网格", "网格编号", "网格名称"],
    "relation_to_head": ["与户主关系"],
    "tags": ["标签", "重点人群", "人员标签", "特殊人群"],
    "education": ["文化程度", "学历"],
    "political_status": ["政治面貌"],
    "notes": ["备注"],
}
REQUIRED = ("name", "id_number")


def synonyms() -> dict[str, str]:
    """Header text → column key; settings.LINLI_IMPORT_SYNONYMS adds more ({"phone": ["手机"]})."""
    table: dict[str, str] = {}
    extra: dict[str, list[str]] = getattr(settings, "LINLI_IMPORT_SYNONYMS", {})
    for key, words in RESIDENT_COLUMNS.items():
        for word in [*words, *extra.get(key, [])]:
            table[header_text(word)] = key
    return table


def header_text(value: Any) -> str:
    text = normalise.text(value)
    text = re.sub(r"[\s*＊:：]", "", text)
    return re.sub(r"[(（][^)）]*[)）]$", "", text)  # "联系电话(必填)" → "联系电话"


@dataclass
class Sheet:
    """A ledger being read: its columns, and its data rows as an iterator (read once, lazily)."""

    columns: dict[int, str]  # position → column key
    headers: list[str]  # every column's header text as found (for reports)
    unknown_columns: list[str]
    rows: Iterator[tuple[int, list[str]]] = field(
        default_factory=lambda: iter(())
    )  # (1-based row number, cells)
    total_hint: int = 0  # data rows in the file, blank ones included (for progress)
    blank_rows: int = 0  # counted as the rows are read


@dataclass(frozen=True)
class Bounds:
    """How much reading one file may cost (settings LINLI_IMPORT_*): rows read and a deadline. `tick`
    is called at each check (the job's heartbeat)."""

    max_rows: int
    max_seconds: int
    deadline: float  # time.monotonic()
    tick: Callable[[], None] | None = None

    @classmethod
    def from_settings(cls, tick: Callable[[], None] | None = None) -> Bounds:
        seconds = settings.LINLI_IMPORT_MAX_SECONDS
        return cls(settings.LINLI_IMPORT_MAX_ROWS, seconds, time.monotonic() + seconds, tick)

    def out_of_time(self) -> DomainError:
        minutes = f"{self.max_seconds // 60} 分钟" if self.max_seconds >= 60 else f"{self.max_seconds} 秒"
        return DomainError(
            f"导入超过 {minutes}的时间上限，已停止：文件过大或内容异常，请拆分或检查后再导入。"
        )

    def check_time(self) -> None:
        if self.tick is not None:
            self.tick()
        if time.monotonic() > self.deadline:
            raise self.out_of_time()


def iter_cells(path: Path, bounds: Bounds | None = None) -> tuple[Iterator[list[Any]], int]:
    """The first sheet's rows, lazily, and how many there are."""
    bounds = bounds or Bounds.from_settings()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _iter_csv(path)
    if suffix in {".xlsx", ".xlsm"}:
        # Streamed: a whole sheet in memory was 290 MB at 260,000 rows (see transfers/xlsx.py).
        from linli.transfers.xlsx import Limits, XlsxError, read_first_sheet

        limits = Limits(
            max_unzipped=settings.LINLI_IMPORT_MAX_UNZIPPED_MB << 20,
            max_ratio=settings.LINLI_IMPORT_MAX_RATIO,
            deadline=bounds.deadline,
            tick=bounds.tick,
        )
        try:
            rows, total = read_first_sheet(path, limits)
        except XlsxError as exc:
            raise _unreadable(path, exc, bounds) from exc
        return _reraised(rows, path, bounds), total
    if suffix in {".xls", ".xlsb", ".ods"}:
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            return iter(sheet.iter_rows()), sheet.total_height
        except Exception as exc:  # calamine raises its own error types for damaged files
            raise DomainError(f"无法读取 Excel 文件 {path.name}：{exc}") from exc
    raise DomainError(f"不支持的文件类型 {suffix or '(无扩展名)'}：请使用 .xlsx、.xls 或 .csv。")


def _unreadable(path: Path, exc: Exception, bounds: Bounds) -> DomainError:
    from linli.transfers.xlsx import TimeLimit

    if isinstance(exc, TimeLimit):
        return bounds.out_of_time()
    return DomainError(f"无法读取 Excel 文件 {path.name}：{exc}")


def _reraised(rows: Iterator[list[Any]], path: Path, bounds: Bounds) -> Iterator[list[Any]]:
    """The rows, with the reader's errors halfway through worded as the ones before the first row."""
    from linli.transfers.xlsx import XlsxError

    try:
        yield from rows
    except XlsxError as exc:
        raise _unreadable(path, exc, bounds) from exc


def _iter_csv(path: Path) -> tuple[Iterator[list[Any]], int]:
    # One pass to find an encoding that reads the whole file (and count its lines), then read it lazily.
    # Read in blocks, not lines: a file of one endless line would otherwise be one string in memory.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            with path.open(encoding=encoding, newline="") as fh:
                lines = 0
                while block := fh.read(1 << 20):
                    lines += block.count("\n")
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError(f"无法识别 {path.name} 的文字编码：请另存为 UTF-8 或 GBK 编码的 CSV。")

    def rows() -> Iterator[list[Any]]:
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.reader(fh)
            try:
                yield from reader
            except csv.Error as exc:
                # The csv module refuses a cell over its field limit (and stray quotes in strict files);
                # left to itself the error ended the job with nothing said and nothing to show.
                if "field larger than field limit" in str(exc):
                    raise DomainError(
                        f"第 {reader.line_num} 行有单元格超过 {CSV_FIELD_LIMIT:,} 个字符，"
                        "不像是台账内容，请检查文件后再导入。"
                    ) from exc
                raise DomainError(f"第 {reader.line_num} 行无法按 CSV 读取：{exc}") from exc

    return rows(), lines


def find_header(
    cells: Iterator[list[Any]] | list[list[Any]], total: int | None = None, bounds: Bounds | None = None
) -> Sheet:
    rows_iter = iter(cells)
    head = list(itertools.islice(rows_iter, HEADER_SEARCH_ROWS))
    table = synonyms()

    def score(row: list[Any]) -> int:
        return len({table[t] for c in row if (t := header_text(c)) in table})

    scores = [score(row) for row in head]
    if not scores or max(scores) == 0:
        raise DomainError("前 10 行中找不到表头：至少需要“姓名”和“身份证号”两列。")
    best = scores.index(max(scores))
    # The header block: at most three rows around the best one. Rows below it that also hold
    # header names belong to it (a cell merged downwards); a title row (one filled cell) does not.
    end = best
    while end + 1 < len(scores) and end + 1 - best < HEADER_MAX_ROWS and scores[end + 1] > 0:
        end += 1
    start = best
    while (
        start > 0
        and end - start + 1 < HEADER_MAX_ROWS
        and sum(1 for c in head[start - 1] if normalise.text(c)) > 1
    ):
        start -= 1
    width = max(len(r) for r in head[start : end + 1])
    headers: list[str] = []
    for col in range(width):
        name = ""
        for r in range(end, start - 1, -1):
            row = head[r]
            if col < len(row) and (name := header_text(row[col])):
                break
        headers.append(name)
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for col, name in enumerate(headers):
        key = table.get(name)
        if key and key not in columns.values():
            columns[col] = key
        elif name and name != "序号":
            unknown.append(name)
    missing = [RESIDENT_COLUMNS[k][0] for k in REQUIRED if k not in columns.values()]
    if missing:
        raise DomainError(f"表头缺少必需的列：{'、'.join(missing)}。")
    sheet = Sheet(columns=columns, headers=headers, unknown_columns=unknown)
    sheet.total_hint = max(0, (total if total is not None else len(head)) - end - 1)

    def data() -> Iterator[tuple[int, list[str]]]:
        remaining = itertools.chain(head[end + 1 :], rows_iter)
        for index, row in enumerate(remaining, start=end + 1):
            if bounds is not None:
                # Blank rows count too: they cost reading, and a sheet can declare a million of them.
                if index - end > bounds.max_rows:
                    raise DomainError(
                        f"文件超过 {bounds.max_rows:,} 行的上限，已停止：请拆分成几个文件分批导入。"
                    )
                if index % 256 == 0:
                    bounds.check_time()
            texts = [normalise.text(c) for c in row]
            if not any(texts):
                sheet.blank_rows += 1
                continue
            yield index + 1, texts

    sheet.rows = data()
    return sheet


def read_ledger(path: Path, bounds: Bounds | None = None) -> Sheet:
    bounds = bounds or Bounds.from_settings()
    cells, total = iter_cells(path, bounds)
    return find_header(cells, total, bounds)


def records(sheet: Sheet) -> Iterator[tuple[int, dict[str, str], dict[str, str]]]:
    """(row number, values by column key, original values by header) for every data row, lazily."""
    for number, texts in sheet.rows:
        keyed = {key: texts[col] if col < len(texts) else "" for col, key in sheet.columns.items()}
        original = {
            (sheet.headers[col] or f"列{col + 1}"): text
            for col, text in enumerate(texts)
            if col < len(sheet.headers)
        }
        yield number, keyed, original

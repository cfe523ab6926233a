"""Files built to hurt the importer: zip bombs, XML that made the reader quadratic, endless cells.
Each is refused (or read) within a small bound of time and memory, with a reason the user can read."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from linli.core.cli import main
from linli.core.errors import DomainError
from linli.core.models import AuditEntry
from linli.transfers import ledger, xlsx
from linli.transfers.models import ImportJob
from linli.transfers.services import import_job_create, import_job_run
from tests.factories import make_id_number

WORKBOOK = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
)


def book(path: Path, sheet: str | None = None, strings: str | None = None, **parts: bytes) -> Path:
    """A minimal workbook; `parts` (name → bytes, written in 1 MB pieces) replace or add members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        members = {
            "xl/workbook.xml": WORKBOOK.encode(),
            "xl/_rels/workbook.xml.rels": RELS.encode(),
            "xl/worksheets/sheet1.xml": (
                sheet or f"<worksheet><sheetData>{HEADER_ROW}</sheetData></worksheet>"
            ).encode(),
        }
        if strings is not None:
            members["xl/sharedStrings.xml"] = strings.encode()
        members |= parts
        for name, data in members.items():
            with archive.open(name, "w", force_zip64=True) as out:
                for at in range(0, len(data), 1 << 20):
                    out.write(data[at : at + (1 << 20)])
    return path


def bomb(path: Path, name: str, megabytes: int, filler: bytes = b" ") -> Path:
    """A workbook whose `name` inflates to `megabytes` of `filler` (about a thousandth of that on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        sheet = f"<worksheet><sheetData>{HEADER_ROW}</sheetData></worksheet>"
        for member, text in (
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", RELS),
            ("xl/worksheets/sheet1.xml", sheet),
        ):
            if member != name:
                archive.writestr(member, text)
        with archive.open(name, "w", force_zip64=True) as out:
            block = filler * (1 << 20)
            for _ in range(megabytes):
                out.write(block)
    return path


def _read_all(path: Path) -> None:
    for _ in ledger.records(ledger.read_ledger(path)):
        pass


def refused_within(path: Path, seconds: float, match: str) -> float:
    """Read `path` as an import does; it must be refused with `match` in under `seconds`. Returns the
    peak of Python memory allocated meanwhile, in MB."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DomainError, match=match):
            _read_all(path)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / (1 << 20)
    finally:
        tracemalloc.stop()
    assert elapsed < seconds, f"{elapsed:.1f} s"
    return peak


def test_a_workbook_part_that_inflates_a_thousandfold_is_refused_before_it_is_read(tmp_path):
    path = bomb(tmp_path / "bomb.xlsx", "xl/workbook.xml", 64)
    assert path.stat().st_size < 200_000
    peak = refused_within(path, 5, "解压后超过 16 MB 的上限.*压缩炸弹")
    assert peak < 8, f"{peak:.1f} MB"  # reading it whole took 2.2 GB per GB of XML


def test_a_sheet_compressed_like_a_bomb_is_refused_by_its_ratio(tmp_path):
    path = bomb(tmp_path / "sheet.xlsx", "xl/worksheets/sheet1.xml", 40)
    peak = refused_within(path, 5, "压缩比异常")
    assert peak < 8, f"{peak:.1f} MB"


def test_a_sheet_over_the_decompressed_budget_is_refused(tmp_path, settings):
    settings.LINLI_IMPORT_MAX_UNZIPPED_MB = 8
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>居民{i:07d}</t></is></c></row>'
        for i in range(2, 200_000)
    )
    path = book(tmp_path / "big.xlsx", f"<worksheet><sheetData>{HEADER_ROW}{rows}</sheetData></worksheet>")
    refused_within(path, 5, "工作表解压后超过 8 MB 的上限")


def test_a_part_larger_than_its_zip_entry_declares_is_cut_at_the_declared_size(tmp_path):
    """Sizes in the zip directory are the attacker's to write: what is read stops at the declared size
    (zipfile's own cap), the checksum then fails, and the file is refused as damaged."""
    path = bomb(tmp_path / "liar.xlsx", "xl/worksheets/sheet1.xml", 64, filler=b"<row/>")
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    entry = data.rfind(b"PK\x01\x02")  # the sheet, written last, has the last central directory entry
    assert data[entry + 46 : entry + 46 + len(name)] == name
    struct.pack_into("<I", data, entry + 24, 1 << 20)  # its uncompressed size: 1 MB instead of 64
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo(name.decode()).file_size == 1 << 20
    peak = refused_within(path, 5, "文件已损坏或不完整")
    assert peak < 8, f"{peak:.1f} MB"


def test_unclosed_rows_are_refused_at_once_not_in_quadratic_time(tmp_path):
    """The reported file: 5 KB of unclosed <row> elements held the only worker for 137 s. 20,000 of
    them took 31 s before; now they are refused in milliseconds."""
    path = book(tmp_path / "rows.xlsx", "<worksheet><sheetData>" + HEADER_ROW + "<row>" * 20_000)
    assert path.stat().st_size < 5_000
    refused_within(path, 2, "有未结束的行")


N = 200_000  # each variant below is 1–6 KB on disk and 1–3 MB of XML
ROW_1 = '<worksheet><sheetData><row r="1">'


@pytest.mark.parametrize(
    ("sheet", "strings"),
    [
        pytest.param("<worksheet><sheetData>" + "<row" * N + "</row>", None, id="rows-without-end-of-tag"),
        pytest.param(ROW_1 + '<c r="A1"><is>' * N + "</row>", None, id="open-inline-strings"),
        pytest.param(ROW_1 + '<c r="A1"><f' * N + "</row>", None, id="open-formulas"),
        pytest.param(ROW_1 + "<x:c t='s'>" * N + "</row>", None, id="open-prefixed-cells"),
        pytest.param(
            f"<worksheet><sheetData>{HEADER_ROW}</sheetData></worksheet>",
            "<sst>" + "<si>" * N,
            id="open-strings",
        ),
        pytest.param(
            f"<worksheet><sheetData>{HEADER_ROW}</sheetData></worksheet>",
            "<sst><si>" + "<rPh>" * N + "</si></sst>",
            id="open-phonetics",
        ),
        pytest.param(
            f"<worksheet><sheetData>{HEADER_ROW}</sheetData></worksheet>",
            "<sst><si>" + "<t " * N + "</si></sst>",
            id="text-without-end-of-tag",
        ),
        pytest.param(
            '<worksheet><sheetData><row r="99999999"/></sheetData></worksheet>', None, id="row-beyond-excel"
        ),
    ],
)
def test_malformed_xml_costs_linear_time(tmp_path, sheet, strings):
    path = book(tmp_path / "x.xlsx", sheet, strings)
    started = time.perf_counter()
    try:
        rows, _ = xlsx.read_first_sheet(path)
        for _ in rows:
            pass
    except xlsx.XlsxError as exc:
        reason = str(exc)
    else:
        reason = "已拒绝导入"  # read (as garbage rows): as good as refused, if quick
    assert "已拒绝导入" in reason or "超出 Excel 的上限" in reason
    assert time.perf_counter() - started < 3


def test_a_zip_of_very_many_members_is_refused_before_zipfile_indexes_it(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(xlsx.MAX_ENTRIES + 1):
            archive.writestr(f"x/{i}", b"")
    with pytest.raises(DomainError, match="压缩包内的文件多于 10,000 个"):
        ledger.read_ledger(path)


def _job(community, path: Path, dry_run: bool = False) -> ImportJob:
    return import_job_create(actor=None, community=community, path=path, dry_run=dry_run)


def test_the_pathological_file_fails_its_job_with_the_reason_and_is_audited(world, tmp_path):
    path = book(tmp_path / "rows.xlsx", "<worksheet><sheetData>" + HEADER_ROW + "<row>" * 20_000)
    job = _job(world.c01, path)
    started = time.perf_counter()
    with pytest.raises(DomainError):
        import_job_run(actor=None, job=job)
    assert time.perf_counter() - started < 3
    job.refresh_from_db()
    assert job.status == "failed"
    assert "有未结束的行" in job.error
    assert not job.error.startswith("DomainError")
    entry = AuditEntry.objects.get(action="import", object_id=str(job.pk))
    assert entry.changes["status"] == "failed"


def csv_ledger(path: Path, count: int) -> Path:
    lines = [
        "姓名,身份证号,网格",
        *[f"居民{i},{make_id_number('19880101', 2 * i + 1)},G01" for i in range(count)],
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.usefixtures("reading")
def test_a_file_over_the_row_limit_fails_its_job_and_keeps_whole_batches(
    world, tmp_path, settings, monkeypatch
):
    from linli.transfers import services

    monkeypatch.setattr(services, "BATCH_SIZE", 2)
    settings.LINLI_IMPORT_MAX_ROWS = 3
    job = _job(world.c01, csv_ledger(tmp_path / "five.csv", 5))
    with pytest.raises(DomainError, match="超过 3 行的上限"):
        import_job_run(actor=None, job=job)
    job.refresh_from_db()
    assert (job.status, job.rows_done) == ("failed", 2)
    entry = AuditEntry.objects.get(action="import", object_id=str(job.pk))
    assert entry.changes["rows_written"] == 2
    assert "超过 3 行的上限" in entry.changes["error"]


@pytest.mark.usefixtures("reading")
def test_a_file_over_the_time_limit_fails_its_job(world, tmp_path, settings):
    settings.LINLI_IMPORT_MAX_SECONDS = 0
    for path in (csv_ledger(tmp_path / "slow.csv", 300), book(tmp_path / "slow.xlsx")):
        job = _job(world.c01, path)
        with pytest.raises(DomainError, match="导入超过 0 秒的时间上限"):
            import_job_run(actor=None, job=job)
        job.refresh_from_db()
        assert job.status == "failed"


@pytest.mark.usefixtures("reading")
def test_a_csv_cell_over_the_field_limit_fails_the_job_with_a_message(world, tmp_path, capsys):
    path = tmp_path / "huge.csv"
    path.write_text(
        f"姓名,身份证号,网格\n{'x' * 140_000},{make_id_number('19880101', 1)},G01\n", encoding="utf-8"
    )
    job = _job(world.c01, path)
    with pytest.raises(DomainError, match="第 2 行有单元格超过 131,072 个字符"):
        import_job_run(actor=None, job=job)
    job.refresh_from_db()
    assert job.status == "failed"  # not "导入中 0/0" for ever
    assert "131,072" in job.error
    code = main(["import", "residents", str(path), "--community", "S01/C01"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("linli: error: 第 2 行有单元格超过 131,072 个字符")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1

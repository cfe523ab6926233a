"""The audit log and case events refuse UPDATE, DELETE and TRUNCATE in SQL, on both databases,
except inside the archive procedure (core/archive.py)."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import timedelta

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from linli.cases.models import CaseEvent
from linli.core.archive import audit_archive, guard_lifted
from linli.core.errors import DomainError
from linli.core.models import AuditEntry


def _sql(statement: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.fixture
def event(world) -> CaseEvent:
    from linli.cases.tests.conftest import build_case_world, new_case

    cw = build_case_world(world)
    return new_case(cw).events.get()


@pytest.mark.parametrize("table", ["core_auditentry", "cases_caseevent"])
def test_raw_sql_delete_is_refused(world, event, table):
    before = connection.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"DELETE FROM {table}")  # noqa: S608
    assert connection.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()[0] == before  # noqa: S608


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("table", ["core_auditentry", "cases_caseevent"])
def test_raw_sql_truncate_is_refused_on_postgresql(table):
    # Committed rows (a transactional test): inside the usual test transaction PostgreSQL would
    # refuse the TRUNCATE for its own reason (pending foreign-key checks), proving nothing.
    # Its teardown flushes the database, which is also the test that `flush` lifts the guard.
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; its DELETE is refused above")
    from linli.cases.tests.conftest import build_case_world, new_case
    from tests.factories import build_world

    new_case(build_case_world(build_world()))
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"TRUNCATE {table} CASCADE")
    assert CaseEvent.objects.exists()
    assert AuditEntry.objects.exists()


def test_raw_sql_update_of_a_case_event_is_refused(world, event):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"UPDATE cases_caseevent SET note = 'tampered' WHERE id = {event.pk}")  # noqa: S608


def test_deleting_a_case_cannot_take_its_history_with_it(world, event):
    with pytest.raises(DatabaseError, match="append-only"):
        _sql(f"DELETE FROM cases_caseevent WHERE case_id = {event.case_id}")  # noqa: S608


def test_the_permit_lasts_one_transaction_only(world):
    with guard_lifted("test"), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM linli_archive_permit")
        assert cursor.fetchone()[0] == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM linli_archive_permit")
        assert cursor.fetchone()[0] == 0
    with pytest.raises(DatabaseError):
        _sql("DELETE FROM core_auditentry")


def test_a_failure_inside_the_permit_rolls_the_permit_back(world):
    with pytest.raises(RuntimeError), guard_lifted("test"):
        raise RuntimeError("boom")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM linli_archive_permit")
        assert cursor.fetchone()[0] == 0


def test_archiving_moves_old_entries_to_a_file_and_records_itself(world, tmp_path, capsys):
    from linli.core.audit import Action, audit_record
    from linli.core.cli import main

    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        audit_record(actor=None, action=Action.BACKUP, object_repr="old backup")
    total = AuditEntry.objects.count()
    before = timezone.localdate() - timedelta(days=300)
    out = tmp_path / "audit-2025.jsonl.gz"
    assert main(["audit", "archive", "--before", before.isoformat(), "--out", str(out)]) == 0
    assert "1 audit entries" in capsys.readouterr().out
    with gzip.open(out, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    assert [r["object_repr"] for r in rows] == ["old backup"]
    assert AuditEntry.objects.count() == total  # one archived, one recording the archive
    record = AuditEntry.objects.get(object_repr__startswith="审计日志归档")
    # The file's checksum, beside it and in the log that remains.
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert record.changes["sha256"] == digest
    assert (tmp_path / "audit-2025.jsonl.gz.sha256").read_text() == f"{digest}  audit-2025.jsonl.gz\n"


def test_the_last_six_months_are_not_archived(world, tmp_path):
    with pytest.raises(DomainError, match="six months"):
        audit_archive(before=timezone.localdate(), path=tmp_path / "x.jsonl.gz")
    assert not (tmp_path / "x.jsonl.gz").exists()

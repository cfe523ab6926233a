"""Backups that are drilled (issue #24.6): every restore is checked against the backup's own trailer — each
table's row count and a checksum of the audit log — and a backup taken while the service writes is one
consistent snapshot."""

from __future__ import annotations

import gzip
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from linli.core.audit import Action, audit_record
from linli.core.backup import audit_checksum, backup, backup_into, restore, table_counts
from linli.core.errors import DomainError
from linli.core.models import AuditEntry
from tests.test_cli import run


def lines(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_backup_then_restore_into_an_emptied_database_matches_every_count_and_the_audit_checksum(
    world, tmp_path
):
    for i in range(5):
        audit_record(actor=None, action=Action.EXPORT, object_repr=f"导出 {i}")
    path = tmp_path / "b.jsonl.gz"
    counts = backup(path)
    trailer = lines(path)[-1]
    assert trailer["counts"] == counts == table_counts()
    assert trailer["audit_sha256"] == audit_checksum()
    before = (table_counts(), audit_checksum())
    # Empty the database the way a fresh server is empty, then restore into it.
    restore_counts = restore(path)
    assert restore_counts == counts
    assert (table_counts(), audit_checksum()) == before


def test_an_entry_written_less_than_a_millisecond_after_a_second_restores_with_its_checksum(world, tmp_path):
    """Backups keep times to the millisecond; 12:00:00.000500 comes back as 12:00:00, and the checksum
    must treat the two as the same time (a test run failed on such an entry, one in a thousand)."""
    moment = timezone.now().replace(microsecond=500)
    with time_machine.travel(moment, tick=False):
        audit_record(actor=None, action=Action.EXPORT, object_repr="at .000500")
    assert AuditEntry.objects.get(object_repr="at .000500").at.microsecond == 500
    path = tmp_path / "b.jsonl.gz"
    backup(path)
    before = audit_checksum()
    restore(path)
    assert AuditEntry.objects.get(object_repr="at .000500").at.microsecond == 0
    assert audit_checksum() == before


def test_a_restore_that_does_not_match_the_trailer_is_refused_and_changes_nothing(world, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    backup(path)
    rows = lines(path)
    # Drop one audit entry from the middle (a damaged copy): the count and the checksum disagree.
    audit_rows = [i for i, row in enumerate(rows) if row.get("model") == "core.auditentry"]
    assert audit_rows
    del rows[audit_rows[0]]
    damaged = tmp_path / "damaged.jsonl.gz"
    with gzip.open(damaged, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    audit_record(actor=None, action=Action.EXPORT, object_repr="after the backup")
    before = (table_counts(), audit_checksum())
    with pytest.raises(DomainError, match="core.AuditEntry: .* restored, .* in the backup"):
        restore(damaged)
    assert (table_counts(), audit_checksum()) == before


def test_dated_backups_keep_the_newest_n_and_leave_other_files_alone(world, tmp_path, capsys):
    keep_me = tmp_path / "notes.txt"
    keep_me.write_text("x")
    old = [tmp_path / f"linli-2026010{i}-020000.jsonl.gz" for i in range(1, 4)]
    for p in old:
        p.write_bytes(b"")
    path, _, removed = backup_into(tmp_path, keep=2)
    assert sorted(removed) == old[:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keep_me.name, old[2].name, path.name])
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        code, out, _ = run(capsys, "backup", "--dir", str(tmp_path), "--keep", "1")
    assert code == 0
    assert out.count("removed ") == 2
    assert run(capsys, "backup", "--dir", str(tmp_path), "--keep", "0")[0] == 1
    assert run(capsys, "backup")[0] == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the SQLite test database is in memory, where a second connection cannot write during a read",
)
@pytest.mark.django_db(transaction=True)
def test_a_backup_taken_while_the_service_writes_is_one_snapshot(tmp_path):
    """Writers add audit entries the whole time the backup runs; its counts, its rows and its checksum
    must still agree (on PostgreSQL a READ COMMITTED backup would count one set and write another)."""
    for i in range(300):
        audit_record(actor=None, action=Action.EXPORT, object_repr=f"seed {i}")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        try:
            while not stop.is_set():
                audit_record(actor=None, action=Action.EXPORT, object_repr="concurrent")
                written[0] += 1
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        path = tmp_path / "online.jsonl.gz"
        backup(path)
    finally:
        stop.set()
        thread.join()
    assert written[0] > 0
    rows = lines(path)
    trailer = rows[-1]
    audit_lines = sum(1 for row in rows if row.get("model") == "core.auditentry")
    assert trailer["counts"]["core.AuditEntry"] == audit_lines
    assert AuditEntry.objects.count() >= audit_lines
    restore(path)  # verifies counts and checksum against the trailer
    assert AuditEntry.objects.count() == audit_lines

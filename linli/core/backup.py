"""Portable backups: one gzip file of JSON lines, restorable on SQLite or PostgreSQL.

The first line is a header naming the format and the schema (latest migration
per app); every further line is one object in Django's `jsonl` form. Being
database-neutral, a backup also moves a deployment from SQLite to PostgreSQL.
Restore replaces all Linli data in one transaction: it succeeds whole or not at all.

A backup is taken online: on PostgreSQL in one REPEATABLE READ, READ ONLY transaction (one snapshot for every
table while the service keeps writing), on SQLite in one read transaction. Its last line is a trailer with each
table's row count and a SHA-256 of the audit log as written; a restore recounts and rehashes what it loaded
and refuses (rolling back) unless both match — every restore is a verified restore, the drill CI runs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.apps import apps
from django.core import serializers
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from linli import __version__
from linli.core.archive import guard_lifted
from linli.core.db import refresh_statistics
from linli.core.errors import DomainError
from linli.core.running_counts import compact_all

FORMAT = "linli-backup"
FORMAT_VERSION = 1


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete model of Linli's own apps, parents before the rows that point at them; not those marked
    `derived` (counts kept by database triggers: the restore's own writes rebuild them)."""
    app_models = [
        (config, [m for m in config.get_models() if not getattr(m, "derived", False)])
        for config in apps.get_app_configs()
        if config.name.startswith("linli.")
    ]
    return serializers.sort_dependencies(app_models, allow_cycles=True)


def schema_state() -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if app in {c.label for c in apps.get_app_configs() if c.name.startswith("linli.")}:
            latest[app] = max(latest.get(app, ""), name)
    return dict(sorted(latest.items()))


TRAILER = "linli-backup-trailer"


def audit_checksum() -> str:
    """SHA-256 of the audit log serialized in id order: equal before a backup and after its restore."""
    from linli.core.models import AuditEntry

    digest = hashlib.sha256()
    rows = AuditEntry._base_manager.order_by("pk").iterator(chunk_size=2000)
    for line in serializers.serialize("jsonl", (_to_the_millisecond(row) for row in rows)).splitlines():
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def _to_the_millisecond(entry: Any) -> Any:
    """The entry's time as a backup keeps it. Django's serializer writes times to the millisecond, and
    writes 12:00:00.000500 as "12:00:00.000" but the restored 12:00:00 as "12:00:00": without this, one
    entry in a thousand made a faithful restore fail its checksum (seen in the test suite)."""
    entry.at = entry.at.replace(microsecond=entry.at.microsecond // 1000 * 1000)
    return entry


def table_counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in backed_up_models()}


def _snapshot() -> None:
    """Make the open transaction read one snapshot of the whole database (PostgreSQL; SQLite's read
    transaction already does)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")


def backup(path: Path) -> dict[str, int]:
    """Write the backup to `path` (atomically: a partial file never has the final name)."""
    counts: dict[str, int] = {}
    tmp = path.with_name(path.name + ".partial")
    outermost = not connection.in_atomic_block  # inside a caller's transaction its snapshot is what we get
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as fh, transaction.atomic():
            if outermost:
                _snapshot()
            header = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "linli": __version__,
                "created_at": timezone.now().isoformat(),
                "vendor": connection.vendor,
                "schema": schema_state(),
            }
            fh.write(json.dumps(header, ensure_ascii=False) + "\n")
            for model in backed_up_models():
                qs = model._base_manager.order_by("pk")
                counts[model._meta.label] = qs.count()
                serializers.serialize("jsonl", qs.iterator(chunk_size=2000), stream=fh)
            trailer = {"trailer": TRAILER, "counts": counts, "audit_sha256": audit_checksum()}
            fh.write(json.dumps(trailer) + "\n")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


def _read_header(fh: IO[str], path: Path) -> dict[str, Any]:
    try:
        header = json.loads(fh.readline())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DomainError(f"{path} is not a Linli backup (unreadable header)") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DomainError(f"{path} is not a Linli backup")
    if header.get("version") != FORMAT_VERSION:
        raise DomainError(
            f"{path} has backup format version {header.get('version')}; this Linli reads {FORMAT_VERSION}"
        )
    here = schema_state()
    if header.get("schema") != here:
        raise DomainError(
            f"{path} was made with a different database schema ({header.get('linli')}); "
            "restore it with the Linli version that made it, then upgrade"
        )
    return header


def restore(path: Path) -> dict[str, int]:
    if not path.is_file():
        raise DomainError(f"{path}: no such file")
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            _read_header(fh, path)
            trailer: dict[str, Any] = {}
            counts = _replace_all(_lines(fh, trailer), trailer)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DomainError(f"{path} is not a readable Linli backup ({exc})") from exc
    # A restore is a bulk load: the planner must learn the new sizes (see refresh_statistics), and the
    # running counts its row-at-a-time writes appended to (PostgreSQL) are folded at once.
    compact_all()
    refresh_statistics()
    return counts


def _lines(fh: IO[str], trailer: dict[str, Any]) -> Iterator[str]:
    """The object lines; the trailer line (the last one) is put into `trailer` instead."""
    for line in fh:
        if not line.strip():
            continue
        if line.startswith('{"trailer": '):
            try:
                found = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DomainError(f"backup is damaged: unreadable trailer ({exc})") from exc
            if isinstance(found, dict) and found.get("trailer") == TRAILER:
                trailer.update(found)
                continue
        yield line


def verify_restored(trailer: dict[str, Any]) -> None:
    """Compare the restored tables with the backup's trailer (backups made before it had one: nothing to do)."""
    if not trailer:
        return
    here = table_counts()
    wrong = [
        f"{label}: {here.get(label, 0)} restored, {count} in the backup"
        for label, count in sorted(trailer.get("counts", {}).items())
        if here.get(label, 0) != count
    ]
    if wrong:
        raise DomainError("restore does not match the backup, nothing was changed: " + "; ".join(wrong))
    if audit_checksum() != trailer.get("audit_sha256"):
        raise DomainError(
            "restore does not match the backup, nothing was changed: the audit log's checksum differs"
        )


BACKUP_NAME = re.compile(r"^linli-\d{8}-\d{6}\.jsonl\.gz$")


def backup_into(directory: Path, *, keep: int) -> tuple[Path, dict[str, int], list[Path]]:
    """A dated backup in `directory` (linli-YYYYMMDD-HHMMSS.jsonl.gz); then only the newest `keep` of those
    files stay. Other files in the directory are never touched."""
    if keep < 1:
        raise DomainError("--keep must be at least 1")
    path = directory / f"linli-{timezone.localtime():%Y%m%d-%H%M%S}.jsonl.gz"
    if path.exists():
        raise DomainError(f"{path} already exists: one backup a second at most")
    counts = backup(path)
    ours = sorted(p for p in directory.iterdir() if p.is_file() and BACKUP_NAME.match(p.name))
    removed = ours[:-keep]
    for old in removed:
        old.unlink()
    return path, counts, removed


@transaction.atomic
def _replace_all(lines: Iterator[str], trailer: dict[str, Any]) -> dict[str, int]:
    ordered = backed_up_models()
    counts: dict[str, int] = {m._meta.label: 0 for m in ordered}
    with connection.constraint_checks_disabled():
        # Restoring replaces the audit log and case events wholesale: one of the sanctioned uses
        # of the archive permit (core/archive.py), for these deletes only.
        with guard_lifted("restore"):
            for model in reversed(ordered):
                model._base_manager.all()._raw_delete(connection.alias)
        try:
            for item in serializers.deserialize("jsonl", lines, ignorenonexistent=False):
                item.save()
                counts[item.object._meta.label] = counts.get(item.object._meta.label, 0) + 1
        except serializers.base.DeserializationError as exc:
            raise DomainError(f"backup is damaged: {exc}") from exc
    connection.check_constraints(table_names=[m._meta.db_table for m in ordered])
    sequence_sql = connection.ops.sequence_reset_sql(no_style(), ordered)
    if sequence_sql:
        with connection.cursor() as cursor:
            for sql in sequence_sql:
                cursor.execute(sql)
    verify_restored(trailer)
    return counts

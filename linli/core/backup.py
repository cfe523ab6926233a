"""Portable backups: one gzip file of JSON lines, restorable on SQLite or PostgreSQL.

The first line is a header naming the format and the schema (latest migration
per app); every further line is one object in Django's `jsonl` form. Being
database-neutral, a backup also moves a deployment from SQLite to PostgreSQL.
Restore replaces all Linli data in one transaction: it succeeds whole or not at all.
"""

from __future__ import annotations

import gzip
import json
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

FORMAT = "linli-backup"
FORMAT_VERSION = 1


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete model of Linli's own apps, parents before the rows that point at them."""
    app_models = [
        (config, list(config.get_models()))
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


def backup(path: Path) -> dict[str, int]:
    """Write the backup to `path` (atomically: a partial file never has the final name)."""
    counts: dict[str, int] = {}
    tmp = path.with_name(path.name + ".partial")
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as fh, transaction.atomic():
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
            counts = _replace_all(_lines(fh))
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DomainError(f"{path} is not a readable Linli backup ({exc})") from exc
    # A restore is a bulk load: the planner must learn the new sizes (see refresh_statistics).
    refresh_statistics()
    return counts


def _lines(fh: IO[str]) -> Iterator[str]:
    for line in fh:
        if line.strip():
            yield line


@transaction.atomic
def _replace_all(lines: Iterator[str]) -> dict[str, int]:
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
    return counts

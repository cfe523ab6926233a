"""The one sanctioned way to delete from the append-only tables (audit log, case events).

Database triggers refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE on `core_auditentry` and
`cases_caseevent` unless the deleting transaction holds an *archive permit*: a row in
`linli_archive_permit`, a plain table outside the Django models (so neither `flush`, backups nor
restores touch it). `guard_lifted()` inserts the permit and removes it again inside one
transaction, so no other connection ever sees it (PostgreSQL reads committed rows only; SQLite
has one writer at a time) and a crash rolls it back with everything else.

Who lifts the guard: `audit_archive` (`linli audit archive`), `linli restore`, and Django's
`flush` (used by the test suite between transactional tests). Anyone able to run SQL as the
table owner can of course drop the triggers; the guard stops application bugs, injected SQL
and casual clean-ups, and every sanctioned use is itself audited.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, transaction
from django.utils import timezone

from linli.core.errors import DomainError

PERMIT_TABLE = "linli_archive_permit"


@contextmanager
def guard_lifted(reason: str, *, using: str = "default") -> Iterator[None]:
    """Inside: deletes from the append-only tables are allowed, in this transaction only."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(f"INSERT INTO {PERMIT_TABLE} (reason) VALUES (%s)", [reason[:100]])  # noqa: S608
        yield
        cursor.execute(f"DELETE FROM {PERMIT_TABLE}")  # noqa: S608


def audit_archive(*, before: date, path: Path) -> int:
    """Move audit entries older than `before` to a gzip JSON-lines file, then delete them.

    Written and fsynced first, deleted second, in one transaction: a failed write deletes nothing.
    The archive itself is recorded in the log that remains."""
    from linli.core.audit import Action, audit_record
    from linli.core.models import AuditEntry

    if path.exists():
        raise DomainError(f"{path} already exists; choose a new file")
    cutoff = datetime.combine(before, time.min, tzinfo=timezone.get_current_timezone())
    # 网络安全法 art. 21: network logs are kept for at least six months; keep them online as long.
    if cutoff > timezone.now() - timedelta(days=183):
        raise DomainError(
            "entries younger than six months stay online (网络安全法 art. 21); choose an earlier date"
        )
    with guard_lifted("audit archive"):
        old = AuditEntry.objects.filter(at__lt=cutoff).order_by("at", "id")
        count = 0
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            for row in old.values().iterator():
                fh.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False) + "\n")
                count += 1
        digest = _fsynced_sha256(path)
        with connections["default"].cursor() as cursor:
            cursor.execute("DELETE FROM core_auditentry WHERE at < %s", [cutoff])
            deleted = cursor.rowcount
        if deleted != count:  # the transaction rolls back: nothing deleted, the file is not the archive
            path.unlink(missing_ok=True)
            raise DomainError(
                f"{deleted} entries to delete but {count} written; nothing was deleted, try again"
            )
        # The file's SHA-256 is kept twice: next to it (`sha256sum -c FILE.sha256`) and in the entry that
        # records the archive, which stays in the append-only log; a file altered later fails both.
        path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")
        audit_record(
            actor=None,
            action=Action.DELETE,
            object_type="core.auditentry",
            object_repr=f"审计日志归档：{before.isoformat()} 之前的 {count} 条 → {path.name}",
            changes={"archived": count, "before": before.isoformat(), "file": str(path), "sha256": digest},
        )
    return count


def _fsynced_sha256(path: Path) -> str:
    """The SHA-256 of the file, read back after it is flushed to disk."""
    import hashlib
    import os

    sha = hashlib.sha256()
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()

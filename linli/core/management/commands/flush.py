"""Django's `flush`, with the append-only guard lifted for its one transaction (see core.archive).

The test suite flushes the database between transactional tests; an operator wiping a database
does the same. Both are deliberate wholesale deletions, like `linli restore`."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from linli.core.archive import guard_lifted


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with guard_lifted("flush", using=options["database"]):
            super().handle(**options)

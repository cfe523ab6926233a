"""Database housekeeping shared by the bulk write paths."""

from __future__ import annotations

from django.db import connection


def refresh_statistics(*tables: str) -> None:
    """ANALYZE after a bulk load, so the query planner knows the tables' new sizes.

    PostgreSQL's autovacuum would get there eventually; until it does, a freshly loaded registry is
    planned as if it were empty (seen: a name search walking every resident instead of the name index).
    SQLite has no autovacuum for statistics at all.
    """
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")

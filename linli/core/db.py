"""Database housekeeping shared by the bulk write paths."""

from __future__ import annotations

from django.db import connection


def refresh_statistics() -> None:
    """ANALYZE after a bulk load, so the query planner knows the tables' new sizes.

    PostgreSQL's autovacuum would get there eventually; until it does, a freshly loaded registry is
    planned as if it were empty (seen: a name search walking every resident instead of the name index).
    SQLite has no autovacuum for statistics at all. The whole database, not just the registry: the
    planner's worst misestimate was the area table that every scope filter joins.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

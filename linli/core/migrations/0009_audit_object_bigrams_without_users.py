"""Entries about user accounts are found by the user's id, not by their text (issue #24, item 8).

Sign-ins and sign-outs are a sixth of the log, and each names its user ("刘芳（liufang）"). At 20,000,000
entries a busy worker's name matched 50,000 of them through the text index of 0008; PostgreSQL, estimating
140 (it multiplies the frequencies of a name's pieces, which always come together), read all 50,000 to find
"this name's reveals in the last month": 0.33 s warm, 3 s cold. Now:

- `audit_object_bigrams_not_users_idx`: the pieces of what entries are about, user accounts left out;
- `audit_user_objects_idx`: entries about a user account other than the user's own sign-in and sign-out
  (those have the user as actor and are found by the (actor, action, at) index), by (user id, action, time):
  failed sign-ins and lockouts under a real login, accounts created or changed by an admin;
- `audit_object_bigrams_stats` (PostgreSQL 14 and later): statistics of the pieces, so the planner
  estimates a two-character keyword from the whole table (a partial index's statistics are not used for
  estimates; without them a two-character name read 0.4 million entries backwards by time, 1.3 s).

The keyword is matched against names and logins in the small users table first, then both kinds of entries
are found by the users' ids. Indexes are built online (CREATE INDEX CONCURRENTLY) before the old one is
dropped (DROP INDEX CONCURRENTLY), so searches stay indexed throughout; the statistics are an ANALYZE of
the audit table (reads a sample, blocks no one). Duration: docs/deployment.md, "Release notes".
"""

from typing import Any

from django.db import migrations

from linli.core.migration_ops import RunSQLOnPostgres

OLD = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_object_bigrams_idx ON core_auditentry "
    "USING gin (linli_bigrams(object_repr::text))"
)


def statistics(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE STATISTICS IF NOT EXISTS audit_object_bigrams_stats "
            "ON (linli_bigrams(object_repr::text)) FROM core_auditentry"
        )
        cursor.execute("ANALYZE core_auditentry")


def drop_statistics(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("DROP STATISTICS IF EXISTS audit_object_bigrams_stats")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("core", "0008_audit_bigrams_by_column")]

    operations = [
        RunSQLOnPostgres(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_object_bigrams_not_users_idx ON core_auditentry "
            "USING gin (linli_bigrams(object_repr::text)) WHERE object_type <> 'accounts.user'",
            "DROP INDEX CONCURRENTLY IF EXISTS audit_object_bigrams_not_users_idx",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_user_objects_idx ON core_auditentry "
            "(object_id, action, at) WHERE object_type = 'accounts.user' AND action NOT IN ('login', 'logout')",
            "DROP INDEX CONCURRENTLY IF EXISTS audit_user_objects_idx",
        ),
        migrations.RunPython(statistics, drop_statistics),
        RunSQLOnPostgres("DROP INDEX CONCURRENTLY IF EXISTS audit_object_bigrams_idx", OLD),
    ]

"""The audit keyword's two-character index split by column (issue #24, item 8).

Migration 0006 indexed the pieces of `object_repr || ' ' || actor_label` together. At 20,000,000 entries a
keyword that names a busy worker matched a quarter of a million entries through their actor label, and
PostgreSQL, estimating a few thousand (the pieces of one name always come together, and it multiplies
their frequencies), read them all and worked out the pieces of each again: over 20 s for "this worker's
reveals in the last month". Now:

- `audit_object_bigrams_idx`: the pieces of `object_repr` (what the entry is about);
- `audit_unowned_label_bigrams_idx`: the pieces of `actor_label` for entries with no user account behind
  them only (failed sign-ins under unknown names, residents' submissions, the console), a small part;
- entries by a user are found by that user's id (their name or login read from the small users table),
  which the (actor, action, at) index and the actor's statistics serve.

Both are built online (CREATE INDEX CONCURRENTLY) before the old index is dropped (DROP INDEX
CONCURRENTLY), so searches stay indexed throughout. Durations: docs/deployment.md, "Release notes".
"""

from django.db import migrations

from linli.core.migration_ops import RunSQLOnPostgres

OLD = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_text_bigrams_idx ON core_auditentry "
    "USING gin (linli_bigrams(object_repr::text || ' ' || actor_label::text))"
)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("core", "0007_audit_written_app")]

    operations = [
        RunSQLOnPostgres(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_object_bigrams_idx ON core_auditentry "
            "USING gin (linli_bigrams(object_repr::text))",
            "DROP INDEX CONCURRENTLY IF EXISTS audit_object_bigrams_idx",
        ),
        RunSQLOnPostgres(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_unowned_label_bigrams_idx ON core_auditentry "
            "USING gin (linli_bigrams(actor_label::text)) WHERE actor_id IS NULL",
            "DROP INDEX CONCURRENTLY IF EXISTS audit_unowned_label_bigrams_idx",
        ),
        RunSQLOnPostgres("DROP INDEX CONCURRENTLY IF EXISTS audit_text_bigrams_idx", OLD),
    ]

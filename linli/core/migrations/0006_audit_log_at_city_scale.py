"""Indexes for the audit page's searches at tens of millions of entries (issue #24, item 8).

- (action, at): one action, newest first, without walking every other action's entries;
- object_id: the keyword box matches an object's id exactly;
- UPPER(actor_label): the actor filter (case-insensitive equality);
- area_path with varchar_pattern_ops (PostgreSQL): the scope filter is `area_path LIKE 'path/%'`, which the
  plain index cannot serve under a C.UTF-8 or any non-C collation;
- ip, where there is one: the keyword box finds a sign-in's address;
- PostgreSQL: a GIN index of the two-character pieces of object_repr and actor_label (`linli_bigrams`), so a
  name of two or more characters anywhere in them is found from the index, not by reading every entry.
  (pg_trgm needs three characters; most Chinese names have two or three.)

Every index is built online (CREATE INDEX CONCURRENTLY on PostgreSQL; core.migration_ops), so the service
keeps running: measured durations at 20,000,000 entries are in docs/deployment.md, "Release notes".
"""

from django.db import migrations, models
from django.db.models.functions import Upper

from linli.core.migration_ops import AddIndexOnline, RunSQLOnPostgres

BIGRAMS = r"""
CREATE OR REPLACE FUNCTION linli_bigrams(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT substr(lower(t), i, 2)), '{}')
  FROM generate_series(1, char_length(t) - 1) AS i
$$
"""


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("core", "0005_heartbeat")]

    operations = [
        AddIndexOnline(
            model_name="auditentry",
            index=models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ),
        AddIndexOnline(
            model_name="auditentry",
            index=models.Index(fields=["object_id"], name="audit_object_id_idx"),
        ),
        AddIndexOnline(
            model_name="auditentry",
            index=models.Index(Upper("actor_label"), name="audit_actor_label_upper_idx"),
        ),
        AddIndexOnline(
            model_name="auditentry",
            index=models.Index(
                fields=["area_path"], name="audit_area_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ),
        AddIndexOnline(
            model_name="auditentry",
            index=models.Index(fields=["ip"], name="audit_ip_idx", condition=models.Q(ip__isnull=False)),
        ),
        RunSQLOnPostgres(BIGRAMS, "DROP FUNCTION IF EXISTS linli_bigrams(text)"),
        RunSQLOnPostgres(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_text_bigrams_idx ON core_auditentry "
            "USING gin (linli_bigrams(object_repr::text || ' ' || actor_label::text))",
            "DROP INDEX CONCURRENTLY IF EXISTS audit_text_bigrams_idx",
        ),
    ]

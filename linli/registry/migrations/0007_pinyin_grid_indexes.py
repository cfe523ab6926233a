# Pinyin and initials searches count within the user's scope from the index alone: the single-column
# indexes become (key, grid) indexes. The old indexes are dropped by name, not by AlterField, because
# SQLite's AlterField copies the whole resident table (twice here) to drop an index.

from django.db import migrations, models

OLD = ["registry_resident_name_initials_94e47269", "registry_resident_name_pinyin_aac3bc8c"]


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_area_tree_and_grid_assignments"),
        ("registry", "0006_backfill_name_grams"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="resident",
                    name="name_initials",
                    field=models.CharField(blank=True, max_length=50),
                ),
                migrations.AlterField(
                    model_name="resident",
                    name="name_pinyin",
                    field=models.CharField(blank=True, max_length=200),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    # PostgreSQL also has a varchar_pattern_ops "_like" twin of each; SQLite has not.
                    [f'DROP INDEX IF EXISTS "{name}{suffix}"' for name in OLD for suffix in ("", "_like")],
                    reverse_sql=[
                        f'CREATE INDEX "{OLD[0]}" ON "registry_resident" ("name_initials")',
                        f'CREATE INDEX "{OLD[1]}" ON "registry_resident" ("name_pinyin")',
                    ],
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["name_pinyin", "grid", "name_initials"], name="resident_pinyin_grid_idx", include=["id"]),
        ),
        migrations.AddIndex(
            model_name="resident",
            index=models.Index(fields=["name_initials", "grid"], name="resident_initials_grid_idx", include=["id"]),
        ),
    ]

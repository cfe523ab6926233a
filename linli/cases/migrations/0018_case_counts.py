"""The cases' running counts (linli/cases/counts.py): the table, its triggers, and the counts of the cases
already there. Creating the triggers holds off writes to cases until the migration commits (the fill is one
grouped pass per kind: durations at the street scale in docs/deployment.md, "This release")."""

import django.db.models.deletion
from django.db import migrations, models

from linli.cases import counts


def forwards(apps, schema_editor):
    counts.COUNTS.install(schema_editor)


def backwards(apps, schema_editor):
    counts.COUNTS.uninstall(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_area_tree_and_grid_assignments'),
        ('cases', '0017_case_located_received_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=12)),
                ('key', models.CharField(max_length=7)),
                ('n', models.IntegerField()),
                ('area', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='areas.area')),
            ],
            options={
                'indexes': [models.Index(fields=['key', 'area', 'kind'], name='casecount_key_area_kind')],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]

"""The cases' running counts (linli/cases/counts.py): the table, its triggers, and the counts of the cases
already there. Creating the triggers holds off case writes until the migration commits (durations at the
street scale: docs/deployment.md, "This release")."""

import django.db.models.deletion
from django.db import migrations, models

from linli.cases.counts import COUNTS


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
                ('key', models.CharField(max_length=40)),
                ('n', models.IntegerField()),
                ('area', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='areas.area')),
            ],
            options={
                'indexes': [models.Index(fields=['key', 'area', 'kind'], name='casecount_key_area_kind')],
            },
        ),
        COUNTS.migration(),
    ]

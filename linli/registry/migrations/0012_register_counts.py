"""The register's running counts (linli/registry/counts.py): the table, its triggers on residents, tags, houses,
households and buildings, and the counts of what is there. Creating the triggers holds off writes to those
tables until the migration commits (durations at the street scale: docs/deployment.md, "This release")."""

import django.db.models.deletion
from django.db import migrations, models

from linli.registry.counts import COUNTS


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_area_tree_and_grid_assignments'),
        ('registry', '0011_resident_age_pyramid_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='RegisterCount',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=12)),
                ('key', models.CharField(max_length=40)),
                ('n', models.IntegerField()),
                ('grid', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='areas.area')),
            ],
            options={
                'indexes': [models.Index(fields=['grid', 'kind', 'key'], name='registercount_grid_kind_key')],
            },
        ),
        COUNTS.migration(),
    ]

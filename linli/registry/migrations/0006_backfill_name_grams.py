"""Fill the name index for residents registered before it existed."""

from django.db import migrations


def backfill(apps, schema_editor):
    Resident = apps.get_model("registry", "Resident")
    NameGram = apps.get_model("registry", "NameGram")
    batch = []
    for resident_id, grid_id, name in Resident.objects.values_list("pk", "grid_id", "name").iterator(chunk_size=5000):
        chars = [c for c in name if not c.isspace()]
        grams = set(chars) | {a + b for a, b in zip(chars, chars[1:])}
        batch += [NameGram(resident_id=resident_id, grid_id=grid_id, gram=g) for g in grams]
        if len(batch) >= 20000:
            NameGram.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    NameGram.objects.bulk_create(batch, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_name_gram_index")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

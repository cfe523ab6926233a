"""Name grams for the volunteers registered before the gram table existed (data only)."""

from django.db import migrations


def name_grams(name):
    # As registry.models.name_grams at the time of writing (a migration keeps its own copy).
    chars = [c for c in name if not c.isspace()]
    return set(chars) | {a + b for a, b in zip(chars, chars[1:], strict=False)}


def fill(apps, schema_editor):
    Volunteer = apps.get_model("volunteers", "Volunteer")
    Gram = apps.get_model("volunteers", "VolunteerNameGram")
    rows = [
        Gram(volunteer_id=pk, community_id=community, gram=gram)
        for pk, community, name in Volunteer.objects.values_list("pk", "community_id", "name").iterator()
        for gram in name_grams(name)
    ]
    Gram.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0003_search_grams_and_covering_indexes")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

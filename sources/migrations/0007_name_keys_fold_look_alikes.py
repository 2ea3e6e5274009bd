"""Name keys again, now that ``name_key`` folds dotless ı, ø, ł, đ, æ, œ and
Cyrillic and Greek look-alikes: every source's stored keys are recomputed, so the
duplicate checks and searches that compare them see the new keys at once.

The keys are computed in Python (``Source.save``), never in SQL; this migration
is the one writer that sets them without a save. Keys are derived (not in the
history), so no history event is written. Sources whose new keys they now share
with another were duplicates the old keys hid: they are listed, for an editor to
merge them or confirm that they differ; nothing is merged here.
"""

from django.db import migrations

from sources.models import name_keys


def refill_name_keys(apps, schema_editor):
    Source = apps.get_model("sources", "Source")
    stale = []
    for source in Source.objects.only("id", "name", "aliases", "name_keys").iterator(chunk_size=2000):
        keys = name_keys(source.name, source.aliases or [])
        if keys != source.name_keys:
            source.name_keys = keys
            stale.append(source)
    Source.objects.bulk_update(stale, ["name_keys"], batch_size=1000)
    if not stale:
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT k, array_agg(id ORDER BY id) FROM sources_source, unnest(name_keys) AS k "
            "GROUP BY k HAVING count(*) > 1 AND bool_or(id = ANY(%s)) ORDER BY min(id) LIMIT 100",
            [[source.pk for source in stale]],
        )
        for key, ids in cursor.fetchall():
            print(f"\n  sources {ids} share the name key {key!r}: merge them or confirm they differ")


class Migration(migrations.Migration):
    dependencies = [("sources", "0006_own_parent_message")]

    operations = [migrations.RunPython(refill_name_keys, migrations.RunPython.noop)]

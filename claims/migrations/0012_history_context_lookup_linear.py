"""History triggers look up the change's context without an exception block (see
core.history, "writes that stay linear"): pghistory's lookup entered a subtransaction
per row and trigger, and each abort scanned the transaction's queue of deferred
foreign-key checks, so a transaction's cost grew with the square of the rows it wrote."""

from django.db import migrations

from core.history import ATTACH_CONTEXT_SQL


def pghistory_lookup(apps, schema_editor):
    from pghistory.models import Context

    Context.install_pgh_attach_context_func(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_trace_summary"),
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [
        migrations.RunSQL(ATTACH_CONTEXT_SQL, migrations.RunSQL.noop),
        migrations.RunPython(migrations.RunPython.noop, pghistory_lookup),
    ]

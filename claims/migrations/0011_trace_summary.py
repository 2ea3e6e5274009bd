"""A summary of each claim's trace, for lists and filters (claims.models.TraceSummary).

Origins, independent origins, flags and chains of every claim, as the provenance
module judges its graph, indexed (GIN) so that "claims with flag X" and "claims
originating at S" are an index lookup. Not tracked by the history: derived data.

The data step fills it for the claims already there, a batch at a time, with the
provenance module of the code being migrated to (``refresh_trace_summaries``): a
later migration that changes the graph's tables must come after it, or run the
command itself once it is done. Backwards, the table goes.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    from claims.management.commands.refresh_trace_summaries import refresh_all

    Claim = apps.get_model("claims", "Claim")
    if Claim.objects.using(schema_editor.connection.alias).exists():
        print()  # after migrate's "Applying ...", a line of progress at a time
        refresh_all(say=lambda line: print(f"  {line}"))


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0010_evidence"),
    ]

    operations = [
        migrations.CreateModel(
            name="TraceSummary",
            fields=[
                (
                    "claim",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="trace_summary",
                        serialize=False,
                        to="claims.claim",
                    ),
                ),
                (
                    "origin_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(),
                        blank=True,
                        default=list,
                        help_text="Origin sources, by id.",
                        size=None,
                    ),
                ),
                ("independent_origins", models.PositiveIntegerField(default=0)),
                (
                    "flags",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(max_length=40),
                        blank=True,
                        default=list,
                        help_text="Flag codes.",
                        size=None,
                    ),
                ),
                (
                    "chains",
                    models.BigIntegerField(default=0, help_text="Chains counted (a lower bound when not exact)."),
                ),
                ("chains_exact", models.BooleanField(default=True)),
            ],
            options={
                "verbose_name": "trace summary",
                "verbose_name_plural": "trace summaries",
                "indexes": [
                    django.contrib.postgres.indexes.GinIndex(fields=["flags"], name="trace_summary_flags"),
                    django.contrib.postgres.indexes.GinIndex(fields=["origin_ids"], name="trace_summary_origins"),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]

"""Make the claim-topic table an explicit model (state only; the table stays as it
is) so that the next migration can put it under history tracking."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("claims", "0004_roles")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ClaimTopic",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("claim", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="claims.claim")),
                        ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="claims.topic")),
                    ],
                    options={"db_table": "claims_claim_topics", "unique_together": {("claim", "topic")}},
                ),
                migrations.AlterField(
                    model_name="claim",
                    name="topics",
                    field=models.ManyToManyField(
                        blank=True, related_name="claims", through="claims.ClaimTopic", to="claims.topic"
                    ),
                ),
            ]
        )
    ]

"""Nobody rewrites the history: the context table only grows, and TRUNCATE is
refused on every tracked table, event table and the context (see core.history)."""

from django.db import migrations

from core.history import (
    PROTECT_CONTEXT_SQL,
    UNPROTECT_CONTEXT_SQL,
    drop_truncate_guard_sql,
    truncate_guard_sql,
)

TABLES = [
    "pghistory_context",
    "sources_source",
    "sources_sourceevent",
    "sources_document",
    "sources_documentevent",
    "claims_claim",
    "claims_claimevent",
    "claims_claim_topics",
    "claims_claimtopicevent",
    "claims_appearance",
    "claims_appearanceevent",
    "claims_statement",
    "claims_statementevent",
    "claims_attribution",
    "claims_attributionevent",
    "claims_foreignreview",
    "claims_foreignreviewevent",
]


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_foreign_review_roles"), ("sources", "0005_name_keys_and_plausible_dates")]

    operations = [
        migrations.RunSQL(
            PROTECT_CONTEXT_SQL + "\n".join(truncate_guard_sql(t) for t in TABLES),
            "\n".join(drop_truncate_guard_sql(t) for t in TABLES)
            + UNPROTECT_CONTEXT_SQL
            + "DROP FUNCTION history_no_truncate();",
        )
    ]

"""Nobody but the owner skips a trigger, and a change's context is settled by the
transaction that recorded it (see core.history):

- ``_pgtrigger_should_ignore``, which every pgtrigger trigger asks whether to skip
  itself, skips one only for the owner (the role that migrates, or a superuser) and
  refuses anyone else's statement; a statement trigger on every table with pgtrigger
  triggers refuses a write by a role that does not own the table while
  ``pgtrigger.ignore`` names anything (it holds while pgtrigger has put its own
  ``_pgtrigger_should_ignore`` back, until the end of ``migrate``).
- a context row grows only in the transaction that inserted it, and the keys that
  say who made a change and where are never added or changed once it exists.
"""

from django.db import migrations

from core.history import (
    CONTEXT_SETTLED_SQL,
    CONTEXT_UNSETTLED_SQL,
    OWNER_ONLY_IGNORE_SQL,
    PGTRIGGER_IGNORE_SQL,
    SKIP_GUARD,
    SKIP_GUARD_FUNCTION_SQL,
    drop_skip_guard_sql,
    skip_guard_sql,
)

# Every table with pgtrigger triggers: the tracked tables (pghistory's triggers, the
# claim's delete guard) and their event tables (append-only guards).
TABLES = [
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
    dependencies = [("claims", "0008_multilingual_search")]

    operations = [
        migrations.RunSQL(OWNER_ONLY_IGNORE_SQL, PGTRIGGER_IGNORE_SQL),
        migrations.RunSQL(
            SKIP_GUARD_FUNCTION_SQL + "\n".join(skip_guard_sql(t) for t in TABLES),
            "\n".join(drop_skip_guard_sql(t) for t in TABLES) + f"DROP FUNCTION {SKIP_GUARD}();",
        ),
        migrations.RunSQL(CONTEXT_SETTLED_SQL, CONTEXT_UNSETTLED_SQL),
    ]

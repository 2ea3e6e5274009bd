"""Evidence gets a home of its own: a hop can carry several pieces.

Until now a hop (claims_attribution) had one document and one quote, and a second
chain through it could only fill them in when blank. Each hop's document and
quote become its first piece of evidence (claims_evidence, with the relation as
the hop had it), and the two columns go: one home for evidence.

The history moves with them. Every event of a hop that changed its document or
quote becomes an event of its piece of evidence, at the same moment and in the
same change context (who, where): an insert when the hop first had some, an
update when it changed, a delete when it lost them or the hop was deleted. So the
claim's history and its graph as of any earlier moment show the same evidence
as before. The events are written before the evidence table's triggers exist,
and the live rows too, so nothing is recorded twice.

Backwards, each hop takes back the words of its first piece that has words (else
its first piece); the other pieces, and the evidence's own history, are lost.
"""

from core.history import drop_skip_guard_sql, drop_truncate_guard_sql, skip_guard_sql, truncate_guard_sql

import core.fields
import django.db.models.deletion
import django.db.models.functions.text
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


# Both ends of the link name the same claim (see 0003 for the hop's own ends).
SAME_CLAIM_SQL = """
ALTER TABLE claims_evidence
    ADD CONSTRAINT evidence_same_claim FOREIGN KEY (attribution_id, claim_id)
    REFERENCES claims_attribution (id, claim_id) DEFERRABLE INITIALLY DEFERRED;
"""
DROP_SAME_CLAIM_SQL = "ALTER TABLE claims_evidence DROP CONSTRAINT evidence_same_claim;"

MOVE_EVIDENCE_SQL = """
-- One piece for every hop that has, or ever had, a document or a quote.
CREATE TEMPORARY TABLE evidence_ids ON COMMIT DROP AS
SELECT attribution_id, nextval(pg_get_serial_sequence('claims_evidence', 'id')) AS id
FROM (
    SELECT pgh_obj_id AS attribution_id FROM claims_attributionevent WHERE document_id IS NOT NULL OR quote <> ''
    UNION
    SELECT id FROM claims_attribution WHERE document_id IS NOT NULL OR quote <> ''
) hops;

INSERT INTO claims_evidence (id, attribution_id, claim_id, document_id, quote, relation, created_at)
SELECT i.id, a.id, a.claim_id, a.document_id, a.quote, a.relation, a.created_at
FROM claims_attribution a JOIN evidence_ids i ON i.attribution_id = a.id
WHERE a.document_id IS NOT NULL OR a.quote <> '';

-- The hop's events, read as events of its piece of evidence.
INSERT INTO claims_evidenceevent (pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
                                  id, attribution_id, claim_id, document_id, quote, relation, created_at)
SELECT pgh_created_at,
       CASE WHEN has AND NOT had THEN 'insert' WHEN has THEN 'update' ELSE 'delete' END,
       evidence_id, pgh_context_id, evidence_id, attribution_id, claim_id,
       CASE WHEN has THEN document_id ELSE prev_document_id END,
       CASE WHEN has THEN quote ELSE prev_quote END,
       CASE WHEN has THEN relation ELSE prev_relation END,
       created_at
FROM (
    SELECT *, coalesce(lag(has) OVER w, false) AS had,
           lag(document_id) OVER w AS prev_document_id, lag(quote) OVER w AS prev_quote,
           lag(relation) OVER w AS prev_relation, lag(claim_id) OVER w AS prev_claim_id
    FROM (
        SELECT e.pgh_id, e.pgh_created_at, e.pgh_context_id, e.pgh_obj_id AS attribution_id, i.id AS evidence_id,
               e.claim_id, e.document_id, e.quote, e.relation, e.created_at,
               e.pgh_label <> 'delete' AND (e.document_id IS NOT NULL OR e.quote <> '') AS has
        FROM claims_attributionevent e JOIN evidence_ids i ON i.attribution_id = e.pgh_obj_id
    ) hop_events
    WINDOW w AS (PARTITION BY attribution_id ORDER BY pgh_id)
) changes
WHERE (has AND NOT had)
   OR (NOT has AND had)
   OR (has AND (document_id IS DISTINCT FROM prev_document_id OR quote IS DISTINCT FROM prev_quote
                OR relation IS DISTINCT FROM prev_relation OR claim_id IS DISTINCT FROM prev_claim_id))
ORDER BY pgh_id;

-- A hop written while its history was not recorded: its evidence from when the hop was made.
INSERT INTO claims_evidenceevent (pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,
                                  id, attribution_id, claim_id, document_id, quote, relation, created_at)
SELECT v.created_at, 'insert', v.id, NULL, v.id, v.attribution_id, v.claim_id, v.document_id, v.quote, v.relation,
       v.created_at
FROM claims_evidence v
WHERE NOT EXISTS (SELECT 1 FROM claims_evidenceevent e WHERE e.pgh_obj_id = v.id)
ORDER BY v.id;

-- Check the new rows' foreign keys now: the indexes created at the end of this
-- migration cannot be built while those checks are pending.
SET CONSTRAINTS ALL IMMEDIATE;
"""

MOVE_EVIDENCE_BACK_SQL = """
UPDATE claims_attribution a SET document_id = v.document_id, quote = v.quote
FROM (
    SELECT DISTINCT ON (attribution_id) attribution_id, document_id, quote
    FROM claims_evidence ORDER BY attribution_id, quote = '', id
) v
WHERE v.attribution_id = a.id;
"""

TABLES = ["claims_evidence", "claims_evidenceevent"]

# The roles' admin permissions on evidence: as on the hops it belongs to.
ROLE_ACTIONS = {"editor": ["add", "change", "view", "delete"], "journalist": ["view"], "auditor": ["view"]}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("claims")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, actions in ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [f"{action}_evidence" for action in actions]
        group.permissions.add(*Permission.objects.filter(content_type__app_label="claims", codename__in=codenames))


GUARDS_SQL = "\n".join([*(truncate_guard_sql(t) for t in TABLES), *(skip_guard_sql(t) for t in TABLES)])
DROP_GUARDS_SQL = "\n".join([*(drop_skip_guard_sql(t) for t in TABLES), *(drop_truncate_guard_sql(t) for t in TABLES)])


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("claims", "0009_history_skips_and_contexts"),
        ("pghistory", "0007_auto_20250421_0444"),
        ("sources", "0007_name_keys_fold_look_alikes"),
    ]

    operations = [
        migrations.CreateModel(
            name="Evidence",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "quote",
                    core.fields.BoundedTextField(
                        blank=True, help_text="The words that evidence the hop.", max_length=5000
                    ),
                ),
                (
                    "relation",
                    models.CharField(
                        choices=[
                            ("reported", "reported by"),
                            ("citing", "citing"),
                            ("quoting", "quoting"),
                            ("informed_by", "informed by"),
                            ("according_to", "according to"),
                            ("said_to", "said to"),
                            ("translating", "translating"),
                            ("other", "other"),
                        ],
                        help_text="How this document words the hop.",
                        max_length=20,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name_plural": "evidence",
                "ordering": ["id"],
            },
        ),
        migrations.CreateModel(
            name="EvidenceEvent",
            fields=[
                ("pgh_id", models.AutoField(primary_key=True, serialize=False)),
                ("pgh_created_at", models.DateTimeField(auto_now_add=True)),
                ("pgh_label", models.TextField(help_text="The event label.")),
                ("id", models.BigIntegerField()),
                (
                    "quote",
                    core.fields.BoundedTextField(
                        blank=True, help_text="The words that evidence the hop.", max_length=5000
                    ),
                ),
                (
                    "relation",
                    models.CharField(
                        choices=[
                            ("reported", "reported by"),
                            ("citing", "citing"),
                            ("quoting", "quoting"),
                            ("informed_by", "informed by"),
                            ("according_to", "according to"),
                            ("said_to", "said to"),
                            ("translating", "translating"),
                            ("other", "other"),
                        ],
                        help_text="How this document words the hop.",
                        max_length=20,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.AddConstraint(
            model_name="attribution",
            constraint=models.UniqueConstraint(fields=("id", "claim"), name="attribution_unique_id_claim"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="attribution",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="evidence", to="claims.attribution"
            ),
        ),
        migrations.AddField(
            model_name="evidence",
            name="claim",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="claims.claim"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="document",
            field=models.ForeignKey(
                blank=True,
                help_text="The document in which the hop is asserted.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="evidence",
                to="sources.document",
            ),
        ),
        migrations.AddField(
            model_name="evidenceevent",
            name="attribution",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="claims.attribution",
            ),
        ),
        migrations.AddField(
            model_name="evidenceevent",
            name="claim",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="claims.claim",
            ),
        ),
        migrations.AddField(
            model_name="evidenceevent",
            name="document",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The document in which the hop is asserted.",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                related_query_name="+",
                to="sources.document",
            ),
        ),
        migrations.AddField(
            model_name="evidenceevent",
            name="pgh_context",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="pghistory.context",
            ),
        ),
        migrations.AddField(
            model_name="evidenceevent",
            name="pgh_obj",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="events",
                to="claims.evidence",
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("document__isnull", False), models.Q(("quote", ""), _negated=True), _connector="OR"
                ),
                name="evidence_document_or_quote",
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.UniqueConstraint(
                models.F("attribution"),
                models.F("document"),
                django.db.models.functions.text.MD5("quote"),
                condition=models.Q(("document__isnull", False)),
                name="evidence_unique_document_quote",
            ),
        ),
        migrations.AddConstraint(
            model_name="evidence",
            constraint=models.UniqueConstraint(
                models.F("attribution"),
                django.db.models.functions.text.MD5("quote"),
                condition=models.Q(("document__isnull", True)),
                name="evidence_unique_quote",
            ),
        ),
        migrations.RunSQL(SAME_CLAIM_SQL, DROP_SAME_CLAIM_SQL),
        migrations.RunSQL(MOVE_EVIDENCE_SQL, MOVE_EVIDENCE_BACK_SQL),
        pgtrigger.migrations.AddTrigger(
            model_name="evidence",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "claims_evidenceevent" ("attribution_id", "claim_id", "created_at", "document_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "quote", "relation") VALUES (NEW."attribution_id", NEW."claim_id", NEW."created_at", NEW."document_id", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."quote", NEW."relation"); RETURN NULL;',
                    hash="5fafce71f412b5acadec6b0140a5a5b49d3557b5",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_d2960",
                    table="claims_evidence",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="evidence",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "claims_evidenceevent" ("attribution_id", "claim_id", "created_at", "document_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "quote", "relation") VALUES (NEW."attribution_id", NEW."claim_id", NEW."created_at", NEW."document_id", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."quote", NEW."relation"); RETURN NULL;',
                    hash="88328eec63e971e049d70dc804d31e1c808c2222",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_0cf54",
                    table="claims_evidence",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="evidence",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "claims_evidenceevent" ("attribution_id", "claim_id", "created_at", "document_id", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "quote", "relation") VALUES (OLD."attribution_id", OLD."claim_id", OLD."created_at", OLD."document_id", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."quote", OLD."relation"); RETURN NULL;',
                    hash="e68d590df8aa3e22a8aee8562b1ba9b35f1f82f5",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_26a0f",
                    table="claims_evidence",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="evidenceevent",
            trigger=pgtrigger.compiler.Trigger(
                name="append_only",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="RAISE EXCEPTION 'pgtrigger: Cannot update or delete rows from % table', TG_TABLE_NAME;",
                    hash="9b156cb2ce3ac82360d6f20539a0292c4af11367",
                    operation="UPDATE OR DELETE",
                    pgid="pgtrigger_append_only_3fd72",
                    table="claims_evidenceevent",
                    when="BEFORE",
                ),
            ),
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="attribution",
            name="insert_insert",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="attribution",
            name="update_update",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name="attribution",
            name="delete_delete",
        ),
        migrations.RemoveField(
            model_name="attribution",
            name="document",
        ),
        migrations.RemoveField(
            model_name="attribution",
            name="quote",
        ),
        migrations.RemoveField(
            model_name="attributionevent",
            name="document",
        ),
        migrations.RemoveField(
            model_name="attributionevent",
            name="quote",
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="attribution",
            trigger=pgtrigger.compiler.Trigger(
                name="insert_insert",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "claims_attributionevent" ("claim_id", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation", "statement_id", "upstream_id", "verified") VALUES (NEW."claim_id", NEW."created_at", NEW."id", _pgh_attach_context(), NOW(), \'insert\', NEW."id", NEW."relation", NEW."statement_id", NEW."upstream_id", NEW."verified"); RETURN NULL;',
                    hash="f321cfeed4c49cd9fe03da0cb313e1c49bcfd8bb",
                    operation="INSERT",
                    pgid="pgtrigger_insert_insert_43dca",
                    table="claims_attribution",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="attribution",
            trigger=pgtrigger.compiler.Trigger(
                name="update_update",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    condition="WHEN (OLD.* IS DISTINCT FROM NEW.*)",
                    func='INSERT INTO "claims_attributionevent" ("claim_id", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation", "statement_id", "upstream_id", "verified") VALUES (NEW."claim_id", NEW."created_at", NEW."id", _pgh_attach_context(), NOW(), \'update\', NEW."id", NEW."relation", NEW."statement_id", NEW."upstream_id", NEW."verified"); RETURN NULL;',
                    hash="639106dd5d0bc47ac404ec0bf2218a4c78fce6fa",
                    operation="UPDATE",
                    pgid="pgtrigger_update_update_37070",
                    table="claims_attribution",
                    when="AFTER",
                ),
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="attribution",
            trigger=pgtrigger.compiler.Trigger(
                name="delete_delete",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func='INSERT INTO "claims_attributionevent" ("claim_id", "created_at", "id", "pgh_context_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "relation", "statement_id", "upstream_id", "verified") VALUES (OLD."claim_id", OLD."created_at", OLD."id", _pgh_attach_context(), NOW(), \'delete\', OLD."id", OLD."relation", OLD."statement_id", OLD."upstream_id", OLD."verified"); RETURN NULL;',
                    hash="49e5b312f5faa9a308bb34bdea322d4f332b1eda",
                    operation="DELETE",
                    pgid="pgtrigger_delete_delete_430b2",
                    table="claims_attribution",
                    when="AFTER",
                ),
            ),
        ),
        migrations.RunSQL(GUARDS_SQL, DROP_GUARDS_SQL),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]

"""Both ends of an attribution belong to the attribution's claim.

Django has no composite foreign keys, so they are declared here in SQL: the
pair (statement, claim) must name a statement of that claim, likewise for the
upstream end. A chain can then never jump from one claim's graph to another's.
"""

from django.db import migrations

SQL = """
ALTER TABLE claims_attribution
    ADD CONSTRAINT attribution_statement_same_claim
        FOREIGN KEY (statement_id, claim_id) REFERENCES claims_statement (id, claim_id),
    ADD CONSTRAINT attribution_upstream_same_claim
        FOREIGN KEY (upstream_id, claim_id) REFERENCES claims_statement (id, claim_id);
"""

REVERSE_SQL = """
ALTER TABLE claims_attribution
    DROP CONSTRAINT attribution_statement_same_claim,
    DROP CONSTRAINT attribution_upstream_same_claim;
"""


class Migration(migrations.Migration):
    dependencies = [("claims", "0002_initial")]

    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]

"""Source search over name and aliases, served by one trigram index.

array_to_string() is only STABLE, so it cannot be indexed directly; wrapped in a
function declared IMMUTABLE (true for a text array) it can.
"""

from django.db import migrations

SQL = """
CREATE FUNCTION source_names(name text, aliases varchar[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT upper(name || ' ' || array_to_string(aliases, ' ')) $$;
CREATE INDEX source_names_trgm ON sources_source USING gin (source_names(name, aliases) gin_trgm_ops);
"""

REVERSE_SQL = """
DROP INDEX source_names_trgm;
DROP FUNCTION source_names(text, varchar[]);
"""


class Migration(migrations.Migration):
    dependencies = [("sources", "0001_initial")]

    operations = [
        migrations.RemoveIndex(model_name="source", name="source_name_trgm"),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]

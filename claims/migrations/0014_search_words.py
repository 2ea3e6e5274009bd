"""A dictionary of the words claims' texts hold (claims.models.SearchWord), kept by a
trigger on claims, for search to look near spellings up in; the trigram index on every
claim's text, which it replaces, goes."""

import django.contrib.postgres.indexes
import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


# The words of a text worth looking near spellings up in: folded (fc_fold), as the
# 'simple' parser splits them, four letters or more, no digits.
WORDS = """
CREATE FUNCTION public.fc_words(value text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT lexeme FROM unnest(to_tsvector('simple'::regconfig, public.fc_fold(value)))
   WHERE length(lexeme) BETWEEN 4 AND 60 AND lexeme !~ '[0-9]'
$$;
"""

FILL = "INSERT INTO claims_searchword (word) SELECT DISTINCT public.fc_words(text) FROM claims_claim"


class Migration(migrations.Migration):

    dependencies = [
        ('claims', '0013_list_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='SearchWord',
            fields=[
                ('word', models.TextField(primary_key=True, serialize=False)),
            ],
        ),
        migrations.RunSQL(WORDS, "DROP FUNCTION public.fc_words(text);"),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
        migrations.RemoveIndex(
            model_name='claim',
            name='claim_text_trgm',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='claim',
            trigger=pgtrigger.compiler.Trigger(name='claim_words', sql=pgtrigger.compiler.UpsertTriggerSql(func='INSERT INTO claims_searchword (word) SELECT public.fc_words(NEW.text) ON CONFLICT DO NOTHING; RETURN NULL;', hash='31b4d701d35aee92bfcfbdf2d4bd3d3d53b2d571', operation='INSERT OR UPDATE OF "text"', pgid='pgtrigger_claim_words_7beab', table='claims_claim', when='AFTER')),
        ),
        migrations.AddIndex(
            model_name='searchword',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('word', name='gin_trgm_ops'), name='searchword_trgm'),
        ),
    ]

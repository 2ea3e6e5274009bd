"""Search in the claim's language.

Each claim's text is indexed with the text search configuration of its language
(a stemmer where PostgreSQL has one, ``simple`` otherwise), accents folded by
``unaccent``. A quote's language is not recorded on its row, so quotes are indexed
with every configuration. ``fc_prep`` makes "F-16" one word ("f16") and folds the
Azerbaijani schwa, which ``unaccent`` leaves alone; queries go through the same
function. ``fc_fold`` is the accent-free, lower-case text the trigram index serves
(near spellings: Gandja, Ganca, Ganja).

claims.search.CONFIGS lists the same languages; a test holds the two together.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import UnaccentExtension
from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, models
from django.db.models.expressions import RawSQL

CONFIGS = {"en": "english", "ru": "russian", "tr": "turkish", "hy": "armenian"}

_configs = []
for name in [*CONFIGS.values(), "simple"]:
    stem = "simple" if name == "simple" else f"{name}_stem"
    _configs.append(
        f"CREATE TEXT SEARCH CONFIGURATION public.fc_{name} (COPY = pg_catalog.{name});\n"
        f"ALTER TEXT SEARCH CONFIGURATION public.fc_{name} "
        f"ALTER MAPPING FOR word, hword, hword_part WITH public.unaccent, {stem};"
    )
_cases = "\n".join(f"    WHEN '{code}' THEN 'public.fc_{name}'::regconfig" for code, name in CONFIGS.items())
_every = " || ".join(f"to_tsvector('public.fc_{name}'::regconfig, p)" for name in [*CONFIGS.values(), "simple"])

FORWARD = (
    "\n".join(_configs)
    + f"""
CREATE FUNCTION public.fc_prep(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT translate(regexp_replace(value, '([[:alpha:]])-([[:digit:]])', '\\1\\2', 'g'), 'əƏ', 'eE')
$$;

CREATE FUNCTION public.fc_config(language text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(split_part(coalesce(language, ''), '-', 1))
{_cases}
    ELSE 'public.fc_simple'::regconfig
  END
$$;

CREATE FUNCTION public.fc_every_language(value text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT {_every} FROM (SELECT public.fc_prep(coalesce(value, '')) AS p) AS prepared
$$;

CREATE FUNCTION public.fc_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT lower(public.unaccent('public.unaccent'::regdictionary, public.fc_prep(value)))
$$;

CREATE FUNCTION public.fc_escape(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT replace(replace(replace(value, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
$$;

CREATE AGGREGATE public.fc_tsvector_agg(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '');
"""
)

BACKWARD = """
DROP AGGREGATE public.fc_tsvector_agg(tsvector);
DROP FUNCTION public.fc_escape(text);
DROP FUNCTION public.fc_fold(text);
DROP FUNCTION public.fc_every_language(text);
DROP FUNCTION public.fc_config(text);
DROP FUNCTION public.fc_prep(text);
""" + "\n".join(f"DROP TEXT SEARCH CONFIGURATION public.fc_{name};" for name in [*CONFIGS.values(), "simple"])


class Migration(migrations.Migration):
    dependencies = [("claims", "0007_protect_history")]

    operations = [
        UnaccentExtension(),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RemoveIndex(model_name="claim", name="claim_search"),
        migrations.RemoveIndex(model_name="appearance", name="appearance_search"),
        migrations.RemoveField(model_name="claim", name="search_vector"),
        migrations.RemoveField(model_name="appearance", name="search_vector"),
        migrations.AddField(
            model_name="claim",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=RawSQL("to_tsvector(fc_config(language), fc_prep(coalesce(text, '')))", ()),
                output_field=SearchVectorField(),
            ),
        ),
        migrations.AddField(
            model_name="appearance",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=RawSQL("fc_every_language(quote)", ()),
                output_field=SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="appearance",
            index=GinIndex(fields=["search_vector"], name="appearance_search"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=GinIndex(fields=["search_vector"], name="claim_search"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=GinIndex(
                OpClass(models.Func(models.F("text"), function="fc_fold"), name="gin_trgm_ops"), name="claim_text_trgm"
            ),
        ),
    ]

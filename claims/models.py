"""Claims, where they appear, and the attribution graph behind each of them.

The graph of one claim: a *statement* is "source S states claim C"; an
*attribution* is the edge "S1 states C on the authority of S2". A statement
with no upstream attribution is an origin. Graph logic lives in
``claims/provenance/``; writes that span models live in ``claims/services.py``.
"""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import MD5

from core.access import EVERYTHING, Viewer, viewer_for
from core.fields import BoundedTextField
from core.history import track_history
from core.validators import EARLIEST, LATEST, validate_language_tag, validate_moment
from sources.models import Document, Source


def _search_vector(sql: str) -> models.GeneratedField:
    # The SQL functions are claims.search's, created by migration 0008.
    return models.GeneratedField(expression=RawSQL(sql, ()), output_field=SearchVectorField(), db_persist=True)


class Topic(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


class Rating(models.TextChoices):
    """The rating scale. Each label has a numeric value on a 1-5 scale (ClaimReview's
    ratingValue, with worstRating 1 and bestRating 5); ``unproven`` has none."""

    FALSE = "false", "False"
    MOSTLY_FALSE = "mostly_false", "Mostly false"
    MIXED = "mixed", "Half true"
    MOSTLY_TRUE = "mostly_true", "Mostly true"
    TRUE = "true", "True"
    UNPROVEN = "unproven", "Unproven"


RATING_VALUES: dict[str, int | None] = {
    Rating.FALSE: 1,
    Rating.MOSTLY_FALSE: 2,
    Rating.MIXED: 3,
    Rating.MOSTLY_TRUE: 4,
    Rating.TRUE: 5,
    Rating.UNPROVEN: None,
}
WORST_RATING, BEST_RATING = 1, 5


# A claim's topics' slugs, by name (Claim.objects.with_topic_slugs; claims/selectors.py).
TOPIC_SLUGS_SQL = (
    "ARRAY(SELECT t.slug FROM claims_claim_topics ct JOIN claims_topic t ON t.id = ct.topic_id "
    'WHERE ct.claim_id = "claims_claim"."id" ORDER BY t.name, t.id)'
)


class ClaimQuerySet(models.QuerySet):
    def published(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.PUBLISHED)

    def search(self, text: str, viewer: Viewer = EVERYTHING, languages: list[str] | None = None) -> ClaimQuerySet:
        """Claims matching ``text`` (web search syntax) in their text, their quotes or
        their sources' names, in any language or those given, best first, annotated
        with ``search_score`` and ``search_snippet``: see ``claims.search``."""
        from .search import Search, claim_search  # the search module builds on these models

        search = Search.read(text, languages)
        return self.none() if search is None else claim_search(self, search, viewer)

    def with_topic_slugs(self) -> ClaimQuerySet:
        """Each claim with ``topic_slugs``, its topics' slugs by name, read in the same
        query (a prefetch is a query more a page, claims with topics or not). Written
        as SQL: compiling it as an ``ArraySubquery`` took more than half of compiling a
        claims page's query, a quarter of a millisecond on every page."""
        return self.annotate(topic_slugs=RawSQL(TOPIC_SLUGS_SQL, [], output_field=ArrayField(models.TextField())))

    def visible_to(self, viewer: Viewer) -> ClaimQuerySet:
        """The claims ``viewer`` may read now (see ``core.access``)."""
        return self if viewer.reads_unpublished else self.published()

    def readable_by(self, user) -> ClaimQuerySet:
        return self.visible_to(viewer_for(user))

    # --- what relies on a source

    def citing(self, *source_ids: int) -> ClaimQuerySet:
        """Claims whose graphs hold a statement by the source (any of them): it reports,
        relays or originates them."""
        return self.filter(Exists(Statement.objects.filter(claim=OuterRef("pk"), source_id__in=source_ids)))

    def originating_at(self, *source_ids: int) -> ClaimQuerySet:
        """Claims for which the source (any of them) is an origin (it states them on nobody's authority)."""
        origin_statements = Statement.objects.filter(claim=OuterRef("pk"), source_id__in=source_ids).exclude(
            Exists(Attribution.objects.filter(statement=OuterRef("pk")))
        )
        return self.filter(Exists(origin_statements))

    def with_role_of(self, source_id: int) -> ClaimQuerySet:
        """Claims citing the source, annotated with its ``role`` in each: origin (cites
        nobody), reporter (nobody cites it) or intermediary. Two index lookups a claim."""
        statement = Statement.objects.filter(claim=OuterRef("pk"), source_id=source_id)
        cites = Attribution.objects.filter(statement=OuterRef("pk"))
        cited = Attribution.objects.filter(upstream=OuterRef("pk"))
        role = Case(
            When(Exists(statement.exclude(Exists(cites))), then=Value("origin")),
            When(Exists(statement.exclude(Exists(cited))), then=Value("reporter")),
            default=Value("intermediary"),
            output_field=models.CharField(),
        )
        return self.citing(source_id).annotate(role=role)


# Claims are never hard-deleted (retract them instead); the trigger makes that
# true for every writer, not only for the admin and the API. Another keeps the words of
# claims' texts, which search looks near spellings up in (``SearchWord``).
@track_history
@pgtrigger.register(
    pgtrigger.Protect(name="claim_protect_delete", operation=pgtrigger.Delete),
    pgtrigger.Trigger(
        name="claim_words",
        when=pgtrigger.After,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf("text"),
        func=(
            "INSERT INTO claims_searchword (word) SELECT public.fc_words(NEW.text) ON CONFLICT DO NOTHING; RETURN NULL;"
        ),
    ),
)
class Claim(models.Model):
    text = BoundedTextField(max_length=2000, help_text="One atomic, checkable statement, worded once.")
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    rating = models.CharField(max_length=20, choices=Rating.choices, blank=True)
    rating_explanation = BoundedTextField(
        blank=True, max_length=10_000, help_text="Why the claim got its rating (the review body)."
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="claims", through="ClaimTopic")
    event_start = models.DateField(null=True, blank=True, help_text="When the claimed event happened (or began).")
    event_end = models.DateField(null=True, blank=True, help_text="When it ended, for a range.")
    event_approximate = models.BooleanField(default=False, help_text='The date is approximate ("last summer").')
    language = models.CharField(max_length=35, default="en", validators=[validate_language_tag])
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # In the claim's own language: a stemmer where PostgreSQL has one, accents folded.
    search_vector = _search_vector("to_tsvector(fc_config(language), fc_prep(coalesce(text, '')))")

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="claim_text_not_blank"),
            models.CheckConstraint(
                condition=Q(event_end__isnull=True) | Q(event_start__isnull=False, event_end__gte=F("event_start")),
                name="claim_event_range_valid",
            ),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="claim_search"),
            models.Index(fields=["status", "-id"], name="claim_status"),
            models.Index(fields=["rating", "-id"], name="claim_rating"),
            # The list filtered by language, and its filter's choices (a skip scan).
            models.Index(fields=["language", "-id"], name="claim_language"),
        ]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:79] + "…"

    def clean(self) -> None:
        # Said per field here; the database constraint would only say "violated".
        if self.event_end is not None and self.event_start is None:
            raise ValidationError({"event_start": "An event with an end needs a start."})
        if self.event_end is not None and self.event_end < self.event_start:
            raise ValidationError({"event_end": "The event cannot end before it starts."})

    @property
    def rating_value(self) -> int | None:
        return RATING_VALUES.get(self.rating) if self.rating else None


@track_history
class ClaimTopic(models.Model):
    """A claim's topic; an explicit table so that topic changes are in the history too."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)

    class Meta:
        db_table = "claims_claim_topics"  # the table Django made for the plain many-to-many
        unique_together = [("claim", "topic")]

    def __str__(self) -> str:
        return f"{self.claim_id}: {self.topic}"


@track_history
class Appearance(models.Model):
    """A claim appearing in a document, with the verbatim quote."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="appearances")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="appearances")
    quote = BoundedTextField(max_length=5000, help_text="The words as they stand in the document.")
    created_at = models.DateTimeField(auto_now_add=True)
    # A quote's language is its document's, not on this row: every configuration.
    search_vector = _search_vector("fc_every_language(quote)")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "document"], name="appearance_unique_claim_document"),
            models.CheckConstraint(condition=~Q(quote=""), name="appearance_quote_not_blank"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="appearance_search"),
            models.Index(fields=["document"], name="appearance_document"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} in {self.document}"


@track_history
class Statement(models.Model):
    """A node of the attribution graph: "source S states claim C"."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="statements")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="statements")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Two outlets citing the same RIA report converge on one RIA node.
            models.UniqueConstraint(fields=["claim", "source"], name="statement_unique_claim_source"),
            # Target of the composite foreign keys from Attribution (see migration 0002).
            models.UniqueConstraint(fields=["id", "claim"], name="statement_unique_id_claim"),
        ]
        indexes = [models.Index(fields=["source", "claim"], name="statement_source")]

    def __str__(self) -> str:
        return f"{self.source} states claim {self.claim_id}"


class Relation(models.TextChoices):
    REPORTED = "reported", "reported by"
    CITING = "citing", "citing"
    QUOTING = "quoting", "quoting"
    INFORMED_BY = "informed_by", "informed by"
    ACCORDING_TO = "according_to", "according to"
    SAID_TO = "said_to", "said to"
    TRANSLATING = "translating", "translating"
    OTHER = "other", "other"


@track_history
class Attribution(models.Model):
    """An edge: ``statement`` states the claim on the authority of ``upstream``.

    Both ends belong to ``claim``; the database enforces it with composite
    foreign keys (migration 0002), and rejects a statement citing itself. What
    evidences the hop (documents asserting it, their words) is its ``evidence``:
    as many pieces as chains recorded through it. ``relation`` is the hop's as
    first recorded; each piece of evidence says how its document words it.
    """

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="attributions")
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="upstream_edges")
    upstream = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="downstream_edges")
    relation = models.CharField(max_length=20, choices=Relation.choices, default=Relation.REPORTED)
    verified = models.BooleanField(
        default=False,
        help_text="The upstream statement was itself located and checked, not only asserted downstream.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["statement", "upstream"], name="attribution_unique_edge"),
            models.CheckConstraint(condition=~Q(statement=F("upstream")), name="attribution_no_self_citation"),
            # Target of the composite foreign key from Evidence (see migration 0010).
            models.UniqueConstraint(fields=["id", "claim"], name="attribution_unique_id_claim"),
        ]
        indexes = [
            models.Index(fields=["claim"], name="attribution_claim"),
            models.Index(fields=["upstream"], name="attribution_upstream"),
        ]

    def __str__(self) -> str:
        return f"{self.statement_id} {self.get_relation_display()} {self.upstream_id}"


@track_history
class Evidence(models.Model):
    """One piece of evidence for a hop: the document asserting it, the words that do,
    and the relation as that document words it ("citing", where another said "quoting").

    A hop recorded by several chains keeps each one's evidence: nothing an editor
    entered is dropped when chains converge. ``claim`` is the hop's (the database
    holds them equal, migration 0010), so that the claim's history and its past
    graph find its evidence by claim.
    """

    attribution = models.ForeignKey(Attribution, on_delete=models.CASCADE, related_name="evidence")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(
        Document,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence",
        help_text="The document in which the hop is asserted.",
    )
    quote = BoundedTextField(blank=True, max_length=5000, help_text="The words that evidence the hop.")
    relation = models.CharField(max_length=20, choices=Relation.choices, help_text="How this document words the hop.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=Q(document__isnull=False) | ~Q(quote=""), name="evidence_document_or_quote"
            ),
            # One row per (hop, document, quote). A quote can be 5,000 characters, past
            # what a btree entry holds, so it is compared by digest; two constraints,
            # since PostgreSQL 14 has no NULLS NOT DISTINCT for the document.
            models.UniqueConstraint(
                F("attribution"),
                F("document"),
                MD5("quote"),
                condition=Q(document__isnull=False),
                name="evidence_unique_document_quote",
            ),
            models.UniqueConstraint(
                F("attribution"), MD5("quote"), condition=Q(document__isnull=True), name="evidence_unique_quote"
            ),
        ]

    def __str__(self) -> str:
        return self.quote or f"in {self.document}"


class SearchWord(models.Model):
    """Every word claims' texts have held (folded, four letters or more: ``fc_words``),
    written by a trigger on claims. A search looks near spellings of what was typed up
    here ("helicoptre", "Minstry") and then finds the claims holding those words by the
    full-text index: a dictionary of thousands of words, where reading a million
    claims' texts by trigrams took 100 ms and more. A word no claim holds any more only
    finds nothing."""

    word = models.TextField(primary_key=True)

    class Meta:
        indexes = [GinIndex(OpClass("word", name="gin_trgm_ops"), name="searchword_trgm")]

    def __str__(self) -> str:
        return self.word


class TraceSummary(models.Model):
    """What a claim's trace says, kept for lists and filters: its origins, how many are
    independent, its flags and how many chains it has, as ``claims.provenance``
    judges the graph now. One row per claim with a graph (a claim that never had a
    chain may have none: read that as no origins and no flags).

    Derived data: every service that changes a graph, or a source's standing in one
    (parent, anonymity), refreshes the claims it touches in its own transaction
    (``claims.services.trace_summaries_refresh``); ``manage.py refresh_trace_summaries``
    rebuilds or checks them all. Not in the history: a refresh is no change anyone made,
    and the past graph is rebuilt from the history itself. Ids and codes only, nothing a
    viewer's clearance would hide or a renaming would change.
    """

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, primary_key=True, related_name="trace_summary")
    origin_ids = ArrayField(models.BigIntegerField(), default=list, blank=True, help_text="Origin sources, by id.")
    independent_origins = models.PositiveIntegerField(default=0)
    flags = ArrayField(models.CharField(max_length=40), default=list, blank=True, help_text="Flag codes.")
    chains = models.BigIntegerField(default=0, help_text="Chains counted (a lower bound when not exact).")
    chains_exact = models.BooleanField(default=True)

    class Meta:
        verbose_name = "trace summary"
        verbose_name_plural = "trace summaries"
        indexes = [
            # "Claims with flag X", "claims originating at S": one GIN lookup each.
            GinIndex(fields=["flags"], name="trace_summary_flags"),
            GinIndex(fields=["origin_ids"], name="trace_summary_origins"),
        ]

    def __str__(self) -> str:
        return f"trace of claim {self.claim_id}"


@track_history
class ForeignReview(models.Model):
    """Another organisation's fact-check of a claim, as imported from its ClaimReview
    markup: a record of its own, shown beside our claim. It never changes our claim;
    only an editor does that."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="foreign_reviews")
    url = models.URLField(blank=True, max_length=1000, help_text="The review's own address.")
    author = models.CharField(max_length=300, blank=True, help_text="The organisation that published the review.")
    author_url = models.URLField(blank=True, max_length=1000)
    claim_reviewed = BoundedTextField(max_length=2000, help_text="The claim as they worded it.")
    rating = models.CharField(
        max_length=20, choices=Rating.choices, blank=True, help_text="Their verdict, read onto our scale."
    )
    rating_label = models.CharField(max_length=200, blank=True, help_text="Their verdict in their words.")
    review_body = BoundedTextField(blank=True, max_length=10_000)
    date_published = models.DateTimeField(null=True, blank=True, validators=[validate_moment])
    language = models.CharField(max_length=35, blank=True)
    appearances = ArrayField(
        models.URLField(max_length=1000), blank=True, default=list, size=100, help_text="Where they saw the claim."
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date_published", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="foreign_review_unique_url"),
            models.CheckConstraint(condition=~Q(claim_reviewed=""), name="foreign_review_text_not_blank"),
            models.CheckConstraint(
                condition=Q(date_published__isnull=True) | Q(date_published__gte=EARLIEST, date_published__lt=LATEST),
                name="foreign_review_date_plausible",
            ),
        ]
        indexes = [models.Index(fields=["claim", "-date_published"], name="foreign_review_claim")]

    def __str__(self) -> str:
        return f"{self.author or 'Unknown reviewer'}: {self.rating_label or self.get_rating_display() or 'no verdict'}"

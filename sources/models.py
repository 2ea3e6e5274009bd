"""Sources (who states or relays a claim) and the documents they publish."""

from __future__ import annotations

import hashlib
import unicodedata

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.expressions import RawSQL

from core.access import EVERYTHING, Viewer, confidential_document_title, confidential_placeholder
from core.fields import BoundedTextField
from core.history import track_history
from core.validators import EARLIEST, LATEST, validate_language_tag, validate_moment


class SourceKind(models.TextChoices):
    NEWS_AGENCY = "news_agency", "News agency"
    OUTLET = "outlet", "News outlet"
    GOVERNMENT = "government", "Government body"
    MILITARY = "military", "Military unit"
    ORGANISATION = "organisation", "Organisation"
    PERSON = "person", "Person"
    ANONYMOUS = "anonymous", "Anonymous source"
    OTHER = "other", "Other"


# Kinds of source that are people (a schema.org Person, a prov:Person), not organisations.
PEOPLE = frozenset({SourceKind.PERSON, SourceKind.ANONYMOUS})


class Reliability(models.TextChoices):
    """Source reliability on the Admiralty (NATO) scale."""

    A = "A", "A - completely reliable"
    B = "B", "B - usually reliable"
    C = "C", "C - fairly reliable"
    D = "D", "D - not usually reliable"
    E = "E", "E - unreliable"
    F = "F", "F - reliability cannot be judged"


# Letters that NFKD leaves whole, as they are written without their stroke or ligature
# ("Anadolu Ajansı" is "ANADOLU AJANSI", "Søren Łukasz" is "Soren Lukasz"). ə as in the
# claims' search (fc_prep): "Gəncə" is "Gence".
_TRANSLITERATED = str.maketrans(
    {"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "æ": "ae", "œ": "oe", "ß": "ss", "þ": "th", "ə": "e"}
)

# Cyrillic and Greek letters that look like a Latin one (in either case: keys are
# lower-case, so "В" and "в" both count as the "B" they look like), mapped onto it:
# "RІА" typed with a Cyrillic І and А is "RIA". Every key gets this skeleton, so a
# Latin name spelled with look-alikes matches the Latin one, and a Cyrillic name
# spelled with a few Latin look-alikes matches the Cyrillic one. Only letters that
# look alike are mapped: "РИА Новости" is not "RIA Novosti" (a transliteration,
# which an editor records as an alias). A small explicit table rather than Unicode's
# full confusables list, which also folds Latin onto Latin ("rn" as "m", "l" as "I").
_LOOK_ALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "һ": "h", "ԁ": "d", "ԛ": "q",
        "ԝ": "w", "ӏ": "l", "ү": "y",
        # Greek
        "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "n",
        "ο": "o", "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ϳ": "j",
    }
)  # fmt: skip


def name_key(text: str) -> str:
    """A name as compared for duplicates: case, accents, spaces, punctuation and
    look-alike letters aside ("R.I.A." and "ria", "Erdoğan" and "Erdogan", "Ajansı" and
    "AJANSI", "RІА" with Cyrillic letters and "RIA" are the same key)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold()).translate(_TRANSLITERATED)
    return "".join(ch for ch in decomposed if ch.isalnum()).translate(_LOOK_ALIKES)


def name_keys(name: str, aliases: list[str]) -> list[str]:
    """The keys of a source's name and aliases, each once, in order."""
    return list(dict.fromkeys(key for key in map(name_key, [name, *aliases]) if key))


# A source search uses this many words of what was typed; the rest narrow nothing a
# person would notice and each costs an index scan.
SEARCH_WORDS = 8


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE, with LIKE's own wildcards in ``text`` taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_NAMED_IN_PUBLISHED = """EXISTS (
    SELECT 1 FROM claims_statement st JOIN claims_claim c ON c.id = st.claim_id
    WHERE c.status = 'published' AND st.source_id IN (
        SELECT x.id FROM sources_source x
        LEFT JOIN sources_source up ON up.id = x.parent_id
        WHERE x.id = "sources_source"."id" OR NOT x.confidential AND (
            up.id = "sources_source"."id" OR up.parent_id = "sources_source"."id" AND NOT up.confidential
        )
    )
)"""


class SourceQuerySet(models.QuerySet):
    def search(self, text: str, viewer: Viewer = EVERYTHING) -> SourceQuerySet:
        """Sources whose name or aliases contain every word of ``text``, in any order and
        case ("defence ministry" finds "Ministry of Defence of Azerbaijan"). For a viewer
        who may not know who a confidential source is, such a source matches by its
        public description only: its name must not be guessable by searching."""
        words = text.split()[:SEARCH_WORDS]
        if not words:
            return self
        # source_names() (migration 0002) joins name and aliases; a trigram index on it
        # serves each LIKE, so the search does not read every source.
        matches = Q()
        described = Q(confidential=True)
        for word in words:
            matches &= Q(
                RawSQL(
                    'source_names("sources_source"."name", "sources_source"."aliases") LIKE upper(%s)',
                    (like_pattern(word),),
                    output_field=models.BooleanField(),
                )
            )
            described &= Q(public_description__icontains=word)
        if viewer.sees_confidential:
            return self.filter(matches)
        return self.filter((matches & Q(confidential=False)) | described)

    def visible_to(self, viewer: Viewer) -> SourceQuerySet:
        """The sources ``viewer`` may read: all of them for a role that reads unpublished
        work; for everyone else those a published claim's graph names, and the
        organisations they belong to (two levels up; not through a confidential source,
        whose organisation is part of who it is). A source only drafts name would
        tell what the newsroom is working on. (The claims app's tables are named here,
        not imported: sources sit below claims.)"""
        if viewer.reads_unpublished:
            return self
        return self.filter(RawSQL(_NAMED_IN_PUBLISHED, (), output_field=models.BooleanField()))

    def shown_to(self, viewer: Viewer) -> SourceQuerySet:
        """In name order as ``viewer`` sees the names: a confidential source sorts by its
        public description, so its place in the list does not hint at its name."""
        if viewer.sees_confidential:
            return self.order_by("name", "id")
        shown = Case(When(confidential=True, then=F("public_description")), default=F("name"))
        return self.alias(shown_name=shown).order_by("shown_name", "id")

    def without_hidden(self, viewer: Viewer) -> SourceQuerySet:
        """For filters on what ``viewer`` may not see of a confidential source (its country,
        its reliability): such sources never match, whatever their real values."""
        return self if viewer.sees_confidential else self.filter(confidential=False)


@track_history(derived=("name_keys",))
class Source(models.Model):
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.OUTLET)
    description = BoundedTextField(
        blank=True,
        max_length=2000,
        help_text='Who this is; for an anonymous source, how it was described ("a source in the ministry").',
    )
    aliases = ArrayField(
        models.CharField(max_length=300),
        blank=True,
        default=list,
        size=50,
        help_text="Other names and spellings, searchable. Comma-separated in the admin.",
    )
    country = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}\Z", "Use a two-letter ISO 3166-1 country code, e.g. AZ.")],
    )
    url = models.URLField(blank=True, max_length=500)
    wikidata_qid = models.CharField(
        "Wikidata QID",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*\Z", "A Wikidata QID looks like Q1234.")],
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The organisation this source belongs to or speaks for. "
        "Sources sharing a parent count as one independent origin.",
    )
    reliability = models.CharField(max_length=1, blank=True, choices=Reliability.choices)
    confidential = models.BooleanField(
        default=False,
        help_text="Keep its identity (name, aliases, URL, QID, description, country, reliability) to editors "
        "and auditors; everyone else sees a placeholder with the public description below.",
    )
    public_description = models.CharField(
        max_length=300,
        blank=True,
        help_text='What everyone may know of a confidential source: its described affiliation, e.g. "an official '
        'of the Ministry of Defence of Azerbaijan".',
    )
    # Derived from the name and aliases on every save (see name_key): what duplicate
    # checks compare, served by a GIN index.
    name_keys = ArrayField(models.CharField(max_length=300), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="source_name_not_blank"),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="source_not_own_parent",
                violation_error_message="A source cannot be its own parent.",
            ),
            models.UniqueConstraint(
                fields=["wikidata_qid"], condition=~Q(wikidata_qid=""), name="source_unique_wikidata_qid"
            ),
            models.CheckConstraint(
                condition=Q(confidential=False) | ~Q(public_description=""),
                name="source_confidential_described",
                violation_error_message="A confidential source needs a public description "
                '(e.g. "an official of the Ministry of Defence of Azerbaijan").',
            ),
        ]
        indexes = [
            GinIndex(fields=["name_keys"], name="source_name_keys"),
            # The list of sources in its order, a page at a time, without sorting them all.
            models.Index(fields=["name", "id"], name="source_name_order"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Derived here so no writer can forget it.
        self.name_keys = name_keys(self.name, self.aliases or [])
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "aliases"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "name_keys"}
        super().save(*args, **kwargs)

    def autocomplete_label(self) -> str:
        """How the admin's autocomplete lists the source: enough to tell namesakes apart."""
        details = [str(self.get_kind_display()).lower()]
        if self.country:
            details.append(self.country)
        if self.confidential:
            details.append("confidential")
        label = f"{self.name} — {', '.join(details)}"
        if self.aliases:
            label += f" (also {', '.join(self.aliases[:5])})"
        return label

    def hidden_from(self, viewer: Viewer) -> bool:
        """Whether ``viewer`` may not know who this source is (see ``core.access``)."""
        return self.confidential and not viewer.sees_confidential

    def name_for(self, viewer: Viewer) -> str:
        return confidential_placeholder(self.pk, self.public_description) if self.hidden_from(viewer) else self.name


class DocumentKind(models.TextChoices):
    ARTICLE = "article", "Article"
    PRESS_RELEASE = "press_release", "Press release"
    BROADCAST = "broadcast", "Broadcast"
    POST = "post", "Social media post"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


@track_history
class Document(models.Model):
    title = models.CharField(max_length=500)
    kind = models.CharField(max_length=20, choices=DocumentKind.choices, default=DocumentKind.ARTICLE)
    url = models.URLField(blank=True, max_length=1000)
    publisher = models.ForeignKey(
        Source,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text="Leave empty when the text does not say who published it.",
    )
    published_at = models.DateTimeField(null=True, blank=True, validators=[validate_moment])
    retrieved_at = models.DateTimeField(null=True, blank=True, validators=[validate_moment])
    language = models.CharField(max_length=35, default="en", validators=[validate_language_tag])
    body = BoundedTextField(blank=True, max_length=500_000)
    content_hash = models.CharField(max_length=64, blank=True, editable=False, help_text="SHA-256 of the body.")
    archive_url = models.URLField(blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="document_title_not_blank"),
            models.UniqueConstraint(fields=["url"], condition=~Q(url=""), name="document_unique_url"),
            # The same bounds as validate_moment, for writers that skip validation.
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(published_at__gte=EARLIEST, published_at__lt=LATEST),
                name="document_published_at_plausible",
            ),
            models.CheckConstraint(
                condition=Q(retrieved_at__isnull=True) | Q(retrieved_at__gte=EARLIEST, retrieved_at__lt=LATEST),
                name="document_retrieved_at_plausible",
            ),
        ]
        indexes = [models.Index(fields=["publisher", "-published_at"], name="document_publisher_date")]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # The hash is derived from the body; keeping it here means no writer can forget it.
        self.content_hash = self.hash_body(self.body)
        super().save(*args, **kwargs)

    def hidden_from(self, viewer: Viewer) -> bool:
        """Published by a confidential source ``viewer`` may not know (see ``core.access``)."""
        return self.publisher is not None and self.publisher.hidden_from(viewer)

    def title_for(self, viewer: Viewer) -> str:
        if self.hidden_from(viewer):
            return confidential_document_title(self.publisher.name_for(viewer))
        return self.title

    @staticmethod
    def hash_body(body: str) -> str:
        return hashlib.sha256(body.encode()).hexdigest() if body else ""

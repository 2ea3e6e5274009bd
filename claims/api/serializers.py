"""JSON shapes of claims, chains and traces. Writes go through claims.services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from claims import services
from claims.history import ClaimAsOf
from claims.interop.claimreview import claim_url
from claims.models import Appearance, Claim, ClaimStatus, ForeignReview, Rating, Relation, Topic
from claims.provenance import CHAIN_LIMIT, MAX_CHAIN_LIMIT, Trace
from claims.provenance.flags import FLAG_CODES
from claims.services import MAX_HOPS, HopInput
from core.access import Viewer, viewer_for
from core.fields import BoundedListField
from core.validators import MAX_ID
from sources.models import Document, Source, SourceKind

# The claim shapes below are read on every list page and trace: fifty claims a page,
# each through DRF's field machinery, was most of a list's time. So each serializer
# writes its answer directly, in its fields' order, and keeps its declared fields for
# the schema, for writes and as the reference: tests/test_claim_shapes.py compares
# every direct answer with what DRF's fields make of the same objects.


def moment(value: datetime | None) -> str | None:
    """A datetime as DRF's DateTimeField writes it (UTC, ISO 8601, "Z")."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class TopicSlugsField(BoundedListField):
    """Topics as slugs, resolved in one query (a per-slug lookup would let one request run thousands)."""

    child = serializers.SlugField(max_length=100)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return topic_slugs(instance)

    def to_representation(self, slugs: list[str]) -> list[str]:
        return slugs

    def to_internal_value(self, data) -> list[Topic]:
        slugs = list(dict.fromkeys(super().to_internal_value(data)))
        found = {topic.slug: topic for topic in Topic.objects.filter(slug__in=slugs)}
        missing = [slug for slug in slugs if slug not in found]
        if missing:
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise serializers.ValidationError(f"Unknown topic: {', '.join(missing[:5])}{more}.")
        return [found[slug] for slug in slugs]


def topic_slugs(claim: Claim) -> list[str]:
    """The slugs the claim was read with (``Claim.objects.with_topic_slugs``): no query
    of their own; else its topics'."""
    slugs = getattr(claim, "topic_slugs", None)
    return slugs if slugs is not None else [topic.slug for topic in claim.topics.all()]


class DocumentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "title", "url"]

    def to_representation(self, document: Document) -> dict[str, Any]:
        return document_ref(document, viewer_for(getattr(self.context.get("request"), "user", None)))


def document_ref(document: Document, viewer: Viewer) -> dict[str, Any]:
    if document.hidden_from(viewer):
        return {"id": document.pk, "title": document.title_for(viewer), "url": ""}
    return {"id": document.pk, "title": document.title, "url": document.url}


class AppearanceSerializer(serializers.ModelSerializer):
    document = DocumentRefSerializer(read_only=True)

    class Meta:
        model = Appearance
        fields = ["document", "quote"]

    def to_representation(self, appearance: Appearance) -> dict[str, Any]:
        return appearance_data(appearance, viewer_for(getattr(self.context.get("request"), "user", None)))


def appearance_data(appearance: Appearance, viewer: Viewer) -> dict[str, Any]:
    document = appearance.document
    # Words from a confidential source's own document would name it.
    quote = "" if document.hidden_from(viewer) else appearance.quote
    return {"document": document_ref(document, viewer), "quote": quote}


class ClaimSerializer(serializers.ModelSerializer):
    """A claim as lists show it; the detail adds where it appears."""

    topics = TopicSlugsField(required=False, help_text="Topic slugs.")
    rating_value = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The rating on a 1-5 scale (ClaimReview ratingValue)."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "text",
            "status",
            "rating",
            "rating_value",
            "rating_explanation",
            "topics",
            "event_start",
            "event_end",
            "event_approximate",
            "language",
            "published_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "published_at", "created_at", "updated_at"]

    def to_representation(self, claim: Claim) -> dict[str, Any]:
        return {
            "id": claim.pk,
            "text": claim.text,
            "status": claim.status,
            "rating": claim.rating,
            "rating_value": claim.rating_value,
            "rating_explanation": claim.rating_explanation,
            "topics": topic_slugs(claim),
            "event_start": day(claim.event_start),
            "event_end": day(claim.event_end),
            "event_approximate": claim.event_approximate,
            "language": claim.language,
            "published_at": moment(claim.published_at),
            "created_at": moment(claim.created_at),
            "updated_at": moment(claim.updated_at),
        }

    def create(self, validated_data: dict[str, Any]) -> Claim:
        return services.claim_create(**validated_data)

    def update(self, instance: Claim, validated_data: dict[str, Any]) -> Claim:
        return services.claim_update(claim=instance, **validated_data)


class TopicSerializer(serializers.ModelSerializer):
    claims = serializers.IntegerField(
        source="claim_count", read_only=True, help_text="How many claims you may read carry this topic."
    )

    class Meta:
        model = Topic
        fields = ["id", "name", "slug", "claims"]
        read_only_fields = fields


class SearchMatchSerializer(serializers.Serializer):
    score = serializers.IntegerField(help_text="Higher is a better match; results come in this order.")
    snippet = serializers.CharField(
        help_text="Why the claim matched: its text, or else the quote that matched, HTML-escaped, "
        "with the matching words in <mark>...</mark>."
    )


class OriginSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReviewSummarySerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The reviewed claim's public address (ClaimReview `url`).")
    claimreview = serializers.URLField(help_text="The review as schema.org ClaimReview JSON-LD.")
    publisher = serializers.CharField(help_text="Who reviewed it: this organisation.")
    rating = serializers.CharField()
    rating_value = serializers.IntegerField(allow_null=True)
    explanation = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)


# What ``include`` adds to each claim of a list (one query for the whole page).
INCLUDES = ("origins", "flags", "review")


class ClaimListSerializer(ClaimSerializer):
    search = serializers.SerializerMethodField(help_text="With `search`: how well the claim matched; else null.")
    # Only in the answer, and only when asked for: not read-only, so that the schema
    # does not call them required (this serializer never reads a request).
    origins = OriginSerializer(many=True, required=False, help_text="With include=origins: the claim's origins.")
    independent_origins = serializers.IntegerField(
        required=False, help_text="With include=origins: how many of them are independent."
    )
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=FLAG_CODES), required=False, help_text="With include=flags: its flags."
    )
    review = ReviewSummarySerializer(
        required=False, allow_null=True, help_text="With include=review: our review, if published and rated."
    )

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "search", "origins", "independent_origins", "flags", "review"]

    def to_representation(self, claim: Claim) -> dict[str, Any]:
        data = super().to_representation(claim)
        data["search"] = self.get_search(claim)
        include = self.context.get("include", ())
        trace = self.context.get("traces", {}).get(claim.pk)
        if "origins" in include and trace is not None:
            data["origins"] = [{"id": o.id, "name": o.name} for o in trace.origins]
            data["independent_origins"] = trace.independent_origins
        if "flags" in include and trace is not None:
            data["flags"] = trace.flag_codes
        if "review" in include:
            data["review"] = review_summary(claim)
        return data

    @extend_schema_field(SearchMatchSerializer(allow_null=True))
    def get_search(self, claim: Claim) -> dict[str, Any] | None:
        if not hasattr(claim, "search_score"):
            return None
        return {"score": claim.search_score, "snippet": claim.search_snippet}


def blank_rating(help_text: str) -> serializers.ChoiceField:
    """A read-only rating as every claim shape shows it: one of the scale, or "" while there is none."""
    return serializers.ChoiceField(choices=Rating.choices, allow_blank=True, read_only=True, help_text=help_text)


class ForeignReviewSerializer(serializers.ModelSerializer):
    """Another organisation's review of the claim, shown beside ours (never merged into it)."""

    rating = blank_rating('Their verdict, read onto our scale; "" when it could not be.')
    url = serializers.URLField(read_only=True, allow_blank=True, help_text='The review\'s own address; "" if none.')
    author_url = serializers.URLField(read_only=True, allow_blank=True)

    class Meta:
        model = ForeignReview
        fields = ["id", "author", "author_url", "url", "rating", "rating_label", "date_published", "claim_reviewed"]
        read_only_fields = fields

    def to_representation(self, review: ForeignReview) -> dict[str, Any]:
        return foreign_review_data(review)


def foreign_review_data(review: ForeignReview) -> dict[str, Any]:
    return {
        "id": review.pk,
        "author": review.author,
        "author_url": review.author_url,
        "url": review.url,
        "rating": review.rating,
        "rating_label": review.rating_label,
        "date_published": moment(review.date_published),
        "claim_reviewed": review.claim_reviewed,
    }


class ClaimDetailSerializer(ClaimSerializer):
    appearances = AppearanceSerializer(many=True, read_only=True)
    reviews_elsewhere = ForeignReviewSerializer(
        many=True, read_only=True, source="foreign_reviews", help_text="Other organisations' reviews of this claim."
    )

    confirm = serializers.ListField(
        child=serializers.ChoiceField(choices=services.CONFIRMABLE),
        write_only=True,
        required=False,
        max_length=len(services.CONFIRMABLE),
        help_text='With `"status": "published"`: the publishing checklist\'s items you publish over, by code. '
        "Publishing is refused (400, code `confirmation_required`, an item per unconfirmed item with its code "
        "and message) until every item found at the moment of publishing is named here, so a risk that appears "
        "later needs a new confirmation. `no_chain` (no source recorded) cannot be confirmed: 400, code "
        "`publish_blocked`. A claim with nothing to confirm publishes without it.",
    )

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "appearances", "reviews_elsewhere", "confirm"]

    def to_representation(self, claim: Claim) -> dict[str, Any]:
        data = super().to_representation(claim)
        viewer = viewer_for(getattr(self.context.get("request"), "user", None))
        data["appearances"] = [appearance_data(appearance, viewer) for appearance in self.appearances_of(claim)]
        data["reviews_elsewhere"] = [foreign_review_data(review) for review in claim.foreign_reviews.all()]
        return data

    def appearances_of(self, claim: Claim) -> Iterable[Appearance]:
        return claim.appearances.all()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("confirm") and attrs.get("status") != ClaimStatus.PUBLISHED:
            raise serializers.ValidationError(
                {"confirm": ['Confirmations go with "status": "published": they confirm a publication.']}
            )
        return attrs


class DependentSerializer(serializers.ModelSerializer):
    """A claim that relies on a source, and how."""

    rating = blank_rating('The rating; "" while the claim is not rated.')

    role = serializers.ChoiceField(
        choices=["origin", "intermediary", "reporter"],
        read_only=True,
        help_text="origin: states it on nobody's authority; reporter: nobody cites it for this claim; "
        "intermediary: in between.",
    )
    distance = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Hops from the nearest reporting end (0: the source reports the claim itself); "
        "null when only a loop of sources leads to it.",
    )

    class Meta:
        model = Claim
        fields = ["id", "text", "status", "rating", "role", "distance"]
        read_only_fields = fields

    def to_representation(self, claim: Claim) -> dict[str, Any]:
        return {
            "id": claim.pk,
            "text": claim.text,
            "status": claim.status,
            "rating": claim.rating,
            "role": claim.role,
            "distance": claim.distance,
        }


# --- recording a chain ----------------------------------------------------------------


class HopSerializer(serializers.Serializer):
    source = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="The source's id.")
    relation = serializers.ChoiceField(
        choices=Relation.choices,
        allow_null=True,
        default=Relation.ACCORDING_TO,
        help_text="How this source got the claim from the next hop; not used on the last hop (the origin).",
    )
    quote = serializers.CharField(
        max_length=5000, allow_blank=True, default="", help_text="The words that evidence this hop."
    )
    document = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        default=None,
        help_text="The document asserting this hop, if not the chain's document.",
    )
    verified = serializers.BooleanField(
        default=False, help_text="The next hop's statement was itself located and checked."
    )


class ChainSerializer(serializers.Serializer):
    """One chain, ordered from the reporting end to the origin."""

    document = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, allow_null=True, default=None, help_text="The document the claim appears in."
    )
    quote = serializers.CharField(
        max_length=5000, allow_blank=True, default="", help_text="The claim's words as they stand in the document."
    )
    # Emptiness is left to the service, which says what is missing; the cap keeps lookups bounded.
    hops = HopSerializer(many=True, max_length=MAX_HOPS)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        hops = attrs["hops"]
        sources = Source.objects.in_bulk({hop["source"] for hop in hops})
        document_ids = {hop["document"] for hop in hops} | {attrs["document"]}
        document_ids.discard(None)
        documents = Document.objects.in_bulk(document_ids) if document_ids else {}
        errors: dict[str, list[ErrorDetail]] = {}

        def missing(field: str, what: str, pk: int) -> None:
            errors[field] = [ErrorDetail(f"No {what} has id {pk}.", code="does_not_exist")]

        if attrs["document"] is not None and attrs["document"] not in documents:
            missing("document", "document", attrs["document"])
        for i, hop in enumerate(hops):
            if hop["source"] not in sources:
                missing(f"hops[{i}].source", "source", hop["source"])
            if hop["document"] is not None and hop["document"] not in documents:
                missing(f"hops[{i}].document", "document", hop["document"])
        if errors:
            raise serializers.ValidationError(errors)
        return {
            "document": documents.get(attrs["document"]),
            "quote": attrs["quote"],
            "hops": [
                HopInput(
                    source=sources[hop["source"]],
                    relation=hop["relation"] or Relation.ACCORDING_TO,
                    quote=hop["quote"],
                    document=documents.get(hop["document"]),
                    verified=hop["verified"],
                )
                for hop in hops
            ],
        }


# --- a claim as it stood ------------------------------------------------------------------


class ClaimAsOfSerializer(ClaimDetailSerializer):
    """A claim rebuilt from its history (``claims.history.ClaimAsOf``), in the same
    shape as ``ClaimDetailSerializer``: its fields, topics and appearances as they stood."""

    topics = serializers.ListField(child=serializers.SlugField(), source="topic_slugs", read_only=True)
    appearances = AppearanceSerializer(many=True, read_only=True, source="appearance_list")

    def to_representation(self, state: ClaimAsOf) -> dict[str, Any]:
        claim = state.claim
        slugs = dict(Topic.objects.filter(pk__in=state.topic_ids).values_list("pk", "slug"))
        claim.topic_slugs = [slugs[pk] for pk in state.topic_ids if pk in slugs]
        documents = (
            Document.objects.defer("body").select_related("publisher").in_bulk({doc for doc, _ in state.appearances})
        )
        claim.appearance_list = [
            Appearance(document=documents[doc], quote=quote) for doc, quote in state.appearances if doc in documents
        ]
        # Other organisations' reviews are their records, not the claim's history: those
        # recorded by then, as they are now.
        claim._prefetched_objects_cache = {
            "foreign_reviews": ForeignReview.objects.filter(claim_id=claim.pk, created_at__lte=state.as_of)
        }
        return super().to_representation(claim)

    def appearances_of(self, claim: Claim) -> Iterable[Appearance]:
        return claim.appearance_list


# --- the trace: described here for the schema, built by provenance.Trace.as_dict ----------


class TraceQuerySerializer(serializers.Serializer):
    as_of = serializers.DateTimeField(
        required=False,
        help_text="ISO 8601 time: the claim and its graph as they stood then, rebuilt from the history. "
        "404 if the claim did not exist yet, or (for clients without a role) was not published then.",
    )
    chain_limit = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_CHAIN_LIMIT,
        default=CHAIN_LIMIT,
        help_text=f"How many chains to list (0 to {MAX_CHAIN_LIMIT}, default {CHAIN_LIMIT}). "
        "The graph, origins and flags always cover everything.",
    )


MAX_BATCH = 100


@extend_schema_field(
    {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "minItems": 1,
        "maxItems": MAX_BATCH,
    }
)
class IdListField(serializers.ListField):
    """Ids repeated (ids=1&ids=2) or comma-separated (ids=1,2), each once, in the order given."""

    child = serializers.IntegerField(min_value=1, max_value=MAX_ID)

    def to_internal_value(self, data) -> list[int]:
        items = [part.strip() for item in data for part in str(item).split(",") if part.strip()]
        if not items:
            raise serializers.ValidationError("Give at least one claim id.")
        if len(items) > MAX_BATCH:
            raise serializers.ValidationError(f"Give at most {MAX_BATCH} ids; this gave {len(items)}.")
        return list(dict.fromkeys(super().to_internal_value(items)))


class SimilarQuerySerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, help_text="The claim as you have it, in any wording.")
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=20, default=5, help_text="At most this many."
    )
    language = serializers.CharField(
        required=False,
        max_length=35,
        help_text="The language of `text` (BCP 47); by default told from its letters (Cyrillic: Russian, "
        "Armenian, Turkish letters such as ş or ğ; else English).",
    )


class SimilarSerializer(serializers.Serializer):
    results = ClaimListSerializer(many=True, help_text="Claims that say much the same, best first, with their score.")


class TracesQuerySerializer(serializers.Serializer):
    ids = IdListField(
        help_text=f"The claims to trace: up to {MAX_BATCH} ids, repeated or comma-separated.",
        error_messages={"required": "Give at least one claim id."},
    )
    chain_limit = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_CHAIN_LIMIT,
        default=CHAIN_LIMIT,
        help_text=f"How many chains to list per claim (0 to {MAX_CHAIN_LIMIT}, default {CHAIN_LIMIT}).",
    )


class TraceSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(
        help_text="For a confidential source seen without clearance: its public description and a stable number."
    )
    kind = serializers.ChoiceField(choices=SourceKind.choices)
    confidential = serializers.BooleanField(help_text="Its identity is kept to editors and auditors.")


class TraceNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The statement's id: edges refer to it.")
    source = TraceSourceSerializer()
    origin = serializers.BooleanField(help_text="Cites nobody: the claim starts here.")
    reporting_end = serializers.BooleanField(help_text="Cited by nobody: the claim reaches the public here.")


class EvidenceSerializer(serializers.Serializer):
    document = DocumentRefSerializer(allow_null=True, help_text="The document asserting the hop.")
    quote = serializers.CharField(allow_blank=True, help_text="The words that evidence it.")
    relation = serializers.ChoiceField(
        choices=Relation.choices,
        help_text="The relation as this document words it (the edge's relation is the hop's as first recorded).",
    )


class TraceEdgeSerializer(serializers.Serializer):
    """An edge: the statement ``from`` states the claim on the authority of the statement ``to``."""

    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so the fields are listed here rather than as attributes.
        return {
            "id": serializers.IntegerField(),
            "from": serializers.IntegerField(help_text="The statement that relies on the other (downstream)."),
            "to": serializers.IntegerField(help_text="The statement relied on (upstream)."),
            "relation": serializers.ChoiceField(choices=Relation.choices),
            "verified": serializers.BooleanField(
                help_text="The upstream statement was itself located and checked, not only asserted."
            ),
            "evidence": EvidenceSerializer(
                many=True,
                help_text="Every piece of evidence recorded for the hop, oldest first: each chain recorded "
                "through it adds its own (another document, other words, another relation).",
            ),
            "evidence_withheld": serializers.BooleanField(
                help_text="Some or all of the evidence would identify a confidential source, so it is not shown to you."
            ),
        }


class TraceHopSerializer(serializers.Serializer):
    statement = serializers.IntegerField()
    source = TraceSourceSerializer()
    edge = serializers.IntegerField(
        allow_null=True, help_text="The edge to the next hop (its evidence is in edges); null at the chain's end."
    )
    relation = serializers.ChoiceField(
        choices=Relation.choices, allow_null=True, help_text="How this source got the claim from the next hop."
    )
    verified = serializers.BooleanField(allow_null=True)
    closes_loop = serializers.BooleanField(help_text="This statement already appeared earlier in the chain.")


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class OriginGroupSerializer(serializers.Serializer):
    organisation = OrganisationSerializer(
        allow_null=True,
        help_text="The top-level organisation the origins belong to; null when you may know it only through "
        "confidential sources (the group still counts once).",
    )
    sources = TraceSourceSerializer(many=True)


class FlagDetailSerializer(serializers.Serializer):
    flag = serializers.ChoiceField(choices=FLAG_CODES)
    message = serializers.CharField()


class TraceSerializer(serializers.Serializer):
    """The claim and its attribution graph. ``instance`` is ``(claim data, Trace)``."""

    claim = ClaimDetailSerializer()
    as_of = serializers.DateTimeField(allow_null=True)
    nodes = TraceNodeSerializer(many=True, help_text="Statements: each source that states the claim.")
    edges = TraceEdgeSerializer(many=True, help_text="Who states it on whose authority.")
    chains = serializers.ListField(
        child=serializers.ListField(child=TraceHopSerializer()),
        help_text="A readable view of the graph: chains from a reporting end to an origin (or to the statement "
        "that closes a loop), listed up to chain_limit and 2,500 hops in all.",
    )
    chains_total = serializers.IntegerField(
        max_value=2**53 - 1, help_text="How many chains the graph holds (at most 2^53 - 1, see chains_total_exact)."
    )
    chains_total_exact = serializers.BooleanField(
        help_text="False when the graph has too many chains to count (with loops, past a budget; without, past "
        "2^53 - 1, the largest number every JSON reader holds exactly): chains_total is then a lower bound."
    )
    chains_truncated = serializers.BooleanField(help_text="Not every chain is listed.")
    origins = TraceSourceSerializer(many=True)
    independent_origins = serializers.IntegerField(
        help_text="Distinct origins, counting sources that share a parent organisation once; anonymous ones not."
    )
    origin_groups = OriginGroupSerializer(many=True)
    unknown_origins = TraceSourceSerializer(many=True, help_text="Anonymous origins: their independence is unknown.")
    flags = serializers.ListField(child=serializers.ChoiceField(choices=FLAG_CODES))
    flag_details = FlagDetailSerializer(many=True)

    def to_representation(self, instance: tuple[dict[str, Any], Trace]) -> dict[str, Any]:
        claim, trace = instance
        return {"claim": claim, **trace.as_dict()}


class ChainRecordedSerializer(TraceSerializer):
    """The claim's trace after recording a chain, and notices: what recording it did that
    you might not expect."""

    # ``instance`` is ``(claim data, Trace, notices)``.

    notices = serializers.ListField(
        child=serializers.CharField(),
        help_text="What recording this chain did that you might not expect, in plain words: a hop already "
        "recorded with another relation, other words or another document (both kept as evidence), a quote an "
        "existing appearance did not take. Empty when the chain merged without surprises.",
    )

    def to_representation(self, instance: tuple[dict[str, Any], Trace, list[str]]) -> dict[str, Any]:
        claim, trace, notices = instance
        return {**super().to_representation((claim, trace)), "notices": notices}


def review_summary(claim: Claim) -> dict[str, Any] | None:
    """Our review of a claim, as a list row shows it: null until it is published and rated."""
    if claim.status != ClaimStatus.PUBLISHED or not claim.rating:
        return None
    url = claim_url(claim.pk)
    return {
        "url": url,
        "claimreview": f"{url}claimreview/",
        "publisher": settings.FACTCHECK_ORGANIZATION["name"],
        "rating": claim.rating,
        "rating_value": claim.rating_value,
        "explanation": claim.rating_explanation,
        "published_at": moment(claim.published_at),
    }


class TraceBatchSerializer(serializers.Serializer):
    results = TraceSerializer(many=True, help_text="The traces, in the order the ids were given.")
    missing = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of claims that do not exist or that you may not read (the two are not told apart).",
    )

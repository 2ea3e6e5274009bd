"""Claims over the API: search and filters, recording chains, tracing them."""

from __future__ import annotations

import json

from django.db.models import Exists, F, Func, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView, get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from claims import provenance, services
from claims.filters import ClaimFilter, DependentFilter
from claims.history import claim_as_of
from claims.models import Appearance, Claim, Topic
from claims.provenance import CHAIN_LIMIT
from claims.search import language_of, similar_claims, similar_snippet
from claims.selectors import claim_for_reading
from claims.services import chain_record
from core.access import viewer_for
from core.concurrency import VersionedViewSetMixin
from core.errors import error_body, error_item, flatten_errors
from core.pagination import DefaultPagination, KeysetPagination
from core.tables import TableMixin
from core.validators import parse_id
from sources.models import Source

from .serializers import (
    INCLUDES,
    ChainRecordedSerializer,
    ChainSerializer,
    ClaimAsOfSerializer,
    ClaimDetailSerializer,
    ClaimListSerializer,
    ClaimSerializer,
    DependentSerializer,
    ReviewSummarySerializer,
    SimilarQuerySerializer,
    SimilarSerializer,
    TopicSerializer,
    TraceBatchSerializer,
    TraceQuerySerializer,
    TraceSerializer,
    TracesQuerySerializer,
)

# Actions that show a claim with its appearances.
_DETAIL_ACTIONS = {"retrieve", "trace", "traces"}


def claim_columns(include: set[str]) -> list[str]:
    """The CSV's columns: the claim's fields, the search's, and what ``include`` adds."""
    columns = [*ClaimSerializer.Meta.fields, "search.score", "search.snippet"]
    if "origins" in include:
        columns += ["origins", "independent_origins"]
    if "flags" in include:
        columns += ["flags"]
    if "review" in include:
        columns += [f"review.{name}" for name in ReviewSummarySerializer().fields]
    return columns


def publish_refused(refused: services.PublishRefused) -> Response:
    """A publication the checklist refused, in the one error shape: code ``publish_blocked``
    (an item blocks it) or ``confirmation_required``. The first item says what to do (the
    body to send again, naming every item to confirm), as any error's one item does; one
    item follows per checklist item in the way, with its own code: on ``status`` what
    blocks, on ``confirm`` what is not confirmed. ``detail`` reads them all."""
    to_confirm = [item.code for item in refused.items if not item.blocking]
    if refused.blocking:
        summary = "Not published: what blocks it cannot be confirmed; fix it, then publish again."
        if to_confirm:
            summary += f" Publishing will then ask you to confirm {', '.join(to_confirm)}."
    else:
        body = json.dumps({"status": "published", "confirm": to_confirm})
        summary = (
            f"Not published: confirm {', '.join(item.code for item in refused.unconfirmed)} by sending every "
            f"item in confirm: {body}. A risk found later needs a new confirmation."
        )
    errors = [error_item(None, summary, refused.reason)]
    errors += [error_item("status", item.message, item.code) for item in refused.blocking]
    errors += [error_item("confirm", item.message, item.code) for item in refused.unconfirmed]
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors)
    return Response(error_body(detail, refused.reason, errors), status=status.HTTP_400_BAD_REQUEST)


INCLUDE_PARAMETER = OpenApiParameter(
    "include",
    OpenApiTypes.STR,
    description=f"What else each claim carries, comma-separated: {', '.join(INCLUDES)} "
    "(its origins and how many are independent, its trace's flags, our published review).",
)


@extend_schema_view(
    list=extend_schema(
        summary="Search and filter claims",
        description="Published claims for everyone; every claim for editors, journalists and auditors. "
        "`search` finds claims in any language they are written in, best first, each with its score and a "
        "snippet; the filters narrow by status, rating, language, source, origin, document, topic and dates, "
        "and an unknown parameter is a 400 naming the known ones. `include` adds each claim's origins, flags "
        "and our published review. As CSV (`Accept: text/csv` or `format=csv`): every claim the filters "
        "select, one a row.",
    ),
    create=extend_schema(
        summary="Create a claim (editors)",
        description="A new claim starts as a draft. It cannot be created published (400, code `publish_blocked`: "
        "it has no chain yet): record its chain, then publish it with a PATCH.",
    ),
    retrieve=extend_schema(
        summary="A claim",
        description="The claim, every document it appeared in with the quote, and other organisations' "
        "reviews of it. Its ETag goes back in If-Match to change it safely.",
    ),
    partial_update=extend_schema(
        summary="Change a claim (editors)",
        description="Only the fields sent are written, under a row lock, so two editors changing different "
        "fields both keep their change. With If-Match, the change is refused (412) if anyone changed the claim "
        "since that ETag. Claims are never deleted: retract one by setting its status.\n\n"
        '**Publishing** (`"status": "published"`) goes through a checklist of what is missing or risky: '
        "`no_chain` (nobody recorded as stating it) blocks it; `no_rating`, `no_explanation` and each of its "
        "trace's flags (`single_origin`, `unverified_hop`, `anonymous_origin`, `no_evidence`, ...) need a "
        "confirmation. Without one the answer is a 400 with code `confirmation_required` (or `publish_blocked`): "
        "its first `errors` item (`field` null, the same code) says what to send, "
        '`{"status": "published", "confirm": ["single_origin", "unverified_hop"]}`, and one item follows per '
        "checklist item in the way, with its own `code` and `message` (`field` `confirm`; `status` for what "
        "blocks). The items are judged at "
        "the moment of publishing, so a risk that appears after you read them needs a new confirmation. A claim "
        "with nothing on its checklist publishes without `confirm`.",
    ),
)
class ClaimViewSet(TableMixin, VersionedViewSetMixin, viewsets.ModelViewSet):
    """Claims are never deleted: retract one by PATCHing its status."""

    extra_parameters = ("include",)

    # Anonymous clients and users without a role read published claims (see get_queryset).
    public_read = True
    filterset_class = ClaimFilter
    # A million claims: the cursor needs no count and stays stable while claims are added.
    pagination_class = KeysetPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Claim]:
        return self._claims(detail=self.action in _DETAIL_ACTIONS)

    def _claims(self, *, detail: bool) -> QuerySet[Claim]:
        # The stored search vectors are for the database to match, not for clients.
        claims = Claim.objects.defer("search_vector").with_topic_slugs().order_by("-id")
        if detail:
            appearances = Appearance.objects.defer("search_vector", "document__body").select_related(
                "document__publisher"
            )
            claims = claims.prefetch_related(
                Prefetch("appearances", queryset=appearances.order_by("id")), "foreign_reviews"
            )
        return claims.readable_by(self.request.user)

    def get_object(self) -> Claim:
        if self.request.method not in ("GET", "HEAD") or self.action not in ("retrieve", "trace"):
            return super().get_object()
        # A claim's page and its trace: one prepared statement, not three ORM queries.
        claim_id = parse_id(self.kwargs["pk"])
        claim = claim_for_reading(claim_id, viewer_for(self.request.user)) if claim_id is not None else None
        if claim is None:
            raise Http404
        self.check_object_permissions(self.request, claim)
        return claim

    def get_serializer_class(self) -> type[ClaimSerializer]:
        return ClaimListSerializer if self.action == "list" else ClaimDetailSerializer

    @extend_schema(parameters=[INCLUDE_PARAMETER])
    def list(self, request: Request, *args, **kwargs) -> Response:
        include = self._include()
        claims = self.filter_queryset(self.get_queryset())
        if self.wants_table():
            return self.table_response(claims, claim_columns(include))
        return self.get_paginated_response(self.table_rows(self.paginate_queryset(claims)))

    def table_rows(self, claims: list[Claim]) -> list[dict]:
        context = {**self.get_serializer_context(), "include": self._include()}
        if context["include"] & {"origins", "flags"}:
            # The page's graphs in one query, judged as the viewer may see them.
            traces = provenance.traces_for([c.pk for c in claims], viewer_for(self.request.user), chain_limit=0)
            context["traces"] = traces
        return ClaimListSerializer(claims, many=True, context=context).data

    def _include(self) -> set[str]:
        asked = {part.strip() for part in self.request.query_params.get("include", "").split(",") if part.strip()}
        unknown = sorted(asked - set(INCLUDES))
        if unknown:
            raise serializers.ValidationError(
                {"include": [f"Cannot include {', '.join(unknown)}; choose from {', '.join(INCLUDES)}."]}
            )
        return asked

    def perform_create(self, serializer: ClaimSerializer) -> None:
        serializer.save(created_by=self.request.user)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.PublishRefused):
            return publish_refused(exc)
        return super().handle_exception(exc)

    def perform_update(self, serializer: ClaimSerializer) -> None:
        serializer.save()
        # Answer with what was saved, read with the same prefetches as a GET.
        serializer.instance = self._claims(detail=True).get(pk=serializer.instance.pk)

    def _trace_response(self, claim_data: dict, claim_id: int, *, as_of=None, chain_limit=CHAIN_LIMIT, **kwargs):
        viewer = viewer_for(self.request.user)
        trace = provenance.trace_for(claim_id, viewer, as_of=as_of, chain_limit=chain_limit)
        return Response(TraceSerializer((claim_data, trace)).data, **kwargs)

    @extend_schema(
        summary="Trace a claim to its origins",
        description="The claim's attribution graph (nodes and edges), its origins and how independent they are, "
        "flags in plain words, and the chains from each reporting end to an origin, listed up to chain_limit. "
        "With as_of, the claim and its graph as they stood at that moment.",
        parameters=[TraceQuerySerializer],
        responses=TraceSerializer,
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def trace(self, request: Request, pk: str | None = None) -> Response:
        params = TraceQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        as_of, chain_limit = params.validated_data.get("as_of"), params.validated_data["chain_limit"]
        if as_of is None:
            claim = self.get_object()
            claim_data = ClaimDetailSerializer(claim, context=self.get_serializer_context()).data
            return self._trace_response(claim_data, claim.pk, chain_limit=chain_limit)
        # The past as it was: the claim must have existed then, and been visible to
        # this viewer then (a claim published today was a draft yesterday).
        claim_id = parse_id(pk)
        state = claim_as_of(claim_id, as_of) if claim_id is not None else None
        if state is None or not viewer_for(request.user).may_read_claim(state.claim.status):
            raise NotFound("No claim with this id existed, visible to you, at that moment.")
        claim_data = ClaimAsOfSerializer(state, context=self.get_serializer_context()).data
        return self._trace_response(claim_data, claim_id, as_of=as_of, chain_limit=chain_limit)

    @extend_schema(
        summary="Has this been checked? Claims like a text",
        description="Claims you may read that say much the same as `text`, in their own words or in a quote: "
        "those sharing most of its words (in any case, a place under any of its names) and spelled alike, best "
        "first, each with its `search` score (out of 100; 40 at least) and snippet (the shared words marked). "
        "The same matching as an import's proposals.",
        parameters=[SimilarQuerySerializer],
        responses=SimilarSerializer,
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def similar(self, request: Request) -> Response:
        params = SimilarQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        given = params.validated_data
        (similar,) = similar_claims(
            [given["text"]],
            viewer_for(request.user),
            language=given.get("language") or language_of(given["text"]),
            limit=given["limit"],
        )
        if not similar.words:
            raise serializers.ValidationError(
                {"text": ["It holds only words too common to compare (such as 'the' or 'and'): give the claim itself."]}
            )
        found = self._claims(detail=False).filter(pk__in=[claim_id for claim_id, _ in similar.matches])
        by_id = found.annotate(search_snippet=similar_snippet(similar)).in_bulk()
        claims = []
        for claim_id, score in similar.matches:
            if claim_id in by_id:
                claims.append(by_id[claim_id])
                claims[-1].search_score = score
        return Response({"results": ClaimListSerializer(claims, many=True, context={"include": set()}).data})

    @extend_schema(
        summary="Trace several claims at once",
        description="The traces of up to 100 claims, in the order their ids were given, each as "
        "/claims/{id}/trace/ answers it; ids of claims you may not read are listed under missing.",
        parameters=[TracesQuerySerializer],
        responses=TraceBatchSerializer,
    )
    @action(detail=False, filter_backends=[], pagination_class=None)
    def traces(self, request: Request) -> Response:
        params = TracesQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        ids = params.validated_data["ids"]
        claims = self._claims(detail=True).in_bulk(ids)
        # Every graph in the same few queries, redacted for this viewer.
        traces = provenance.traces_for(
            list(claims), viewer_for(request.user), chain_limit=params.validated_data["chain_limit"]
        )
        context = self.get_serializer_context()
        results = [
            TraceSerializer((ClaimDetailSerializer(claims[i], context=context).data, traces[i])).data
            for i in ids
            if i in claims
        ]
        return Response({"results": results, "missing": [i for i in ids if i not in claims]})

    @extend_schema(
        summary="Record one chain of attribution",
        description="Hops run from the reporting end to the origin; they merge into the claim's existing "
        "statements, so chains through the same source converge. A hop already recorded keeps its evidence "
        "and takes this chain's beside it; notices say where this chain words a hop differently. Answers "
        "with the new trace and those notices.",
        request=ChainSerializer,
        responses={201: ChainRecordedSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def chains(self, request: Request, pk: str | None = None) -> Response:
        claim = self.get_object()
        chain = ChainSerializer(data=request.data)
        if not chain.is_valid():
            raise serializers.ValidationError(flatten_errors(chain.errors))
        recorded = chain_record(claim=claim, **chain.validated_data)
        # Read again: recording may have added an appearance.
        claim = self._claims(detail=True).get(pk=claim.pk)
        claim_data = ClaimDetailSerializer(claim, context=self.get_serializer_context()).data
        trace = provenance.trace_for(claim.pk, viewer_for(request.user))
        return Response(
            ChainRecordedSerializer((claim_data, trace, recorded.notices)).data, status=status.HTTP_201_CREATED
        )


class SourceDependentsView(TableMixin, ListAPIView):
    """``GET /sources/{id}/dependents/``: served by the claims app, which owns the graph."""

    serializer_class = DependentSerializer
    filterset_class = DependentFilter
    # No count: an agency most claims cite would be counted claim by claim on every
    # page (a third of a second at a million claims). A cursor page costs the same
    # whatever the corpus size.
    pagination_class = KeysetPagination

    def get_queryset(self) -> QuerySet[Claim]:
        return Claim.objects.only("id", "text", "status", "rating").order_by("-id")

    @extend_schema(
        summary="Claims that rely on this source",
        description="Claims whose chains pass through or originate at the source, with its role in each "
        "and its distance from the nearest reporting end.",
        tags=["sources"],
    )
    def get(self, request: Request, pk: int) -> Response:
        self.source = get_object_or_404(Source.objects.only("id"), pk=pk)
        claims = self.filter_queryset(self.get_queryset().readable_by(request.user).citing(self.source.pk))
        if self.wants_table():
            return self.table_response(claims)
        return self.get_paginated_response(self.table_rows(self.paginate_queryset(claims)))

    def table_rows(self, claims: list[Claim]) -> list[dict]:
        # Roles and distances for the page's claims only, from their bare graphs (one
        # query): judged in the page's query, a role was worked out for every claim
        # citing the source before the page was cut (300 ms for an agency 35,000 claims cite).
        positions = provenance.positions_of([claim.pk for claim in claims], self.source.pk)
        for claim in claims:
            claim.role, claim.distance = positions[claim.pk]
        return self.get_serializer(claims, many=True).data


@extend_schema_view(
    list=extend_schema(
        summary="Topics",
        description="Topics to filter claims by (`topic=<slug or id>`), each with how many claims you may read "
        "carry it.",
    ),
    retrieve=extend_schema(summary="A topic", description="One topic and how many claims you may read carry it."),
)
class TopicViewSet(TableMixin, viewsets.ReadOnlyModelViewSet):
    """Topics, to filter claims by (``topic=<slug>``): public, like the claims they label."""

    public_read = True
    serializer_class = TopicSerializer
    filterset_class = None
    pagination_class = DefaultPagination

    def get_queryset(self) -> QuerySet[Topic]:
        viewer = viewer_for(self.request.user)
        readable = Claim.objects.visible_to(viewer).filter(topics=OuterRef("pk")).order_by()
        counted = readable.annotate(n=Func(F("pk"), function="COUNT")).values("n")
        topics = Topic.objects.annotate(claim_count=Subquery(counted)).order_by("name", "id")
        # A topic only drafts carry would tell what the newsroom is working on.
        return topics if viewer.reads_unpublished else topics.filter(Exists(readable))

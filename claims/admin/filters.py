"""The lists' filters (by flag, by a source, by a document, by a claim), and what the list
of claims reads for each page: its rows' origins, and each flag as a badge."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, ChangeList
from django.db import connection
from django.db.models import QuerySet
from django.utils.text import Truncator

from core.admin import AutocompleteSelect
from core.validators import parse_id
from sources.models import Document, Source

from ..models import Appearance, Claim, Evidence, Statement, TraceSummary
from ..provenance.flags import FLAG_CODES

# Each flag as a short badge in the list of claims, and what it means.
FLAG_BADGES: dict[str, tuple[str, str]] = {
    "single_origin": ("one origin", "Every named origin is one organisation: the chains are not independent."),
    "common_intermediary": ("one relay", "Every chain passes through one source."),
    "circular_reporting": ("loop", "Sources cite each other in a ring."),
    "no_origin": ("no origin", "A chain reaches no origin: it runs into a loop."),
    "unverified_hop": ("unverified", "A hop is asserted but not checked."),
    "anonymous_origin": ("anonymous", "An origin is anonymous and cannot be judged independent."),
    "no_evidence": ("no quote", "A hop has no quote evidencing it."),
}


def flag_badge(code: str) -> tuple[str, str]:
    return FLAG_BADGES.get(code, (code.replace("_", " "), ""))


class FlagFilter(admin.SimpleListFilter):
    """Claims whose trace raises a flag: one lookup in the summaries' GIN index."""

    title = "flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [(code, flag_badge(code)[0]) for code in FLAG_CODES]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in FLAG_CODES:
            raise IncorrectLookupParameters(f"{self.parameter_name} must be one of {', '.join(FLAG_CODES)}")
        return queryset.filter(trace_summary__flags__contains=[value])


class LanguageFilter(admin.SimpleListFilter):
    """Claims in one language. The choices are the languages claims are written in, read
    by a skip scan of the (language, id) index: one index probe per language, where
    Django's own filter would read every claim (SELECT DISTINCT)."""

    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return [(tag, tag) for tag in claim_languages()]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(language=value) if value else queryset


def claim_languages() -> list[str]:
    """Every language claims are written in, in order; each found by one index probe."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE found(tag) AS (
                (SELECT language FROM claims_claim ORDER BY language LIMIT 1)
                UNION ALL
                SELECT (SELECT language FROM claims_claim WHERE language > found.tag ORDER BY language LIMIT 1)
                FROM found WHERE found.tag IS NOT NULL
            )
            SELECT tag FROM found WHERE tag IS NOT NULL
            """
        )
        return [row[0] for row in cursor.fetchall()]


class _SourceIdFilter(admin.SimpleListFilter):
    """Claims related to one source, given by id in the URL (the source page links here),
    or picked in the filter's own autocomplete box (the admin's source autocomplete,
    as the chain form's; a form that GETs the list with the other filters kept). Only
    the chosen source is listed: there may be far too many to offer."""

    template = "admin/claims/claim/source_filter.html"
    # The autocomplete of a statement's source: editors and auditors may search sources.
    widget = AutocompleteSelect(Statement._meta.get_field("source"), admin.site)

    def __init__(self, request, params, model, model_admin) -> None:
        super().__init__(request, params, model, model_admin)
        # What the filter's form sends again: the list as it is, but this filter and the page.
        self.carried = [
            (name, value)
            for name, values in request.GET.lists()
            if name not in {self.parameter_name, PAGE_VAR, ERROR_FLAG}
            for value in values
        ]
        attrs = self.widget.build_attrs({"id": f"filter-{self.parameter_name}"})
        attrs["data-placeholder"] = "Type a name or an alias"
        self.widget_attrs = attrs

    def has_output(self) -> bool:
        return True  # the box is shown when nothing is chosen, too

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        source_id = parse_id(value)
        name = Source.objects.filter(pk=source_id).values_list("name", flat=True).first() if source_id else None
        # Listing an unknown id too keeps the filter applied (and the result empty).
        return [(value, name or f"unknown source #{value}")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        source_id = parse_id(value)
        if source_id is None:
            raise IncorrectLookupParameters(f"{self.parameter_name} must be a source id")
        return self.filter_claims(queryset, source_id)

    def filter_claims(self, queryset: QuerySet[Claim], source_id: int) -> QuerySet[Claim]:
        raise NotImplementedError


class CitingSourceFilter(_SourceIdFilter):
    title = "relies on source"
    parameter_name = "source"

    def filter_claims(self, queryset, source_id):
        return queryset.citing(source_id)


class OriginSourceFilter(_SourceIdFilter):
    title = "originates at source"
    parameter_name = "origin"

    def filter_claims(self, queryset, source_id):
        # The summaries' GIN index of origins (the same answer as queryset.originating_at).
        return queryset.filter(trace_summary__origin_ids__contains=[source_id])


def in_document(claims: QuerySet[Claim], document_id: int) -> QuerySet[Claim]:
    """Claims that appear in the document, or a hop of whose chains it evidences. Their
    ids are read from the document's side (two index lookups), never by testing each claim."""
    appears = Appearance.objects.filter(document_id=document_id).order_by().values("claim_id")
    evidenced = Evidence.objects.filter(document_id=document_id).order_by().values("claim_id")
    return claims.filter(pk__in=appears.union(evidenced))


class DocumentIdFilter(admin.SimpleListFilter):
    """Claims of one document, given by id in the URL (the document page links here for
    the claims it does not list itself). Only the chosen document is offered."""

    title = "document"
    parameter_name = "document"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        document_id = parse_id(value)
        title = Document.objects.filter(pk=document_id).values_list("title", flat=True).first() if document_id else None
        return [(value, Truncator(title).chars(60) if title else f"unknown document #{value}")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        document_id = parse_id(value)
        if document_id is None:
            raise IncorrectLookupParameters(f"{self.parameter_name} must be a document id")
        return in_document(queryset, document_id)


class ClaimChangeList(ChangeList):
    """The list of claims, with each row's origins read for the whole page in one query
    (``origin_sources``, by name), from the ids its trace summary holds."""

    def get_results(self, request) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        origin_ids = {i for claim in self.result_list for i in (_summary(claim).origin_ids if _summary(claim) else ())}
        sources = Source.objects.only("id", "name", "kind", "confidential").in_bulk(origin_ids)
        for claim in self.result_list:
            summary = _summary(claim)
            found = [sources[i] for i in summary.origin_ids if i in sources] if summary else []
            claim.origin_sources = sorted(found, key=lambda s: (s.name, s.pk))


def _summary(claim: Claim) -> TraceSummary | None:
    """The claim's stored trace summary; None for a claim that never had a graph."""
    try:
        return claim.trace_summary
    except TraceSummary.DoesNotExist:
        return None


class ClaimIdFilter(admin.SimpleListFilter):
    """The rows of one claim, given by id in the URL (the claim page links here for the
    hops and appearances it does not list itself). Only the chosen claim is offered."""

    title = "claim"
    parameter_name = "claim"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []
        claim_id = parse_id(value)
        claim = Claim.objects.filter(pk=claim_id).only("text").first() if claim_id else None
        return [(value, str(claim) if claim else f"unknown claim #{value}")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        claim_id = parse_id(value)
        if claim_id is None:
            raise IncorrectLookupParameters(f"{self.parameter_name} must be a claim id")
        return queryset.filter(claim_id=claim_id)

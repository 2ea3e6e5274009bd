"""Admin for editors (who change) and auditors (who read); journalists use the API.

The claim page shows the trace (flags, a drawn graph and a tree) and records a
whole chain of attribution without leaving the page. Writes go through
``claims.services``; the graph comes from ``claims.provenance``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from core.access import viewer_for
from core.admin import BaseAdmin, HistoryAdmin, ServiceAdmin, ServiceRejected
from core.paginators import EstimatedCountPaginator
from core.validators import parse_id
from sources import admin as sources_admin
from sources.models import Source

from . import provenance, services
from .forms import ClaimAdminForm
from .history import claim_history, claim_record_as_of
from .models import (
    Appearance,
    Attribution,
    Claim,
    ClaimStatus,
    ForeignReview,
    Statement,
    Topic,
)
from .picture import (
    MAX_DRAWN_EDGES,
    MAX_DRAWN_NODES,
    MAX_TREE_ROWS,
    NAMED_ORIGINS,
    QUOTE_CHARS,
    trace_graph,
    trace_tree,
)
from .search import prefix_match

# The picture's bounds, read here by tests (claims.picture has them).
__all__ = ["MAX_DRAWN_EDGES", "MAX_DRAWN_NODES"]

# --- filters -------------------------------------------------------------------------


class _SourceIdFilter(admin.SimpleListFilter):
    """Claims related to one source, given by id in the URL (the source page links
    here). Only the chosen source is listed: there may be far too many to offer."""

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
        return queryset.originating_at(source_id)


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


# --- claims ------------------------------------------------------------------------------


class LatestRowsFormSet(BaseInlineFormSet):
    """An inline's latest rows, at most its ``shown``: a claim can have thousands, and the
    page would grow with them. ``more`` says whether there are others (one row more is
    read to know), ``all_url`` where they are all listed."""

    shown = 50
    changelist = ""  # the admin URL name of the list of all rows, filtered by ``?claim=``

    total: int | None = None  # all the rows, when the page knows it without counting them

    def get_queryset(self):
        if not hasattr(self, "_queryset"):
            rows = list(self.queryset.order_by("-pk")[: self.shown + 1])
            self._more = len(rows) > self.shown
            self._queryset = rows[: self.shown]
        return self._queryset

    @property
    def more(self) -> bool:
        self.get_queryset()
        return self._more

    @property
    def all_url(self) -> str:
        return reverse(self.changelist) + f"?claim={self.instance.pk}"


class LatestRowsInline(admin.TabularInline):
    """A read-only inline of the claim's latest rows (``LatestRowsFormSet``), with a link to
    all of them when there are more (templates/admin/claims/claim/latest_inline.html)."""

    template = "admin/claims/claim/latest_inline.html"
    shown = 50
    extra = 0
    can_delete = False

    def get_formset(self, request, obj=None, **kwargs):
        changelist = f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_changelist"
        attrs = {"shown": self.shown, "changelist": changelist}
        kwargs["formset"] = type("LatestRowsFormSet", (LatestRowsFormSet,), attrs)
        return super().get_formset(request, obj, **kwargs)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class AppearanceInline(LatestRowsInline):
    """Where the claim appears, for reading; recorded with the chain form (a document
    and its quote), corrected on the appearance's own page, which saves only what changed."""

    model = Appearance
    fields = ["document", "short_quote"]
    readonly_fields = ["document", "short_quote"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document")

    @admin.display(description="quote")
    def short_quote(self, appearance: Appearance) -> str:
        return Truncator(appearance.quote).chars(QUOTE_CHARS)


class AttributionInline(LatestRowsInline):
    """The latest edges, for reading (the trace above shows the graph; all edges are in
    the list of hops); chains are recorded with the form under the claim."""

    model = Attribution
    fk_name = "claim"
    fields = ["hop", "document", "short_quote", "verified"]
    readonly_fields = ["hop", "short_quote"]
    show_change_link = True
    verbose_name = "attribution hop"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement__source", "upstream__source", "document")

    @admin.display(description="hop")
    def hop(self, edge: Attribution) -> str:
        return f"{edge.statement.source} {edge.get_relation_display()} {edge.upstream.source}"

    @admin.display(description="quote")
    def short_quote(self, edge: Attribution) -> str:
        return Truncator(edge.quote).chars(QUOTE_CHARS)


class ForeignReviewInline(LatestRowsInline):
    """Other organisations' reviews of the claim, beside ours: read here, never merged in."""

    model = ForeignReview
    fields = ["author", "rating_label", "rating", "date_published", "url"]
    readonly_fields = fields
    verbose_name = "review elsewhere"
    verbose_name_plural = "reviews elsewhere (imported; they never change this claim)"


@admin.register(Claim)
class ClaimAdmin(HistoryAdmin, ServiceAdmin):
    change_form_template = "admin/claims/claim/change_form.html"
    list_display = ["short_text", "status", "rating", "topic_names", "event_start", "language", "updated_at"]
    list_filter = [
        "status",
        "rating",
        "topics",
        "language",
        "event_start",
        "published_at",
        "updated_at",
        CitingSourceFilter,
        OriginSourceFilter,
    ]
    search_fields = ["text"]  # for autocomplete; the search itself is get_search_results
    search_help_text = "Full-text search of the claim's wording; words match as prefixes."
    form = ClaimAdminForm
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["publish", "retract"]
    inlines = [AppearanceInline, AttributionInline, ForeignReviewInline]
    readonly_fields = ["published_at", "created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["text", "language", "topic_list"]}),
        ("Review", {"fields": ["status", "rating", "rating_explanation"]}),
        ("When the claimed event happened", {"fields": ["event_start", "event_end", "event_approximate"]}),
        ("Record", {"fields": ["published_at", "created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topics")

    def get_search_results(self, request, queryset, search_term):
        words = prefix_match(search_term)
        if words is None:
            return queryset, False
        # Prefix matching on the indexed tsvector, so "Turk troo" finds the claim
        # while an editor is still typing (autocomplete uses this too).
        condition = Q(words)
        claim_id = parse_id(search_term.strip())
        if claim_id is not None:
            condition |= Q(pk=claim_id)
        return queryset.filter(condition), False

    @admin.display(description="claim", ordering="text")
    def short_text(self, claim: Claim) -> str:
        return str(claim)

    @admin.display(description="topics")
    def topic_names(self, claim: Claim) -> str:
        return ", ".join(t.name for t in claim.topics.all())

    # Shown in place of the form field to those who may only read.
    @admin.display(description="topics")
    def topic_list(self, claim: Claim) -> str:
        return self.topic_names(claim)

    # Claims are never deleted: retract them instead.
    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    # --- saving through the services

    def history_entries(self, obj: Claim):
        return claim_history(obj.pk)

    def create_with(self, request, form, values):
        topics = form.cleaned_data.get("topic_list") or ()
        return services.claim_create(created_by=request.user, topics=topics, **values)

    def update_with(self, request, obj, form, values):
        topics = form.cleaned_data["topic_list"] if "topic_list" in form.changed_data else None
        return services.claim_update(claim=obj, topics=topics, **values)

    # --- actions

    @admin.action(description="Publish selected claims", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        self._move(request, queryset, ClaimStatus.PUBLISHED, services.claim_publish)

    @admin.action(description="Retract selected claims", permissions=["change"])
    def retract(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        self._move(request, queryset, ClaimStatus.RETRACTED, services.claim_retract)

    def _move(self, request, queryset, status: ClaimStatus, service) -> None:
        moved = 0
        for claim in queryset.order_by("pk"):
            if claim.status == status:
                self.message_user(request, f"“{claim}” was already {status.label.lower()}.", messages.WARNING)
                continue
            try:
                service(claim=claim)
            except ValidationError as error:
                self.message_user(request, f"“{claim}”: {' '.join(error.messages)}", messages.ERROR)
            else:
                moved += 1
        if moved:
            noun = "claim" if moved == 1 else "claims"
            self.message_user(request, f"{moved} {noun} {status.label.lower()}.", messages.SUCCESS)

    # --- the claim page: trace, graph and the chain form (part of the claim's own form)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        chain_error = getattr(request, "_chain_error", None)
        if obj is not None:
            records_chains = self.has_change_permission(request, obj)
        else:
            records_chains = self.has_add_permission(request)

        class ClaimForm(form_class):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                if records_chains:
                    self.attach_chain()
                if chain_error is not None and self.chain_form is not None:
                    self.add_chain_error(chain_error)

        return ClaimForm

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        chain = form.chain_input()
        if chain is None:
            return
        try:
            services.chain_record(claim=form.instance, **chain)
        except ValidationError as error:
            # Rolls back the whole save (claim and chain) and shows both again as typed.
            raise ServiceRejected(error, part="chain") from error
        names = " → ".join(hop.source.name for hop in chain["hops"])
        self.message_user(request, f"Chain recorded: {names}.", messages.SUCCESS)
        request._chain_recorded = True

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context["chain_form"], context["hop_formset"] = form.chain_form, form.hop_formset
        if getattr(request, "_chain_error", None) is not None:
            self.message_user(request, "Nothing was saved: the chain has errors, shown below.", messages.ERROR)
        if obj is not None:
            context.update(self.trace_context(request, obj.pk))
            for inline in context.get("inline_admin_formsets", []):
                if isinstance(inline.opts, AttributionInline):
                    inline.formset.total = len(context["trace"].edges)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def trace_context(self, request, claim_id: int, *, as_of=None) -> dict:
        """What templates/admin/claims/claim/trace.html shows: the claim page's, and (with
        ``as_of``) the page of the claim as it stood."""
        # Each part of the trace is bounded: the page costs the same however big the graph.
        trace = provenance.trace_for(claim_id, viewer_for(request.user), as_of=as_of)
        origins = trace.origins
        tree = trace_tree(trace)
        return {
            "trace": trace,
            "trace_origins": origins[:NAMED_ORIGINS],
            "trace_origins_more": max(0, len(origins) - NAMED_ORIGINS),
            "trace_origins_total": len(origins),
            "trace_flags": [{"flag": flag.code, "message": flag.message} for flag in trace.flags],
            "trace_graph": trace_graph(trace),
            "trace_tree": tree[:MAX_TREE_ROWS],
            "trace_tree_cut": len(tree) > MAX_TREE_ROWS,
            "hops_url": reverse("admin:claims_attribution_changelist") + f"?claim={claim_id}",
        }

    # --- the claim as it stood (the history's "the record as of this moment")

    as_of_template = "admin/claims/claim/as_of.html"

    def record_as_of(self, request, obj, moment):
        record = claim_record_as_of(obj.pk, moment, viewer_for(request.user))
        if record is None:
            return None
        return {
            "claim": record.state.claim,
            "topics": record.topics,
            "appearances": record.appearances,
            "page": self.trace_context(request, obj.pk, as_of=moment),
        }

    def response_change(self, request, obj):
        # After recording a chain, land on the trace that now shows it.
        response = super().response_change(request, obj)
        if "_continue" in request.POST and getattr(request, "_chain_recorded", False):
            response["Location"] += "#trace"
        return response


@admin.register(Topic)
class TopicAdmin(BaseAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Appearance)
class AppearanceAdmin(ServiceAdmin):
    fields = ["claim", "document", "quote"]
    list_display = ["claim", "document", "document_published", "short_quote"]
    list_filter = ["document__language", "document__kind", "created_at", ClaimIdFilter]
    list_select_related = ["claim", "document"]
    search_fields = ["quote", "document__title"]
    autocomplete_fields = ["claim", "document"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    @admin.display(description="published", ordering="document__published_at")
    def document_published(self, appearance: Appearance):
        return appearance.document.published_at

    @admin.display(description="quote")
    def short_quote(self, appearance: Appearance) -> str:
        return Truncator(appearance.quote).chars(100)

    def get_readonly_fields(self, request, obj=None):
        # Which claim it is an appearance of is fixed once recorded.
        return ["claim"] if obj is not None else []

    def create_with(self, request, form, values):
        return services.appearance_record(**values)

    def update_with(self, request, obj, form, values):
        return services.appearance_update(appearance=obj, **values)


@admin.register(Statement)
class StatementAdmin(BaseAdmin):
    """Statements are made by recording chains; here they are read (and an unused
    one removed)."""

    list_display = ["source", "claim", "created_at"]
    list_filter = ["source__kind", "source__country", "created_at"]
    list_select_related = ["source", "claim"]
    search_fields = ["source__name", "claim__text"]
    autocomplete_fields = ["claim", "source"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Attribution)
class AttributionAdmin(ServiceAdmin):
    """One hop. Its ends are fixed (record a new chain to change them); what the hop
    says about itself (relation, document, quote, verified) can be corrected."""

    list_display = ["hop", "relation", "verified", "document", "claim"]
    list_filter = ["relation", "verified", "created_at", ClaimIdFilter]
    list_select_related = ["statement__source", "upstream__source", "document", "claim"]
    search_fields = ["quote", "statement__source__name", "upstream__source__name"]
    autocomplete_fields = ["document"]
    readonly_fields = ["claim", "statement", "upstream", "created_at"]
    fields = ["claim", "statement", "upstream", "relation", "document", "quote", "verified", "created_at"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def update_with(self, request, obj, form, values):
        return services.attribution_update(attribution=obj, **values)

    @admin.display(description="hop")
    def hop(self, edge: Attribution) -> str:
        return format_html(
            "{} <em>{}</em> {}", edge.statement.source, edge.get_relation_display(), edge.upstream.source
        )

    def delete_model(self, request, obj):
        services.attribution_delete(attribution=obj)


@admin.register(ForeignReview)
class ForeignReviewAdmin(BaseAdmin):
    """Imported reviews by other organisations. Read-only but for deletion: they are
    their words, not ours; our verdict lives on the claim."""

    list_display = ["author", "rating_label", "rating", "date_published", "claim"]
    list_filter = ["rating", "date_published", ClaimIdFilter]
    list_select_related = ["claim"]
    search_fields = ["author", "claim_reviewed", "url"]
    readonly_fields = [
        "claim",
        "url",
        "author",
        "author_url",
        "claim_reviewed",
        "rating",
        "rating_label",
        "review_body",
        "date_published",
        "language",
        "appearances",
        "imported_by",
        "created_at",
        "updated_at",
    ]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False


# --- sources, with merging (the claims app owns the statements and hops a merge moves) -------

admin.site.unregister(Source)


@admin.register(Source)
class SourceAdmin(sources_admin.SourceAdmin):
    actions = ["merge_sources"]

    @admin.action(description="Merge selected sources into one", permissions=["change"])
    def merge_sources(self, request: HttpRequest, queryset: QuerySet[Source]):
        sources = list(queryset.order_by("id"))
        if len(sources) < 2:
            self.message_user(request, "Select the duplicates and the source to keep: two or more.", messages.WARNING)
            return None
        keep_id = parse_id(request.POST.get("keep", ""))
        if "confirm" not in request.POST or keep_id not in {s.pk for s in sources}:
            # First pass: show what would be merged and ask which source to keep.
            context = {
                **self.admin_site.each_context(request),
                "title": "Merge sources",
                "sources": sources,
                "opts": self.opts,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/sources/source/merge.html", context)
        keep = next(s for s in sources if s.pk == keep_id)
        for duplicate in sources:
            if duplicate.pk == keep.pk:
                continue
            try:
                report = services.source_merge(keep=keep, merge=duplicate)
            except ValidationError as error:
                self.message_user(request, f"{duplicate}: {' '.join(error.messages)}", messages.ERROR)
                continue
            except IntegrityError:
                # Someone recorded something with these sources meanwhile.
                self.message_user(
                    request, f"{duplicate}: changed by someone else meanwhile; try again.", messages.ERROR
                )
                continue
            for line in report.lines():
                self.message_user(request, line, messages.SUCCESS)
        return None

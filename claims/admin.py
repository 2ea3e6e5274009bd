"""Admin for editors (who change) and auditors (who read); journalists use the API.

The claim page shows the trace (flags, a drawn graph and a tree) and records a
whole chain of attribution without leaving the page. Writes go through
``claims.services``; the graph comes from ``claims.provenance``.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, ChangeList
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from core.access import viewer_for
from core.admin import AutocompleteSelect, BaseAdmin, HistoryAdmin, ServiceAdmin, ServiceRejected
from core.paginators import EstimatedCountPaginator
from core.validators import parse_id
from core.writes import Gone, lock
from sources import admin as sources_admin
from sources.models import Document, Source

from . import provenance, services
from .forms import MAX_SENTENCES, ChainPrefill, ClaimAdminForm, document_sentences
from .history import claim_history, claim_record_as_of
from .models import (
    Appearance,
    Attribution,
    Claim,
    ClaimStatus,
    Evidence,
    ForeignReview,
    Relation,
    Statement,
    Topic,
    TraceSummary,
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
from .provenance.flags import FLAG_CODES
from .search import prefix_match

# The picture's bounds, read here by tests (claims.picture has them).
__all__ = ["MAX_DRAWN_EDGES", "MAX_DRAWN_NODES"]

# A document's latest appearances checked against its sentences ("already a claim").
QUOTED_SENTENCES = 500

# The list of claims: each claim's words up to this many characters (wrapped), its origins named up to this many.
CLAIM_CHARS = 300
ORIGINS_NAMED = 3

# --- filters -------------------------------------------------------------------------


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
    the list of hops), each verified in one click by an editor; chains are recorded
    with the form under the claim."""

    model = Attribution
    fk_name = "claim"
    fields = ["hop", "evidence_list", "verified_or_verify"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "attribution hop"

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances are made per request: who may verify is this request's.
        self.verifies = self.admin_site._registry[Attribution].has_change_permission(request)
        return super().get_formset(request, obj, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("statement__source", "upstream__source")

    @admin.display(description="hop")
    def hop(self, edge: Attribution) -> str:
        return f"{edge.statement.source} {edge.get_relation_display()} {edge.upstream.source}"

    @admin.display(description="evidence")
    def evidence_list(self, edge: Attribution) -> str:
        # The claim page hands each row its edge's evidence from the trace it has read
        # (redacted for the viewer): no query of its own.
        items = getattr(edge, "trace_evidence", None)
        if items is None:
            return ""
        if not items:
            return "withheld" if getattr(edge, "trace_withheld", False) else "none: no document or quote"
        return format_html_join(
            mark_safe("<br>"),
            "{}{}",
            (
                (
                    f"“{Truncator(item.quote).chars(QUOTE_CHARS)}”" if item.quote else "",
                    f" ({Relation(item.relation).label}, in {item.document.title})"
                    if item.document
                    else f" ({Relation(item.relation).label})",
                )
                for item in items
            ),
        )

    @admin.display(description="verified")
    def verified_or_verify(self, edge: Attribution) -> str:
        if edge.verified:
            return "yes"
        if not getattr(self, "verifies", False):
            return "no"
        # A button of the page's verify form (outside the claim's form: Enter in a field
        # of the claim never presses it), posting to this hop's address.
        url = reverse("admin:claims_claim_verify_hop", args=[edge.claim_id, edge.pk])
        return format_html(
            '<button type="submit" form="verify-hops" formaction="{}" class="button verify-hop" '
            'data-hop="{}" title="The upstream statement was located and checked">Verify</button>',
            url,
            edge.pk,
        )


class ForeignReviewInline(LatestRowsInline):
    """Other organisations' reviews of the claim, beside ours: read here, never merged in."""

    model = ForeignReview
    fields = ["author", "rating_label", "rating", "date_published", "url"]
    readonly_fields = fields
    verbose_name = "review elsewhere"
    verbose_name_plural = "reviews elsewhere (imported; they never change this claim)"


# --- publishing: the checklist's confirmation pages (claims.services.claim_publish_checklist)

User = get_user_model()

# Form fields of the confirmation pages: the items the editor confirmed (the claim page's,
# and the bulk action's, one field per claim), going ahead, and back to the form as typed.
PUBLISH_CONFIRM = "_publish_confirm"
PUBLISH_CONFIRMED = "_publish_confirmed"
PUBLISH_BACK = "_publish_back"
# The claim page's fields not carried through its confirmation page.
_NOT_CARRIED = {"csrfmiddlewaretoken", PUBLISH_CONFIRM, PUBLISH_BACK}


class PublishUnconfirmed(Exception):
    """The publication a save asked for needs a confirmation, or is blocked: the save is
    rolled back (the admin's save is one transaction) and the confirmation page shown."""

    def __init__(self, refused: services.PublishRefused) -> None:
        super().__init__(refused)
        self.refused = refused


def _over(codes) -> str:
    return ", ".join(code.replace("_", " ") for code in codes)


@admin.register(Claim)
class ClaimAdmin(HistoryAdmin, ServiceAdmin):
    change_form_template = "admin/claims/claim/change_form.html"
    # The claim's words wrapped in a column of their own (change_list.html); what its trace
    # says from its stored summary (TraceSummary), the origins' names in one query a page.
    list_display = [
        "claim_text",
        "status",
        "rating",
        "origin_names",
        "independent_origins",
        "flag_badges",
        "topic_names",
    ]
    list_select_related = ["trace_summary"]
    list_filter = [
        "status",
        FlagFilter,
        CitingSourceFilter,
        OriginSourceFilter,
        "rating",
        "topics",
        "language",
        "event_start",
        "published_at",
        "updated_at",
        DocumentIdFilter,
    ]
    # Counts beside each filter's choices would count the whole table for each of them.
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["text"]  # for autocomplete; the search itself is get_search_results
    search_help_text = "Full-text search of the claim's wording; words match as prefixes."
    form = ClaimAdminForm
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["publish", "retract"]
    inlines = [AppearanceInline, AttributionInline, ForeignReviewInline]
    readonly_fields = ["published_at", "published_over", "created_by", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["text", "language", "topic_list"]}),
        ("Review", {"fields": ["status", "rating", "rating_explanation"]}),
        ("When the claimed event happened", {"fields": ["event_start", "event_end", "event_approximate"]}),
        ("Record", {"fields": ["published_at", "published_over", "created_by", "created_at", "updated_at"]}),
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
    def claim_text(self, claim: Claim) -> str:
        return Truncator(claim.text).chars(CLAIM_CHARS)

    @admin.display(description="origins")
    def origin_names(self, claim: Claim) -> str:
        sources = getattr(claim, "origin_sources", None)  # ClaimChangeList reads them for the page
        if not sources:
            return "—"
        shown = format_html_join(
            ", ",
            '<a href="{}">{}</a>{}',
            (
                (
                    reverse("admin:sources_source_change", args=[source.pk]),
                    source.name,
                    " (anonymous)" if source.kind == "anonymous" else " (confidential)" if source.confidential else "",
                )
                for source in sources[:ORIGINS_NAMED]
            ),
        )
        more = len(sources) - ORIGINS_NAMED
        return format_html("{} and {} more", shown, more) if more > 0 else shown

    @admin.display(description="independent origins")
    def independent_origins(self, claim: Claim):
        summary = _summary(claim)
        return summary.independent_origins if summary else 0

    @admin.display(description="flags")
    def flag_badges(self, claim: Claim) -> str:
        summary = _summary(claim)
        if summary is None or not summary.flags:
            return ""
        return format_html_join(
            " ",
            '<span class="flag-badge flag-{}" title="{}">{}</span>',
            ((code, flag_badge(code)[1], flag_badge(code)[0]) for code in summary.flags),
        )

    def get_changelist(self, request, **kwargs):
        return ClaimChangeList

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        # The source filters' autocomplete boxes need the admin's select2 (as a form's do).
        if getattr(response, "context_data", None) and "media" in response.context_data:
            response.context_data["media"] += _SourceIdFilter.widget.media
        return response

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
        values = self._publish_last(request, None, values)
        return services.claim_create(created_by=request.user, topics=topics, **values)

    def lock_ahead(self, request, obj, values):
        # The save may record a chain (chain_record takes this too, but after the claim's
        # row lock here): in turns with changes of sources' standing, before any row lock.
        services.hold_source_standing()

    def update_with(self, request, obj, form, values):
        topics = form.cleaned_data["topic_list"] if "topic_list" in form.changed_data else None
        values = self._publish_last(request, obj, values)
        return services.claim_update(claim=obj, topics=topics, **values)

    def _publish_last(self, request, claim: Claim | None, values: dict) -> dict:
        """A change to published is made last (``publish_saved``), when the chain saved with
        it is recorded: its checklist judges the graph as this save leaves it."""
        if values.get("status") != ClaimStatus.PUBLISHED or (claim and claim.status == ClaimStatus.PUBLISHED):
            return values
        request._publish = True
        return {name: value for name, value in values.items() if name != "status"}

    @admin.display(description="published over")
    def published_over(self, claim: Claim) -> str:
        """The publications of this claim over checklist items, from their history context:
        when, by whom, over what (the latest five). Read only of a claim ever published:
        the publishing service stamps when."""
        if claim.pk is None or claim.published_at is None:
            return "—"
        key = f"{services.PUBLISH_CONFIRMED}:{claim.pk}"
        events = list(
            Claim.pgh_event_model.objects.filter(
                pgh_obj_id=claim.pk, status=ClaimStatus.PUBLISHED, pgh_context__metadata__has_key=key
            )
            .order_by("-pgh_id")
            .values_list("pgh_created_at", "pgh_context__metadata")[:5]
        )
        if not events:
            return "—"
        users = User.objects.in_bulk({parse_id(str(m.get("user", ""))) for _, m in events} - {None})
        return format_html_join(
            mark_safe("<br>"),
            "{} by {}: {}",
            (
                (
                    f"{at:%Y-%m-%d %H:%M} UTC",
                    getattr(users.get(parse_id(str(metadata.get("user", "")))), "username", "no known user"),
                    _over(metadata[key]),
                )
                for at, metadata in events
            ),
        )

    def publish_saved(self, request, claim: Claim) -> None:
        """Publish the claim this save changed to published, over the items the editor
        confirmed on the confirmation page; without them, that page (``PublishUnconfirmed``)."""
        if not getattr(request, "_publish", False):
            return
        confirmed = request.POST.getlist(PUBLISH_CONFIRM)
        try:
            services.claim_publish(claim=claim, confirm=confirmed)
        except services.PublishRefused as refused:
            raise PublishUnconfirmed(refused) from refused
        except ValidationError as error:
            raise ServiceRejected(error) from error
        if confirmed:
            self.message_user(request, f"Published over what you confirmed: {_over(confirmed)}.", messages.WARNING)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and PUBLISH_BACK in request.POST:
            # Back from the confirmation page: the form as typed, nothing saved.
            request._service_error = ValidationError(
                {
                    "status": "Not published, nothing saved: fix what the checklist asked for here (a chain can be "
                    "recorded below), or choose another status, and save again."
                }
            )
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PublishUnconfirmed as unconfirmed:
            return self.publish_confirmation(request, object_id, unconfirmed.refused)

    def publish_confirmation(self, request, object_id, refused: services.PublishRefused) -> TemplateResponse:
        """The claim page's confirmation: the checklist, and the form as sent, carried in
        hidden fields to send again with the confirmed items (or back to the form)."""
        claim = self.get_object(request, unquote(object_id)) if object_id else None
        carried = [(k, v) for k, values in request.POST.lists() if k not in _NOT_CARRIED for v in values]
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish this claim?",
            "subtitle": None,
            "opts": self.opts,
            "object": claim,
            "claim_text": claim.text if claim else request.POST.get("text", ""),
            "blocking": refused.blocking,
            "to_confirm": [item for item in refused.items if not item.blocking],
            "unconfirmed": {item.code for item in refused.unconfirmed},
            "carried": carried,
            "confirm_field": PUBLISH_CONFIRM,
            "back_field": PUBLISH_BACK,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/claims/claim/publish_confirmation.html", context)

    # --- actions

    @admin.action(description="Publish selected claims", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Claim]) -> TemplateResponse | None:
        """Each claim's checklist first, on a confirmation page (unless none has anything on
        it); confirmed there, each claim is published over the items confirmed for it."""
        claims = list(queryset.order_by("pk"))
        if PUBLISH_CONFIRMED not in request.POST:
            rows = self._checklists(claims)
            if any(row["blocking"] or row["to_confirm"] for row in rows):
                return self._publish_selected_page(request, rows)
        said: list[tuple[int, str]] = []
        published = 0
        # One transaction: the request's history context (who, and what each publication was
        # confirmed over) is written by its first write and may grow only in that transaction.
        with transaction.atomic():
            for claim in claims:
                if claim.status == ClaimStatus.PUBLISHED:
                    said.append((messages.WARNING, f"“{claim}” was already published."))
                    continue
                confirmed = request.POST.getlist(f"{PUBLISH_CONFIRM}-{claim.pk}")
                try:
                    services.claim_publish(claim=claim, confirm=confirmed)
                except services.PublishRefused as refused:
                    # Found since the page was shown (or never confirmed): judged now, said now.
                    why = "" if refused.blocking else "what it was confirmed for has changed. "
                    words = " ".join(item.message for item in refused.blocking or refused.unconfirmed)
                    said.append(
                        (
                            messages.ERROR,
                            f"“{claim}” was not published: {why}{words} Publish it again to see its checklist.",
                        )
                    )
                except ValidationError as error:
                    said.append((messages.ERROR, f"“{claim}”: {' '.join(error.messages)}"))
                else:
                    published += 1
                    if confirmed:
                        said.append((messages.WARNING, f"“{claim}” published over: {_over(confirmed)}."))
        for level, message in said:
            self.message_user(request, message, level)
        if published:
            noun = "claim" if published == 1 else "claims"
            self.message_user(request, f"{published} {noun} published.", messages.SUCCESS)
        return None

    def _checklists(self, claims: list[Claim]) -> list[dict]:
        """What the bulk confirmation page shows of each claim (their graphs in one query)."""
        traces = provenance.traces([c.pk for c in claims], chain_limit=0)
        rows = []
        for claim in claims:
            row = {"claim": claim, "problem": None, "blocking": [], "to_confirm": []}
            if claim.status == ClaimStatus.PUBLISHED:
                row["problem"] = "Already published."
            else:
                row["problem"] = services.claim_transition_error(claim, ClaimStatus.PUBLISHED)
            if row["problem"] is None:
                items = services.claim_publish_checklist(claim, claim_trace=traces[claim.pk])
                row["blocking"] = [item for item in items if item.blocking]
                row["to_confirm"] = [item for item in items if not item.blocking]
            row["publishable"] = row["problem"] is None and not row["blocking"]
            rows.append(row)
        return rows

    def _publish_selected_page(self, request, rows: list[dict]) -> TemplateResponse:
        publishable = sum(row["publishable"] for row in rows)
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish these claims?",
            "subtitle": None,
            "opts": self.opts,
            "rows": rows,
            "publishable": publishable,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "confirm_field": PUBLISH_CONFIRM,
            "confirmed_field": PUBLISH_CONFIRMED,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/claims/claim/publish_selected.html", context)

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
        add_source = records_chains and self.admin_site.get_model_admin(Source).has_add_permission(request)
        document = self.source_document(request) if obj is None else None
        prefill = ChainPrefill(document, self.picked_sentence(request) or "") if document else None

        class ClaimForm(form_class):
            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                if records_chains:
                    self.attach_chain(prefill=prefill, add_source=add_source)
                if chain_error is not None and self.chain_form is not None:
                    self.add_chain_error(chain_error)

        return ClaimForm

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        chain = form.chain_input()
        if chain is None:
            self.publish_saved(request, form.instance)
            return
        try:
            recorded = services.chain_record(claim=form.instance, **chain)
        except ValidationError as error:
            # Rolls back the whole save (claim and chain) and shows both again as typed.
            raise ServiceRejected(error, part="chain") from error
        # Published over the graph with this chain, before anything is said of the save.
        self.publish_saved(request, form.instance)
        names = " → ".join(hop.source.name for hop in chain["hops"])
        self.message_user(request, f"Chain recorded: {names}.", messages.SUCCESS)
        for notice in recorded.notices:
            self.message_user(request, notice, messages.WARNING)
        request._chain_recorded = True

    # --- a claim from a document: /admin/claims/claim/add/?document=<id>[&sentence=<n, from 1>]

    def source_document(self, request) -> Document | None:
        """The document a new claim is taken from (``?document=``), with its publisher."""
        if not hasattr(request, "_source_document"):
            document_id = parse_id(request.GET.get("document", ""))
            found = Document.objects.select_related("publisher").filter(pk=document_id).first() if document_id else None
            request._source_document = found
        return request._source_document

    def sentences(self, request) -> list[str]:
        document = self.source_document(request)
        return document_sentences(document.body) if document is not None else []

    def picked_sentence(self, request) -> str | None:
        """The sentence picked from the list without JavaScript (``?sentence=``, from 1)."""
        number = parse_id(request.GET.get("sentence", ""))
        sentences = self.sentences(request)
        return sentences[number - 1] if number is not None and number <= len(sentences) else None

    def sentence_choices(self, request, document: Document, sentences: list[str]) -> list[dict]:
        """The sentences to pick from, each a link that picks it without JavaScript, and
        for one already a claim's quote in this document, a link to that claim."""
        picked = parse_id(request.GET.get("sentence", ""))
        quotes = [
            (" ".join(quote.split()), claim_id)
            for quote, claim_id in Appearance.objects.filter(document=document)
            .order_by("-pk")
            .values_list("quote", "claim_id")[:QUOTED_SENTENCES]
        ]
        choices = []
        for number, sentence in enumerate(sentences, start=1):
            # A quote is often part of a sentence, or runs over two.
            claim_id = next((c for q, c in quotes if q in sentence or sentence in q), None)
            claim_url = reverse("admin:claims_claim_change", args=[claim_id]) if claim_id else None
            url = f"?document={document.pk}&sentence={number}"
            choices.append({"url": url, "text": sentence, "picked": number == picked, "claim_url": claim_url})
        return choices

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        document = self.source_document(request)
        if document is not None:
            for name in ("document", "sentence"):  # not fields of the claim's own form
                initial.pop(name, None)
            initial["language"] = document.language
            initial["text"] = self.picked_sentence(request) or initial.get("text", "")
        return initial

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        document = self.source_document(request)
        if document is None or "Location" not in response:
            return response
        if "_addanother" in request.POST:
            # The next claim from the same document.
            response["Location"] = reverse("admin:claims_claim_add") + f"?document={document.pk}"
        else:
            # Django carries the add form's query to the next page: not the document's.
            url = urlsplit(response["Location"])
            query = urlencode([(k, v) for k, v in parse_qsl(url.query) if k not in ("document", "sentence")])
            fragment = "trace" if "_continue" in request.POST and getattr(request, "_chain_recorded", False) else ""
            response["Location"] = urlunsplit(url._replace(query=query, fragment=fragment or url.fragment))
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        context["chain_form"], context["hop_formset"] = form.chain_form, form.hop_formset
        document = self.source_document(request) if add else None
        if document is not None:
            sentences = self.sentences(request)
            context["source_document"] = document
            context["document_sentences"] = self.sentence_choices(request, document, sentences)
            context["document_sentences_cut"] = len(sentences) >= MAX_SENTENCES
        if getattr(request, "_chain_error", None) is not None:
            self.message_user(request, "Nothing was saved: the chain has errors, shown below.", messages.ERROR)
        if obj is not None:
            context.update(self.trace_context(request, obj.pk))
            context["verify_hops"] = self.admin_site._registry[Attribution].has_change_permission(request)
            # The hop inline shows each row's evidence from the trace just read (redacted
            # for this viewer): no query of its own.
            edges = {e.id: e for e in context["trace"].edges}
            for inline in context.get("inline_admin_formsets", []):
                if isinstance(inline.opts, AttributionInline):
                    inline.formset.total = len(edges)
                    for row in inline.formset.forms:
                        edge = edges.get(row.instance.pk)
                        row.instance.trace_evidence = edge.evidence if edge else ()
                        row.instance.trace_withheld = edge.withheld if edge else False
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

    # --- verifying a hop in one click

    def get_urls(self):
        verify = path(
            "<path:object_id>/hops/<int:hop_id>/verify/",
            self.admin_site.admin_view(self.verify_hop_view),
            name="claims_claim_verify_hop",
        )
        return [verify, *super().get_urls()]

    def verify_hop_view(self, request: HttpRequest, object_id: str, hop_id: int) -> HttpResponse:
        """POST: mark one hop of this claim verified (editors), then back to the claim's
        hops. The admin's own CSRF protection and login apply (``admin_view``)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.admin_site._registry[Attribution].has_change_permission(request):
            raise PermissionDenied
        claim_id = parse_id(object_id)
        edge = (
            Attribution.objects.select_related("statement__source", "upstream__source")
            .filter(pk=hop_id, claim_id=claim_id)
            .first()
            if claim_id is not None
            else None
        )
        if edge is None:
            raise Http404("No such hop on this claim.")
        name = f"{edge.statement.source} → {edge.upstream.source}"
        try:
            changed = services.attribution_verify(attribution=edge)
        except Gone:
            self.message_user(request, f"{name}: deleted meanwhile; nothing verified.", messages.ERROR)
        else:
            if changed:
                self.message_user(request, f"{name} verified.", messages.SUCCESS)
            else:
                self.message_user(request, f"{name} was already verified.", messages.INFO)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim_id]) + "#attributions-group")

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

    # Removed through the service, which refreshes the claim's trace summary.
    def delete_model(self, request, obj):
        services.statement_delete(statement=obj)

    def delete_queryset(self, request, queryset):
        for statement in queryset.order_by("pk"):
            try:
                services.statement_delete(statement=statement)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)

    def delete_view(self, request, object_id, extra_context=None):
        # A hop may have come to use the statement since the confirmation page.
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:claims_statement_changelist"))


class EvidenceInline(admin.TabularInline):
    """A hop's evidence: each document asserting it, its words, the relation as it
    words it. Saved through the services (AttributionAdmin.save_formset)."""

    model = Evidence
    fk_name = "attribution"
    fields = ["document", "quote", "relation"]
    autocomplete_fields = ["document"]
    extra = 1
    verbose_name_plural = "evidence"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("document")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # The site's autocomplete, which looks up only values that can be keys (core.admin).
        if db_field.name == "document":
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Attribution)
class AttributionAdmin(ServiceAdmin):
    """One hop. Its ends are fixed (record a new chain to change them); what the hop
    says about itself (relation, verified) and its evidence can be corrected."""

    list_display = ["hop", "relation", "verified", "claim"]
    list_filter = ["relation", "verified", "created_at", ClaimIdFilter]
    list_select_related = ["statement__source", "upstream__source", "claim"]
    search_fields = ["statement__source__name", "upstream__source__name"]
    readonly_fields = ["claim", "statement", "upstream", "created_at"]
    fields = ["claim", "statement", "upstream", "relation", "verified", "created_at"]
    inlines = [EvidenceInline]
    actions = ["mark_verified"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request) -> bool:
        return False

    def lock_ahead(self, request, obj, values):
        # The hop's claim before the hop, as chains lock them: the services lock it too (to
        # store its trace summary again), but after the hop's row lock here.
        lock(Claim(pk=obj.claim_id))

    def update_with(self, request, obj, form, values):
        return services.attribution_update(attribution=obj, **values)

    def save_formset(self, request, form, formset, change) -> None:
        formset.save(commit=False)
        try:
            for evidence in formset.deleted_objects:
                services.evidence_delete(evidence=evidence)
            for evidence, changed in formset.changed_objects:
                services.evidence_update(evidence=evidence, **{name: getattr(evidence, name) for name in changed})
            for evidence in formset.new_objects:
                services.evidence_add(
                    attribution=form.instance,
                    document=evidence.document,
                    quote=evidence.quote,
                    relation=evidence.relation,
                )
        except ValidationError as error:
            raise ServiceRejected(error) from error

    @admin.display(description="hop")
    def hop(self, edge: Attribution) -> str:
        return format_html(
            "{} <em>{}</em> {}", edge.statement.source, edge.get_relation_display(), edge.upstream.source
        )

    @admin.action(description="Mark selected hops verified", permissions=["change"])
    def mark_verified(self, request: HttpRequest, queryset: QuerySet[Attribution]) -> None:
        verified = already = 0
        for edge in queryset.order_by("pk"):
            try:
                changed = services.attribution_verify(attribution=edge)
            except Gone:
                continue  # deleted meanwhile: nothing to verify
            verified, already = verified + changed, already + (not changed)
        noun = "hop" if verified == 1 else "hops"
        message = f"{verified} {noun} marked verified."
        if already:
            message += f" {already} already were."
        self.message_user(request, message, messages.SUCCESS if verified else messages.INFO)

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
    """The source page, with what relies on it: how many claims, the source's role in the
    latest of them and how far down their chains it sits, and, for a source no longer
    trusted, a button that sends its published claims back to review."""

    actions = ["merge_sources"]
    relying_shown = 20  # the latest claims listed on the page (all: the claims list, filtered)
    relying_counted = 10_000  # counted by role up to this many (the latest); "more than" past it

    def get_urls(self):
        send_back = path(
            "<path:object_id>/send-back/",
            self.admin_site.admin_view(self.send_back_view),
            name="sources_source_send_back",
        )
        return [send_back, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.relying_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def relying_context(self, request, source: Source) -> dict:
        """Three queries however many claims rely on the source: the latest claims citing it
        with its role in each (and their trace summaries), how far down their chains it sits
        (their graphs, in one read), and the latest ``relying_counted`` counted by role."""
        relying = Claim.objects.with_role_of(source.pk)
        claims = list(
            relying.select_related("trace_summary")
            .only("id", "text", "status", "trace_summary")
            .order_by("-pk")[: self.relying_shown + 1]
        )
        more = len(claims) > self.relying_shown
        claims = claims[: self.relying_shown]
        distances = provenance.distances_to([c.pk for c in claims], source.pk) if claims else {}
        for claim in claims:
            claim.distance = distances.get(claim.pk)
            summary = _summary(claim)
            claim.badges = [(code, *flag_badge(code)) for code in summary.flags] if summary else []
        latest = Claim.objects.citing(source.pk).order_by("-pk").values("pk")[: self.relying_counted + 1]
        counts = (
            relying.filter(pk__in=latest)
            .order_by()
            .values("role")
            .annotate(n=Count("pk"), published=Count("pk", filter=Q(status=ClaimStatus.PUBLISHED)))
        )
        by_role = {row["role"]: row["n"] for row in counts}
        total = sum(by_role.values())
        past = total > self.relying_counted
        published = sum(row["published"] for row in counts)
        changelist = reverse("admin:claims_claim_changelist")
        return {
            "relying_claims": claims,
            "relying_more": more,
            "relying_total": total,
            # Counted up to relying_counted: past it, the latest that many by role.
            "relying_count": f"More than {self.relying_counted:,}" if past else f"{total:,}",
            "relying_counted": f"{self.relying_counted:,}" if past else "",
            "relying_roles": [
                (f"{by_role.get(role, 0):,}", label)
                for role, label in (
                    ("origin", "as their origin"),
                    ("intermediary", "as an intermediary"),
                    ("reporter", "as the reporter"),
                )
                if by_role.get(role)
            ],
            "relying_published": published,
            "relying_published_count": f"{published:,}{'+' if past else ''}",
            "relying_url": f"{changelist}?source={source.pk}",
            "originating_url": f"{changelist}?origin={source.pk}",
            "sends_back": self._sends_back(request),
            "send_back_url": reverse("admin:sources_source_send_back", args=[source.pk]),
        }

    def _sends_back(self, request) -> bool:
        return self.admin_site.get_model_admin(Claim).has_change_permission(request)

    def send_back_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The page of "Send these claims back to review": how many published claims rely
        on the source, the latest of them, and a confirmation; then (POST) they are sent
        back through ``claims_send_back``, a batch at a time, each in the history with who
        did it. Editors only (they may change claims)."""
        if not self._sends_back(request):
            raise PermissionDenied
        source_id = parse_id(unquote(object_id))
        source = self.get_object(request, str(source_id)) if source_id is not None else None
        if source is None:
            raise Http404("No such source.")
        page = reverse("admin:sources_source_change", args=[source.pk])
        if request.method == "POST":
            sent = services.claims_send_back(relying_on=source)
            noun = "claim" if len(sent.claims) == 1 else "claims"
            self.message_user(
                request,
                f"{len(sent.claims)} published {noun} relying on {source.name} sent back to review.",
                messages.SUCCESS if sent.claims else messages.INFO,
            )
            if sent.remaining:
                self.message_user(
                    request,
                    f"Published claims relying on {source.name} remain (they are sent back "
                    f"{services.SEND_BACK_BATCH:,} at a time, or were published meanwhile): send them back again.",
                    messages.WARNING,
                )
            return HttpResponseRedirect(page + "#relying-claims")
        published = Claim.objects.citing(source.pk).published()
        listed = list(published.only("id", "text").order_by("-pk")[: self.relying_shown + 1])
        counted = published.order_by("-pk").values("pk")[: self.relying_counted + 1]
        count = Claim.objects.filter(pk__in=counted).count()
        context = {
            **self.admin_site.each_context(request),
            "title": "Send these claims back to review?",
            "subtitle": None,
            "opts": self.opts,
            "original": source,
            "source": source,
            "claims": listed[: self.relying_shown],
            "claims_more": len(listed) > self.relying_shown,
            "count": min(count, self.relying_counted),
            "past_count": count > self.relying_counted,
            "batch": services.SEND_BACK_BATCH,
            "source_url": page,
            "claims_url": reverse("admin:claims_claim_changelist") + f"?source={source.pk}&status__exact=published",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sources/source/send_back.html", context)

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


# --- documents, with what the claims app knows of them: their claims and sources ----------

admin.site.unregister(Document)


@admin.register(Document)
class DocumentAdmin(sources_admin.DocumentAdmin):
    """The document page lists its claims and its sources (the publisher and the sources
    of every hop it evidences), and starts a claim from one of its sentences."""

    change_form_template = "admin/sources/document/change_form.html"
    shown = 50  # claims and sources listed; the rest are linked to or counted as more

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["adds_claims"] = self.admin_site.get_model_admin(Claim).has_add_permission(request)
        if obj is not None:
            context.update(self.document_context(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def document_context(self, document: Document) -> dict:
        # Two queries whatever the document holds: its latest claims and its sources, each
        # cut at ``shown`` (one row more is read to know there are others).
        appears = Appearance.objects.filter(claim=OuterRef("pk"), document_id=document.pk)
        claims = list(
            in_document(Claim.objects.all(), document.pk)
            .annotate(appears=Exists(appears))
            .only("id", "text", "status")
            .order_by("-pk")[: self.shown + 1]
        )
        # The publisher, and both ends of each hop the document evidences, read from the
        # document's side (its evidence, by index) as the claims are.
        edges = Attribution.objects.filter(evidence__document_id=document.pk).order_by()
        ends = edges.values("statement_id").union(edges.values("upstream_id"))
        in_hops = Statement.objects.filter(pk__in=ends).order_by().values("source_id")
        publisher = Source.objects.filter(pk=document.publisher_id).order_by().values("pk")
        sources = list(Source.objects.filter(pk__in=in_hops.union(publisher)).order_by("name", "id")[: self.shown + 1])
        return {
            "document_claims": claims[: self.shown],
            "document_claims_more": len(claims) > self.shown,
            "document_claims_url": reverse("admin:claims_claim_changelist") + f"?document={document.pk}",
            "document_sources": sources[: self.shown],
            "document_sources_more": len(sources) > self.shown,
            "add_claim_url": reverse("admin:claims_claim_add") + f"?document={document.pk}",
        }

    def response_add(self, request, obj, post_url_continue=None):
        if "_addclaim" in request.POST and not self.is_popup(request):
            return self._to_new_claim(request, obj, "added")
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_addclaim" in request.POST and not self.is_popup(request):
            return self._to_new_claim(request, obj, "changed")
        return super().response_change(request, obj)

    @staticmethod
    def is_popup(request) -> bool:
        return IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET

    def _to_new_claim(self, request, document: Document, done: str):
        """The "Save and add a claim from it" button: straight to the claim form, prefilled."""
        self.message_user(request, f"The document “{document}” was {done}. Pick the claim's sentence below.")
        return HttpResponseRedirect(reverse("admin:claims_claim_add") + f"?document={document.pk}")

"""The claim page and the list of claims: the claim's form, with the chain recorded under
it and its trace above (flags, a drawn graph and a tree), its latest rows inline; and the
admins of what belongs to a claim alone (topics, appearances, reviews elsewhere)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from core.access import viewer_for
from core.admin import BaseAdmin, HistoryAdmin, ServiceAdmin, ServiceRejected
from core.paginators import EstimatedCountPaginator
from core.validators import parse_id
from core.writes import Gone
from sources.models import Source

from .. import provenance, services
from ..forms import MAX_SENTENCES, ChainPrefill, ClaimAdminForm
from ..history import claim_history, claim_record_as_of
from ..models import Appearance, Attribution, Claim, ClaimStatus, ForeignReview, Relation, Topic
from ..picture import MAX_TREE_ROWS, NAMED_ORIGINS, QUOTE_CHARS, trace_graph, trace_tree
from ..search import prefix_match
from .document_flow import ClaimFromDocumentMixin
from .filters import (
    CitingSourceFilter,
    ClaimChangeList,
    ClaimIdFilter,
    DocumentIdFilter,
    FlagFilter,
    LanguageFilter,
    OriginSourceFilter,
    _SourceIdFilter,
    _summary,
    flag_badge,
)
from .publishing import PublishChecklistMixin

# The list of claims: each claim's words up to this many characters (wrapped), its origins named up to this many.
CLAIM_CHARS = 300
ORIGINS_NAMED = 3


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
    fields = ["hop", "evidence_list", "verified_or_verify", "remove"]
    readonly_fields = fields
    show_change_link = True
    verbose_name = "attribution hop"

    def get_formset(self, request, obj=None, **kwargs):
        # Inline instances are made per request: who may verify is this request's.
        self.verifies = self.admin_site._registry[Attribution].has_change_permission(request)
        self.removes = self.admin_site._registry[Attribution].has_delete_permission(request)
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

    @admin.display(description="")
    def remove(self, edge: Attribution) -> str:
        if not getattr(self, "removes", False):
            return ""
        url = reverse("admin:claims_claim_remove_hop", args=[edge.claim_id, edge.pk])
        return format_html('<a href="{}" class="deletelink remove-hop" data-hop="{}">Remove</a>', url, edge.pk)


class ForeignReviewInline(LatestRowsInline):
    """Other organisations' reviews of the claim, beside ours: read here, never merged in."""

    model = ForeignReview
    fields = ["author", "rating_label", "rating", "date_published", "url"]
    readonly_fields = fields
    verbose_name = "review elsewhere"
    verbose_name_plural = "reviews elsewhere (imported; they never change this claim)"


@admin.register(Claim)
class ClaimAdmin(ClaimFromDocumentMixin, PublishChecklistMixin, HistoryAdmin, ServiceAdmin):
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
        LanguageFilter,
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

    # --- actions ("Publish selected claims", with its checklist: PublishChecklistMixin)

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
        remove = path(
            "<path:object_id>/hops/<int:hop_id>/remove/",
            self.admin_site.admin_view(self.remove_hop_view),
            name="claims_claim_remove_hop",
        )
        return [verify, remove, *super().get_urls()]

    def _hop_of(self, object_id: str, hop_id: int) -> Attribution:
        claim_id = parse_id(object_id)
        edge = (
            Attribution.objects.select_related("claim", "statement__source", "upstream__source")
            .filter(pk=hop_id, claim_id=claim_id)
            .first()
            if claim_id is not None
            else None
        )
        if edge is None:
            raise Http404("No such hop on this claim.")
        return edge

    def verify_hop_view(self, request: HttpRequest, object_id: str, hop_id: int) -> HttpResponse:
        """POST: mark one hop of this claim verified (editors), then back to the claim's
        hops. The admin's own CSRF protection and login apply (``admin_view``)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.admin_site._registry[Attribution].has_change_permission(request):
            raise PermissionDenied
        edge = self._hop_of(object_id, hop_id)
        claim_id = edge.claim_id
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

    # --- removing a mistaken hop

    remove_hop_template = "admin/claims/claim/remove_hop.html"

    def remove_hop_view(self, request: HttpRequest, object_id: str, hop_id: int) -> HttpResponse:
        """GET: what removing this hop takes with it (its evidence, and the sources it was
        the only link of, which would otherwise read as origins); POST: remove it through
        the service, then back to the claim's trace. Editors who may delete hops."""
        if not self.admin_site._registry[Attribution].has_delete_permission(request):
            raise PermissionDenied
        try:
            edge = self._hop_of(object_id, hop_id)
        except Http404:
            # Confirmed on a page another editor's removal made stale: say so.
            claim_id = parse_id(object_id)
            if request.method != "POST" or not Claim.objects.filter(pk=claim_id).exists():
                raise
            self.message_user(request, "That hop was removed meanwhile: nothing to do.", messages.WARNING)
            return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim_id]) + "#trace")
        claim_url = reverse("admin:claims_claim_change", args=[edge.claim_id])
        name = f"{edge.statement.source} {edge.get_relation_display()} {edge.upstream.source}"
        if request.method == "POST":
            try:
                chosen = {parse_id(value) for value in request.POST.getlist("remove_statement")} - {None}
                removed = services.attribution_delete(attribution=edge, remove_unconnected=chosen)
            except Gone:
                self.message_user(request, f"{name}: removed meanwhile; nothing to do.", messages.WARNING)
                return HttpResponseRedirect(claim_url + "#trace")
            message = f"Removed the hop {name}."
            if removed:
                names = " and ".join(str(statement.source) for statement in removed)
                message += f" No hop linked {names} any more: removed from the trace too."
            self.message_user(request, message, messages.SUCCESS)
            return HttpResponseRedirect(claim_url + "#trace")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Remove a hop",
            "claim": edge.claim,
            "claim_url": claim_url,
            "hop": edge,
            "hop_name": name,
            "evidence": edge.evidence.select_related("document").order_by("pk"),
            "left_unconnected": services.ends_left_unconnected(edge),
        }
        return TemplateResponse(request, self.remove_hop_template, context)

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

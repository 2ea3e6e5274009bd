"""A claim's graph row by row: statements (read, and an unused one removed) and hops
(what a hop says of itself, and its evidence, corrected through the services)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from core.admin import AutocompleteSelect, BaseAdmin, ServiceAdmin, ServiceRejected
from core.paginators import EstimatedCountPaginator
from core.writes import Gone, lock

from .. import services
from ..models import Attribution, Claim, Evidence, Statement
from .filters import ClaimIdFilter


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
        # A hop removed here is a mistaken one: its ends left with no link go with it (a
        # source citing nobody would read as an origin), and the editor is told which.
        removed = services.attribution_delete(attribution=obj, remove_unconnected=True)
        if removed:
            names = " and ".join(str(statement.source) for statement in removed)
            self.message_user(request, f"No hop linked {names} any more: removed from the claim's trace too.")

"""Admin for sources and documents."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from core.admin import HistoryAdmin, ServiceAdmin
from core.history import History
from core.paginators import EstimatedCountPaginator

from . import services
from .models import Document, Source, SourceKind


class SourceAdminForm(forms.ModelForm):
    confirm_distinct = forms.BooleanField(
        required=False,
        label="This is a different source",
        help_text="Tick when another source goes by the same name or alias but is not this one: "
        "the two will count as two independent origins.",
    )

    class Meta:
        model = Source
        fields = [
            "name",
            "kind",
            "aliases",
            "description",
            "parent",
            "country",
            "reliability",
            "url",
            "wikidata_qid",
            "confidential",
            "public_description",
        ]
        # As ServiceAdmin's formfield_overrides: a URL typed without a scheme is https.
        formfield_callback = staticmethod(
            lambda field, **kwargs: field.formfield(
                **({"assume_scheme": "https"} if isinstance(field, models.URLField) else {}), **kwargs
            )
        )


@admin.register(Source)
class SourceAdmin(HistoryAdmin, ServiceAdmin):
    form = SourceAdminForm
    change_form_template = "admin/sources/source/change_form.html"
    list_display = ["name", "kind", "country", "reliability", "parent"]
    list_filter = ["kind", "reliability", "country"]
    list_select_related = ["parent"]
    search_fields = ["name"]  # for autocomplete; the search itself is get_search_results
    search_help_text = "Matches the name and any alias."
    autocomplete_fields = ["parent"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fieldsets = [
        (None, {"fields": ["name", "kind", "aliases", "description", "confirm_distinct"]}),
        ("Where it stands", {"fields": ["parent", "country", "reliability", "url", "wikidata_qid"]}),
        ("Confidentiality", {"fields": ["confidential", "public_description"]}),
    ]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        # The model's own search, so aliases match here as they do in the API.
        return queryset & Source.objects.search(search_term), False

    def history_entries(self, obj: Source) -> History:
        return History([(Source, "own")], obj.pk)

    def create_with(self, request, form, values):
        return services.source_create(confirm_distinct=form.cleaned_data.get("confirm_distinct", False), **values)

    def lock_ahead(self, request, obj, values):
        services.source_update_locks(obj.pk, values)

    def update_with(self, request, obj, form, values):
        confirm = form.cleaned_data.get("confirm_distinct", False)
        return services.source_update(source=obj, confirm_distinct=confirm, **values)

    def delete_model(self, request, obj):
        services.source_delete(source=obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["dependents_api_url"] = f"/api/v1/sources/{obj.pk}/dependents/"
            context["dependents_admin_url"] = reverse("admin:claims_claim_changelist") + f"?source={obj.pk}"
        return super().render_change_form(request, context, add, change, form_url, obj)


class DocumentAdminForm(forms.ModelForm):
    # A new document's publisher is often new too: named here, it is added as a source
    # with the document, with no popup (the "+" beside the list opens the full form).
    new_publisher = forms.CharField(
        required=False,
        max_length=300,
        label="Or a new publisher",
        help_text="Not in the list? Its name: it is added as a source when the document is saved.",
    )
    new_publisher_kind = forms.ChoiceField(
        choices=SourceKind.choices, initial=SourceKind.OUTLET, required=False, label="of kind"
    )

    class Meta:
        model = Document
        fields = [
            "title",
            "kind",
            "publisher",
            "language",
            "url",
            "archive_url",
            "published_at",
            "retrieved_at",
            "body",
        ]
        formfield_callback = SourceAdminForm.Meta.formfield_callback

    def clean(self):
        cleaned_data = super().clean()
        if cleaned_data.get("new_publisher", "").strip() and cleaned_data.get("publisher"):
            self.add_error("new_publisher", "Choose the publisher from the list or name a new one, not both.")
        return cleaned_data


@admin.register(Document)
class DocumentAdmin(HistoryAdmin, ServiceAdmin):
    form = DocumentAdminForm
    list_display = ["title", "kind", "publisher", "published_at", "language"]
    list_filter = ["kind", "language", "published_at", "retrieved_at"]
    list_select_related = ["publisher"]
    search_fields = ["title", "url"]
    autocomplete_fields = ["publisher"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = ["content_hash"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "publisher", "language"]}),
        ("Where and when", {"fields": ["url", "archive_url", "published_at", "retrieved_at"]}),
        ("Text", {"fields": ["body", "content_hash"]}),
    ]

    def history_entries(self, obj: Document) -> History:
        return History([(Document, "own")], obj.pk)

    def get_fieldsets(self, request, obj=None):
        if obj is not None:
            return self.fieldsets
        # Only on a new document: a change of publisher names an existing source (the
        # "+" adds one), so that a change takes its locks in the usual order.
        first = ["title", "kind", "publisher", ("new_publisher", "new_publisher_kind"), "language"]
        return [(None, {"fields": first}), *self.fieldsets[1:]]

    def create_with(self, request, form, values):
        name = form.cleaned_data.get("new_publisher", "").strip()
        if name:
            kind = form.cleaned_data.get("new_publisher_kind") or SourceKind.OUTLET
            try:
                values["publisher"] = services.source_create(name=name, kind=kind)
            except ValidationError as error:
                raise ValidationError({"new_publisher": error.messages}) from error
        return services.document_create(**values)

    def lock_ahead(self, request, obj, values):
        services.document_update_locks(values)

    def update_with(self, request, obj, form, values):
        return services.document_update(document=obj, **values)

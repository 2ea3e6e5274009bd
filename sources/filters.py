"""Query-string filters for the sources and documents lists."""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet

from core.access import Viewer, viewer_for
from core.filters import IdFilter, LanguageFilter, MomentFilter, YesNoFilter

from .models import Document, Reliability, Source, SourceKind


class SourceFilter(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", max_length=300, help_text="Part of the name or an alias.")
    kind = filters.ChoiceFilter(choices=SourceKind.choices)
    country = filters.CharFilter(method="filter_hidden", max_length=2, help_text="Two-letter ISO 3166-1 code, e.g. AZ.")
    parent = IdFilter(method="filter_parent", help_text="Sources belonging to this organisation.")
    reliability = filters.ChoiceFilter(choices=Reliability.choices, method="filter_hidden")
    confidential = YesNoFilter(help_text="Only confidential sources (true) or only the others (false).")

    class Meta:
        model = Source
        fields = ["search", "kind", "country", "parent", "reliability", "confidential"]

    @property
    def viewer(self) -> Viewer:
        return viewer_for(getattr(self.request, "user", None))

    def filter_search(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        return queryset.search(value, self.viewer)

    def filter_parent(self, queryset: QuerySet[Source], name: str, value: int) -> QuerySet[Source]:
        # Whom a confidential source works for is part of who it is.
        return queryset.without_hidden(self.viewer).filter(parent_id=value)

    def filter_hidden(self, queryset: QuerySet[Source], name: str, value: str) -> QuerySet[Source]:
        # What is hidden of a confidential source cannot be probed by filtering on it.
        return queryset.without_hidden(self.viewer).filter(**{f"{name}__iexact": value})


class DocumentFilter(filters.FilterSet):
    search = filters.CharFilter(method="filter_search", max_length=500, help_text="Part of the title.")
    publisher = IdFilter(field_name="publisher_id")
    language = LanguageFilter(help_text="Documents in these languages (BCP-47; repeated or comma-separated).")
    published_after = MomentFilter(field_name="published_at", lookup_expr="gte")
    published_before = MomentFilter(field_name="published_at", lookup_expr="lte")

    class Meta:
        model = Document
        fields = ["search", "publisher", "language", "published_after", "published_before"]

    def filter_search(self, queryset: QuerySet[Document], name: str, value: str) -> QuerySet[Document]:
        viewer = viewer_for(getattr(self.request, "user", None))
        if not viewer.sees_confidential:
            # A confidential source's documents are titled by placeholder: their real titles are not searched.
            queryset = queryset.exclude(publisher__confidential=True)
        return queryset.filter(title__icontains=value)

"""Query-string filters for the claims list and a source's dependents."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.access import viewer_for
from core.filters import IdFilter, MomentFilter
from core.validators import MAX_ID

from .models import Appearance, Claim, ClaimStatus, Rating


class ClaimFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        max_length=500,
        help_text="Full text over claim texts and the quotes of their appearances "
        '(web search syntax: words, "a phrase", -not, or).',
    )
    status = filters.ChoiceFilter(choices=ClaimStatus.choices)
    rating = filters.ChoiceFilter(choices=Rating.choices)
    source = IdFilter(method="filter_source", help_text="Claims with this source anywhere in a chain.")
    origin = IdFilter(method="filter_origin", help_text="Claims for which this source is an origin.")
    document = IdFilter(method="filter_document", help_text="Claims appearing in this document.")
    topic = filters.CharFilter(method="filter_topic", max_length=100, help_text="Topic id or slug.")
    event_after = filters.DateFilter(
        method="filter_event_after", help_text="Claimed event ends (or, without an end, starts) on or after this day."
    )
    event_before = filters.DateFilter(
        field_name="event_start", lookup_expr="lte", help_text="Claimed event starts on or before this day."
    )
    created_after = MomentFilter(field_name="created_at", lookup_expr="gte")
    created_before = MomentFilter(field_name="created_at", lookup_expr="lte")
    published_after = MomentFilter(field_name="published_at", lookup_expr="gte")
    published_before = MomentFilter(field_name="published_at", lookup_expr="lte")

    class Meta:
        model = Claim
        fields = [
            "search",
            "status",
            "rating",
            "source",
            "origin",
            "document",
            "topic",
            "event_after",
            "event_before",
            "created_after",
            "created_before",
            "published_after",
            "published_before",
        ]

    def filter_search(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset.search(value, viewer_for(getattr(self.request, "user", None)))

    def filter_source(self, queryset: QuerySet[Claim], name: str, value: int) -> QuerySet[Claim]:
        return queryset.citing(value)

    def filter_origin(self, queryset: QuerySet[Claim], name: str, value: int) -> QuerySet[Claim]:
        return queryset.originating_at(value)

    def filter_document(self, queryset: QuerySet[Claim], name: str, value: int) -> QuerySet[Claim]:
        return queryset.filter(Exists(Appearance.objects.filter(claim=OuterRef("pk"), document_id=value)))

    def filter_topic(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        # A numeric value may be an id or an all-digit slug; Exists, not a join, lists a claim once.
        match = Q(topic__slug=value)
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            match |= Q(topic_id=int(value))
        return queryset.filter(Exists(Claim.topics.through.objects.filter(match, claim=OuterRef("pk"))))

    def filter_event_after(self, queryset: QuerySet[Claim], name: str, value) -> QuerySet[Claim]:
        return queryset.filter(Q(event_end__gte=value) | Q(event_end__isnull=True, event_start__gte=value))


class DependentFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=ClaimStatus.choices)
    rating = filters.ChoiceFilter(choices=Rating.choices)

    class Meta:
        model = Claim
        fields = ["status", "rating"]

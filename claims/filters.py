"""Query-string filters for the claims list and a source's dependents."""

from __future__ import annotations

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.access import viewer_for
from core.filters import IdFilter, LanguageFilter, MomentFilter
from core.validators import MAX_ID

from .models import Appearance, Claim, ClaimStatus, Rating
from .search import Search, claim_search


class ClaimFilter(filters.FilterSet):
    search = filters.CharFilter(
        method="filter_search",
        max_length=500,
        help_text='Claims holding any of these words (web search syntax: words, "a phrase", -not, or) in '
        "their text, their quotes or their sources' names, in the languages given by `language` (every "
        "language by default), near spellings and places' other names included; best first. Each result "
        "then carries `search`: its score and a snippet with the matching words in <mark>.",
    )
    language = LanguageFilter(
        help_text="Claims in these languages (BCP-47; repeat the parameter or separate with commas); "
        "a search is then read in them only."
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
            "language",
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
        try:
            search = Search.read(value, self.form.cleaned_data.get("language"))
            if search is not None:
                search.check_meaningful()
        except ValidationError as error:
            raise ValidationError({"search": error.messages}) from None
        if search is None:
            return queryset.none()
        return claim_search(queryset, search, viewer_for(getattr(self.request, "user", None)))

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

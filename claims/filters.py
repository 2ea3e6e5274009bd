"""Query-string filters for the claims list and a source's dependents."""

from __future__ import annotations

from datetime import timedelta

import django_filters as filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.access import viewer_for
from core.filters import IdFilter, LanguageFilter, ListFilter, MomentFilter, SourceRefFilter, YesNoFilter
from core.validators import MAX_ID, parse_id
from sources.models import Source, name_key

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
    status = ListFilter(choices=ClaimStatus.choices, help_text="One status or several (repeated or comma-separated).")
    rating = ListFilter(choices=Rating.choices, help_text="One rating or several (repeated or comma-separated).")
    rated = YesNoFilter(method="filter_rated", help_text="Only rated claims (true) or only unrated (false).")
    max_age_days = filters.NumberFilter(
        method="filter_max_age_days",
        min_value=0,
        max_value=36_500,
        help_text="Claims published (or, unpublished, created) at most this many days ago.",
    )
    source = SourceRefFilter(
        method="filter_source", help_text="Claims with this source anywhere in a chain: its id, name or an alias."
    )
    origin = SourceRefFilter(
        method="filter_origin", help_text="Claims for which this source is an origin: its id, name or an alias."
    )
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
            "rated",
            "max_age_days",
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

    def filter_queryset(self, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        # The search last: it ranks the newest matches among the claims the other
        # filters leave (claims.search.RANKED), not among all claims.
        data = self.form.cleaned_data
        for name in sorted(data, key=lambda name: name == "search"):
            queryset = self.filters[name].filter(queryset, data[name])
        return queryset

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

    def filter_source(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset.citing(*self.source_ids(name, value))

    def filter_origin(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        return queryset.originating_at(*self.source_ids(name, value))

    def source_ids(self, name: str, value: str) -> list[int]:
        """An id as it is; a name or alias as the sources that have it and the viewer may
        know by it (a confidential source is never found by its name without clearance)."""
        source_id = parse_id(value)
        if source_id is not None:
            return [source_id]
        viewer = viewer_for(getattr(self.request, "user", None))
        named = Source.objects.visible_to(viewer).filter(name_keys__contains=[name_key(value)])
        if not viewer.sees_confidential:
            named = named.filter(confidential=False)
        ids = list(named.values_list("id", flat=True)[:20])
        if not ids:
            raise ValidationError(
                {name: ["No source has this id or name; find a source's id with /api/v1/sources/?search=..."]}
            )
        return ids

    def filter_rated(self, queryset: QuerySet[Claim], name: str, value: bool) -> QuerySet[Claim]:
        return queryset.exclude(rating="") if value else queryset.filter(rating="")

    def filter_max_age_days(self, queryset: QuerySet[Claim], name: str, value) -> QuerySet[Claim]:
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(Q(published_at__gte=since) | Q(published_at__isnull=True, created_at__gte=since))

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


class ClaimReviewFeedFilter(filters.FilterSet):
    modified_since = MomentFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only reviews whose claim (text, rating, explanation, status) changed at or after this moment "
        "(ISO 8601): a harvester passes the time of its last complete harvest.",
    )
    language = LanguageFilter(help_text="Only reviews of claims in these languages (BCP-47).")

    class Meta:
        model = Claim
        fields = ["modified_since", "language"]

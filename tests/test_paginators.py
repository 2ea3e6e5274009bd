from __future__ import annotations

import pytest
from django.db import connection

from core.paginators import EstimatedCountPaginator
from sources.models import Source
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db


class EstimateFromThree(EstimatedCountPaginator):
    estimate_from = 3


def test_a_big_unfiltered_list_is_counted_from_the_planner_estimate(django_assert_num_queries):
    SourceFactory.create_batch(5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sources_source")
    SourceFactory.create_batch(2)  # not yet in the statistics: the estimate lags, by design

    with django_assert_num_queries(1):
        assert EstimateFromThree(Source.objects.all(), 10).count == 5


def test_a_small_table_is_counted_exactly():
    SourceFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sources_source")
    SourceFactory.create_batch(1)

    assert EstimateFromThree(Source.objects.all(), 10).count == 3


def test_a_filtered_list_is_counted_exactly():
    SourceFactory.create_batch(5, kind="outlet")
    SourceFactory(kind="person")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE sources_source")

    assert EstimateFromThree(Source.objects.filter(kind="person"), 10).count == 1


class CountUpToThree(EstimatedCountPaginator):
    count_up_to = 3


def test_a_filtered_list_is_counted_up_to_a_bound(django_assert_num_queries):
    SourceFactory.create_batch(5, kind="outlet")
    SourceFactory(kind="person")
    with django_assert_num_queries(1):
        many = CountUpToThree(Source.objects.filter(kind="outlet"), 2)
        assert (many.count, many.capped, many.num_pages) == (3, True, 2)
    few = CountUpToThree(Source.objects.filter(kind="person"), 2)
    assert (few.count, few.capped) == (1, False)
    SourceFactory.create_batch(3, kind="government")
    exactly = CountUpToThree(Source.objects.filter(kind="government"), 2)
    assert (exactly.count, exactly.capped) == (3, False)


def test_the_list_says_more_than_when_it_stopped_counting(admin_client, monkeypatch):
    from sources.admin import SourceAdmin

    monkeypatch.setattr(SourceAdmin, "paginator", CountUpToThree)
    SourceFactory.create_batch(5, kind="outlet")
    page = admin_client.get("/admin/sources/source/", {"kind__exact": "outlet"}).content.decode()
    assert "more than 3 sources: add a filter or a search to see them all" in page
    page = admin_client.get("/admin/sources/source/", {"kind__exact": "person"}).content.decode()
    assert "0 sources" in page

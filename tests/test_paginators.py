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

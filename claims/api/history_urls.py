from __future__ import annotations

from django.urls import path

from .history import ClaimHistoryView
from .merge import SourceMergeView
from .views import SourceDependentsView

urlpatterns = [
    path("claims/<int:pk>/history/", ClaimHistoryView.as_view(), name="claim-history"),
    path("sources/<int:pk>/dependents/", SourceDependentsView.as_view(), name="source-dependents"),
    path("sources/<int:pk>/merge/", SourceMergeView.as_view(), name="source-merge"),
]

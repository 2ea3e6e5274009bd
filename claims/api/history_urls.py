from __future__ import annotations

from django.urls import path

from .history import ClaimHistoryView
from .views import SourceDependentsView

urlpatterns = [
    path("claims/<int:pk>/history/", ClaimHistoryView.as_view(), name="claim-history"),
    path("sources/<int:pk>/dependents/", SourceDependentsView.as_view(), name="source-dependents"),
]

from __future__ import annotations

from django.urls import path

from .history import ClaimHistoryView, DocumentHistoryView, SourceHistoryView

urlpatterns = [
    path("claims/<int:pk>/history/", ClaimHistoryView.as_view(), name="claim-history"),
    path("sources/<int:pk>/history/", SourceHistoryView.as_view(), name="source-history"),
    path("documents/<int:pk>/history/", DocumentHistoryView.as_view(), name="document-history"),
]

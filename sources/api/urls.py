from __future__ import annotations

from django.urls import path

from core.routers import IdRouter

from .views import DocumentHistoryView, DocumentViewSet, SourceHistoryView, SourceViewSet

router = IdRouter()
router.register("sources", SourceViewSet, basename="source")
router.register("documents", DocumentViewSet, basename="document")

urlpatterns = [
    *router.urls,
    path("sources/<int:pk>/history/", SourceHistoryView.as_view(), name="source-history"),
    path("documents/<int:pk>/history/", DocumentHistoryView.as_view(), name="document-history"),
]

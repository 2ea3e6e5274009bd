from __future__ import annotations

from core.routers import IdRouter

from .views import ClaimViewSet, TopicViewSet

router = IdRouter()
router.register("claims", ClaimViewSet, basename="claim")
router.register("topics", TopicViewSet, basename="topic")

urlpatterns = router.urls

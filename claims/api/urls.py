from __future__ import annotations

from rest_framework.routers import SimpleRouter

from .views import ClaimViewSet, TopicViewSet

router = SimpleRouter()
router.register("claims", ClaimViewSet, basename="claim")
router.register("topics", TopicViewSet, basename="topic")

urlpatterns = router.urls

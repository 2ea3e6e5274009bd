from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.errors import api_not_found
from factcheck.api_root import ApiRootView

api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("sources.api.urls")),
    path("", include("claims.api.urls")),
    path("", include("claims.api.history_urls")),
    path("", include("claims.api.interop_urls")),
    path("auth/", include("factcheck.auth_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from a URL: no inline script, so the
    # content security policy can forbid them.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/docs/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    # Anything else under /api/ answers JSON, with DEBUG on or off.
    re_path(r"^api/", api_not_found),
]

# The API answers JSON for these too (a Host header this site does not serve, too many
# fields, a PermissionDenied outside the views); the rest of the site, Django's pages.
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"

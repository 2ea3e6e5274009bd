from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.errors import api_not_found
from factcheck.api_root import ApiRootView


class FaviconView(RedirectView):
    permanent = True

    def get_redirect_url(self, *args, **kwargs) -> str:
        # Resolved per request: with hashed static names, only once collectstatic has run.
        return static("claims/favicon.svg")


api_v1 = [
    path("", ApiRootView.as_view(), name="api-root"),
    path("", include("ingestion.api")),
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
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", FaviconView.as_view()),
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

from django.urls import path

from core.auth_views import TokenView

urlpatterns = [path("token/", TokenView.as_view(), name="token")]

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared plumbing"

    def ready(self) -> None:
        from core import moments

        moments.register()


class FactcheckAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our admin site (see core.admin.FactcheckAdminSite)."""

    default = False
    default_site = "core.admin.FactcheckAdminSite"

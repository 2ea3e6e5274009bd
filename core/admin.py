"""Admin plumbing every app shares: the admin site itself (who may enter), saving
through services, the optimistic-concurrency check, and the history page.

Editors save through the services, so the admin keeps the same rules as the
API; a rule the service enforces comes back as an error on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst

from core.access import viewer_for
from core.concurrency import version_of
from core.roles import can_read_history


class FactcheckAdminSite(admin.AdminSite):
    """The admin is the desk of editors and auditors: staff users holding one of
    those roles (or superusers). Journalists read through the API, where what they
    may see of confidential sources is redacted; the admin shows everything."""

    site_header = "factcheck"
    site_title = "factcheck admin"
    index_title = "Sources, documents and claims"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and viewer_for(user).sees_confidential)


class ServiceRejected(Exception):
    """A service refused the save; carries its ValidationError back to the form."""

    def __init__(self, error: ValidationError) -> None:
        super().__init__(error)
        self.error = error


def add_validation_error(form, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names, if the
    form has that field, else at the top of the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_errors in error.error_dict.items():
        if field in form.fields:
            form.add_error(field, field_errors)
        else:
            # Service messages name what they are about, so they read well on top.
            form.add_error(None, field_errors)


def model_field_values(form, names) -> dict[str, Any]:
    """The cleaned values of the form's concrete model fields among ``names``."""
    concrete = {f.name for f in form._meta.model._meta.concrete_fields}
    return {name: form.cleaned_data[name] for name in names if name in concrete and name in form.cleaned_data}


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin that saves through a service.

    ``save_model`` calls ``create_with`` / ``update_with``. A ValidationError from
    the service rolls the whole save back (the admin wraps it in a transaction);
    the form is then shown again, as typed, with the error on it.

    The form also carries the version the editor opened (a hidden field); a save
    over someone else's later change is refused the same way, once: saving again
    after reading the warning replaces their version deliberately.
    """

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def create_with(self, request: HttpRequest, form, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_with(self, request: HttpRequest, obj: models.Model, form, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:
        try:
            if change:
                # ``obj`` already carries the new values; the service must see the stored
                # ones to judge the change (a status transition, a parent loop).
                stored = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
                self._check_version(request, form, stored)
                saved = self.update_with(request, stored, form, model_field_values(form, form.changed_data))
            else:
                saved = self.create_with(request, form, model_field_values(form, form.fields))
        except ValidationError as error:
            raise ServiceRejected(error) from error
        # The admin goes on with ``obj`` (inlines, log entry, redirect).
        obj.__dict__.update(saved.__dict__)

    def _check_version(self, request: HttpRequest, form, stored: models.Model) -> None:
        loaded = form.cleaned_data.get("loaded_version")
        current = version_of(stored)
        if loaded and loaded != current:
            request._current_version = current
            when = stored.updated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            raise ValidationError(
                f"Someone else saved this {stored._meta.verbose_name} at {when}, after you opened it "
                "(see its History). Your changes are below, not saved. Save again to replace their "
                "version with yours, or reload the page to start from theirs."
            )

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_error", None)
        current_version = getattr(request, "_current_version", None)

        class VersionedForm(form_class):
            # Rendered by templates/admin/factcheck/change_form.html (not in any fieldset).
            loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                if self.instance.pk is not None:
                    self.fields["loaded_version"].initial = version_of(self.instance)
                if current_version and self.is_bound:
                    # Warned once: the next save is a deliberate overwrite.
                    self.data = self.data.copy()
                    self.data["loaded_version"] = current_version

            def clean(self):
                cleaned_data = super().clean()
                if error is not None:
                    add_validation_error(self, error)
                return cleaned_data

        return VersionedForm

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # Second pass: the same POST, now failing validation with the service's words.
            request._service_error = rejected.error
            return super().changeform_view(request, object_id, form_url, extra_context)


class HistoryAdmin(admin.ModelAdmin):
    """The History button shows the trigger-recorded history with field diffs
    (claims/history.py), for auditors only."""

    change_form_template = "admin/factcheck/change_form.html"
    history_per_page = 100

    def history_entries(self, obj) -> list:
        """The object's change entries (``claims.history.ChangeEntry``), oldest first."""
        raise NotImplementedError

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_read_history"] = can_read_history(request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None) -> HttpResponse:
        if not can_read_history(request.user):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        entries = [
            {
                "at": entry.at,
                "actor": entry.actor,
                "app": entry.app,
                "model": entry.model,
                "object_id": entry.object_id,
                "action": entry.action,
                "summary": getattr(entry, "summary", ""),
                "diff": [(field, change[0], change[1]) for field, change in (entry.diff or {}).items()],
            }
            for entry in self.history_entries(obj)
        ]
        page = Paginator(entries, self.history_per_page).get_page(request.GET.get("p", 1))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change history: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "entries": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/factcheck/history.html", context)

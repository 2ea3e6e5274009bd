"""Admin plumbing every app shares: the admin site itself (who may enter), saving
through services, the optimistic-concurrency check, and the history page.

Editors save through the services, so the admin keeps the same rules as the
API; a rule the service enforces comes back as an error on the form.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets as admin_widgets
from django.contrib.admin.filters import SimpleListFilter
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path, quote, unquote
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import DataError, connection, models, transaction
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator, capfirst

from core.access import viewer_for
from core.concurrency import version_of
from core.errors import RETRY_AFTER_SECONDS
from core.history import ChangeEntry, History, row_as_of
from core.throttling import LOCKED_OUT, LOGIN_UNAVAILABLE, CacheUnavailable, client_ip, login_attempt
from core.validators import in_utc, parse_id, validate_moment
from core.writes import lock


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

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        """The admin's login page, with the same lockout as the API's token endpoint: each
        attempt is counted before its password is checked (core.throttling.login_attempt)."""
        if request.method != "POST":
            return super().login(request, extra_context)
        try:
            attempt = login_attempt(request.POST.get("username", ""), client_ip(request))
        except CacheUnavailable:
            # Lockouts cannot be counted: refuse rather than let attempts through uncounted.
            return self._login_refused(request, LOGIN_UNAVAILABLE, 503, RETRY_AFTER_SECONDS)
        if attempt.wait:
            return self._login_refused(
                request, LOCKED_OUT.format(minutes=max(1, attempt.wait // 60)), 429, attempt.wait
            )
        response = super().login(request, extra_context)
        if request.user.is_authenticated and response.status_code == 302:
            attempt.succeeded()
        return response

    def _login_refused(self, request: HttpRequest, message: str, status: int, retry_after: int) -> HttpResponse:
        """The login page again, with ``message`` on top, its password unchecked."""
        response = TemplateResponse(
            request,
            self.login_template or "admin/login.html",
            {
                **self.each_context(request),
                "title": "Log in",
                "form": self.login_form(request) if self.login_form else AdminAuthenticationForm(request),
                "lockout": message,
            },
            status=status,
        )
        response["Retry-After"] = str(retry_after)
        return response

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        """Every admin on the site keeps BaseAdmin's defences against hostile input, those
        other apps register (users, groups, tokens) too."""
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, BaseAdmin):
            admin_class = type(admin_class.__name__, (BaseAdmin, admin_class), {"__module__": admin_class.__module__})
        super().register(model_or_iterable, admin_class, **options)

    def autocomplete_view(self, request: HttpRequest) -> HttpResponse:
        return LabelledAutocompleteJsonView.as_view(admin_site=self)(request)


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """Autocomplete choices say more than a name where the model knows more
    (``autocomplete_label``): two sources called "RIA" are told apart by kind,
    country and aliases before one is picked."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        label = getattr(obj, "autocomplete_label", None)
        if callable(label):
            result["text"] = label()
        return result


# --- hostile input: what a query string or a form carries is checked before the database sees it


def is_key(field: models.Field, value: Any) -> bool:
    """Whether ``value`` (from a URL or a form) can name a row by ``field``: an integer key
    by ``parse_id`` (ASCII digits, in the bigint range), any other by the field's parsing."""
    if isinstance(field, models.IntegerField):  # AutoField and BigAutoField too
        return parse_id(value) is not None
    try:
        field.to_python(value)
    except (ValidationError, ValueError, TypeError):
        return False
    return True


class KeyCheckedAutocomplete:
    """An autocomplete widget that looks up only values that can be keys. A form shown again
    with "abc", "1.5" or a list of names in the field shows it empty, where Django's
    ``AutocompleteMixin.optgroups`` hands the value to the database and fails with a 500.
    (The form field itself has already said what is wrong with the value.)"""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        opts = remote.model._meta
        target = opts.get_field(getattr(remote, "field_name", None) or opts.pk.name)
        return super().optgroups(name, [v for v in value if is_key(target, v)], attr)


class AutocompleteSelect(KeyCheckedAutocomplete, admin_widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(KeyCheckedAutocomplete, admin_widgets.AutocompleteSelectMultiple):
    pass


# The lookups the changelist filters build (Django's field filters use exact, isnull, gte
# and lt; the others are their plain companions). Any other lookup is refused (a 400).
FILTER_LOOKUPS = ("exact", "in", "gte", "lte", "gt", "lt", "isnull")
# The parts of a date the date hierarchy filters by, and the values that make dates.
DATE_PARTS = {"year": range(1000, 9000), "month": range(1, 13), "day": range(1, 32)}


class BaseAdmin(admin.ModelAdmin):
    """What every admin of the site shares: whatever a query string or a form carries, the
    answer is the page, a message or a 4xx, never a 500.

    - Changelists take only the lookups their filters use (``lookup_allowed``): Django
      would take any lookup on any field, and ``published_at__year=99999`` fails before
      the database, ``language__regex=(`` in it. A value the database still refuses sends
      the editor back to the unfiltered list (``?e=1``), as any bad lookup does.
    - Autocomplete fields look up only values that can be keys (``AutocompleteSelect``).
    - An action's selection must name keys (``response_action``).
    """

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        for fk_lookup in self.model._meta.related_fkey_lookups:
            # As Django: the lookups of a raw-id popup, from a foreign key's limit_choices_to.
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in admin_widgets.url_params_from_lookup_dict(fk_lookup).items():
                return True
        if lookup in self.filter_lookups(request):
            return True
        field, _, part = lookup.rpartition(LOOKUP_SEP)
        if self.date_hierarchy and field == self.date_hierarchy and part in DATE_PARTS:
            number = parse_id(value)
            return number is not None and number in DATE_PARTS[part]
        return False

    def filter_lookups(self, request) -> set[str]:
        """The query-string parameters the list filters read: a simple filter's own
        parameter, and for a field ``f`` (a relation ``f`` also by its key, ``f__id``)
        ``f`` and ``f__<lookup>`` for each of FILTER_LOOKUPS."""
        names: set[str] = set()
        for spec in self.get_list_filter(request):
            if isinstance(spec, type) and issubclass(spec, SimpleListFilter):
                names.add(spec.parameter_name)
                continue
            path = spec[0] if isinstance(spec, (list, tuple)) else spec
            path = path if isinstance(path, str) else path.name
            paths = [path]
            try:
                field = get_fields_from_path(self.model, path)[-1]
            except FieldDoesNotExist:
                continue
            target = getattr(field, "target_field", None) if field.is_relation else None
            if target is not None:
                paths.append(f"{path}{LOOKUP_SEP}{target.name}")
            names.update(paths)
            names.update(f"{p}{LOOKUP_SEP}{lookup}" for p in paths for lookup in FILTER_LOOKUPS)
        return names

    def get_changelist_instance(self, request):
        # Counting the rows runs the filters with the values given: one the database
        # refuses (or Python cannot turn into a date) is a bad lookup, answered as Django
        # answers those (back to the list, ``?e=1``). A failed statement spoils the
        # transaction it runs in, so inside one (a test, a caller's block) it runs in a
        # savepoint; outside one (a request) it needs none.
        guarded = connection.in_atomic_block and bool(request.GET)
        try:
            with transaction.atomic() if guarded else nullcontext():
                return super().get_changelist_instance(request)
        except (ValueError, OverflowError, DataError) as error:
            raise IncorrectLookupParameters(error) from error

    def response_action(self, request, queryset):
        # Django filters by the selection as sent (``pk__in``): "abc" would fail in the query.
        pk = self.opts.pk
        if not all(is_key(pk, value) for value in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            self.message_user(
                request,
                f"The selection names something that is not a {self.opts.verbose_name}; nothing was done. "
                "Select the rows again.",
                messages.ERROR,
            )
            return None
        return super().response_action(request, queryset)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ServiceRejected(Exception):
    """A service refused the save; carries its ValidationError back to the form
    (``chain`` when it was the claim page's chain that was refused)."""

    def __init__(self, error: ValidationError, *, part: str = "form") -> None:
        super().__init__(error)
        self.error = error
        self.part = part


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


@dataclass(frozen=True)
class Conflict:
    """A field two editors changed differently: what it was, what they saved, what you typed."""

    label: str
    opened: Any
    theirs: Any
    yours: Any


class ServiceAdmin(BaseAdmin):
    """A ModelAdmin that saves through a service, and never loses an editor's input.

    ``save_model`` calls ``create_with`` / ``update_with`` with the fields the editor
    changed, and only those. A ValidationError from the service rolls the whole
    save back (the admin wraps it in a transaction); the form is then shown again,
    as typed, with the error on it.

    Two editors on one record: every field carries, hidden, the value it had when
    the page was opened (``show_hidden_initial``), so the save knows what *this*
    editor changed and what someone else changed meanwhile. Different fields: both
    changes are kept, no question asked. The same field, changed differently: the
    save is refused once, showing the field's three versions side by side, with
    the other editor's changes to other fields taken into the form; saving again
    keeps what the editor then chose.
    """

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def create_with(self, request: HttpRequest, form, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def update_with(self, request: HttpRequest, obj: models.Model, form, values: dict[str, Any]) -> models.Model:
        raise NotImplementedError

    def lock_ahead(self, request: HttpRequest, obj: models.Model, values: dict[str, Any]) -> None:
        """Take the locks a change of ``values`` needs before the record's row lock (the
        order every writer keeps, core.locks: names, then the source hierarchy, then rows):
        the service takes them too, but only after ``save_model`` has locked the row."""

    def save_model(self, request: HttpRequest, obj: models.Model, form, change: bool) -> None:
        try:
            if change:
                self.lock_ahead(request, obj, model_field_values(form, form.changed_data))
                # The record as stored now, locked: the service judges the change against it
                # (a status transition, a parent loop) and nobody can slip in between.
                stored = lock(obj)
                mine = self._merge(request, form, stored)
                saved = self.update_with(request, stored, form, model_field_values(form, mine))
            else:
                saved = self.create_with(request, form, model_field_values(form, form.fields))
        except ValidationError as error:
            raise ServiceRejected(error) from error
        # The admin goes on with ``obj`` (inlines, log entry, redirect).
        obj.__dict__.update(saved.__dict__)

    def _merge(self, request: HttpRequest, form, stored: models.Model) -> list[str]:
        """The fields to write: those this editor changed. Refuses (once) when someone
        else changed one of them to something else since the page was opened."""
        mine = list(form.changed_data)
        if form.cleaned_data.get("loaded_version") in ("", None, version_of(stored)):
            return mine
        now = form.stored_values(stored)
        theirs = [n for n in form.tracked_fields() if form.changed_since_opened(n, now[n])]
        clashes = [n for n in mine if n in theirs and form.fields[n].has_changed(now[n], form[n].data)]
        if not clashes:
            if theirs:
                labels = ", ".join(str(form.fields[name].label or name) for name in theirs)
                messages.info(request, f"Someone else changed {labels} while you edited; their changes are kept.")
            return mine
        request._conflict = {
            "version": version_of(stored),
            "theirs": {name: now[name] for name in theirs},
            "clashes": [
                Conflict(
                    label=str(form.fields[name].label or name),
                    opened="(too long to show; as you opened it)"
                    if form.large(name)
                    else _shown(form, name, form.opened(name)),
                    theirs=_shown(form, name, now[name]),
                    yours=_shown(form, name, form[name].data),
                )
                for name in clashes
            ],
        }
        when = f" at {stored.updated_at:%Y-%m-%d %H:%M:%S} UTC" if hasattr(stored, "updated_at") else ""
        raise ValidationError(
            f"Someone else saved this {stored._meta.verbose_name}{when}, after you opened it, and changed "
            f"{', '.join(c.label for c in request._conflict['clashes'])} differently (compare below). Nothing "
            "was saved. Their changes to other fields are now in the form; save again to keep what the form "
            "shows."
        )

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_error", None)
        conflict = getattr(request, "_conflict", None)

        class VersionedForm(form_class):
            # Rendered by templates/admin/factcheck/change_form.html (not in any fieldset).
            loaded_version = forms.CharField(widget=forms.HiddenInput, required=False)

            def __init__(self, *args, **kwargs) -> None:
                super().__init__(*args, **kwargs)
                # What each field held when the page was opened travels with the form: the
                # value itself, hidden, or for long texts (a document's body) its digest,
                # so the form is not twice the size of the document.
                self.opened_digests = []
                for name in self.tracked_fields():
                    if self.large(name):
                        digest = forms.CharField(widget=forms.HiddenInput, required=False)
                        digest.initial = _digest(self.get_initial_for_field(self.fields[name], name))
                        self.fields[f"{name}{_OPENED}"] = digest
                        self.opened_digests.append(self[f"{name}{_OPENED}"])
                    else:
                        self.fields[name].show_hidden_initial = True
                if self.instance.pk is not None:
                    self.fields["loaded_version"].initial = version_of(self.instance)
                if conflict and self.is_bound:
                    self._take_theirs(conflict)

            def tracked_fields(self) -> list[str]:
                return [
                    n
                    for n in self.fields
                    if n != "loaded_version" and not n.endswith(_OPENED) and not self.fields[n].disabled
                ]

            def large(self, name: str) -> bool:
                return (getattr(self.fields[name], "max_length", None) or 0) > LARGE_FIELD

            def opened(self, name: str):
                """The field's value when the page was opened (for a long text, its digest)."""
                if self.large(name):
                    return self.data.get(self[f"{name}{_OPENED}"].html_name, "")
                field = self.fields[name]
                return field.hidden_widget().value_from_datadict(self.data, self.files, self[name].html_initial_name)

            def changed_since_opened(self, name: str, value) -> bool:
                if self.large(name):
                    return _digest(value) != self.opened(name)
                return self.fields[name].has_changed(value, self.opened(name))

            @cached_property
            def changed_data(self) -> list[str]:
                """The fields this editor changed, against what the page showed when opened."""
                changed = [n for n in super().changed_data if not n.endswith(_OPENED) and not self.large(n)]
                changed += [
                    n for n in self.tracked_fields() if self.large(n) and _digest(self[n].data) != self.opened(n)
                ]
                return changed

            def stored_values(self, stored: models.Model) -> dict[str, Any]:
                """The record as stored, as this form's initial values."""
                fresh = type(self)(instance=stored)
                return {name: fresh.get_initial_for_field(fresh.fields[name], name) for name in self.tracked_fields()}

            def _take_theirs(self, conflict: dict) -> None:
                # Shown again after a refusal: the other editor's values replace what this
                # editor left alone, and become the new "opened" values, so the next save
                # neither reverts them nor stumbles on the same conflict again.
                self.data = data = self.data.copy()
                mine = set(self.changed_data)
                for name, value in conflict["theirs"].items():
                    widget_value = _widget_value(self.fields[name], value)
                    if self.large(name):
                        data[self[f"{name}{_OPENED}"].html_name] = _digest(value)
                        if name not in mine:
                            data[self[name].html_name] = widget_value
                        continue
                    keys = [self[name].html_initial_name] + ([] if name in mine else [self[name].html_name])
                    for key in keys:
                        if isinstance(widget_value, list):
                            data.setlist(key, widget_value)
                        elif widget_value is None:
                            data.pop(key, None)
                        else:
                            data[key] = widget_value
                data["loaded_version"] = conflict["version"]
                self.__dict__.pop("changed_data", None)

            def clean(self):
                cleaned_data = super().clean()
                if error is not None:
                    add_validation_error(self, error)
                return cleaned_data

        return VersionedForm

    def delete_view(self, request, object_id, extra_context=None):
        # A service may refuse a delete the admin's own checks let through (a source that
        # came into use meanwhile): say why, and go back to the record.
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("/delete/", 1)[0] + "/change/")

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except ValidationError as error:
                self.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        conflict = getattr(request, "_conflict", None)
        context["conflicts"] = conflict["clashes"] if conflict else []
        return super().render_change_form(request, context, add, change, form_url, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRejected as rejected:
            # Second pass: the same POST, now failing validation with the service's words.
            setattr(request, "_chain_error" if rejected.part == "chain" else "_service_error", rejected.error)
            return super().changeform_view(request, object_id, form_url, extra_context)


# Texts longer than this travel as a digest of what the page was opened with.
LARGE_FIELD = 20_000
_OPENED = "__opened"


def _digest(value: Any) -> str:
    # Browsers send a textarea's line ends as CRLF; the database holds LF.
    text = "" if value is None else str(value)
    return hashlib.sha256(text.replace("\r\n", "\n").encode()).hexdigest()


def _widget_value(field: forms.Field, value: Any):
    """A value as a browser would post it for ``field`` (None: not posted at all)."""
    prepared = field.prepare_value(value)
    if isinstance(field.widget, forms.CheckboxInput):
        return "on" if prepared else None
    if isinstance(prepared, (list, tuple)):
        return [str(item) for item in prepared]
    return "" if prepared is None else str(prepared)


def _shown(form, name: str, value: Any) -> str:
    """A field's value in words, for the side-by-side comparison."""
    field = form.fields[name]
    try:
        value = field.to_python(value) if isinstance(value, (str, list)) else value
    except ValidationError:
        pass
    if isinstance(value, bool):
        return "yes" if value else "no"
    choices = dict(getattr(field, "choices", []) or [])
    if not isinstance(value, (list, tuple)) and value in choices:
        return str(choices[value])
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return ", ".join(str(item) for item in value) or "—"
    return "—" if value in (None, "") else str(value)


# --- history: who changed what, and the record as it stood ---------------------------------

# Texts longer than this are compared word by word, and cut to SHOWN_CHARS when listed whole.
LONG_TEXT = 80
SHOWN_CHARS = 500
# Unchanged words kept on each side of a change in a word diff; longer runs are shortened.
DIFF_CONTEXT = 8
# Past this many differing words on a side (once the common beginning and end are set
# aside, which is linear), the middle is shown removed and added whole rather than
# compared (difflib is quadratic at worst).
DIFF_MAX_WORDS = 3000
_WORDS = re.compile(r"\s*\S+")


def word_diff(before: str, after: str) -> SafeString:
    """``before`` to ``after`` word by word: removed words in ``<del>``, added ones in
    ``<ins>``, long unchanged stretches cut to their ends (…). Every word escaped."""
    a, b = _WORDS.findall(before), _WORDS.findall(after)
    ka, kb = [w.strip() for w in a], [w.strip() for w in b]
    start = 0
    while start < min(len(a), len(b)) and ka[start] == kb[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and ka[len(a) - 1 - end] == kb[len(b) - 1 - end]:
        end += 1
    mid_a, mid_b = ka[start : len(a) - end], kb[start : len(b) - end]
    if len(mid_a) > DIFF_MAX_WORDS or len(mid_b) > DIFF_MAX_WORDS:
        middle = [("replace", 0, len(mid_a), 0, len(mid_b))]
    else:
        middle = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False).get_opcodes()
    ops = [("equal", 0, start, 0, start)] if start else []
    ops += [(op, i1 + start, i2 + start, j1 + start, j2 + start) for op, i1, i2, j1, j2 in middle]
    if end:
        ops.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    html = []
    for n, (op, i1, i2, j1, j2) in enumerate(ops):
        if op == "equal":
            html.append(_unchanged(a[i1:i2], first=n == 0, last=n == len(ops) - 1))
            continue
        if i2 > i1:
            html.append(_marked("del", a[i1:i2]))
        if j2 > j1:
            html.append(_marked("ins", b[j1:j2]))
    return mark_safe("".join(html))  # noqa: S308 - every piece escaped above


def _marked(tag: str, words: list[str]) -> str:
    text = "".join(words)
    body = text.lstrip()
    return f"{escape(text[: len(text) - len(body)])}<{tag}>{escape(body)}</{tag}>"


def _unchanged(words: list[str], *, first: bool, last: bool) -> str:
    keep = DIFF_CONTEXT
    if len(words) <= (keep if first or last else 2 * keep) + 1:
        return escape("".join(words))
    head = "" if first else "".join(words[:keep])
    tail = "" if last else "".join(words[-keep:])
    return f"{escape(head)} … {escape(tail)}"


@dataclass(frozen=True)
class ShownChange:
    """One field of an entry as the history page shows it: named, cut, or compared word by word."""

    field: str
    before: str
    after: str
    words: SafeString | None = None  # a long text's word diff, shown across both columns


@dataclass(frozen=True)
class ShownEntry:
    at: datetime
    actor: str | None
    app: str | None
    action: str
    headline: str  # "Added hop"
    label: str  # "Reuters citing RIA Novosti"
    changes: list[ShownChange]
    as_of_url: str  # the record as of this moment


def _shown_value(field: models.Field | None, value: Any, name: str | None) -> str:
    """A value from a history event in words."""
    if name is not None:
        return name
    if value is None or value == "" or value == []:
        return "—"
    if field is not None and field.is_relation:
        return f"{field.related_model._meta.verbose_name} {value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if moment else value
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = value if isinstance(value, str) else str(value)
    return Truncator(text).chars(SHOWN_CHARS)


def shown_changes(model: type[models.Model], entry: ChangeEntry, hidden: set[str]) -> list[ShownChange]:
    """The entry's diff, field by field, as the page shows it: references named, choices
    in words, long texts compared word by word; an insert or a delete lists the fields
    that hold something."""
    changes = []
    for name, (before, after) in entry.diff.items():
        if name in hidden:
            continue
        if entry.action != "update" and (before if entry.action == "delete" else after) in (None, "", []):
            continue
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        label = str(field.verbose_name) if field is not None else name
        named_before, named_after = entry.named.get(name, (None, None))
        words = None
        if (
            entry.action == "update"
            and isinstance(before, str)
            and isinstance(after, str)
            and max(len(before), len(after)) > LONG_TEXT
        ):
            words = word_diff(before, after)
        changes.append(
            ShownChange(
                field=label,
                before=_shown_value(field, before, named_before),
                after=_shown_value(field, after, named_after),
                words=words,
            )
        )
    return changes


def parse_moment(value: str | None) -> datetime | None:
    """A moment from a URL (ISO 8601; UTC when it names no offset), or None if it is not one."""
    try:
        moment = parse_datetime((value or "").strip())
        if moment is None:
            return None
        moment = in_utc(moment)
        validate_moment(moment)
    except (ValueError, OverflowError, ValidationError):
        return None
    return moment


class HistoryAdmin(BaseAdmin):
    """The History button: the trigger-recorded history (core.history), newest first, with
    names for what each change refers to, word diffs of long texts, filters by person
    and by field, and on each entry a link to the record as it stood at that moment
    (read-only). For auditors, and for editors on the records they may edit."""

    change_form_template = "admin/factcheck/change_form.html"
    as_of_template = "admin/factcheck/as_of.html"
    history_per_page = 50

    def history_entries(self, obj) -> History:
        """The object's changes, oldest first (a ``core.history.History``, paged in the database)."""
        raise NotImplementedError

    def may_read_history(self, request: HttpRequest, obj) -> bool:
        return viewer_for(request.user).may_read_history_of(edits_it=self.has_change_permission(request, obj))

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        as_of = path(
            "<path:object_id>/history/as-of/",
            self.admin_site.admin_view(self.as_of_view),
            name="{}_{}_as_of".format(*info),
        )
        # Before the admin's own, whose "<path:object_id>/" would take it.
        return [as_of, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_read_history"] = obj is not None and self.may_read_history(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _history_object(self, request: HttpRequest, object_id: str):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and not self.may_read_history(request, obj):
            raise PermissionDenied
        return obj

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None) -> HttpResponse:
        obj = self._history_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        viewer = viewer_for(request.user)
        history = self.history_entries(obj).for_viewer(viewer).newest()
        namer = history.namer_class(viewer)
        fields = history.fields()
        actors = history.actors()
        actor, field, problems = request.GET.get("actor") or None, request.GET.get("field") or None, []
        if actor is not None and actor not in dict(actors):
            problems.append("Nobody by that name changed this record: showing every person's changes.")
            actor = None
        if field is not None and field not in fields:
            problems.append("This record has no such field: showing changes to every field.")
            field = None
        history = history.filtered(actor=actor, field=field)
        # Paged in the database: a page costs what it shows, however long the history.
        page = Paginator(history, self.history_per_page).get_page(request.GET.get("p", 1))
        models_by_name = {model._meta.model_name: (model, link) for model, link in history.parts}
        as_of_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_as_of", args=[quote(obj.pk)])
        page.object_list = [self._shown_entry(entry, models_by_name, namer, as_of_url) for entry in page.object_list]
        filters = {k: v for k, v in (("actor", actor), ("field", field)) if v is not None}
        context = {
            **self.admin_site.each_context(request),
            "title": f"Change history: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "entries": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "page_query": urlencode(filters),
            "actors": actors,
            "fields": [
                (name, f"{name.replace('_', ' ')} ({', '.join(namer.noun(m) for m in owners)})")
                for name, owners in fields.items()
                if name not in _QUIET
            ],
            "actor": actor,
            "field": field,
            "filter_problems": problems,
            "preserved_filters": self.get_preserved_filters(request),
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/factcheck/history.html", context)

    def _shown_entry(self, entry: ChangeEntry, models_by_name, namer, as_of_url: str) -> ShownEntry:
        model, link = models_by_name[entry.model]
        own = link == "own"
        verb = {"insert": "Created" if own else "Added", "delete": "Deleted" if own else "Removed"}
        hidden = {"id", *_QUIET} | {f.name for f in model._meta.concrete_fields if f.column == link}
        return ShownEntry(
            at=entry.at,
            actor=entry.actor,
            app=entry.app,
            action=entry.action,
            headline=f"{verb.get(entry.action, 'Changed')} {namer.noun(model)}",
            label="" if own else entry.label,  # the record itself: the page is about it
            changes=shown_changes(model, entry, hidden),
            as_of_url=f"{as_of_url}?{urlencode({'at': entry.at.isoformat()})}",
        )

    # --- the record as it stood

    def record_as_of(self, request: HttpRequest, obj, moment: datetime) -> dict[str, Any] | None:
        """What the read-only page shows of ``obj`` as it stood at ``moment`` (None: it did
        not exist then): its own fields, references named as the history names them.
        Admins with more to show (a claim's topics and graph) say it their way; what they put
        under ``page`` joins the page's context (the includes of the record's own page)."""
        row = row_as_of(type(obj), obj.pk, moment)
        if row is None:
            return None
        viewer = viewer_for(request.user)
        namer = self.history_entries(obj).namer_class(viewer)
        namer.prepare([(type(obj), row, None)])
        named = namer.values(type(obj), {name: [None, value] for name, value in row.items()})
        shown = []
        for f in type(obj)._meta.concrete_fields:
            if f.primary_key or f.name not in row or f.name in _BOOKKEEPING_SHOWN:
                continue
            shown.append((capfirst(f.verbose_name), _shown_value(f, row[f.name], named.get(f.name, (None, None))[1])))
        return {"fields": shown, "row": row}

    def as_of_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self._history_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        history_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[quote(obj.pk)])
        moment = parse_moment(request.GET.get("at"))
        if moment is None:
            self.message_user(
                request,
                "That is not a moment: pick one from the history (“the record as of this moment”).",
                messages.ERROR,
            )
            return HttpResponseRedirect(history_url)
        record = self.record_as_of(request, obj, moment)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{capfirst(self.opts.verbose_name)} as of {moment:%Y-%m-%d %H:%M:%S} UTC, read-only",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "module_name": str(capfirst(self.opts.verbose_name_plural)),
            "moment": moment,
            "moment_iso": moment.isoformat(),
            "record": record,
            "history_url": history_url,
            # What the record's own page templates read (a claim's trace), as they read it there.
            **((record or {}).get("page") or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.as_of_template, context, status=200 if record else 404)


# Shown on the page of a record as it stood: when it was last saved says nothing more there.
_BOOKKEEPING_SHOWN = frozenset({"updated_at"})
# Left out of the history page's diffs and filters: when a row was created is when its
# insert happened, which the entry says already.
_QUIET = frozenset({"created_at"})

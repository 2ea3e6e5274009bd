"""Publishing from the admin: the checklist (``claims.services.claim_publish_checklist``)
shown on confirmation pages, for the claim page's change to published and for the bulk
action "Publish selected claims"; mixed into ``ClaimAdmin``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from core.admin import ServiceRejected
from core.validators import parse_id

from .. import provenance, services
from ..models import Claim, ClaimStatus

User = get_user_model()

# Form fields of the confirmation pages: the items the editor confirmed (the claim page's,
# and the bulk action's, one field per claim), going ahead, and back to the form as typed.
PUBLISH_CONFIRM = "_publish_confirm"
PUBLISH_CONFIRMED = "_publish_confirmed"
PUBLISH_BACK = "_publish_back"
# The claim page's fields not carried through its confirmation page.
_NOT_CARRIED = {"csrfmiddlewaretoken", PUBLISH_CONFIRM, PUBLISH_BACK}


class PublishUnconfirmed(Exception):
    """The publication a save asked for needs a confirmation, or is blocked: the save is
    rolled back (the admin's save is one transaction) and the confirmation page shown."""

    def __init__(self, refused: services.PublishRefused) -> None:
        super().__init__(refused)
        self.refused = refused


def _over(codes) -> str:
    return ", ".join(code.replace("_", " ") for code in codes)


class PublishChecklistMixin:
    """``ClaimAdmin``'s publishing: a save that changes the claim to published publishes it
    last, over what was confirmed, or shows the confirmation page; so does the bulk action."""

    def _publish_last(self, request, claim: Claim | None, values: dict) -> dict:
        """A change to published is made last (``publish_saved``), when the chain saved with
        it is recorded: its checklist judges the graph as this save leaves it."""
        if values.get("status") != ClaimStatus.PUBLISHED or (claim and claim.status == ClaimStatus.PUBLISHED):
            return values
        request._publish = True
        return {name: value for name, value in values.items() if name != "status"}

    @admin.display(description="published over")
    def published_over(self, claim: Claim) -> str:
        """The publications of this claim over checklist items, from their history context:
        when, by whom, over what (the latest five). Read only of a claim ever published:
        the publishing service stamps when."""
        if claim.pk is None or claim.published_at is None:
            return "—"
        key = f"{services.PUBLISH_CONFIRMED}:{claim.pk}"
        events = list(
            Claim.pgh_event_model.objects.filter(
                pgh_obj_id=claim.pk, status=ClaimStatus.PUBLISHED, pgh_context__metadata__has_key=key
            )
            .order_by("-pgh_id")
            .values_list("pgh_created_at", "pgh_context__metadata")[:5]
        )
        if not events:
            return "—"
        users = User.objects.in_bulk({parse_id(str(m.get("user", ""))) for _, m in events} - {None})
        return format_html_join(
            mark_safe("<br>"),
            "{} by {}: {}",
            (
                (
                    f"{at:%Y-%m-%d %H:%M} UTC",
                    getattr(users.get(parse_id(str(metadata.get("user", "")))), "username", "no known user"),
                    _over(metadata[key]),
                )
                for at, metadata in events
            ),
        )

    def publish_saved(self, request, claim: Claim) -> None:
        """Publish the claim this save changed to published, over the items the editor
        confirmed on the confirmation page; without them, that page (``PublishUnconfirmed``)."""
        if not getattr(request, "_publish", False):
            return
        confirmed = request.POST.getlist(PUBLISH_CONFIRM)
        try:
            services.claim_publish(claim=claim, confirm=confirmed)
        except services.PublishRefused as refused:
            raise PublishUnconfirmed(refused) from refused
        except ValidationError as error:
            raise ServiceRejected(error) from error
        if confirmed:
            self.message_user(request, f"Published over what you confirmed: {_over(confirmed)}.", messages.WARNING)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and PUBLISH_BACK in request.POST:
            # Back from the confirmation page: the form as typed, nothing saved.
            request._service_error = ValidationError(
                {
                    "status": "Not published, nothing saved: fix what the checklist asked for here (a chain can be "
                    "recorded below), or choose another status, and save again."
                }
            )
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PublishUnconfirmed as unconfirmed:
            return self.publish_confirmation(request, object_id, unconfirmed.refused)

    def publish_confirmation(self, request, object_id, refused: services.PublishRefused) -> TemplateResponse:
        """The claim page's confirmation: the checklist, and the form as sent, carried in
        hidden fields to send again with the confirmed items (or back to the form)."""
        claim = self.get_object(request, unquote(object_id)) if object_id else None
        carried = [(k, v) for k, values in request.POST.lists() if k not in _NOT_CARRIED for v in values]
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish this claim?",
            "subtitle": None,
            "opts": self.opts,
            "object": claim,
            "claim_text": claim.text if claim else request.POST.get("text", ""),
            "blocking": refused.blocking,
            "to_confirm": [item for item in refused.items if not item.blocking],
            "unconfirmed": {item.code for item in refused.unconfirmed},
            "carried": carried,
            "confirm_field": PUBLISH_CONFIRM,
            "back_field": PUBLISH_BACK,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/claims/claim/publish_confirmation.html", context)

    # --- actions

    @admin.action(description="Publish selected claims", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Claim]) -> TemplateResponse | None:
        """Each claim's checklist first, on a confirmation page (unless none has anything on
        it); confirmed there, each claim is published over the items confirmed for it."""
        claims = list(queryset.order_by("pk"))
        if PUBLISH_CONFIRMED not in request.POST:
            rows = self._checklists(claims)
            if any(row["blocking"] or row["to_confirm"] for row in rows):
                return self._publish_selected_page(request, rows)
        said: list[tuple[int, str]] = []
        published = 0
        # One transaction: the request's history context (who, and what each publication was
        # confirmed over) is written by its first write and may grow only in that transaction.
        with transaction.atomic():
            for claim in claims:
                if claim.status == ClaimStatus.PUBLISHED:
                    said.append((messages.WARNING, f"“{claim}” was already published."))
                    continue
                confirmed = request.POST.getlist(f"{PUBLISH_CONFIRM}-{claim.pk}")
                try:
                    services.claim_publish(claim=claim, confirm=confirmed)
                except services.PublishRefused as refused:
                    # Found since the page was shown (or never confirmed): judged now, said now.
                    why = "" if refused.blocking else "what it was confirmed for has changed. "
                    words = " ".join(item.message for item in refused.blocking or refused.unconfirmed)
                    said.append(
                        (
                            messages.ERROR,
                            f"“{claim}” was not published: {why}{words} Publish it again to see its checklist.",
                        )
                    )
                except ValidationError as error:
                    said.append((messages.ERROR, f"“{claim}”: {' '.join(error.messages)}"))
                else:
                    published += 1
                    if confirmed:
                        said.append((messages.WARNING, f"“{claim}” published over: {_over(confirmed)}."))
        for level, message in said:
            self.message_user(request, message, level)
        if published:
            noun = "claim" if published == 1 else "claims"
            self.message_user(request, f"{published} {noun} published.", messages.SUCCESS)
        return None

    def _checklists(self, claims: list[Claim]) -> list[dict]:
        """What the bulk confirmation page shows of each claim (their graphs in one query)."""
        traces = provenance.traces([c.pk for c in claims], chain_limit=0)
        rows = []
        for claim in claims:
            row = {"claim": claim, "problem": None, "blocking": [], "to_confirm": []}
            if claim.status == ClaimStatus.PUBLISHED:
                row["problem"] = "Already published."
            else:
                row["problem"] = services.claim_transition_error(claim, ClaimStatus.PUBLISHED)
            if row["problem"] is None:
                items = services.claim_publish_checklist(claim, claim_trace=traces[claim.pk])
                row["blocking"] = [item for item in items if item.blocking]
                row["to_confirm"] = [item for item in items if not item.blocking]
            row["publishable"] = row["problem"] is None and not row["blocking"]
            rows.append(row)
        return rows

    def _publish_selected_page(self, request, rows: list[dict]) -> TemplateResponse:
        publishable = sum(row["publishable"] for row in rows)
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish these claims?",
            "subtitle": None,
            "opts": self.opts,
            "rows": rows,
            "publishable": publishable,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "confirm_field": PUBLISH_CONFIRM,
            "confirmed_field": PUBLISH_CONFIRMED,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/claims/claim/publish_selected.html", context)

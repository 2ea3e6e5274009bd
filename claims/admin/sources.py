"""The sources app's pages with what the claims app knows of them, registered in their
place: a source's relying claims, "Send these claims back to review" and merging (the
claims app owns the statements and hops a merge moves); a document's claims and sources,
and its "Save and add a claim from it"."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.validators import parse_id
from sources import admin as sources_admin
from sources.models import Document, Source

from .. import provenance, services
from ..models import Appearance, Attribution, Claim, ClaimStatus, Statement
from .filters import _summary, flag_badge, in_document

# --- sources, with merging (the claims app owns the statements and hops a merge moves) -------

admin.site.unregister(Source)


@admin.register(Source)
class SourceAdmin(sources_admin.SourceAdmin):
    """The source page, with what relies on it: how many claims, the source's role in the
    latest of them and how far down their chains it sits, and, for a source no longer
    trusted, a button that sends its published claims back to review."""

    actions = ["merge_sources"]
    relying_shown = 20  # the latest claims listed on the page (all: the claims list, filtered)
    relying_counted = 10_000  # counted by role up to this many (the latest); "more than" past it

    def get_urls(self):
        send_back = path(
            "<path:object_id>/send-back/",
            self.admin_site.admin_view(self.send_back_view),
            name="sources_source_send_back",
        )
        return [send_back, *super().get_urls()]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.relying_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def relying_context(self, request, source: Source) -> dict:
        """Three queries however many claims rely on the source: the latest claims citing it
        with its role in each (and their trace summaries), how far down their chains it sits
        (their graphs, in one read), and the latest ``relying_counted`` counted by role."""
        relying = Claim.objects.with_role_of(source.pk)
        claims = list(
            relying.select_related("trace_summary")
            .only("id", "text", "status", "trace_summary")
            .order_by("-pk")[: self.relying_shown + 1]
        )
        more = len(claims) > self.relying_shown
        claims = claims[: self.relying_shown]
        distances = provenance.distances_to([c.pk for c in claims], source.pk) if claims else {}
        for claim in claims:
            claim.distance = distances.get(claim.pk)
            summary = _summary(claim)
            claim.badges = [(code, *flag_badge(code)) for code in summary.flags] if summary else []
        latest = Claim.objects.citing(source.pk).order_by("-pk").values("pk")[: self.relying_counted + 1]
        counts = (
            relying.filter(pk__in=latest)
            .order_by()
            .values("role")
            .annotate(n=Count("pk"), published=Count("pk", filter=Q(status=ClaimStatus.PUBLISHED)))
        )
        by_role = {row["role"]: row["n"] for row in counts}
        total = sum(by_role.values())
        past = total > self.relying_counted
        published = sum(row["published"] for row in counts)
        changelist = reverse("admin:claims_claim_changelist")
        return {
            "relying_claims": claims,
            "relying_more": more,
            "relying_total": total,
            # Counted up to relying_counted: past it, the latest that many by role.
            "relying_count": f"More than {self.relying_counted:,}" if past else f"{total:,}",
            "relying_counted": f"{self.relying_counted:,}" if past else "",
            "relying_roles": [
                (f"{by_role.get(role, 0):,}", label)
                for role, label in (
                    ("origin", "as their origin"),
                    ("intermediary", "as an intermediary"),
                    ("reporter", "as the reporter"),
                )
                if by_role.get(role)
            ],
            "relying_published": published,
            "relying_published_count": f"{published:,}{'+' if past else ''}",
            "relying_url": f"{changelist}?source={source.pk}",
            "originating_url": f"{changelist}?origin={source.pk}",
            "sends_back": self._sends_back(request),
            "send_back_url": reverse("admin:sources_source_send_back", args=[source.pk]),
        }

    def _sends_back(self, request) -> bool:
        return self.admin_site.get_model_admin(Claim).has_change_permission(request)

    def send_back_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The page of "Send these claims back to review": how many published claims rely
        on the source, the latest of them, and a confirmation; then (POST) they are sent
        back through ``claims_send_back``, a batch at a time, each in the history with who
        did it. Editors only (they may change claims)."""
        if not self._sends_back(request):
            raise PermissionDenied
        source_id = parse_id(unquote(object_id))
        source = self.get_object(request, str(source_id)) if source_id is not None else None
        if source is None:
            raise Http404("No such source.")
        page = reverse("admin:sources_source_change", args=[source.pk])
        if request.method == "POST":
            sent = services.claims_send_back(relying_on=source)
            noun = "claim" if len(sent.claims) == 1 else "claims"
            self.message_user(
                request,
                f"{len(sent.claims)} published {noun} relying on {source.name} sent back to review.",
                messages.SUCCESS if sent.claims else messages.INFO,
            )
            if sent.remaining:
                self.message_user(
                    request,
                    f"Published claims relying on {source.name} remain (they are sent back "
                    f"{services.SEND_BACK_BATCH:,} at a time, or were published meanwhile): send them back again.",
                    messages.WARNING,
                )
            return HttpResponseRedirect(page + "#relying-claims")
        published = Claim.objects.citing(source.pk).published()
        listed = list(published.only("id", "text").order_by("-pk")[: self.relying_shown + 1])
        counted = published.order_by("-pk").values("pk")[: self.relying_counted + 1]
        count = Claim.objects.filter(pk__in=counted).count()
        context = {
            **self.admin_site.each_context(request),
            "title": "Send these claims back to review?",
            "subtitle": None,
            "opts": self.opts,
            "original": source,
            "source": source,
            "claims": listed[: self.relying_shown],
            "claims_more": len(listed) > self.relying_shown,
            "count": min(count, self.relying_counted),
            "past_count": count > self.relying_counted,
            "batch": services.SEND_BACK_BATCH,
            "source_url": page,
            "claims_url": reverse("admin:claims_claim_changelist") + f"?source={source.pk}&status__exact=published",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sources/source/send_back.html", context)

    @admin.action(description="Merge selected sources into one", permissions=["change"])
    def merge_sources(self, request: HttpRequest, queryset: QuerySet[Source]):
        sources = list(queryset.order_by("id"))
        if len(sources) < 2:
            self.message_user(request, "Select the duplicates and the source to keep: two or more.", messages.WARNING)
            return None
        keep_id = parse_id(request.POST.get("keep", ""))
        if "confirm" not in request.POST or keep_id not in {s.pk for s in sources}:
            # First pass: show what would be merged and ask which source to keep.
            context = {
                **self.admin_site.each_context(request),
                "title": "Merge sources",
                "sources": sources,
                "opts": self.opts,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/sources/source/merge.html", context)
        keep = next(s for s in sources if s.pk == keep_id)
        for duplicate in sources:
            if duplicate.pk == keep.pk:
                continue
            try:
                report = services.source_merge(keep=keep, merge=duplicate)
            except ValidationError as error:
                self.message_user(request, f"{duplicate}: {' '.join(error.messages)}", messages.ERROR)
                continue
            except IntegrityError:
                # Someone recorded something with these sources meanwhile.
                self.message_user(
                    request, f"{duplicate}: changed by someone else meanwhile; try again.", messages.ERROR
                )
                continue
            for line in report.lines():
                self.message_user(request, line, messages.SUCCESS)
        return None


# --- documents, with what the claims app knows of them: their claims and sources ----------

admin.site.unregister(Document)


@admin.register(Document)
class DocumentAdmin(sources_admin.DocumentAdmin):
    """The document page lists its claims and its sources (the publisher and the sources
    of every hop it evidences), and starts a claim from one of its sentences."""

    change_form_template = "admin/sources/document/change_form.html"
    shown = 50  # claims and sources listed; the rest are linked to or counted as more

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["adds_claims"] = self.admin_site.get_model_admin(Claim).has_add_permission(request)
        if obj is not None:
            context.update(self.document_context(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def document_context(self, document: Document) -> dict:
        # Two queries whatever the document holds: its latest claims and its sources, each
        # cut at ``shown`` (one row more is read to know there are others).
        appears = Appearance.objects.filter(claim=OuterRef("pk"), document_id=document.pk)
        claims = list(
            in_document(Claim.objects.all(), document.pk)
            .annotate(appears=Exists(appears))
            .only("id", "text", "status")
            .order_by("-pk")[: self.shown + 1]
        )
        # The publisher, and both ends of each hop the document evidences, read from the
        # document's side (its evidence, by index) as the claims are.
        edges = Attribution.objects.filter(evidence__document_id=document.pk).order_by()
        ends = edges.values("statement_id").union(edges.values("upstream_id"))
        in_hops = Statement.objects.filter(pk__in=ends).order_by().values("source_id")
        publisher = Source.objects.filter(pk=document.publisher_id).order_by().values("pk")
        sources = list(Source.objects.filter(pk__in=in_hops.union(publisher)).order_by("name", "id")[: self.shown + 1])
        return {
            "document_claims": claims[: self.shown],
            "document_claims_more": len(claims) > self.shown,
            "document_claims_url": reverse("admin:claims_claim_changelist") + f"?document={document.pk}",
            "document_sources": sources[: self.shown],
            "document_sources_more": len(sources) > self.shown,
            "add_claim_url": reverse("admin:claims_claim_add") + f"?document={document.pk}",
        }

    def response_add(self, request, obj, post_url_continue=None):
        if "_addclaim" in request.POST and not self.is_popup(request):
            return self._to_new_claim(request, obj, "added")
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if "_addclaim" in request.POST and not self.is_popup(request):
            return self._to_new_claim(request, obj, "changed")
        return super().response_change(request, obj)

    @staticmethod
    def is_popup(request) -> bool:
        return IS_POPUP_VAR in request.POST or IS_POPUP_VAR in request.GET

    def _to_new_claim(self, request, document: Document, done: str):
        """The "Save and add a claim from it" button: straight to the claim form, prefilled."""
        self.message_user(request, f"The document “{document}” was {done}. Pick the claim's sentence below.")
        return HttpResponseRedirect(reverse("admin:claims_claim_add") + f"?document={document.pk}")

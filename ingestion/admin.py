"""The editor's review of an import: a document's text beside its proposals, the words
naming sources and the cue words marked; each proposal accepted as it is, edited and
accepted, attached to a claim it matches, or rejected, one at a time or ticked in bulk.
Decisions go through ``ingestion.services`` (the API's own): nothing is published."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from claims.models import Claim, Relation
from core.access import viewer_for
from core.admin import BaseAdmin
from core.validators import parse_id
from sources.models import Document, Source, SourceKind
from sources.services import source_create

from .models import Proposal, ProposalStatus
from .review import document_text, marked
from .services import proposal_accept, proposal_reject

# Proposals reviewed on one page, at most (a long article has a hundred).
PAGE = 400


@admin.register(Proposal)
class ProposalAdmin(BaseAdmin):
    """Every import's proposals, to find the pending ones; each document's are reviewed
    on its review page."""

    list_display = ["claim_text", "status", "review_link", "created_at"]
    list_filter = ["status", "created_at"]
    list_select_related = ["document"]
    search_fields = ["claim_text", "sentence"]
    show_full_result_count = False

    # Editors decide; auditors read. Nobody adds, edits or deletes a proposal by hand.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return viewer_for(request.user).sees_confidential

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return viewer_for(request.user).sees_confidential

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Document")
    def review_link(self, proposal: Proposal) -> str:
        url = reverse("admin:ingestion_proposal_review", args=[proposal.document_id])
        return format_html('<a href="{}#proposal-{}">{}</a>', url, proposal.pk, proposal.document.title)

    def get_urls(self):
        review = self.admin_site.admin_view(self.review_view)
        return [path("review/<int:document_id>/", review, name="ingestion_proposal_review"), *super().get_urls()]

    def review_view(self, request: HttpRequest, document_id: int) -> HttpResponse:
        document = Document.objects.select_related("publisher").filter(pk=document_id).first()
        if document is None or not self.has_view_permission(request):
            raise Http404("No document has this id.")
        may_decide = viewer_for(request.user).can_edit
        if request.method == "POST":
            if not may_decide:
                raise Http404("Only editors decide proposals.")
            self._decide(request, document)
            return HttpResponseRedirect(request.get_full_path())
        proposals = list(Proposal.objects.filter(document=document).order_by("position")[:PAGE])
        sources = Source.objects.only("id", "name").in_bulk(
            {hop["source"] for proposal in proposals for hop in proposal.hops if hop.get("source")}
        )
        claim_ids = {match["claim"] for proposal in proposals for match in proposal.matches}
        claim_ids |= {proposal.claim_id for proposal in proposals if proposal.claim_id}
        claims = Claim.objects.only("id", "text", "status").in_bulk(claim_ids)
        shown = []
        for proposal in proposals:
            mentions = [hop["mention"] for hop in proposal.hops]
            shown.append(
                {
                    "proposal": proposal,
                    "sentence": marked(proposal.sentence, mentions, proposal.cues),
                    "hops": [
                        {**hop, "index": index, "known": sources.get(hop.get("source"))}
                        for index, hop in enumerate(proposal.hops)
                    ],
                    "matches": [
                        {"claim": claims[match["claim"]], "score": match["score"]}
                        for match in proposal.matches
                        if match["claim"] in claims
                    ],
                    "claim": claims.get(proposal.claim_id),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review the import of {document.title}",
            "opts": self.model._meta,
            "document": document,
            "paragraphs": document_text(
                document.body, [(item["proposal"].pk, item["proposal"].sentence, item["sentence"]) for item in shown]
            ),
            "proposals": shown,
            "pending": sum(item["proposal"].status == ProposalStatus.PENDING for item in shown),
            "may_decide": may_decide,
            "relations": Relation.choices,
        }
        return TemplateResponse(request, "admin/ingestion/review.html", context)

    def _decide(self, request: HttpRequest, document: Document) -> None:
        """The decision the form carries: one proposal's (its Accept or Reject button) or
        the ticked ones' (the bulk buttons), each in a transaction of its own, so that
        one refused leaves the others decided; each outcome said in a message."""
        one = request.POST.get("decide", "")
        action, _, chosen = one.partition(":")
        if action in ("accept", "reject"):
            ids = [parse_id(chosen)]
        else:
            action = request.POST.get("bulk", "")
            ids = [parse_id(value) for value in request.POST.getlist("selected")]
        # Each once, and no more than a page holds: a forged form naming thousands would
        # otherwise be a message each.
        ids = list(dict.fromkeys(pk for pk in ids if pk is not None))[:PAGE]
        if action not in ("accept", "reject") or not ids:
            messages.warning(request, "Tick the proposals to decide, then accept or reject them.")
            return
        by_id = Proposal.objects.filter(document=document).in_bulk(ids)
        done, refused = 0, []
        strangers = [str(pk) for pk in ids if pk not in by_id]
        if strangers:
            refused.append(
                f"Not this document's proposals, left alone: {', '.join(strangers[:10])}"
                f"{' and more' if len(strangers) > 10 else ''}."
            )
        for pk in ids:
            proposal = by_id.get(pk)
            if proposal is None:
                continue
            try:
                with transaction.atomic():
                    if action == "reject":
                        proposal_reject(proposal=proposal, user=request.user)
                    else:
                        proposal_accept(proposal=proposal, user=request.user, **self._edits(request, proposal))
                done += 1
            except ValidationError as error:
                refused.append(f"“{proposal.claim_text[:80]}”: {' '.join(error.messages)}")
        if done:
            verb = "accepted" if action == "accept" else "rejected"
            messages.success(request, f"{done} proposal{'s' if done != 1 else ''} {verb}.")
        for message in refused:
            messages.error(request, message)

    def _edits(self, request: HttpRequest, proposal: Proposal) -> dict:
        """What the editor changed of ``proposal`` on the page: the claim's words, a hop's
        source or relation (or a new source named as the text names it), or a claim it
        matches to attach it to instead."""
        form, prefix = request.POST, f"p{proposal.pk}-"
        edits: dict = {}
        attach = parse_id(form.get(prefix + "attach", ""))
        if attach is not None:
            claim = Claim.objects.filter(pk=attach).first()
            if claim is None:
                raise ValidationError(f"No claim has the id {attach}.")
            edits["claim"] = claim
        else:
            text = " ".join(form.get(prefix + "claim_text", "").split())
            if "\x00" in text:  # PostgreSQL stores no NUL character: say so, not a 500
                raise ValidationError("The claim's text holds a NUL character; type it again.")
            if text and text != proposal.claim_text:
                edits["claim_text"] = text
        hops = []
        for index, hop in enumerate(proposal.hops):
            given = form.get(f"{prefix}hop{index}-source", "").strip()
            source = parse_id(given) if given else hop.get("source")
            if given and source is None:
                raise ValidationError(f"Hop {index}: {given!r} is not a source id.")
            if source is None and form.get(f"{prefix}hop{index}-new") and hop.get("mention"):
                # Named as the text names it, but for a lower-case "the" ("the Caspian Herald").
                name = hop["mention"].removeprefix("the ").strip()
                source = source_create(name=name, kind=SourceKind.OTHER).pk
            relation = form.get(f"{prefix}hop{index}-relation", hop.get("relation") or "")
            if index < len(proposal.hops) - 1 and relation not in Relation.values:
                raise ValidationError(f"Hop {index}: choose how the source got the claim.")
            hops.append({**hop, "source": source, "relation": relation or None})
        if hops != proposal.hops:
            edits["hops"] = hops
        return edits

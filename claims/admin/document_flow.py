"""A claim from a document: ``/admin/claims/claim/add/?document=<id>[&sentence=<n, from 1>]``
(the document page's "Save and add a claim from it" leads here) lists the document's
sentences to pick from, and takes the claim's language and words from the document and
the sentence picked; mixed into ``ClaimAdmin``, which prefills the chain form with it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.urls import reverse

from core.validators import parse_id
from sources.models import Document

from ..forms import document_sentences
from ..models import Appearance

# A document's latest appearances checked against its sentences ("already a claim").
QUOTED_SENTENCES = 500


class ClaimFromDocumentMixin:
    """``ClaimAdmin``'s add form taken from a document (``?document=``, ``?sentence=``)."""

    def source_document(self, request) -> Document | None:
        """The document a new claim is taken from (``?document=``), with its publisher."""
        if not hasattr(request, "_source_document"):
            document_id = parse_id(request.GET.get("document", ""))
            found = Document.objects.select_related("publisher").filter(pk=document_id).first() if document_id else None
            request._source_document = found
        return request._source_document

    def sentences(self, request) -> list[str]:
        document = self.source_document(request)
        return document_sentences(document.body) if document is not None else []

    def picked_sentence(self, request) -> str | None:
        """The sentence picked from the list without JavaScript (``?sentence=``, from 1)."""
        number = parse_id(request.GET.get("sentence", ""))
        sentences = self.sentences(request)
        return sentences[number - 1] if number is not None and number <= len(sentences) else None

    def sentence_choices(self, request, document: Document, sentences: list[str]) -> list[dict]:
        """The sentences to pick from, each a link that picks it without JavaScript, and
        for one already a claim's quote in this document, a link to that claim."""
        picked = parse_id(request.GET.get("sentence", ""))
        quotes = [
            (" ".join(quote.split()), claim_id)
            for quote, claim_id in Appearance.objects.filter(document=document)
            .order_by("-pk")
            .values_list("quote", "claim_id")[:QUOTED_SENTENCES]
        ]
        choices = []
        for number, sentence in enumerate(sentences, start=1):
            # A quote is often part of a sentence, or runs over two.
            claim_id = next((c for q, c in quotes if q in sentence or sentence in q), None)
            claim_url = reverse("admin:claims_claim_change", args=[claim_id]) if claim_id else None
            url = f"?document={document.pk}&sentence={number}"
            choices.append({"url": url, "text": sentence, "picked": number == picked, "claim_url": claim_url})
        return choices

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        document = self.source_document(request)
        if document is not None:
            for name in ("document", "sentence"):  # not fields of the claim's own form
                initial.pop(name, None)
            initial["language"] = document.language
            initial["text"] = self.picked_sentence(request) or initial.get("text", "")
        return initial

    def response_add(self, request, obj, post_url_continue=None):
        response = super().response_add(request, obj, post_url_continue)
        document = self.source_document(request)
        if document is None or "Location" not in response:
            return response
        if "_addanother" in request.POST:
            # The next claim from the same document.
            response["Location"] = reverse("admin:claims_claim_add") + f"?document={document.pk}"
        else:
            # Django carries the add form's query to the next page: not the document's.
            url = urlsplit(response["Location"])
            query = urlencode([(k, v) for k, v in parse_qsl(url.query) if k not in ("document", "sentence")])
            fragment = "trace" if "_continue" in request.POST and getattr(request, "_chain_recorded", False) else ""
            response["Location"] = urlunsplit(url._replace(query=query, fragment=fragment or url.fragment))
        return response

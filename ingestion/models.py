"""What an import proposes: a claim and its chain per sentence of a document, for an
editor to accept (through the claims' services) or reject. Nothing is published by an
import."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from claims.models import Claim
from sources.models import Document


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "pending"
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class Proposal(models.Model):
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="proposals")
    position = models.PositiveIntegerField(help_text="Its sentence's place in the document, from 0.")
    status = models.CharField(max_length=10, choices=ProposalStatus.choices, default=ProposalStatus.PENDING)
    sentence = models.TextField()
    quote = models.TextField(help_text="The words of the document the claim rests on.")
    claim_text = models.TextField(help_text="The atomic claim, without its attribution.")
    # [{"source": id or null, "mention": words of the text, "relation": ..., "quote": ...}],
    # from the publisher (the reporting end) to the origin, as POST /chains/ takes them.
    hops = models.JSONField(default=list)
    # The words of the sentence that tie its sources ("reported", "citing", "according to").
    cues = models.JSONField(default=list, blank=True)
    event_start = models.DateField(null=True, blank=True)
    event_end = models.DateField(null=True, blank=True)
    event_approximate = models.BooleanField(default=False)
    # [{"claim": id, "score": int}]: existing claims that may say the same, best first.
    matches = models.JSONField(default=list)
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["document_id", "position"]
        constraints = [models.UniqueConstraint(fields=["document", "position"], name="proposal_unique_position")]

    def __str__(self) -> str:
        return self.claim_text

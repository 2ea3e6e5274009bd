"""A claim's change history over the API: ``GET /claims/{id}/history/`` (auditors)."""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response

from claims.history import claim_history
from claims.models import Claim
from core.history import History
from core.history_api import HistoryView, history_schema


class ClaimHistoryView(HistoryView):
    queryset = Claim.objects.all()

    @history_schema(
        "Change history of a claim: its own changes merged in time order with those of its topics, "
        "appearances, statements and attribution edges, each with actor, origin of the change and a field-level diff."
    )
    def get(self, request: Request, pk: int) -> Response:
        return super().get(request, pk)

    def history_entries(self, pk: int) -> History:
        return claim_history(pk)

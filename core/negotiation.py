"""Content negotiation: an answer in a format the address does not give is a 406 that
names the formats it does give (DRF's default answers ``?format=`` it cannot serve
with a 404, as if the address did not exist)."""

from __future__ import annotations

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class StrictContentNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers, format):
        chosen = [renderer for renderer in renderers if renderer.format == format]
        if not chosen:
            given = ", ".join(sorted({renderer.format for renderer in renderers}))
            raise NotAcceptable(f"This address does not answer in {format!r}; ask for one of: {given}.")
        return chosen

"""The API's router: one address per record."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter


class IdRouter(SimpleRouter):
    """Detail routes take an id in ASCII digits only. Without this, ``int()`` reads
    "٣", "３", "1_0" or "+1" as ids, so one record would answer at many addresses,
    each with its own cache entries and ETags."""

    lookup_value = "[0-9]{1,19}"

    def get_lookup_regex(self, viewset, lookup_prefix: str = "") -> str:
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or getattr(viewset, "lookup_field", "pk")
        value = getattr(viewset, "lookup_value_regex", self.lookup_value)
        return f"(?P<{lookup_prefix}{lookup_url_kwarg}>{value})"

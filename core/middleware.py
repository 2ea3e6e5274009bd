from __future__ import annotations

from typing import Any

from pghistory.middleware import HistoryMiddleware


class ChangeContextMiddleware(HistoryMiddleware):
    """Records who made each change and through which door (admin, API)."""

    def get_context(self, request) -> dict[str, Any]:
        context = super().get_context(request)
        if request.path.startswith("/admin/"):
            context["app"] = "admin"
        elif request.path.startswith("/api/"):
            context["app"] = "api"
        else:
            context["app"] = "web"
        return context

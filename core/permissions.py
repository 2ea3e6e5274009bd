from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.roles import can_edit, can_read_all, can_read_history


class RolePermission(BasePermission):
    """Editors write; editors, journalists and auditors read. Views that set
    ``public_read = True`` (claims) also answer anonymous reads; their querysets
    then show published claims only."""

    message = (
        "Your account has no role that allows this; ask an administrator for the editor, journalist or auditor group."
    )

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return getattr(view, "public_read", False) or can_read_all(request.user)
        return can_edit(request.user)


class HistoryPermission(BasePermission):
    message = "Change history is for auditors."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS and can_read_history(request.user)

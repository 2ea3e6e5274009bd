from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from core.access import viewer_for


class RolePermission(BasePermission):
    """Editors write; editors, journalists and auditors read (see core.access). Views
    that set ``public_read = True`` (claims) also answer anonymous reads; their
    querysets then show what the viewer may see (published claims only)."""

    message = (
        "Your account has no role that allows this; ask an administrator for the editor, journalist or auditor group."
    )

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return getattr(view, "public_read", False) or viewer_for(request.user).reads_unpublished
        return viewer_for(request.user).can_edit


class HistoryPermission(BasePermission):
    message = "Change history is for auditors."

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS and viewer_for(request.user).reads_history


class ClearedReadPermission(RolePermission):
    """Editors write; only those who may know who a confidential source is (editors,
    auditors) read: for records that hold a source's id beside the words that name it
    (an import's proposals), which no placeholder can redact."""

    message = "This is for editors and auditors: it may name confidential sources."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return viewer_for(request.user).sees_confidential
        return viewer_for(request.user).can_edit

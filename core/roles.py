"""The three roles are Django groups. Superusers hold every role. What each role
may see and do is decided in core.access."""

from __future__ import annotations

EDITOR = "editor"
JOURNALIST = "journalist"
AUDITOR = "auditor"
ROLES = (EDITOR, JOURNALIST, AUDITOR)


def user_roles(user) -> frozenset[str]:
    if not user or not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(ROLES)
    # Cached on the user object: one query per request, however often asked.
    if not hasattr(user, "_factcheck_roles"):
        user._factcheck_roles = frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return user._factcheck_roles

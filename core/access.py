"""Who may see what: the one place that decides it.

A *viewer* is a user seen through their roles. Everything that shows a claim, a
source or a history entry (the API, the trace, PROV, ClaimReview, exports,
dependents, the admin) asks this module, or receives data already redacted by
a function that asks it; none of them decides on its own.

The rules:

- Editors, journalists and auditors read every claim; everyone else (anonymous
  clients, users without a role) reads published claims only, and of the past
  only what was published at that moment.
- Confidential sources keep their identity to editors and auditors; everyone
  else sees a placeholder with the source's public description, and the
  documents such a source published as "a document from" that placeholder.
- The change history is for auditors; editors read, in the admin, the history of
  what they edit (a record's page opens its history). Both are cleared for
  confidential sources, so a history names them.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.roles import AUDITOR, EDITOR, ROLES, user_roles

PUBLISHED = "published"  # claims.models.ClaimStatus.PUBLISHED (core imports nothing of ours)


@dataclass(frozen=True)
class Viewer:
    roles: frozenset[str] = frozenset()

    @property
    def can_edit(self) -> bool:
        return EDITOR in self.roles

    @property
    def reads_unpublished(self) -> bool:
        """Drafts, claims in review and retracted claims: any role."""
        return bool(self.roles)

    @property
    def reads_history(self) -> bool:
        """Every change history (the API's history endpoints too): auditors."""
        return AUDITOR in self.roles

    def may_read_history_of(self, *, edits_it: bool) -> bool:
        """The history of one record, and the record as it stood: auditors, and editors
        of what they may edit. Whoever reads a history is cleared for confidential sources."""
        return self.reads_history or (edits_it and self.can_edit)

    @property
    def sees_confidential(self) -> bool:
        """The identity of confidential sources: the people who curate and audit them."""
        return bool(self.roles & {EDITOR, AUDITOR})

    def may_read_claim(self, status: str) -> bool:
        """Whether a claim in ``status`` is visible (``status`` as it was at the moment asked about)."""
        return status == PUBLISHED or self.reads_unpublished


PUBLIC = Viewer()
# Commands run by the operator (exports with --include-confidential, backups) see everything.
EVERYTHING = Viewer(roles=frozenset(ROLES))


def viewer_for(user) -> Viewer:
    return Viewer(roles=user_roles(user)) if user is not None else PUBLIC


def confidential_document_title(publisher_placeholder: str) -> str:
    """A document published by a confidential source is that source's own: its title
    and address would name them, so those without clearance see this instead."""
    return f"A document from {publisher_placeholder[0].lower()}{publisher_placeholder[1:]}"


def confidential_placeholder(source_id: int, public_description: str) -> str:
    """What a confidential source is called for those who may not know who it is:
    its public description, and a number that stays the same (so two confidential
    sources described alike are still told apart)."""
    described = public_description.strip() or "A confidential source"
    return f"{described} (confidential source {source_id})"

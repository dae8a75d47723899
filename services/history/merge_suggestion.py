"""The MergeSuggestion aggregate: two customers who may be one person, for a supervisor
to confirm or reject.

It names the two customers and the kinds of identity that tied each to the interaction,
never the identities themselves, so it holds no personal data and stays readable after
either customer is erased.
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


def suggestion_id(a: uuid.UUID, b: uuid.UUID) -> uuid.UUID:
    first, second = sorted((a, b))
    return derived_id("merge-suggestion", str(first), str(second))


class SuggestionDecided(Exception):
    """The suggestion was already confirmed or rejected."""


class MergeSuggestion(Aggregate):
    @staticmethod
    def create_id(a: uuid.UUID, b: uuid.UUID, **_: Any) -> uuid.UUID:
        return suggestion_id(a, b)

    @event("Proposed")
    def __init__(self, a: uuid.UUID, b: uuid.UUID, evidence: dict[str, Any]) -> None:
        self.a = a
        self.b = b
        self.evidence = evidence
        self.status = "pending"
        self.decided_by: str | None = None

    def _check_pending(self) -> None:
        if self.status != "pending":
            raise SuggestionDecided(f"suggestion {self.id} is already {self.status}")

    def confirm(self, by: str) -> None:
        self._check_pending()
        self._confirmed(by)

    @event("Confirmed")
    def _confirmed(self, by: str) -> None:
        self.status = "confirmed"
        self.decided_by = by

    def reject(self, by: str) -> None:
        self._check_pending()
        self._rejected(by)

    @event("Rejected")
    def _rejected(self, by: str) -> None:
        self.status = "rejected"
        self.decided_by = by

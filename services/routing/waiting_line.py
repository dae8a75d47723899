"""The WaitingLine aggregate: the contacts of one queue that no agent has taken yet."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id


class WaitingLine(Aggregate):
    @staticmethod
    def create_id(queue: str, **_: Any) -> uuid.UUID:
        return derived_id("waiting-line", queue)

    @event("Opened")
    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.entries: list[dict[str, Any]] = []

    @event("Joined")
    def join(self, contact_id: str, priority: int, queued_at: datetime) -> None:
        self.entries.append(
            {"contact_id": contact_id, "priority": priority, "queued_at": queued_at}
        )

    @event("Left")
    def leave(self, contact_id: str, reason: str) -> None:
        self.entries = [e for e in self.entries if e["contact_id"] != contact_id]

    def __contains__(self, contact_id: object) -> bool:
        return any(e["contact_id"] == contact_id for e in self.entries)

    def in_order(self) -> list[str]:
        """Highest priority first, then oldest."""
        ordered = sorted(self.entries, key=lambda e: (-e["priority"], e["queued_at"]))
        return [e["contact_id"] for e in ordered]

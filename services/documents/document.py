"""The Document aggregate: a document generated for a contact, its versions, and whether
it went to the customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event


class Document(Aggregate):
    @event("Generated")
    def __init__(
        self,
        contact_id: uuid.UUID,
        customer_id: uuid.UUID | None,
        template: str,
        title: str,
        text: str,
        amount: float | None,
        by: str,
        at: datetime,
    ) -> None:
        self.contact_id = contact_id
        self.customer_id = customer_id
        self.template = template
        self.requester = by
        self.versions: list[dict[str, Any]] = [
            {"version": 1, "title": title, "text": text, "amount": amount, "by": by, "at": at}
        ]
        self.send: dict[str, Any] | None = None  # channel, version, status, detail

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[-1]

    @property
    def revision(self) -> int:
        """The document's version number (the aggregate's `version` counts its events)."""
        return len(self.versions)

    @event("Revised")
    def revise(self, title: str, text: str, amount: float | None, by: str, at: datetime) -> None:
        self.versions = [
            *self.versions,
            {
                "version": len(self.versions) + 1,
                "title": title,
                "text": text,
                "amount": amount,
                "by": by,
                "at": at,
            },
        ]

    def request_send(self, by: str, at: datetime) -> None:
        current = self.current
        ctx = {
            "contact_id": str(self.contact_id),
            "title": current["title"],
            "text": current["text"],
            "version": self.revision,
        }
        self._send_requested(by, at, ctx)

    @event("SendRequested")
    def _send_requested(self, by: str, at: datetime, ctx: dict[str, Any]) -> None:
        self.send = {"version": ctx["version"], "status": "requested"}

    @event("DeliveryRecorded")
    def record_delivery(self, status: str, detail: str | None, at: datetime) -> None:
        self.send = {**(self.send or {}), "status": status, "detail": detail}


class DocumentReply(Aggregate):
    """Which document a reply carries, so its delivery status finds the document."""

    @staticmethod
    def create_id(reply_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return reply_id

    @event("Linked")
    def __init__(self, reply_id: uuid.UUID, document_id: uuid.UUID) -> None:
        self.document_id = document_id

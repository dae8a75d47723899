"""Approved documents go to the customer as a reply on the contact's channel.

Routing holds each contact's origin (who the customer is on their channel, the e-mail
thread); the reply it records carries the document, and ingest sends it at most once, as
it sends every reply (claimed in a KV bucket before sending)."""

from __future__ import annotations

from eventsourcing.persistence import Tracking

from events import Event
from events.documents import DocumentSendRequested, document_reply_id
from services.routing.application import RoutingApplication
from services.routing.contact import Contact
from switchboard.serial import SerialExecutor


def send_document(
    app: RoutingApplication, event: DocumentSendRequested, tracking: Tracking
) -> None:
    with app.unit(tracking) as unit:
        contact = unit.get(Contact, event.contact_id)
        if contact is None:
            return  # not a contact of ours: nothing to send it on
        reply_id = document_reply_id(event.document_id, event.document_version)
        attachment = {
            "document_id": str(event.document_id),
            "version": event.document_version,
            "title": event.title,
            "text": event.text,
            "file_name": event.file_name,
            "created": event.occurred_at.isoformat(),
        }
        contact.send_document(reply_id, event.by or "system", event.title, attachment, unit.now)


class DocumentSends:
    def __init__(self, app: RoutingApplication, run: SerialExecutor) -> None:
        self.app = app
        self.run = run

    async def send_requested(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, DocumentSendRequested)
        if not await self.run(self.app.is_processed, tracking):
            await self.run(send_document, self.app, event, tracking)

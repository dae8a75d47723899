"""What approvers and requesters are told of a document's step (English for now: the
notifier's per-language wording covers escalations; these texts are short and factual)."""

from __future__ import annotations

from events.documents import DocumentStep
from schemas.config import Person
from services.notifier.templates import Message, link_for

SMS_ROOM = 200


def document_message(event: DocumentStep, person: Person, link_base: str) -> Message:
    link = link_for(person, event.contact_id, link_base)
    asked = person.id != getattr(event, "requester", None) and event.asked is not None
    reminded = type(event).__name__ == "ApprovalReminded"
    if asked or reminded or type(event).__name__ in ("ApprovalClimbed", "ApprovalDelegated"):
        subject = f"Needs your approval: {event.title} (v{event.document_version})"
    else:
        subject = f"{event.title} (v{event.document_version}): {event.summary}"
    comment = f"\nComment: {event.comment}" if event.comment else ""
    body = (
        f"Hello {person.name},\n\n{event.summary}{comment}\n\n"
        f"Open it: {link.replace('?contact=', '?approvals=1&contact=')}\n"
    )
    short = f"Switchboard: {subject}"[:SMS_ROOM] + f" {link}"
    return Message(f"[Switchboard] {subject}", body, short)

"""What people are told, as plain functions of the event (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import TypeVar

from events import ContactEscalated, ContactFlagged, Event
from schemas.config import Person

E = TypeVar("E", bound=Event)
# (event, recipient, sender address, link base) -> the message
Template = Callable[[E, Person, str, str], EmailMessage]


def _mail(
    event: Event, kind: str, person: Person, sender: str, subject: str, body: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = person.email or ""
    msg["Subject"] = f"[Switchboard] {subject}"
    # A stable Message-ID lets mail systems drop the copy a crash-retry might send.
    msg["Message-ID"] = f"<{event.event_id}.{kind}@switchboard>"
    msg.set_content(f"Hello {person.name},\n\n{body}")
    return msg


def escalation_email(
    event: ContactEscalated, person: Person, sender: str, public_url: str
) -> EmailMessage:
    base = public_url.rstrip("/")
    came_from = f" from {event.from_agent_id}" if event.from_agent_id else ""
    return _mail(
        event,
        "escalation",
        person,
        sender,
        f"Escalation level {event.level}: {event.channel} contact",
        f"A {event.channel} contact was escalated to you{came_from}.\n"
        f"Reason: {event.reason}\n"
        f"Customer wrote: {event.summary}\n\n"
        f"Contact: {base}/api/contacts/{event.contact_id}\n"
        f"Your pending offers: {base}/api/agents/{person.id}/offers\n",
    )


def flagged_email(
    event: ContactFlagged, person: Person, sender: str, public_url: str
) -> EmailMessage:
    return _mail(
        event,
        "flagged",
        person,
        sender,
        f"{event.agent_id} cannot be reached: a {event.channel} contact",
        f"{event.agent_id} has a {event.channel} contact and can no longer be reached "
        f"({event.reason}).\n"
        f"Customer wrote: {event.summary}\n\n"
        f"Contact: {public_url.rstrip('/')}/api/contacts/{event.contact_id}\n",
    )

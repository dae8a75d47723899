"""What people are told, as plain functions of the event (no I/O): the contact's key
facts and a link to where they act on it (the console for supervisors, the desk for agents)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from events import ContactEscalated, ContactFlagged, Event, OwnerInformed
from schemas.config import Person

E = TypeVar("E", bound=Event)

SMS_LIMIT = 320  # two segments: enough for the facts and the link


@dataclass(frozen=True)
class Message:
    subject: str
    body: str  # e-mail (plain text)
    short: str  # SMS


# (event, recipient, link base) -> the message
Template = Callable[[E, Person, str], Message]


def link_for(person: Person, contact_id: uuid.UUID, base: str) -> str:
    page = "console" if person.role == "supervisor" else "desk"
    return f"{base.rstrip('/')}/{page}?contact={contact_id}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sms(headline: str, summary: str, link: str) -> str:
    room = SMS_LIMIT - len(headline) - len(link) - 6
    return f"{headline}: “{_short(summary, max(room, 20))}” {link}"


def escalation_message(event: ContactEscalated, person: Person, link_base: str) -> Message:
    link = link_for(person, event.contact_id, link_base)
    came_from = f" from {event.from_agent_id}" if event.from_agent_id else ""
    in_queue = f" in queue {event.queue}" if event.queue else ""
    if event.step == "overflow":
        subject = f"Overflow{in_queue}: {event.channel} contact"
        what = f"A {event.channel} contact{in_queue} overflowed: more agents may now take it."
    else:
        subject = f"Escalation level {event.level}: {event.channel} contact"
        what = f"A {event.channel} contact{in_queue} was escalated to you{came_from}."
    body = (
        f"Hello {person.name},\n\n"
        f"{what}\n"
        f"Reason: {event.reason}\n"
        f"Customer wrote: {event.summary}\n"
        f"Contact: {link_base.rstrip('/')}/api/contacts/{event.contact_id}\n"
        f"Escalated at: {event.occurred_at:%Y-%m-%d %H:%M:%S} UTC\n\n"
        f"Open it: {link}\n"
    )
    short = _sms(f"Switchboard: {subject}", event.summary, link)
    return Message(f"[Switchboard] {subject}", body, short)


def flagged_message(event: ContactFlagged, person: Person, link_base: str) -> Message:
    link = link_for(person, event.contact_id, link_base)
    subject = f"{event.agent_id} cannot be reached: a {event.channel} contact"
    body = (
        f"Hello {person.name},\n\n"
        f"{event.agent_id} has a {event.channel} contact and can no longer be reached "
        f"({event.reason}).\n"
        f"Customer wrote: {event.summary}\n"
        f"Contact: {link_base.rstrip('/')}/api/contacts/{event.contact_id}\n\n"
        f"Open it: {link}\n"
    )
    short = _sms(f"Switchboard: {event.agent_id} unreachable", event.summary, link)
    return Message(f"[Switchboard] {subject}", body, short)


def owner_message(event: OwnerInformed, person: Person, link_base: str) -> Message:
    link = link_for(person, event.contact_id, link_base)
    subject = f"{event.agent_id} took a {event.channel} contact of your customer"
    body = (
        f"Hello {person.name},\n\n"
        f"{event.agent_id} took a {event.channel} contact of a customer you own.\n"
        f"Customer wrote: {event.summary}\n"
        f"Contact: {link_base.rstrip('/')}/api/contacts/{event.contact_id}\n\n"
        f"To take it over, ask {event.agent_id} to transfer it to you. Open it: {link}\n"
    )
    short = _sms(f"Switchboard: {event.agent_id} took your customer's contact", event.summary, link)
    return Message(f"[Switchboard] {subject}", body, short)

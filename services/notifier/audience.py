"""Who sees which event live on the desk or console: a plain function of the event.

A person receives only what is about them (their offers, their contacts, escalations and
flags addressed to them); supervisors also get a hint that the queue board changed, which
names no customer, so the console re-reads what it shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from events import (
    AgentOffered,
    AgentStatusChanged,
    AgentWrapUpEnded,
    AgentWrapUpStarted,
    ContactAbandoned,
    ContactCompleted,
    ContactEscalated,
    ContactFlagged,
    ContactMessageAdded,
    ContactPending,
    ContactQueued,
    ContactReopened,
    ContactSnoozed,
    ContactTransferred,
    ContactWoken,
    DocumentStep,
    Event,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferWithdrawn,
    OwnerInformed,
    ReplyRequested,
)
from events.notifier import NotificationFailed
from events.sla import SlaBreached, SlaWarned

BOARD = None  # the audience "every supervisor and admin"

OFFER_STATES: dict[type[Event], str] = {
    AgentOffered: "new",
    OfferAccepted: "taken",
    OfferDeclined: "declined",
    OfferExpired: "expired",
    OfferWithdrawn: "withdrawn",
}
# Events that change what the queue board shows.
BOARD_EVENTS: tuple[type[Event], ...] = (
    ContactQueued,
    *OFFER_STATES,
    ContactEscalated,
    ContactCompleted,
    ContactAbandoned,
    ContactFlagged,
    ContactReopened,
    AgentStatusChanged,
    AgentWrapUpStarted,
    AgentWrapUpEnded,
    NotificationFailed,
    SlaWarned,
    SlaBreached,
)


@dataclass(frozen=True)
class Push:
    # the SSE event name: offer, escalation, flag, contact, status, wrapup, owner, document,
    # board
    kind: str
    data: dict[str, Any]


def pushes(event: Event) -> list[tuple[str | None, Push]]:
    """(person id, or BOARD for supervisors) and what they are pushed."""
    out: list[tuple[str | None, Push]] = []
    name = event.type_name()
    if isinstance(event, AgentOffered | OfferAccepted | OfferDeclined | OfferExpired):
        out.append((event.agent_id, _offer(event)))
    elif isinstance(event, OfferWithdrawn):
        out.append((event.agent_id, _offer(event, reason=event.reason)))
    elif isinstance(event, ContactEscalated) and event.to_person_id:
        data = _fields(
            event, "contact_id", "level", "reason", "channel", "summary", "step", "queue"
        )
        out.append((event.to_person_id, Push("escalation", {**data, "from": event.from_agent_id})))
    elif isinstance(event, ContactFlagged):
        flag = _fields(event, "contact_id", "agent_id", "reason", "channel", "summary")
        out.append((event.agent_id, Push("contact", {"change": name, **flag})))
        if event.supervisor_id:
            out.append((event.supervisor_id, Push("flag", flag)))
    elif isinstance(event, ContactMessageAdded) and event.agent_id:
        # The customer wrote again: the holder's (or offered agent's) desk re-reads the
        # transcript; the push itself carries only the short summary.
        message = _fields(event, "interaction_id", "summary", "woke", "automatic")
        out.append((event.agent_id, Push("message", {**_change(event), **message})))
    elif isinstance(
        event, ContactCompleted | ReplyRequested | ContactPending | ContactSnoozed | ContactWoken
    ):
        out.append((event.agent_id, Push("contact", _change(event))))
    elif isinstance(event, ContactAbandoned) and event.agent_id:
        out.append((event.agent_id, Push("contact", _change(event))))
    elif isinstance(event, ContactTransferred):
        # Whoever passed it on (or had it taken over by its owner) no longer holds it.
        out.append((event.from_agent_id, Push("contact", _change(event))))
    elif isinstance(event, OwnerInformed):
        # The owner's desk says who took their customer's contact, and offers to take it over.
        owned = _fields(event, "contact_id", "agent_id", "customer_id", "channel", "summary")
        out.append((event.owner_id, Push("owner", owned)))
    elif isinstance(event, AgentStatusChanged):
        out.append((event.agent_id, Push("status", {"status": event.status})))
    elif isinstance(event, AgentWrapUpStarted):
        out.append((event.agent_id, Push("wrapup", _fields(event, "contact_id", "until"))))
    elif isinstance(event, AgentWrapUpEnded):
        out.append((event.agent_id, Push("wrapup", _fields(event, "contact_id", "reason"))))
    elif isinstance(event, DocumentStep):
        # Approvers asked and requesters of a decision: their inbox or list re-reads.
        step = {"change": name, **_fields(event, "document_id", "contact_id", "summary")}
        out.extend((person, Push("document", step)) for person in event.notify)
    if isinstance(event, BOARD_EVENTS):
        hint: dict[str, Any] = {"type": name}
        if isinstance(event, NotificationFailed):
            hint["notification_id"] = str(event.notification_id)
        out.append((BOARD, Push("board", hint)))
    return out


def _fields(event: Event, *names: str) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json", include=set(names))
    return data


def _offer(event: Event, **extra: Any) -> Push:
    data = _fields(event, "offer_id", "contact_id", "expires_at", "escalation_level")
    return Push("offer", {"state": OFFER_STATES[type(event)], **data, **extra})


def _change(event: Event) -> dict[str, Any]:
    return {"change": event.type_name(), **_fields(event, "contact_id")}

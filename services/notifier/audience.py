"""Who sees which event live on the desk or console: a plain function of the event.

A person receives only what is about them (their offers, their contacts, escalations and
flags addressed to them); supervisors also get a hint that the queue board changed, which
names no customer, so the console re-reads what it shows."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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


Pushed = list[tuple[str | None, Push]]


def _to_agent(event: Any) -> Pushed:
    return [(event.agent_id, _offer(event))]


def _withdrawn(event: OfferWithdrawn) -> Pushed:
    return [(event.agent_id, _offer(event, reason=event.reason))]


def _escalated(event: ContactEscalated) -> Pushed:
    if not event.to_person_id:
        return []
    data = _fields(event, "contact_id", "level", "reason", "channel", "summary", "step", "queue")
    return [(event.to_person_id, Push("escalation", {**data, "from": event.from_agent_id}))]


def _flagged(event: ContactFlagged) -> Pushed:
    flag = _fields(event, "contact_id", "agent_id", "reason", "channel", "summary")
    out: Pushed = [(event.agent_id, Push("contact", {"change": event.type_name(), **flag}))]
    if event.supervisor_id:
        out.append((event.supervisor_id, Push("flag", flag)))
    return out


def _message(event: ContactMessageAdded) -> Pushed:
    if not event.agent_id:
        return []
    # The customer wrote again: the holder's (or offered agent's) desk re-reads the
    # transcript; the push itself carries only the short summary.
    message = _fields(event, "interaction_id", "summary", "woke", "automatic")
    return [(event.agent_id, Push("message", {**_change(event), **message}))]


def _holder(event: Any) -> Pushed:
    if not event.agent_id:
        return []
    return [(event.agent_id, Push("contact", _change(event)))]


def _transferred(event: ContactTransferred) -> Pushed:
    # Whoever passed it on (or had it taken over by its owner) no longer holds it.
    return [(event.from_agent_id, Push("contact", _change(event)))]


def _owner(event: OwnerInformed) -> Pushed:
    # The owner's desk says who took their customer's contact, and offers to take it over.
    owned = _fields(event, "contact_id", "agent_id", "customer_id", "channel", "summary")
    return [(event.owner_id, Push("owner", owned))]


def _status(event: AgentStatusChanged) -> Pushed:
    return [(event.agent_id, Push("status", {"status": event.status}))]


def _wrap_up_started(event: AgentWrapUpStarted) -> Pushed:
    return [(event.agent_id, Push("wrapup", _fields(event, "contact_id", "until")))]


def _wrap_up_ended(event: AgentWrapUpEnded) -> Pushed:
    return [(event.agent_id, Push("wrapup", _fields(event, "contact_id", "reason")))]


def _document(event: DocumentStep) -> Pushed:
    # Approvers asked and requesters of a decision: their inbox or list re-reads.
    step = {"change": event.type_name(), **_fields(event, "document_id", "contact_id", "summary")}
    return [(person, Push("document", step)) for person in event.notify]


# Whom each kind of event concerns, by its class or the nearest base class listed. The live
# feed asks EVENTS only for these and BOARD_EVENTS (`pushed`), so what is pushed and what is
# fetched cannot drift apart.
AUDIENCES: dict[type[Event], Callable[[Any], Pushed]] = {
    **dict.fromkeys((AgentOffered, OfferAccepted, OfferDeclined, OfferExpired), _to_agent),
    OfferWithdrawn: _withdrawn,
    ContactEscalated: _escalated,
    ContactFlagged: _flagged,
    ContactMessageAdded: _message,
    **dict.fromkeys(
        (
            ContactCompleted,
            ReplyRequested,
            ContactPending,
            ContactSnoozed,
            ContactWoken,
            ContactAbandoned,
        ),
        _holder,
    ),
    ContactTransferred: _transferred,
    OwnerInformed: _owner,
    AgentStatusChanged: _status,
    AgentWrapUpStarted: _wrap_up_started,
    AgentWrapUpEnded: _wrap_up_ended,
    DocumentStep: _document,
}


def pushes(event: Event) -> Pushed:
    """(person id, or BOARD for supervisors) and what they are pushed."""
    out: Pushed = []
    audience = next((AUDIENCES[c] for c in type(event).__mro__ if c in AUDIENCES), None)
    if audience is not None:
        out.extend(audience(event))
    if isinstance(event, BOARD_EVENTS):
        hint: dict[str, Any] = {"type": event.type_name()}
        if isinstance(event, NotificationFailed):
            hint["notification_id"] = str(event.notification_id)
        out.append((BOARD, Push("board", hint)))
    return out


def pushed(events: Iterable[type[Event]]) -> list[str]:
    """The subjects, among these event classes', that `pushes` may push something for."""
    kinds = (*AUDIENCES, *BOARD_EVENTS)
    return sorted({cls.subject for cls in events if issubclass(cls, kinds)})


def _fields(event: Event, *names: str) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json", include=set(names))
    return data


def _offer(event: Event, **extra: Any) -> Push:
    data = _fields(event, "offer_id", "contact_id", "expires_at", "escalation_level")
    return Push("offer", {"state": OFFER_STATES[type(event)], **data, **extra})


def _change(event: Event) -> dict[str, Any]:
    return {"change": event.type_name(), **_fields(event, "contact_id")}

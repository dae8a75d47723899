"""Per agent: which status they were in, when (pure: no I/O).

The status an agent set (available, away, offline, not_responding) is refined by their
work: available with a contact is `busy`; available with only wrap-ups is `wrap_up`.
Each change closes an interval; time in a status over a window is the overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from events import (
    AgentStatusChanged,
    AgentWrapUpEnded,
    AgentWrapUpStarted,
    ContactAbandoned,
    ContactCancelled,
    ContactCompleted,
    ContactTransferred,
    Event,
    OfferAccepted,
    OfferExpired,
)

STATUSES = ("available", "busy", "wrap_up", "away", "offline", "not_responding")


@dataclass
class AgentState:
    agent_id: str
    presence: str = "offline"
    contacts: list[str] = field(default_factory=list)
    wrapping: list[str] = field(default_factory=list)
    status: str = "offline"
    since: datetime | None = None

    def effective(self) -> str:
        if self.presence != "available":
            return self.presence
        if self.contacts:
            return "busy"
        return "wrap_up" if self.wrapping else "available"


@dataclass(frozen=True)
class Interval:
    agent_id: str
    status: str
    started_at: datetime
    ended_at: datetime


@dataclass(frozen=True)
class MissedOffer:
    agent_id: str
    contact_id: str
    at: datetime


def agents_of(event: Event) -> list[str]:
    """The agents whose state `event` may change."""
    match event:
        case ContactTransferred():
            return [event.from_agent_id]
        case ContactAbandoned() | ContactCancelled():
            return [event.agent_id] if event.agent_id else []
        case (
            AgentStatusChanged()
            | OfferAccepted()
            | ContactCompleted()
            | AgentWrapUpStarted()
            | AgentWrapUpEnded()
            | OfferExpired()
        ):
            return [event.agent_id]
    return []


def _without(items: list[str], item: str) -> list[str]:
    return [i for i in items if i != item]


def apply(state: AgentState, event: Event) -> list[Interval | MissedOffer]:
    """Changes `state`; returns the interval it closed and the offer it missed, if any."""
    contact = str(getattr(event, "contact_id", ""))
    match event:
        case AgentStatusChanged():
            state.presence = event.status
        case OfferAccepted():
            if contact not in state.contacts:
                state.contacts = [*state.contacts, contact]
        case ContactCompleted() | ContactTransferred() | ContactAbandoned() | ContactCancelled():
            state.contacts = _without(state.contacts, contact)
        case AgentWrapUpStarted():
            state.wrapping = [*_without(state.wrapping, contact), contact]
        case AgentWrapUpEnded():
            state.wrapping = _without(state.wrapping, contact)
        case OfferExpired():
            return [MissedOffer(state.agent_id, contact, event.occurred_at)]
    now = state.effective()
    if now == state.status and state.since is not None:
        return []
    closed: list[Interval | MissedOffer] = []
    if state.since is not None:
        closed.append(Interval(state.agent_id, state.status, state.since, event.occurred_at))
    state.status, state.since = now, event.occurred_at
    return closed


def seconds_in(
    intervals: list[tuple[str, datetime, datetime]], start: datetime, end: datetime
) -> dict[str, float]:
    """Seconds per status within [start, end) from (status, started, ended) intervals."""
    totals = dict.fromkeys(STATUSES, 0.0)
    for status, began, ended in intervals:
        overlap = (min(ended, end) - max(began, start)).total_seconds()
        if overlap > 0:
            totals[status] = totals.get(status, 0.0) + overlap
    return totals

"""One row per contact, folded from the public events (pure: no I/O).

A row is built from routing's events (the contact's life) and history's CustomerIdentified
(its tier). The two arrive on separate consumers in any relative order, so every field is
written by one kind of event only and a row may exist before the contact's ContactOpened
(it then has no `opened_at` and no query shows it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from events import (
    AgentOffered,
    AgentWrapUpEnded,
    AgentWrapUpStarted,
    CallBridgeFailed,
    CallConnected,
    ContactAbandoned,
    ContactCancelled,
    ContactCompleted,
    ContactEscalated,
    ContactOpened,
    ContactQueued,
    ContactReopened,
    ContactTransferred,
    CustomerIdentified,
    Event,
    OfferAccepted,
    ReplyRequested,
)
from services.reports.lead_source import called_number_of, campaign_of, source_of


@dataclass
class ContactRow:
    contact_id: uuid.UUID
    opened_at: datetime | None = None
    channel: str | None = None
    source: str | None = None
    campaign: str | None = None
    referrer: str | None = None
    called_number: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    # Filled by issue 13's events (request types, SLA policies) once they exist.
    request_type: str | None = None
    sla_outcome: str | None = None
    tier: str | None = None
    first_agent: str | None = None
    last_agent: str | None = None
    agents: list[str] = field(default_factory=list)
    offers: int = 0
    answered: bool = False
    abandoned: bool = False
    cancelled: bool = False
    transfers: int = 0
    escalations: int = 0
    reopened: int = 0
    wait_seconds: float | None = None
    first_response_seconds: float | None = None
    handle_seconds: float = 0.0
    wrap_up_seconds: float = 0.0
    resolution_seconds: float | None = None
    completed_at: datetime | None = None
    disposition: str | None = None
    # Bookkeeping, kept with the row so a projection in batches needs nothing else: when
    # the current holder took it, and when the last wrap-up on it started.
    held_since: datetime | None = None
    wrap_up_since: datetime | None = None
    # A call accepted whose agent's phone has not answered yet: not answered until it does
    # (as the queue's statistics count it).
    call_ringing: bool = False

    def values(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


COLUMNS = tuple(f.name for f in fields(ContactRow))


def contact_of(event: Event) -> uuid.UUID | None:
    """The contact a public event tells about, if any."""
    contact_id = getattr(event, "contact_id", None)
    return contact_id if isinstance(contact_id, uuid.UUID) else None


def _seconds(since: datetime | None, until: datetime) -> float:
    return max((until - since).total_seconds(), 0.0) if since is not None else 0.0


def _involve(row: ContactRow, agent_id: str | None) -> None:
    if agent_id and agent_id not in row.agents:
        row.agents = [*row.agents, agent_id]


def _stop_holding(row: ContactRow, at: datetime) -> None:
    row.handle_seconds += _seconds(row.held_since, at)
    row.held_since = None


def _unanswer(row: ContactRow) -> None:
    """The ringing call's acceptance did not count: it was the answer only if it was the
    first (a transferred call keeps the answer it had)."""
    if row.call_ringing and row.transfers == 0:
        row.answered, row.wait_seconds, row.first_agent = False, None, None
        row.held_since = None
    row.call_ringing = False


def apply(row: ContactRow, event: Event) -> None:
    """The row after `event`. Events of other kinds leave it as it is."""
    at = event.occurred_at
    match event:
        case ContactOpened():
            row.opened_at = at
            row.channel = event.channel
            row.source = source_of(event.channel, event.source, event.attributes)
            row.campaign = campaign_of(event.attributes)
            row.referrer = event.attributes.get("referrer")
            row.called_number = called_number_of(event.attributes)
            row.attributes = dict(event.attributes)
        case ContactQueued():
            row.channel = row.channel or event.channel
            row.queue = row.queue or event.queue  # where the customer came in
        case AgentOffered():
            row.offers += 1
        case OfferAccepted():
            if not row.answered:
                row.answered = True
                row.wait_seconds = event.waited_seconds
                row.first_agent = event.agent_id
            row.last_agent = event.agent_id
            _involve(row, event.agent_id)
            row.held_since = at
            row.call_ringing = row.channel == "voice"
        case CallConnected():
            row.call_ringing = False
        case CallBridgeFailed():
            _unanswer(row)
        case ReplyRequested():
            if row.first_response_seconds is None and row.opened_at is not None:
                row.first_response_seconds = _seconds(row.opened_at, at)
        case ContactTransferred():
            row.transfers += 1
            _stop_holding(row, at)
        case ContactEscalated():
            row.escalations += 1
        case ContactCompleted():
            _stop_holding(row, at)
            row.completed_at = at
            row.disposition = event.disposition or None
            row.resolution_seconds = _seconds(row.opened_at, at) if row.opened_at else None
            if event.agent_id and not event.by:
                row.last_agent = event.agent_id
        case ContactAbandoned():
            if event.agent_id:
                _unanswer(row)  # the caller hung up while the agent's phone rang
            _stop_holding(row, at)
            row.abandoned = True  # as the queue's statistics count it
            if not row.answered:
                row.wait_seconds = event.waited_seconds  # how long they waited, then left
        case ContactCancelled():
            _stop_holding(row, at)
            row.cancelled = True
        case ContactReopened():
            row.reopened += 1
            row.completed_at = None
        case AgentWrapUpStarted():
            row.wrap_up_since = at
        case AgentWrapUpEnded():
            row.wrap_up_seconds += _seconds(row.wrap_up_since, at)
            row.wrap_up_since = None
        case CustomerIdentified():
            row.tier = event.tier
    # Issue 13's events (request types, SLA outcomes) are not all known here: whichever
    # public event carries these fields fills them.
    for name in ("request_type", "sla_outcome"):
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            setattr(row, name, value)

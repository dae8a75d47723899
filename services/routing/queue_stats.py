"""Cumulative queue statistics, folded from the routing store's events (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass
class QueueTotals:
    queued: int = 0
    offered: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    escalated: int = 0
    abandoned: int = 0
    completed: int = 0
    reopened: int = 0
    # Customer messages, counted apart from contacts: a chat of ten messages is one contact.
    messages: int = 0
    answered_within_sla: int = 0
    total_wait_seconds: float = 0.0

    @property
    def average_speed_of_answer(self) -> float | None:
        return self.total_wait_seconds / self.accepted if self.accepted else None

    def service_level(self) -> float | None:
        """Answered within the threshold, over answered plus abandoned (the common
        definition: a caller who gave up counts against the queue)."""
        handled = self.accepted + self.abandoned
        return self.answered_within_sla / handled if handled else None


@dataclass
class QueueStatsProjection:
    sla_by_queue: dict[str, float]
    queue_of: dict[str, str] = field(default_factory=dict)  # contact id -> queue
    # Messages of contacts not queued yet (identifying): counted once they have a queue.
    unqueued: dict[str, int] = field(default_factory=dict)
    totals: dict[str, QueueTotals] = field(default_factory=dict)
    position: int = 0
    # A call is only answered once the agent's phone is: contact id -> the wait its
    # acceptance counted, taken back if the agent's phone does not answer.
    waited: dict[str, float] = field(default_factory=dict)

    def sla_seconds(self, queue: str) -> float:
        return self.sla_by_queue.get(queue, 20.0)

    # The stored events `apply` counts (see its match); the rest are not even decoded.
    KINDS: ClassVar[frozenset[str]] = frozenset(
        f"Contact.{kind}"
        for kind in (
            "Opened",
            "Reopened",
            "Queued",
            "MessageAdded",
            "Offered",
            "OfferAccepted",
            "CallBridgeFailed",
            "CallConnected",
            "OfferDeclined",
            "OfferExpired",
            "Escalated",
            "Abandoned",
            "Completed",
        )
    )

    def apply(self, position: int, event: Any) -> None:
        self.position = position
        kind = type(event).__qualname__
        if not kind.startswith("Contact."):
            return
        contact = str(event.originator_id)
        if kind == "Contact.Reopened" and event.queue:
            self.totals.setdefault(event.queue, QueueTotals()).reopened += 1
            return
        if kind == "Contact.Queued":
            self.queue_of[contact] = event.queue
        queue = self.queue_of.get(contact)
        if queue is None:
            if kind in ("Contact.Opened", "Contact.MessageAdded"):
                self.unqueued[contact] = self.unqueued.get(contact, 0) + 1
            return
        totals = self.totals.setdefault(queue, QueueTotals())
        match kind:
            case "Contact.Queued":
                totals.queued += 1
                totals.messages += self.unqueued.pop(contact, 0)
            case "Contact.MessageAdded":
                totals.messages += 1
            case "Contact.Offered":
                totals.offered += 1
            case "Contact.OfferAccepted":
                totals.accepted += 1
                totals.total_wait_seconds += event.waited_seconds
                totals.answered_within_sla += event.waited_seconds <= self.sla_seconds(queue)
                self.waited[contact] = event.waited_seconds
            case "Contact.CallBridgeFailed":
                totals.expired += 1  # the agent's phone did not answer: as a lapsed offer
                self._unanswer(totals, contact, queue)
            case "Contact.CallConnected":
                self.waited.pop(contact, None)
            case "Contact.OfferDeclined":
                totals.declined += 1
            case "Contact.OfferExpired":
                totals.expired += 1
            case "Contact.Escalated":
                totals.escalated += 1
            case "Contact.Abandoned":
                totals.abandoned += 1
                if event.offer_id is None and event.agent_id is not None:
                    self._unanswer(totals, contact, queue)  # gone while the agent's phone rang
            case "Contact.Completed":
                totals.completed += 1
                self.queue_of.pop(contact, None)  # nothing more will happen to it
                self.waited.pop(contact, None)

    def _unanswer(self, totals: QueueTotals, contact: str, queue: str) -> None:
        waited = self.waited.pop(contact, None)
        if waited is not None:
            totals.accepted -= 1
            totals.total_wait_seconds -= waited
            totals.answered_within_sla -= waited <= self.sla_seconds(queue)

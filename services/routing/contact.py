"""The Contact aggregate: one customer request from queued to completed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import contact_id_for


class ContactError(Exception):
    """A command that the contact's current state does not allow."""


class Contact(Aggregate):
    @staticmethod
    def create_id(interaction_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return contact_id_for(interaction_id)

    @event("Opened")
    def __init__(
        self,
        interaction_id: uuid.UUID,
        channel: str,
        summary: str,
        opened_at: datetime,
        facts: dict[str, Any] | None = None,
        origin: dict[str, Any] | None = None,
        identify_by: datetime | None = None,
    ) -> None:
        self.interaction_id = interaction_id
        # How the customer reached us (channel, source, sender, thread): replies go back there.
        self.origin = origin or {}
        # What queues match on: channel, language, topic, source, attributes (tier comes
        # with the customer's identification).
        self.facts = facts or {}
        self.channel = channel
        self.summary = summary
        # The contact's age counts from here, whatever queue it ends up in.
        self.queued_at = opened_at
        self.identify_by = identify_by
        self.status = "identifying"
        self.queue: str | None = None
        self.priority = 0
        self.customer_id: uuid.UUID | None = None
        self.sticky_to: str | None = None
        self.offer: dict[str, Any] | None = None
        self.tried_agents: list[str] = []
        self.step = 0  # index into the queue's ladder
        self.tries_in_step = 0
        self.escalation_level = 0
        self.agent_id: str | None = None
        self.decisions: list[dict[str, Any]] = []

    @event("Identified")
    def identify(self, customer_id: uuid.UUID, tier: str | None, last_agent_id: str | None) -> None:
        self.customer_id = customer_id
        self.facts = {**self.facts, "tier": tier}
        if self.status == "identifying":
            self.sticky_to = last_agent_id

    def enqueue(self, queue: str, priority: int, at: datetime) -> None:
        if self.status != "identifying":
            raise ContactError(f"contact {self.id} is {self.status}, already queued")
        self._queued(queue, priority, self.channel, self.interaction_id, self.queued_at, at)

    # channel, interaction and age travel with the event for those who follow queues.
    @event("Queued")
    def _queued(
        self,
        queue: str,
        priority: int,
        channel: str,
        interaction_id: uuid.UUID,
        waiting_since: datetime,
        at: datetime,
    ) -> None:
        self.status = "waiting"
        self.queue = queue
        self.priority = priority

    @property
    def is_open(self) -> bool:
        return self.status in ("identifying", "waiting", "offered")

    def pending_offer_id(self) -> uuid.UUID | None:
        return uuid.UUID(self.offer["offer_id"]) if self.offer else None

    def _require_offer(self, offer_id: uuid.UUID) -> dict[str, Any]:
        if self.offer is None or self.offer["offer_id"] != str(offer_id):
            raise ContactError(f"offer {offer_id} is not pending on contact {self.id}")
        return self.offer

    def offer_to(
        self,
        offer_id: uuid.UUID,
        agent_id: str,
        at: datetime,
        expires_at: datetime | None,
        sticky: bool = False,
    ) -> None:
        if self.status != "waiting":
            raise ContactError(f"contact {self.id} is {self.status}, cannot be offered")
        self._offered(str(offer_id), agent_id, self.escalation_level, at, expires_at, sticky)

    @event("Offered")
    def _offered(
        self,
        offer_id: str,
        agent_id: str,
        level: int,
        offered_at: datetime,
        expires_at: datetime | None,
        sticky: bool = False,
    ) -> None:
        self.status = "offered"
        self.offer = {
            "offer_id": offer_id,
            "agent_id": agent_id,
            "level": level,
            "offered_at": offered_at,
            "expires_at": expires_at,
            "sticky": sticky,
        }
        if agent_id not in self.tried_agents:
            self.tried_agents.append(agent_id)
        if sticky:
            self.sticky_to = None  # the one chance of a returning customer's last agent
        else:
            self.tries_in_step += 1

    def accept(self, offer_id: uuid.UUID, at: datetime) -> str:
        offer = self._require_offer(offer_id)
        waited = (at - self.queued_at).total_seconds()
        self._accepted(str(offer_id), offer["agent_id"], at, waited)
        return str(offer["agent_id"])

    @event("OfferAccepted")
    def _accepted(self, offer_id: str, agent_id: str, at: datetime, waited_seconds: float) -> None:
        self.status = "accepted"
        self.agent_id = agent_id
        self.offer = None

    def decline(self, offer_id: uuid.UUID, at: datetime) -> str:
        offer = self._require_offer(offer_id)
        self._declined(str(offer_id), offer["agent_id"], at)
        return str(offer["agent_id"])

    @event("OfferDeclined")
    def _declined(self, offer_id: str, agent_id: str, at: datetime) -> None:
        self.status = "waiting"
        self.offer = None

    def expire(self, offer_id: uuid.UUID, at: datetime) -> str:
        offer = self._require_offer(offer_id)
        self._expired(str(offer_id), offer["agent_id"], at)
        return str(offer["agent_id"])

    @event("OfferExpired")
    def _expired(self, offer_id: str, agent_id: str, at: datetime) -> None:
        self.status = "waiting"
        self.offer = None

    def withdraw(self, offer_id: uuid.UUID, reason: str, at: datetime) -> str:
        """The offer is taken back because its agent left (away, offline, silent): the
        contact goes back to the queue at its original age, and that agent still counts
        as not tried."""
        offer = self._require_offer(offer_id)
        self._withdrawn(str(offer_id), offer["agent_id"], reason, at)
        return str(offer["agent_id"])

    @event("OfferWithdrawn")
    def _withdrawn(self, offer_id: str, agent_id: str, reason: str, at: datetime) -> None:
        if self.offer is not None and not self.offer.get("sticky"):
            self.tries_in_step -= 1
        self.status = "waiting"
        self.offer = None
        if agent_id in self.tried_agents:
            self.tried_agents.remove(agent_id)

    def requeue(self, by: str, at: datetime) -> str | None:
        """A supervisor sends the contact back to its queue to start the ladder over;
        returns who had the pending offer (it is withdrawn)."""
        if self.status not in ("waiting", "offered"):
            raise ContactError(f"contact {self.id} is {self.status}, cannot be requeued")
        had = self.offer["agent_id"] if self.offer else None
        self._requeued(self.offer["offer_id"] if self.offer else None, had, by, at)
        return had

    @event("Requeued")
    def _requeued(self, offer_id: str | None, agent_id: str | None, by: str, at: datetime) -> None:
        self.status = "waiting"
        self.offer = None
        self.tried_agents = []
        self.step = 0
        self.tries_in_step = 0
        self.escalation_level = 0

    def escalate(
        self,
        to_person_id: str | None,
        from_agent_id: str | None,
        reason: str,
        step: int,
        kind: str,
        priority: int,
    ) -> None:
        """Climbs the ladder: to ladder step `step` (an overflow or the supervisor step), or
        one rung up within the supervisor step. `to_person_id` is who must know: the
        supervisor it goes to, or for an overflow the queue's supervisor."""
        if self.status != "waiting":
            raise ContactError(f"contact {self.id} is {self.status}, cannot escalate")
        self._escalated(
            self.escalation_level + 1,
            to_person_id,
            from_agent_id,
            reason,
            self.channel,
            self.summary,
            step,
            kind,
            self.queue or "",
            priority,
        )

    # channel and summary travel with the event so whoever is told has the key facts.
    @event("Escalated")
    def _escalated(
        self,
        level: int,
        to_person_id: str | None,
        from_agent_id: str | None,
        reason: str,
        channel: str,
        summary: str,
        step: int = 0,
        kind: str = "supervisor",
        queue: str = "",
        priority: int = 0,
    ) -> None:
        self.escalation_level = level
        if step != self.step:
            self.step = step
            self.tries_in_step = 0
        self.priority = priority

    def complete(self, disposition: str, at: datetime) -> str:
        if self.status != "accepted" or self.agent_id is None:
            raise ContactError(f"contact {self.id} is {self.status}, cannot be completed")
        self._completed(self.agent_id, disposition, at)
        return self.agent_id

    @event("Completed")
    def _completed(self, agent_id: str, disposition: str, at: datetime) -> None:
        self.status = "completed"

    def transfer(self, queue: str, priority: int, reason: str, at: datetime) -> str:
        """The agent who holds the contact passes it on, as often as it takes: it waits
        again in `queue` at its original age, its ladder from the start, and is not offered
        back to the agent who passed it. Returns that agent."""
        if self.status != "accepted" or self.agent_id is None:
            raise ContactError(f"contact {self.id} is {self.status}, cannot be transferred")
        holder = self.agent_id
        self._transferred(holder, queue, priority, reason, at)
        return holder

    @event("Transferred")
    def _transferred(
        self, from_agent_id: str, queue: str, priority: int, reason: str, at: datetime
    ) -> None:
        self.status = "waiting"
        self.queue = queue
        self.priority = priority
        self.agent_id = None
        self.tried_agents = [from_agent_id]
        self.step = 0
        self.tries_in_step = 0
        self.escalation_level = 0
        self.sticky_to = None

    def cancel(self, by: str, reason: str, at: datetime) -> str | None:
        """A supervisor closes a contact nobody should take (spam, a duplicate). Returns
        who had the pending offer."""
        if not self.is_open:
            raise ContactError(f"contact {self.id} is {self.status}, cannot be cancelled")
        had = self.offer["agent_id"] if self.offer else None
        self._cancelled(self.offer["offer_id"] if self.offer else None, had, by, reason, at)
        return had

    @event("Cancelled")
    def _cancelled(
        self, offer_id: str | None, agent_id: str | None, by: str, reason: str, at: datetime
    ) -> None:
        self.status = "cancelled"
        self.offer = None

    def abandon(self, reason: str, at: datetime) -> str | None:
        """The customer left before anyone took the contact. Returns who had the offer."""
        if not self.is_open:
            raise ContactError(f"contact {self.id} is {self.status}, cannot be abandoned")
        had_offer = self.offer["agent_id"] if self.offer else None
        offer_id = self.offer["offer_id"] if self.offer else None
        self._abandoned(reason, offer_id, had_offer, at, (at - self.queued_at).total_seconds())
        return had_offer

    @event("Abandoned")
    def _abandoned(
        self,
        reason: str,
        offer_id: str | None,
        agent_id: str | None,
        at: datetime,
        waited_seconds: float,
    ) -> None:
        self.status = "abandoned"
        self.offer = None

    def reply(self, reply_id: uuid.UUID, text: str, at: datetime) -> str:
        """The agent who has the contact answers the customer on their channel."""
        if self.status != "accepted" or self.agent_id is None:
            raise ContactError(f"contact {self.id} is {self.status}: only its agent can reply")
        self._replied(str(reply_id), self.agent_id, text, self.origin, at)
        return self.agent_id

    @event("ReplyRequested")
    def _replied(
        self, reply_id: str, agent_id: str, text: str, origin: dict[str, Any], at: datetime
    ) -> None:
        pass

    def decide(
        self,
        step: str,
        target: str | None,
        reason: str,
        candidates: list[dict[str, str]],
        at: datetime,
    ) -> None:
        """Records a routing decision and its grounds; a repeated wait is recorded once."""
        last = self.decisions[-1] if self.decisions else None
        if last and (last["step"], last["reason"]) == (step, reason) and step == "wait":
            return
        self._decided(step, target, reason, candidates, at)

    @event("RoutingDecided")
    def _decided(
        self,
        step: str,
        target: str | None,
        reason: str,
        candidates: list[dict[str, str]],
        at: datetime,
    ) -> None:
        self.decisions.append(
            {"step": step, "target": target, "reason": reason, "candidates": candidates, "at": at}
        )

    def flag(self, supervisor_id: str | None, reason: str, at: datetime) -> None:
        if self.status != "accepted" or self.agent_id is None:
            raise ContactError(f"contact {self.id} is {self.status}: nothing to flag")
        self._flagged(self.agent_id, supervisor_id, reason, self.channel, self.summary, at)

    @event("Flagged")
    def _flagged(
        self,
        agent_id: str,
        supervisor_id: str | None,
        reason: str,
        channel: str,
        summary: str,
        at: datetime,
    ) -> None:
        pass

    # Phone calls that connect: services/routing/voice_calls.py decides, these record. A
    # class default, as contacts stored before calls connected have no such attribute.
    call: dict[str, Any] | None = None

    @event("CallBridgeRequested")
    def bridge_requested(
        self,
        agent_id: str,
        attempt: int,
        agent_phone: str | None,
        conference: str,
        customer_call_sid: str,
        caller_id: str | None,
        record: str,
        ring_seconds: float,
        customer_in_conference: bool,
        callback_to: str | None,
        at: datetime,
    ) -> None:
        self.call = {
            **(self.call or {}),
            "attempt": attempt,
            "agent_id": agent_id,
            "state": "bridging",
            "record": record,
            "customer_in_conference": customer_in_conference,
        }

    def bridging(self, attempt: int | None = None) -> bool:
        """Whether the agent's leg of this attempt (any, when None) is still ringing."""
        call = self.call
        if call is None or call["state"] != "bridging" or self.status != "accepted":
            return False
        return attempt is None or call["attempt"] == attempt

    @event("CallLegChanged")
    def leg_changed(self, leg: str, attempt: int, call_sid: str, status: str, at: datetime) -> None:
        if self.call is not None and leg == "customer" and status == "in-progress":
            self.call = {**self.call, "customer_in_conference": True}

    @event("CallConnected")
    def connected(
        self,
        agent_id: str,
        attempt: int,
        agent_call_sid: str,
        record: str,
        customer_in_conference: bool,
        callback_to: str | None,
        at: datetime,
    ) -> None:
        # A callback's customer is only now being called.
        joined = callback_to is None
        self.call = {**(self.call or {}), "state": "connected", "customer_in_conference": joined}

    @event("CallBridgeFailed")
    def bridge_failed(self, agent_id: str, attempt: int, reason: str, at: datetime) -> None:
        """The agent's leg did not answer: the contact waits again, the caller on hold."""
        self.call = {**(self.call or {}), "state": "waiting"}
        self.status = "waiting"
        self.agent_id = None

    def abandon_call(self, reason: str, agent_id: str | None, at: datetime) -> None:
        """The caller is gone after an agent took the call, before they were connected."""
        self._abandoned(reason, None, agent_id, at, (at - self.queued_at).total_seconds())

    @event("CallRecorded")
    def recorded(
        self, recording_sid: str, duration_seconds: int | None, channels: int | None, link: str,
        at: datetime,
    ) -> None:  # fmt: skip
        pass

    @property
    def callback_to(self) -> str | None:
        return (self.call or {}).get("callback_to")

    @event("CallbackRequested")
    def callback_requested(self, number: str, due_at: datetime | None, at: datetime) -> None:
        """The caller would rather be called back: the contact keeps its place; one asked
        for later (a web form) waits out of the queue until `due_at`."""
        self.call = {
            **(self.call or {"attempt": 0, "state": "waiting"}),
            "callback_to": number,
            "callback_failures": 0,
            "customer_in_conference": False,
        }
        if due_at is not None:
            self.status = "callback_wait"

    @event("CallbackAttemptFailed")
    def callback_attempt_failed(
        self, agent_id: str, attempt: int, failures: int, reason: str,
        retry_at: datetime | None, at: datetime,
    ) -> None:  # fmt: skip
        """Out of the queue (and of the agent's hands) until the next attempt is due."""
        self.call = {**(self.call or {}), "callback_failures": failures, "state": "waiting"}
        self.status = "callback_wait"
        self.agent_id = None

    # Back in line at its original age; any agent may take the next attempt.
    @event("CallbackDue")
    def callback_due(self, at: datetime) -> None:
        self.status = "waiting" if self.queue else "identifying"  # never queued: it will be
        self.tried_agents = []
        self.step = 0
        self.tries_in_step = 0

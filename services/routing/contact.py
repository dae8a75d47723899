"""The Contact aggregate: one customer request from queued to completed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from eventsourcing.domain import Aggregate, event

from events import contact_id_for
from switchboard.aggregate_copy import copy_one_level_down


class ContactError(Exception):
    """A command that the contact's current state does not allow."""


class InvalidRequest(ValueError):
    """A command whose input can never be right (a snooze into the past): names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


HeldAs = Literal["open", "pending", "snoozed"]
# Delivery statuses only move forward: a late "sent" after "delivered" changes nothing.
REPLY_STATUS_RANK = {"uncertain": 0, "sent": 1, "delivered": 2, "failed": 3}


class Contact(Aggregate):
    # Class defaults: contacts stored (or snapshotted) before account owners have none.
    owner_id: str | None = None
    # Where the contact stands on the owner's steps: "owner" (to be offered to the owner),
    # "team" (to the owner's team), None (the queue's ladder, or no owner).
    owner_stage: str | None = None

    @staticmethod
    def create_id(interaction_id: uuid.UUID, **_: Any) -> uuid.UUID:
        return contact_id_for(interaction_id)

    def __deepcopy__(self, memo: dict[int, Any]) -> Contact:
        """Its events replace nested containers, never change one in place: its own lists
        and dicts copied make a deep copy (switchboard/aggregate_copy.py)."""
        return copy_one_level_down(self, memo)

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
        text: str = "",
        attachments: list[dict[str, Any]] | None = None,
        follows: uuid.UUID | None = None,
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
        # The conversation: its first message is this event's; more join (MessageAdded).
        self.follows = follows  # the thread's previous contact, if any
        self.message_count = 1
        self.last_message_at = opened_at
        self.unread = 0  # the holder's customer messages since they last read
        # While held: "open", "pending" (on the customer) or "snoozed" (until a time).
        self.conversation: HeldAs | None = None
        self.pending_since: datetime | None = None
        self.resolve_at: datetime | None = None
        self.snoozed_until: datetime | None = None
        self.completed_at: datetime | None = None
        self.last_agent_id: str | None = None
        self.reopened = 0
        self.reply_status: dict[str, str] = {}

    @event("Identified")
    def identify(
        self,
        customer_id: uuid.UUID,
        tier: str | None,
        last_agent_id: str | None,
        owner_id: str | None = None,
        language: str | None = None,
    ) -> None:
        self.customer_id = customer_id
        self.facts = {**self.facts, "tier": tier}
        self.owner_id = owner_id
        if language and not self.facts.get("language"):
            # The message did not say (too short to detect): the customer's known language.
            self.facts = {**self.facts, "language": language}
        if self.status == "identifying":
            self.sticky_to = last_agent_id
            self.owner_stage = "owner" if owner_id else None

    def enqueue(self, queue: str, priority: int, at: datetime) -> None:
        if self.status != "identifying":
            raise ContactError(f"contact {self.id} is {self.status}, already queued")
        facts = self.facts
        self._queued(
            queue,
            priority,
            self.channel,
            self.interaction_id,
            self.queued_at,
            at,
            facts.get("tier"),
            facts.get("request_type"),
        )

    # channel, interaction, age, tier and request type travel with the event for those who
    # follow queues (and SLA policies, which match on them).
    @event("Queued")
    def _queued(
        self,
        queue: str,
        priority: int,
        channel: str,
        interaction_id: uuid.UUID,
        waiting_since: datetime,
        at: datetime,
        tier: str | None = None,
        request_type: str | None = None,
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
        stage: str | None = None,
    ) -> None:
        """`stage`: "owner" or "team" for an offer of the account owner's steps."""
        if self.status != "waiting":
            raise ContactError(f"contact {self.id} is {self.status}, cannot be offered")
        self._offered(str(offer_id), agent_id, self.escalation_level, at, expires_at, sticky, stage)

    @event("Offered")
    def _offered(
        self,
        offer_id: str,
        agent_id: str,
        level: int,
        offered_at: datetime,
        expires_at: datetime | None,
        sticky: bool = False,
        stage: str | None = None,
    ) -> None:
        self.status = "offered"
        self.offer = {
            "offer_id": offer_id,
            "agent_id": agent_id,
            "level": level,
            "offered_at": offered_at,
            "expires_at": expires_at,
            "sticky": sticky,
            "stage": stage,
        }
        if agent_id not in self.tried_agents:
            self.tried_agents.append(agent_id)
        if stage == "owner":
            self.owner_stage = "team"  # the owner's one offer; their team next
        if sticky:
            self.sticky_to = None  # the one chance of a returning customer's last agent
        elif stage is None:  # the owner's steps use none of the ladder's tries
            self.tries_in_step += 1

    def pass_over(self, stage: str, reason: str, at: datetime) -> None:
        """The owner (or their team) cannot take the contact now: on to the next step."""
        self._passed_over(stage, reason, at)

    @event("OwnerStepPassed")
    def _passed_over(self, stage: str, reason: str, at: datetime) -> None:
        self.owner_stage = "team" if stage == "owner" else None

    def accept(self, offer_id: uuid.UUID, at: datetime) -> str:
        offer = self._require_offer(offer_id)
        waited = (at - self.queued_at).total_seconds()
        self._accepted(str(offer_id), offer["agent_id"], at, waited)
        if self.owner_id is not None and self.owner_id != offer["agent_id"]:
            # The owner should know who is serving their customer, and may take it over.
            self._owner_informed(
                self.owner_id, offer["agent_id"], self.customer_id, self.channel, self.summary, at
            )
        return str(offer["agent_id"])

    @event("OwnerInformed")
    def _owner_informed(
        self,
        owner_id: str,
        agent_id: str,
        customer_id: uuid.UUID | None,
        channel: str,
        summary: str,
        at: datetime,
    ) -> None:
        pass

    @event("OfferAccepted")
    def _accepted(self, offer_id: str, agent_id: str, at: datetime, waited_seconds: float) -> None:
        self.status = "accepted"
        self.agent_id = agent_id
        self.offer = None
        self.conversation = "open"
        self.unread = 0  # accepting shows the whole transcript

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
        if self.offer is not None and not self.offer.get("sticky") and not self.offer.get("stage"):
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
        self.owner_stage = "owner" if self.owner_id else None

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

    def complete(
        self, disposition: str, at: datetime, by: str | None = None, reason: str = ""
    ) -> str:
        """Resolves the conversation (`by` the holder unless said; the system when it
        resolves itself, with `reason`)."""
        if self.status != "accepted" or self.agent_id is None:
            raise ContactError(f"contact {self.id} is {self.status}, cannot be completed")
        self._completed(self.agent_id, disposition, at, by or self.agent_id, reason)
        return self.agent_id

    @event("Completed")
    def _completed(
        self, agent_id: str, disposition: str, at: datetime, by: str | None = None, reason: str = ""
    ) -> None:
        self.status = "completed"
        self.completed_at = at
        self.last_agent_id = agent_id
        self.conversation = None
        self.pending_since = self.resolve_at = self.snoozed_until = None

    # The holder says what it is about (routing.request_types decided it when it opened).
    @event("RequestTypeChanged")
    def change_request_type(self, request_type: str | None, by: str, at: datetime) -> None:
        self.facts = {**self.facts, "request_type": request_type}

    # Switchboard itself tells the customer (an acknowledgment, a status update): sent like
    # a reply, marked automatic.
    @event("CustomerTold")
    def tell_customer(
        self,
        reply_id: str,
        agent_id: str,
        text: str,
        origin: dict[str, Any],
        at: datetime,
        automatic: bool,
    ) -> None:
        pass

    # The customer said STOP: no more status messages on this conversation.
    @event("UpdatesStopped")
    def stop_updates(self, at: datetime) -> None:
        self.facts = {**self.facts, "updates_off": True}

    # An SLA breach ladder raises it (services/routing/sla_actions.py).
    @event("Reprioritised")
    def reprioritise(self, priority: int, reason: str, at: datetime) -> None:
        self.priority = priority

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
        self.conversation = None
        self.tried_agents = [from_agent_id]
        self.step = 0
        self.tries_in_step = 0
        self.escalation_level = 0
        self.sticky_to = None
        self.owner_stage = None  # passed on on purpose: where it was sent decides

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

    def send_document(
        self, reply_id: uuid.UUID, by: str, text: str, attachment: dict[str, Any], at: datetime
    ) -> None:
        """An approved document goes to the customer on the conversation's channel, even
        after the contact was completed (approval may take longer than the conversation)."""
        self._replied(str(reply_id), by, text, self.origin, at, attachment)

    @event("ReplyRequested")
    def _replied(
        self,
        reply_id: str,
        agent_id: str,
        text: str,
        origin: dict[str, Any],
        at: datetime,
        attachment: dict[str, Any] | None = None,
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

    # The conversation --------------------------------------------------------------

    def add_message(
        self,
        interaction_id: uuid.UUID,
        subject: str | None,
        text: str,
        attachments: list[dict[str, Any]],
        at: datetime,
        automatic: bool = False,
    ) -> bool:
        """A customer's message joins the conversation wherever it stands: queued, it keeps
        its place; offered, the offer stays; held, it goes to the holder, and wakes a
        pending or snoozed conversation. Returns whether it woke one."""
        if self.status in ("abandoned", "cancelled") or (
            self.status == "completed" and not automatic
        ):
            raise ContactError(f"contact {self.id} is {self.status}: reopen it first")
        woke = not automatic and self.conversation in ("pending", "snoozed")
        to = self.agent_id or (self.offer or {}).get("agent_id")
        self._message_added(
            str(interaction_id), subject, text, attachments, at, automatic, woke, to
        )
        return woke

    # `to`: who has it (holder or offered agent), for whoever pushes it to their desk.
    @event("MessageAdded")
    def _message_added(
        self,
        interaction_id: str,
        subject: str | None,
        text: str,
        attachments: list[dict[str, Any]],
        at: datetime,
        automatic: bool,
        woke: bool,
        to: str | None,
    ) -> None:
        self.message_count += 1
        self.last_message_at = at
        if not automatic:
            self.summary = (subject or text)[:200]
        if self.status == "accepted":
            self.unread += 1
        if woke:
            self.conversation = "open"
            self.pending_since = self.resolve_at = self.snoozed_until = None

    def reopen(self, reason: str, at: datetime) -> None:
        """The customer wrote again soon after it was resolved: the conversation is queued
        again (by the caller), its last agent first; its age counts from now."""
        if self.status != "completed":
            raise ContactError(f"contact {self.id} is {self.status}, cannot be reopened")
        self._reopened(self.last_agent_id, reason, at, self.queue)

    # The queue it was resolved in travels with the event, for the queue's statistics.
    @event("Reopened")
    def _reopened(
        self, agent_id: str | None, reason: str, at: datetime, queue: str | None = None
    ) -> None:
        self.status = "identifying"  # as a new contact before it is queued
        self.queued_at = at
        self.sticky_to = agent_id
        self.owner_stage = "owner" if self.owner_id else None
        self.agent_id = None
        self.tried_agents = []
        self.step = self.tries_in_step = self.escalation_level = 0
        self.completed_at = None
        self.reopened += 1

    # A follow-up (services/routing/follow_ups.py) brings its conversation back to the agent
    # who scheduled it, them alone until its grace ends. Class default: older contacts.
    reserved_for: str | None = None

    def reopen_for_follow_up(self, agent_id: str, reason: str, at: datetime) -> None:
        """As `reopen`, also from a cancelled contact (a missed follow-up attempt ends so)."""
        if self.status not in ("completed", "cancelled"):
            raise ContactError(f"contact {self.id} is {self.status}, cannot be reopened")
        self._reopened(agent_id, reason, at, self.queue)

    @event("ReservedFor")
    def reserve_for(self, agent_id: str | None, reason: str, at: datetime) -> None:
        self.reserved_for = agent_id

    def _require_held(self) -> str:
        if self.status != "accepted" or self.agent_id is None:
            raise ContactError(f"contact {self.id} is {self.status}, not held by anyone")
        return self.agent_id

    def set_pending(self, at: datetime, resolve_at: datetime | None) -> str:
        """The agent waits on the customer; without an answer by `resolve_at` it resolves
        itself. Returns the holder."""
        holder = self._require_held()
        if self.conversation == "pending":
            raise ContactError(f"contact {self.id} is already pending")
        self._pending(holder, at, resolve_at)
        return holder

    @event("PendingSet")
    def _pending(self, agent_id: str, at: datetime, resolve_at: datetime | None) -> None:
        self.conversation = "pending"
        self.pending_since = at
        self.resolve_at = resolve_at
        self.snoozed_until = None

    def snooze(self, until: datetime, at: datetime) -> str:
        """Out of the holder's way until `until`, when it comes back to them."""
        if until <= at:
            raise InvalidRequest("until", "must be in the future")
        holder = self._require_held()
        self._snoozed(holder, until, at)
        return holder

    @event("Snoozed")
    def _snoozed(self, agent_id: str, until: datetime, at: datetime) -> None:
        self.conversation = "snoozed"
        self.snoozed_until = until
        self.pending_since = self.resolve_at = None

    def wake(self, reason: str, at: datetime) -> str:
        """A pending or snoozed conversation is the holder's to work on again."""
        holder = self._require_held()
        if self.conversation not in ("pending", "snoozed"):
            raise ContactError(f"contact {self.id} is {self.conversation}, not pending or snoozed")
        self._woken(holder, reason, at)
        return holder

    @event("Woken")
    def _woken(self, agent_id: str, reason: str, at: datetime) -> None:
        self.conversation = "open"
        self.pending_since = self.resolve_at = self.snoozed_until = None

    def mark_read(self, at: datetime) -> None:
        if self.unread:
            self._read(at)

    @event("Read")
    def _read(self, at: datetime) -> None:
        self.unread = 0

    def record_reply_status(
        self, reply_id: uuid.UUID, status: str, detail: str | None, at: datetime
    ) -> None:
        """What the channel said of a reply; repeats and late lesser statuses are dropped."""
        known = self.reply_status.get(str(reply_id))
        rank = REPLY_STATUS_RANK.get(status, 0)
        if known is not None and REPLY_STATUS_RANK.get(known, 0) >= rank:
            return
        self._reply_status(str(reply_id), status, detail, at)

    @event("ReplyStatusRecorded")
    def _reply_status(self, reply_id: str, status: str, detail: str | None, at: datetime) -> None:
        self.reply_status = {**self.reply_status, reply_id: status}

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

"""Follow-ups: an agent promises a customer a call back or a write back at a time.

When an attempt is due, the conversation it was scheduled on opens again (reopened, as when
the customer writes again) rather than a new contact: history, the SLA clocks and the
customer's timeline know that contact and its customer, and its transcript and reply
channel are the ones the promise was made in. It goes to the scheduling agent alone until
the grace ends (see policy.reserved_step), then to the queue; not taken by `missed_at`, the
attempt is missed (the reopened contact is cancelled) and, attempts left, retried later.
Every step is an event of the FollowUp aggregate, published onto the contact's timeline.

Deadlines are NATS message schedules made from the relayed events (never a dual write);
each handler acts only if the follow-up still stands at that attempt and phase, so a
redelivered or replayed deadline changes nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from eventsourcing.persistence import Tracking

from events.follow_ups import FollowUpDeadline
from schemas.follow_up_config import FollowUpConfig
from services.routing.contact import Contact, ContactError
from services.routing.follow_up import FollowUp, FollowUpsOf
from services.routing.follow_up_rules import attempt_times, due_instant, retry_at
from services.routing.unit import NotFound, Unit
from switchboard.shredding import PersonalDataErased

if TYPE_CHECKING:
    from services.routing.application import RoutingApplication

REOPENABLE = frozenset({"completed", "cancelled"})


class FollowUps:
    def __init__(self, app: RoutingApplication) -> None:
        self.app = app

    @property
    def config(self) -> FollowUpConfig:
        return self.app.config.follow_ups

    # Commands from the API ---------------------------------------------------------

    def holder_of(self, contact_id: uuid.UUID) -> str:
        """Who may schedule one on the contact: its holder (or whoever manages them)."""
        contact = self.app.view().contact(contact_id)
        if contact.status != "accepted" or contact.agent_id is None:
            raise ContactError(f"contact {contact_id} is {contact.status}, not held by anyone")
        return contact.agent_id

    def schedule(
        self,
        contact_id: uuid.UUID,
        kind: str,
        due_at: datetime | None,
        local_time: datetime | None,
        time_zone: str | None,
        note: str,
        by: str,
    ) -> FollowUp:
        with self.app.unit() as unit:
            due = due_instant(due_at, local_time, time_zone, unit.now)
            contact = unit.contact(contact_id)
            agent_id = self.holder_of(contact_id)
            follow_up = unit.add(
                FollowUp(
                    contact_id=contact.id,
                    agent_id=agent_id,
                    kind=kind,
                    due_at=due,
                    time_zone=time_zone,
                    note=note,
                    by=by,
                )
            )
            self._index(unit, agent_id).add(str(follow_up.id))
            self._index(unit, str(contact.id)).add(str(follow_up.id))
        return follow_up

    def get(self, follow_up_id: uuid.UUID) -> FollowUp:
        found = _readable(self.app.view(), follow_up_id)
        if found is None:
            raise NotFound(f"follow-up {follow_up_id} not found")
        return found

    def of_agent(self, agent_id: str) -> list[FollowUp]:
        unit = self.app.view()
        index = unit.get(FollowUpsOf, FollowUpsOf.id_for(agent_id))
        found = [_readable(unit, uuid.UUID(i)) for i in (index.ids if index else [])]
        return sorted((f for f in found if f is not None), key=lambda f: f.due_at)

    def cancel(self, follow_up_id: uuid.UUID, by: str) -> FollowUp:
        with self.app.unit() as unit:
            follow_up = _readable(unit, follow_up_id)
            if follow_up is None:
                raise NotFound(f"follow-up {follow_up_id} not found")
            if not follow_up.is_open:
                raise ContactError(f"follow-up {follow_up_id} is {follow_up.status} already")
            contact = unit.contact(follow_up.contact_id)
            if follow_up.status in ("due", "queued"):
                self._withdraw(unit, contact, follow_up, f"follow-up cancelled by {by}")
            follow_up.cancel(contact.id, by, "cancelled")
            self._index(unit, str(contact.id)).remove(str(follow_up.id))
        return follow_up

    # Hooks from the routing application ----------------------------------------------

    def accepted(self, unit: Unit, contact: Contact, agent_id: str) -> None:
        """Someone took the conversation while its follow-up attempt stood: done, by them."""
        index = unit.get(FollowUpsOf, FollowUpsOf.id_for(str(contact.id)))
        for follow_up_id in list(index.ids if index else []):
            follow_up = unit.get(FollowUp, uuid.UUID(follow_up_id))
            if follow_up is not None and follow_up.status in ("due", "queued"):
                self._done(unit, contact, follow_up, agent_id)

    # Deadlines (tracked) --------------------------------------------------------------

    def fired(self, deadline: FollowUpDeadline, tracking: Tracking) -> None:
        with self.app.unit(tracking) as unit:
            follow_up = _readable(unit, deadline.follow_up_id)
            if follow_up is None:
                return  # (its customer was erased: nothing to follow up any more)
            if deadline.phase == "due" and follow_up.status == "scheduled":
                if follow_up.attempt == deadline.attempt - 1:
                    self._due(unit, follow_up, deadline.attempt)
            elif follow_up.attempt != deadline.attempt:
                return  # a deadline of an earlier attempt
            elif deadline.phase == "grace" and follow_up.status == "due":
                self._grace_ended(unit, follow_up)
            elif deadline.phase == "missed" and follow_up.status in ("due", "queued"):
                self._missed(unit, follow_up)

    def _due(self, unit: Unit, follow_up: FollowUp, attempt: int) -> None:
        contact = unit.contact(follow_up.contact_id)
        times = attempt_times(unit.now, self.config)
        agent_id = follow_up.agent_id
        if contact.status == "accepted" and contact.agent_id is not None:
            # Already in someone's hands: theirs to honour; a parked one comes back to them.
            holder = contact.agent_id
            follow_up.open_attempt(contact.id, attempt, holder, times.grace_until, times.missed_at)
            if contact.conversation in ("pending", "snoozed"):
                contact.wake(f"follow-up due: {follow_up.note}"[:200], unit.now)
                unit.agent(holder).resume(str(contact.id))
            self._done(unit, contact, follow_up, holder)
            return
        if contact.status not in REOPENABLE and not contact.is_open:
            follow_up.cancel(contact.id, "routing", f"its contact is {contact.status}")
            self._index(unit, str(contact.id)).remove(str(follow_up.id))
            return
        reopened = contact.status in REOPENABLE
        follow_up.open_attempt(
            contact.id, attempt, agent_id, times.grace_until, times.missed_at, reopened
        )
        if reopened:
            reason = f"follow-up ({follow_up.kind}) due, attempt {attempt}: {follow_up.note}"
            contact.reopen_for_follow_up(agent_id, reason[:200], unit.now)
        if reopened and contact.channel == "voice":
            self._call_back(unit, contact)
        contact.reserve_for(agent_id, f"follow-up {follow_up.id}", unit.now)
        if reopened:
            self.app.dispatch.enqueue(unit, contact)
        else:
            self.app.dispatch.route(unit, contact)  # the customer wrote again meanwhile

    def _call_back(self, unit: Unit, contact: Contact) -> None:
        """A reopened call has nobody on the line: where calls are bridged here, whoever
        takes it is dialled and then the customer, as a queued callback is."""
        sender = contact.origin.get("sender") or {}
        number = contact.callback_to or sender.get("phone")
        if self.app.voice.twilio is not None and number:
            contact.callback_requested(str(number), None, unit.now)

    def _grace_ended(self, unit: Unit, follow_up: FollowUp) -> None:
        contact = unit.contact(follow_up.contact_id)
        seconds = self.config.grace_seconds
        follow_up.release(contact.id, follow_up.attempt, f"{follow_up.agent_id}'s {seconds:.0f}s")
        if contact.reserved_for is not None:
            contact.reserve_for(None, "the follow-up's grace ended", unit.now)
        self.app.dispatch.route(unit, contact)

    def _missed(self, unit: Unit, follow_up: FollowUp) -> None:
        contact = unit.contact(follow_up.contact_id)
        if contact.status == "accepted" and contact.agent_id is not None:
            self._done(unit, contact, follow_up, contact.agent_id)  # taken another way
            return
        attempt = follow_up.attempt
        waited = self.config.grace_seconds + self.config.answer_seconds
        self._withdraw(unit, contact, follow_up, f"follow-up attempt {attempt} missed")
        retry = retry_at(attempt, unit.now, self.config)
        follow_up.attempt_missed(contact.id, attempt, retry, f"nobody took it in {waited:.0f}s")
        if retry is None:
            follow_up.missed(contact.id, attempt)
            self._index(unit, str(contact.id)).remove(str(follow_up.id))

    def _withdraw(self, unit: Unit, contact: Contact, follow_up: FollowUp, reason: str) -> None:
        """The attempt is over untaken: its reservation ends, and a conversation reopened
        only for it closes again (one the customer reopened stays in line)."""
        if contact.reserved_for is not None:
            contact.reserve_for(None, reason, unit.now)
        if not contact.is_open or not follow_up.reopened:
            return
        offer_id = contact.pending_offer_id()
        had = contact.cancel("routing", reason, unit.now)
        if had is not None and offer_id is not None:
            unit.agent(had).release(str(offer_id), reason)
            self.app.dispatch.fill(unit, had)

    def _done(self, unit: Unit, contact: Contact, follow_up: FollowUp, agent_id: str) -> None:
        if contact.reserved_for is not None:
            contact.reserve_for(None, f"follow-up taken by {agent_id}", unit.now)
        follow_up.done(contact.id, follow_up.attempt, agent_id)
        self._index(unit, str(contact.id)).remove(str(follow_up.id))

    @staticmethod
    def _index(unit: Unit, key: str) -> FollowUpsOf:
        index_id = FollowUpsOf.id_for(key)
        return unit.get(FollowUpsOf, index_id) or unit.add(FollowUpsOf(id=index_id))


def _readable(unit: Unit, follow_up_id: uuid.UUID) -> FollowUp | None:
    """The follow-up, unless its customer was erased (the contact's key is gone)."""
    try:
        return unit.get(FollowUp, follow_up_id)
    except PersonalDataErased:
        return None

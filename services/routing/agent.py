"""The Agent aggregate: what routing knows of one person's availability and load."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from events import derived_id
from switchboard.aggregate_copy import copy_one_level_down

STATUSES = ("available", "away", "offline", "not_responding")


@functools.cache
def _agent_key(agent_id: str) -> uuid.UUID:
    # Looked up for every agent in every decision: a uuid5 each time would dominate it.
    return derived_id("agent", agent_id)


class Agent(Aggregate):
    @staticmethod
    def create_id(agent_id: str, **_: Any) -> uuid.UUID:
        return _agent_key(agent_id)

    @event("Registered")
    def __init__(self, agent_id: str, at: datetime) -> None:
        self.agent_id = agent_id
        self.status = "offline"
        self.status_since = at
        self.idle_since = at
        self.last_offered_at: datetime | None = None  # round-robin goes by this
        self.offers: dict[str, str] = {}  # offer id -> contact id
        self.contacts: list[str] = []
        # Completed contacts in after-contact work: contact id -> when it ends.
        self.wrapping: dict[str, datetime] = {}
        # What kind of work each offer and contact is (see policy.work_kind).
        self.kinds: dict[str, str] = {}
        # Held conversations pending on the customer or snoozed: theirs, but no work now,
        # so they take no capacity (as help desks count only open tickets).
        self.parked: list[str] = []

    def change_status(self, status: str, at: datetime) -> bool:
        """Returns whether anything changed."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if status == self.status:
            return False
        self._status_changed(self.agent_id, status, at)
        return True

    # The agent's own id travels with the event: the console is told who changed.
    @event("StatusChanged")
    def _status_changed(self, agent_id: str, status: str, at: datetime) -> None:
        if status == "available" and not self.contacts:
            self.idle_since = at
        self.status = status
        self.status_since = at

    @event("OfferReserved")
    def reserve(
        self, offer_id: str, contact_id: str, kind: str, at: datetime | None = None
    ) -> None:
        self.offers[offer_id] = contact_id
        self.kinds[contact_id] = kind
        self.last_offered_at = at

    @event("OfferReleased")
    def release(self, offer_id: str, reason: str) -> None:
        contact_id = self.offers.pop(offer_id, None)
        if contact_id is not None and contact_id not in self.contacts:
            self.kinds.pop(contact_id, None)

    @event("ContactTaken")
    def take(self, offer_id: str, contact_id: str) -> None:
        self.offers.pop(offer_id, None)
        self.contacts.append(contact_id)

    @event("ContactFinished")
    def finish(self, contact_id: str, at: datetime) -> None:
        if contact_id in self.contacts:
            self.contacts.remove(contact_id)
        if contact_id in self.parked:
            self.parked.remove(contact_id)
        self.kinds.pop(contact_id, None)
        if not self.contacts and not self.wrapping:
            self.idle_since = at

    # A contact in wrap-up keeps its kind of work, so it holds the agent's capacity as the
    # contact did: voice blocks everything until the wrap-up ends, one chat one chat slot.
    @event("WrapUpStarted")
    def start_wrap_up(self, agent_id: str, contact_id: str, kind: str, until: datetime) -> None:
        self.wrapping[contact_id] = until
        self.kinds[contact_id] = kind

    @event("WrapUpEnded")
    def end_wrap_up(self, agent_id: str, contact_id: str, reason: str, at: datetime) -> None:
        self.wrapping.pop(contact_id, None)
        if contact_id not in self.contacts:
            self.kinds.pop(contact_id, None)
        if not self.contacts and not self.wrapping:
            self.idle_since = at  # idle from the end of their last piece of work

    def park(self, contact_id: str) -> None:
        if contact_id in self.contacts and contact_id not in self.parked:
            self._parked(contact_id)

    @event("ContactParked")
    def _parked(self, contact_id: str) -> None:
        self.parked = [*self.parked, contact_id]

    def resume(self, contact_id: str) -> None:
        if contact_id in self.parked:
            self._resumed(contact_id)

    @event("ContactResumed")
    def _resumed(self, contact_id: str) -> None:
        self.parked = [c for c in self.parked if c != contact_id]

    def __deepcopy__(self, memo: dict[int, Any]) -> Agent:
        """Every attribute is immutable or a dict or list of immutable values (ids, kinds,
        times), so copying the containers is a deep copy. The repository copies an agent
        each time it is read, once per offer; deepcopy's walk over each item of an agent
        holding thousands of offers took milliseconds (tests/unit/test_agent_copy.py)."""
        return copy_one_level_down(self, memo)

    def load(self) -> list[str]:
        """The kind of every offer, contact and wrap-up this agent holds and works on."""
        working = [c for c in self.contacts if c not in self.parked]
        held = [*self.offers.values(), *working, *self.wrapping]
        return [self.kinds.get(c, "messaging") for c in held]

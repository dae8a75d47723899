"""The routing board: what routing decides from, kept current with the store's log.

Deciding must not load thousands of aggregates: with 500 agents and 10,000 waiting
contacts, each decision would. So the board holds a copy of every agent and every open
contact, evolved by applying the stored events to them (the aggregates' own code, so the
board cannot disagree with them), and per queue the waiting contacts in order. Commands
still load and save the real aggregates, whose version check settles any race between
replicas: the board only says where to look.
"""

from __future__ import annotations

import bisect
import heapq
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from services.routing.agent import Agent
from services.routing.contact import Contact
from switchboard.shredding import ErasedPersonalData

FINISHED = frozenset({"completed", "abandoned", "cancelled"})
# (-priority, age, contact id): the best-placed contact sorts first.
WaitingKey = tuple[int, datetime, uuid.UUID]


class Board:
    def __init__(self) -> None:
        self.position = 0
        self.agents: dict[str, Agent] = {}
        self._agents_by_id: dict[uuid.UUID, Agent] = {}
        self.contacts: dict[uuid.UUID, Contact] = {}
        self._waiting: dict[str, list[WaitingKey]] = {}
        self._placed: dict[uuid.UUID, tuple[str, WaitingKey]] = {}

    @staticmethod
    def wants(name: str) -> bool:
        """Whether the board applies events of this stored class (qualified name): only
        agents' and contacts' (see `apply`)."""
        return name.startswith(("Agent.", "Contact."))

    def catch_up(
        self,
        select: Callable[[int, int], Sequence[Notification]],
        decode: Callable[[Notification], Any],
        load: Callable[[uuid.UUID, int], Contact] | None = None,
        reads: Callable[[Notification], bool] | None = None,
    ) -> None:
        """`load(contact id, version)`: a finished contact as it was stored at that
        version, for one that comes back (a reopened conversation). `reads`: whether a
        notification is worth decoding (log_follower.reads with `wants`); the rest only
        move the board's position."""
        while batch := select(self.position, 500):
            for notification in batch:
                if reads is None or reads(notification):
                    self.apply(notification.id, decode(notification), load)
                else:
                    self.position = notification.id

    def apply(
        self,
        position: int,
        domain_event: Any,
        load: Callable[[uuid.UUID, int], Contact] | None = None,
    ) -> None:
        self.position = position
        if isinstance(domain_event, ErasedPersonalData):
            self._forget(domain_event.originator_id)  # its customer was erased
            return
        name = type(domain_event).__qualname__
        kind = name.split(".")[0]
        if name == "Contact.Reopened" and domain_event.originator_id not in self.contacts:
            if load is None:
                return
            contact = load(domain_event.originator_id, domain_event.originator_version)
            self.contacts[contact.id] = contact
            self._place(contact)
        elif kind == "Agent":
            agent = self._evolve(self._agents_by_id, domain_event)
            self.agents[agent.agent_id] = agent
        elif kind == "Contact" and (
            domain_event.originator_id in self.contacts or domain_event.originator_version == 1
        ):
            contact = self._evolve(self.contacts, domain_event)
            self._place(contact)
            if contact.status in FINISHED:
                del self.contacts[contact.id]  # nothing routes it any more

    @staticmethod
    def _evolve(known: dict[uuid.UUID, Any], domain_event: Any) -> Any:
        evolved: Aggregate = domain_event.mutate(known.get(domain_event.originator_id))
        known[evolved.id] = evolved
        return evolved

    def _forget(self, contact_id: uuid.UUID) -> None:
        self._unplace(contact_id)
        self.contacts.pop(contact_id, None)

    def _unplace(self, contact_id: uuid.UUID) -> None:
        placed = self._placed.pop(contact_id, None)
        if placed is not None:
            queue, key = placed
            line = self._waiting[queue]
            del line[bisect.bisect_left(line, key)]

    def _place(self, contact: Contact) -> None:
        self._unplace(contact.id)
        if contact.status == "waiting" and contact.queue is not None:
            key = (-contact.priority, contact.queued_at, contact.id)
            bisect.insort(self._waiting.setdefault(contact.queue, []), key)
            self._placed[contact.id] = (contact.queue, key)

    def waiting(self, queue: str) -> list[WaitingKey]:
        return self._waiting.get(queue, [])

    def waiting_in(self, queues: Iterable[str]) -> Iterator[uuid.UUID]:
        """Waiting contacts of several queues, best-placed first (a lazy merge: callers
        usually stop at the first few)."""
        for _, _, contact_id in self.waiting_keys(queues):
            yield contact_id

    def waiting_keys(self, queues: Iterable[str]) -> Iterator[WaitingKey]:
        return heapq.merge(*(list(self.waiting(q)) for q in queues))

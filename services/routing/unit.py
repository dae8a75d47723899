"""The aggregates one command touches, and where it looks for the rest."""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from services.routing.agent import Agent
from services.routing.board import Board
from services.routing.contact import Contact
from services.routing.offer_ref import OfferRef

A = TypeVar("A", bound=Aggregate)


class NotFound(LookupError):
    pass


class Unit:
    """The aggregates one command touches, loaded once from the store and saved together;
    the board for everything it only looks at.

    `pending`: what earlier commands of the same batch changed (TrackedApplication.
    batch_writes). The board catches up only once the batch is stored, so without them two
    contacts of one batch would both see the same agent free."""

    def __init__(
        self,
        repository: Any,
        board: Board,
        now: datetime,
        pending: Mapping[uuid.UUID, Aggregate] | None = None,
    ) -> None:
        self.repository = repository
        self.board = board
        self.now = now
        self.pending: Mapping[uuid.UUID, Aggregate] = pending or {}
        self.touched: dict[uuid.UUID, Aggregate] = {}

    def get(self, cls: type[A], aggregate_id: uuid.UUID) -> A | None:
        if aggregate_id in self.touched:
            return self.touched[aggregate_id]  # type: ignore[return-value]
        try:
            aggregate: A = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        self.touched[aggregate_id] = aggregate
        return aggregate

    def add(self, aggregate: A) -> A:
        self.touched[aggregate.id] = aggregate
        return aggregate

    def agent(self, agent_id: str) -> Agent:
        agent = self.get(Agent, Agent.create_id(agent_id))
        return agent or self.add(Agent(agent_id=agent_id, at=self.now))

    def contact(self, contact_id: uuid.UUID) -> Contact:
        contact = self.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"contact {contact_id} not found")
        return contact

    def contact_of_offer(self, offer_id: uuid.UUID) -> Contact:
        ref = self.get(OfferRef, offer_id)
        if ref is None:
            raise NotFound(f"offer {offer_id} not found")
        return self.contact(ref.contact_id)

    def seen_agent(self, agent_id: str) -> Agent | None:
        """This command's copy when it changed the agent, else its batch's, else the
        board's."""
        changed = self._changed(Agent.create_id(agent_id))
        return changed if isinstance(changed, Agent) else self.board.agents.get(agent_id)

    def seen_contact(self, contact_id: uuid.UUID) -> Contact | None:
        changed = self._changed(contact_id)
        return changed if isinstance(changed, Contact) else self.board.contacts.get(contact_id)

    def changed_agents(self) -> dict[str, Agent]:
        """Agents this command or its batch changed, by agent id (the board's are older)."""
        found = {a.agent_id: a for a in self.pending.values() if isinstance(a, Agent)}
        found.update((a.agent_id, a) for a in self.touched.values() if isinstance(a, Agent))
        return found

    def waiting_in(self, queues: Iterable[str]) -> Iterator[uuid.UUID]:
        """The board's waiting contacts of these queues, best-placed first, with those
        the batch queued or moved (each once, at its place as changed)."""
        names = set(queues)
        moved = {
            c.id: (-c.priority, c.queued_at, c.id)
            for c in self.pending.values()
            if isinstance(c, Contact) and c.status == "waiting" and c.queue in names
        }
        if not moved:
            yield from self.board.waiting_in(names)
            return
        stayed = (k for k in self.board.waiting_keys(names) if k[2] not in moved)
        for _, _, contact_id in heapq.merge(stayed, sorted(moved.values())):
            yield contact_id

    def _changed(self, aggregate_id: uuid.UUID) -> Aggregate | None:
        touched = self.touched.get(aggregate_id)
        return touched if touched is not None else self.pending.get(aggregate_id)

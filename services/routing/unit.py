"""The aggregates one command touches, and where it looks for the rest."""

from __future__ import annotations

import uuid
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
    the board for everything it only looks at."""

    def __init__(self, repository: Any, board: Board, now: datetime) -> None:
        self.repository = repository
        self.board = board
        self.now = now
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
        """This command's copy when it changed the agent, else the board's."""
        touched = self.touched.get(Agent.create_id(agent_id))
        return touched if isinstance(touched, Agent) else self.board.agents.get(agent_id)

    def seen_contact(self, contact_id: uuid.UUID) -> Contact | None:
        touched = self.touched.get(contact_id)
        return touched if isinstance(touched, Contact) else self.board.contacts.get(contact_id)

"""Routing's read side: what agents, supervisors and the pages ask of the board and the
contacts (offers, holdings, queues, transcripts, decisions), without changing anything."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from schemas.api import AgentView, ContactView, MessageView, OfferView, RoutingDecision
from schemas.config import Person
from services.routing.agent import Agent
from services.routing.board import Board
from services.routing.conversation_commands import messages_in
from services.routing.plan import RoutingPlan
from services.routing.unit import NotFound, Unit
from services.routing.views import (
    agent_view,
    contact_view,
    decisions_view,
    message_view,
    offer_view,
)


class RoutingQueries:
    people: dict[str, Person]
    plan: RoutingPlan
    board: Board
    repository: Any
    _catch_up: Callable[[], None]

    def view(self) -> Unit:
        raise NotImplementedError

    def offers_for(self, agent_id: str) -> list[OfferView]:
        """The agent's pending offers."""
        self._person(agent_id)
        unit = self.view()
        agent = unit.seen_agent(agent_id)
        found = [unit.seen_contact(uuid.UUID(c)) for c in (agent.offers if agent else {}).values()]
        return [
            offer_view(c)
            for c in found
            if c is not None and c.offer and c.offer["agent_id"] == agent_id
        ]

    def contacts_of(self, agent_id: str) -> list[ContactView]:
        """The contacts the agent holds (accepted, not completed)."""
        self._person(agent_id)
        unit = self.view()
        agent = unit.seen_agent(agent_id)
        return [contact_view(unit.contact(uuid.UUID(c))) for c in (agent.contacts if agent else [])]

    def agents(self) -> list[AgentView]:
        unit = self.view()
        return [
            agent_view(unit.seen_agent(p.id) or Agent(agent_id=p.id, at=unit.now), p)
            for p in self.people.values()
        ]

    def queue_now(self, queue: str) -> tuple[int, float | None, dict[str, int], int]:
        """(waiting, longest wait in seconds, its agents by status, its agents busy)."""
        q = self.plan.by_name.get(queue)
        if q is None:
            raise NotFound(f"queue {queue!r} not found")
        unit = self.view()
        waiting = self.board.waiting(queue)
        oldest = min((key[1] for key in waiting), default=None)
        by_status: dict[str, int] = {}
        busy = 0
        for agent_id in q.reach:
            agent = unit.seen_agent(agent_id)
            status = agent.status if agent else "offline"
            by_status[status] = by_status.get(status, 0) + 1
            busy += bool(agent and (agent.contacts or agent.wrapping))
        longest = (unit.now - oldest).total_seconds() if oldest else None
        return len(waiting), longest, by_status, busy

    def waiting_counts(self) -> dict[str, int]:
        self._catch_up()
        return {q.name: len(self.board.waiting(q.name)) for q in self.plan.queues}

    def contact(self, contact_id: uuid.UUID) -> ContactView:
        return contact_view(self.view().contact(contact_id))

    def transcript(
        self, contact_id: uuid.UUID, before: int | None, limit: int
    ) -> list[MessageView]:
        """The conversation's messages both ways, oldest first: the `limit` latest, or those
        before `before` (a message's seq). Read from the contact's own stored events, so
        the transcript is exactly what was recorded, sealed under the contact's key."""
        contact = self.view().contact(contact_id)
        found: list[MessageView] = []
        upper = before - 1 if before is not None else None
        while len(found) < limit and (upper is None or upper >= 1):
            chunk = list(
                self.repository.event_store.get(contact_id, lte=upper, desc=True, limit=200)
            )
            if not chunk:
                break
            found.extend(message_view(e, contact) for e in messages_in(iter(chunk)))
            upper = chunk[-1].originator_version - 1
        return list(reversed(found[:limit]))

    def decisions(self, contact_id: uuid.UUID) -> list[RoutingDecision]:
        return decisions_view(self.view().contact(contact_id))

    def involved(self, contact_id: uuid.UUID) -> set[str]:
        """Everyone who was offered or holds the contact: who may look at it."""
        contact = self.view().contact(contact_id)
        offered = {d["target"] for d in contact.decisions if d["target"]}
        return {*offered, *contact.tried_agents, *([contact.agent_id] if contact.agent_id else [])}

    # Internals -----------------------------------------------------------------------

    def _person(self, person_id: str) -> Person:
        try:
            return self.people[person_id]
        except KeyError:
            raise NotFound(f"agent {person_id!r} not found") from None

    def _is_agent(self, person_id: str) -> bool:
        person = self.people.get(person_id)
        return person is not None and person.role == "agent"

"""Routing, in two directions: a contact that needs someone (`route`: one contact, every
agent) and an agent who can take more work (`fill`: one agent, the waiting contacts in
order). Both find candidates on the board and decide with the pure policy; what they change
is the Unit's aggregates, loaded from the store."""

from __future__ import annotations

import uuid
from datetime import timedelta

from events.base import derived_id
from schemas.config import Person
from services.routing.agent import Agent
from services.routing.contact import Contact
from services.routing.offer_ref import OfferRef
from services.routing.plan import QueuePlan, RoutingPlan
from services.routing.policy import (
    Candidate,
    EscalateTo,
    OfferTo,
    PassOver,
    Situation,
    Widen,
    explain,
    has_any_capacity,
    has_capacity,
    next_step,
    supervisor_step,
    work_kind,
)
from services.routing.unit import Unit


class Dispatcher:
    def __init__(self, plan: RoutingPlan) -> None:
        self.plan = plan
        self.people: dict[str, Person] = plan.people

    def enqueue(self, unit: Unit, contact: Contact) -> None:
        q = self.plan.queue_for(contact.facts)
        contact.enqueue(q.name, self.plan.priority_for(q, contact.facts.get("tier")), unit.now)
        self.route(unit, contact)

    def candidates(self, unit: Unit, q: QueuePlan, kind: str) -> list[Candidate]:
        """Every agent as this command sees them: its own (and its batch's) changes, else
        the board."""
        changed = unit.changed_agents()
        board = unit.board.agents
        found = []
        for person in self.plan.agents:
            agent = changed.get(person.id) or board.get(person.id)
            load = agent.load() if agent else []
            found.append(
                Candidate(
                    agent_id=person.id,
                    status=agent.status if agent else "offline",
                    idle_since=agent.idle_since if agent else unit.now,
                    has_capacity=has_capacity(load, kind, person.capacity),
                    load=len(load),
                    reach=q.reach.get(person.id),
                    skill=q.skill_of(person),
                    last_offered_at=agent.last_offered_at if agent else None,
                )
            )
        return found

    def route(self, unit: Unit, contact: Contact) -> None:
        """Gives one waiting contact its next step: an offer, a rung up, or a wait."""
        while contact.status == "waiting" and contact.queue is not None:
            q = self.plan.by_name[contact.queue]
            candidates = self.candidates(unit, q, work_kind(contact.channel))
            situation = self.situation(contact, q)
            step = next_step(
                situation,
                q.ladder,
                candidates,
                self.plan.supervisors,
                q.timeouts,
                q.strategy,
                q.supervisor,
            )
            chosen = step.agent_id if isinstance(step, OfferTo) else None
            stage = step.stage if isinstance(step, OfferTo | PassOver) else None
            among = situation.team if stage == "team" else (contact.owner_id or "",)
            why = explain(
                candidates,
                contact.tried_agents,
                chosen,
                contact.step,
                q.strategy,
                among=among if stage else None,
                chosen_as=step.reason if stage and isinstance(step, OfferTo) else None,
            )
            if isinstance(step, OfferTo):
                contact.decide("offer", step.agent_id, step.reason, why, unit.now)
                self.offer(unit, contact, step.agent_id, step.timeout, step.sticky, step.stage)
            elif isinstance(step, PassOver):
                skipped = contact.owner_id if step.stage == "owner" else None
                contact.decide("skip", skipped, step.reason, why, unit.now)
                contact.pass_over(step.stage, step.reason, unit.now)
            elif isinstance(step, EscalateTo):
                contact.decide("escalate", step.person_id, step.reason, why, unit.now)
                self.escalate(unit, contact, q, step)
            elif isinstance(step, Widen):
                contact.decide("escalate", None, step.reason, why, unit.now)
                contact.escalate(
                    q.supervisor, None, step.reason, step.step, "overflow", self.raised(q, contact)
                )
            else:
                contact.decide("wait", None, step.reason, why, unit.now)
                return

    def situation(self, contact: Contact, q: QueuePlan) -> Situation:
        """The contact as the policy sees it; the owner's steps only where the queue puts
        owners first for the customer's tier."""
        owner_due = contact.owner_stage is not None and q.owners_first_for(
            contact.facts.get("tier")
        )
        owner = contact.owner_id if owner_due and contact.owner_stage == "owner" else None
        team = self.plan.teams.get(contact.owner_id or "", ()) if owner_due else ()
        return Situation(
            tuple(contact.tried_agents),
            contact.step,
            contact.tries_in_step,
            contact.sticky_to,
            owner=owner,
            team=team,
            reserved_for=contact.reserved_for,
        )

    def fill(self, unit: Unit, agent_id: str) -> None:
        """Offers an agent who can take more work the best-placed waiting contacts they
        may take, until they are full."""
        person = self.people.get(agent_id)
        queues = self.plan.queues_of(agent_id)
        if person is None or not queues:
            return
        agent = unit.agent(agent_id)
        for contact_id in unit.waiting_in(q.name for q in queues):
            if agent.status != "available":
                return
            seen = unit.seen_contact(contact_id)
            if seen is None or seen.status != "waiting" or seen.queue is None:
                continue
            reach = self.plan.by_name[seen.queue].reach.get(agent_id)
            if reach is None or reach > seen.step or agent_id in seen.tried_agents:
                continue
            if seen.reserved_for not in (None, agent_id):
                continue  # a follow-up kept for its own agent (see reserved_step)
            if not has_any_capacity(agent.load(), person.capacity):
                return
            if self.has_room(agent, seen):
                self.route(unit, unit.contact(contact_id))

    def has_room(self, agent: Agent, contact: Contact) -> bool:
        capacity = self.people[agent.agent_id].capacity
        return has_capacity(agent.load(), work_kind(contact.channel), capacity)

    @staticmethod
    def raised(q: QueuePlan, contact: Contact) -> int:
        return contact.priority + q.priority_step

    def escalate(self, unit: Unit, contact: Contact, q: QueuePlan, step: EscalateTo) -> None:
        top = supervisor_step(q.ladder)
        contact.escalate(
            step.person_id,
            step.from_person_id,
            step.reason,
            top,
            "supervisor",
            self.raised(q, contact),
        )
        self.offer(unit, contact, step.person_id, step.timeout)

    def offer(
        self,
        unit: Unit,
        contact: Contact,
        person_id: str,
        timeout: float | None,
        sticky: bool = False,
        stage: str | None = None,
    ) -> None:
        offer_id = derived_id("offer", str(contact.id), str(contact.version))
        expires_at = unit.now + timedelta(seconds=timeout) if timeout is not None else None
        contact.offer_to(offer_id, person_id, unit.now, expires_at, sticky, stage)
        unit.agent(person_id).reserve(
            str(offer_id), str(contact.id), work_kind(contact.channel), unit.now
        )
        unit.add(OfferRef(offer_id=offer_id, contact_id=contact.id))

    def finish(self, unit: Unit, agent: Agent, contact: Contact, wrap_up: bool = True) -> None:
        """The agent is done with the contact; with `wrap_up`, its place in their capacity
        stays taken for the queue's after-contact work. Then they may take more."""
        kind = agent.kinds.get(str(contact.id), work_kind(contact.channel))
        agent.finish(str(contact.id), unit.now)
        q = self.plan.by_name.get(contact.queue or "")
        seconds = q.wrap_up_seconds if q is not None and wrap_up else 0
        if seconds > 0:
            until = unit.now + timedelta(seconds=seconds)
            agent.start_wrap_up(agent.agent_id, str(contact.id), kind, until)
        self.fill(unit, agent.agent_id)

    def end_wrap_up(self, unit: Unit, agent: Agent, contact_ids: list[str], reason: str) -> None:
        """Ends these wrap-ups of the agent's (callers pass ones it has)."""
        for contact_id in contact_ids:
            agent.end_wrap_up(agent.agent_id, contact_id, reason, unit.now)
        self.fill(unit, agent.agent_id)

    def withdraw(self, unit: Unit, offer_id: uuid.UUID, reason: str) -> Contact:
        contact = unit.contact_of_offer(offer_id)
        unit.agent(contact.withdraw(offer_id, reason, unit.now)).release(str(offer_id), reason)
        return contact

    def withdraw_all(self, unit: Unit, agent: Agent, reason: str) -> None:
        """The agent left: their offers go back to the queue, to someone else."""
        withdrawn = [self.withdraw(unit, uuid.UUID(o), reason) for o in list(agent.offers)]
        for contact in withdrawn:
            self.route(unit, contact)

    def close_erased(self, unit: Unit, contact: Contact) -> None:
        """Its customer was erased: a contact nobody may read any more leaves routing."""
        if contact.is_open:
            offer_id = contact.pending_offer_id()
            had = contact.cancel("routing", "customer erased", unit.now)
            if had is not None and offer_id is not None:
                unit.agent(had).release(str(offer_id), "customer erased")
                self.fill(unit, had)
        elif contact.status == "accepted" and contact.agent_id is not None:
            agent = unit.agent(contact.complete("customer erased", unit.now))
            self.finish(unit, agent, contact, wrap_up=False)

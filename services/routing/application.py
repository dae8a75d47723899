"""The routing application: commands that change contacts and agents, one transaction each."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking
from eventsourcing.utils import EnvType

from events import InteractionReceived, InteractionUpdated, contact_id_for, derived_id
from events.base import utcnow
from schemas.api import AgentView, ContactView, OfferView, RoutingDecision
from schemas.config import Person, RoutingConfig
from services.routing.agent import Agent
from services.routing.contact import Contact, ContactError
from services.routing.offer_ref import OfferRef
from services.routing.policy import (
    Candidate,
    EscalateTo,
    OfferTo,
    Timeouts,
    escalation_step,
    explain,
    has_capacity,
    next_step,
    work_kind,
)
from services.routing.waiting_line import WaitingLine
from switchboard.store import TrackedApplication

A = TypeVar("A", bound=Aggregate)

# Twilio's final call statuses: the caller is gone.
CALL_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


class NotFound(LookupError):
    pass


class NotYours(PermissionError):
    """Only the person an offer or contact belongs to may act on it."""


def _require_holder(holder: str | None, actor: str | None, what: str) -> None:
    if actor is not None and holder != actor:
        raise NotYours(f"{what} is not {actor}'s")


class Unit:
    """The aggregates one command touches, loaded once and saved together."""

    def __init__(self, app: RoutingApplication) -> None:
        self.app = app
        self.touched: dict[uuid.UUID, Aggregate] = {}

    def get(self, cls: type[A], aggregate_id: uuid.UUID) -> A | None:
        if aggregate_id in self.touched:
            return self.touched[aggregate_id]  # type: ignore[return-value]
        try:
            aggregate: A = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        self.touched[aggregate_id] = aggregate
        return aggregate

    def add(self, aggregate: A) -> A:
        self.touched[aggregate.id] = aggregate
        return aggregate

    def agent(self, agent_id: str, at: datetime) -> Agent:
        agent = self.get(Agent, Agent.create_id(agent_id))
        return agent or self.add(Agent(agent_id=agent_id, at=at))

    def line(self, queue: str) -> WaitingLine:
        line = self.get(WaitingLine, WaitingLine.create_id(queue))
        return line or self.add(WaitingLine(queue=queue))

    def contact(self, contact_id: uuid.UUID) -> Contact:
        contact = self.get(Contact, contact_id)
        if contact is None:
            raise NotFound(f"contact {contact_id} not found")
        return contact


class RoutingApplication(TrackedApplication):
    name = "routing"
    snapshotting_intervals = {WaitingLine: 50, Agent: 50}

    def __init__(
        self,
        people: list[Person],
        config: RoutingConfig,
        queue_supervisor: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        env: EnvType | None = None,
    ) -> None:
        # The cache hands out deep copies and fast-forwards from the store on every read, so
        # replicas writing the same aggregates stay correct; it saves replaying their events.
        super().__init__(
            {"IS_SNAPSHOTTING_ENABLED": "y", "AGGREGATE_CACHE_MAXSIZE": "10000", **(env or {})}
        )
        self.people = {p.id: p for p in people}
        self.config = config
        self.clock = clock
        self.timeouts = Timeouts(config.offer_timeout_seconds, config.escalation_timeout_seconds)
        self.supervisors = {p.id: p.supervisor for p in people}
        self.queue_supervisor = queue_supervisor

    @contextmanager
    def unit(self, tracking: Tracking | None = None) -> Iterator[Unit]:
        unit = Unit(self)
        yield unit
        self.commit(*unit.touched.values(), tracking=tracking)

    # Commands from consumers (tracked) ----------------------------------------------

    def receive(self, interaction: InteractionReceived, tracking: Tracking) -> None:
        now = self.clock()
        with self.unit(tracking) as unit:
            if unit.get(Contact, contact_id_for(interaction.interaction_id)) is not None:
                return  # a channel retry outside the stream's dedupe window
            contact = unit.add(
                Contact(
                    interaction_id=interaction.interaction_id,
                    channel=interaction.channel,
                    summary=(interaction.subject_line or interaction.text)[:200],
                    queue=self.config.queue,
                    priority=0,
                    queued_at=now,
                    origin=interaction.model_dump(
                        mode="json",
                        include={
                            "channel",
                            "source",
                            "external_id",
                            "sender",
                            "subject_line",
                            "conversation_key",
                            "attributes",
                        },
                    ),
                )
            )
            unit.line(self.config.queue).join(str(contact.id), contact.priority, now)
            self._dispatch(unit, now)

    def update(self, update: InteractionUpdated, tracking: Tracking) -> None:
        """A caller who hangs up before an agent took the call abandons the contact."""
        now = self.clock()
        with self.unit(tracking) as unit:
            if update.kind != "status" or update.status not in CALL_ENDED:
                return
            contact = unit.get(Contact, contact_id_for(update.interaction_id))
            if contact is None or not contact.is_open:
                return  # unknown to routing yet, or already taken/finished
            offer_id = contact.pending_offer_id()
            had_offer = contact.abandon(f"call {update.status}", now)
            if had_offer is not None and offer_id is not None:
                unit.agent(had_offer, now).release(str(offer_id), "abandoned")
            unit.line(contact.queue).leave(str(contact.id), "abandoned")
            self._dispatch(unit, now)

    def wait_expired(self, contact_id: uuid.UUID, tracking: Tracking) -> None:
        """Nobody could be offered the contact in time: the queue's supervisor gets it."""
        now = self.clock()
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, contact_id)
            if contact is None or contact.status != "waiting" or contact.tried_agents:
                return  # offered, taken or already climbing: other deadlines rule it
            if self.queue_supervisor is None:
                return
            waited = (now - contact.queued_at).total_seconds()
            step = escalation_step(
                "",
                {"": self.queue_supervisor, **self.supervisors},
                self.timeouts,
                f"waited {waited:.0f}s with no agent available",
            )
            if isinstance(step, EscalateTo):
                contact.decide("escalate", step.person_id, step.reason, [], now)
                contact.escalate(step.person_id, None, step.reason)
                self._offer(unit, contact, step.person_id, step.timeout, now)

    def presence_lost(self, agent_id: str, tracking: Tracking) -> None:
        """No heartbeat in time: offline, pending offers back to the queue at their original
        age, and the contacts they hold flagged to their supervisor."""
        now = self.clock()
        person = self.people.get(agent_id)
        with self.unit(tracking) as unit:
            if person is None:
                return
            agent = unit.agent(agent_id, now)
            if agent.status == "offline":
                return
            agent.change_status("offline", now)
            for offer_id in list(agent.offers):
                self._withdraw(unit, uuid.UUID(offer_id), "agent stopped answering", now)
            for contact_id in agent.contacts:
                unit.contact(uuid.UUID(contact_id)).flag(
                    person.supervisor, "agent stopped answering (missed heartbeats)", now
                )
            self._dispatch(unit, now)

    def expire(self, contact_id: uuid.UUID, offer_id: uuid.UUID, tracking: Tracking) -> None:
        now = self.clock()
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, contact_id)
            if contact is None or contact.pending_offer_id() != offer_id:
                return  # accepted or declined before the deadline
            agent = unit.agent(contact.expire(offer_id, now), now)
            agent.release(str(offer_id), "expired")
            if self._is_agent(agent.agent_id):
                # An agent who lets an offer lapse has likely walked away.
                agent.change_status("not_responding", now)
            self._dispatch(unit, now)

    # Commands from people ------------------------------------------------------------

    def set_status(self, agent_id: str, status: str) -> AgentView:
        person = self._person(agent_id)
        now = self.clock()
        with self.unit() as unit:
            agent = unit.agent(person.id, now)
            agent.change_status(status, now)
            if status != "available":
                for offer_id in list(agent.offers):
                    self._withdraw(unit, uuid.UUID(offer_id), f"agent went {status}", now)
            self._dispatch(unit, now)
        return self._agent_view(agent)

    def accept(self, offer_id: uuid.UUID, actor: str | None = None) -> ContactView:
        """`actor`: who asks; None for the system itself (tests, simulation)."""
        now = self.clock()
        with self.unit() as unit:
            contact = self._contact_of_offer(unit, offer_id)
            _require_holder((contact.offer or {}).get("agent_id"), actor, f"offer {offer_id}")
            agent = unit.agent(contact.accept(offer_id, now), now)
            agent.take(str(offer_id), str(contact.id))
            unit.line(contact.queue).leave(str(contact.id), "accepted")
        return self._contact_view(contact)

    def decline(self, offer_id: uuid.UUID, actor: str | None = None) -> ContactView:
        now = self.clock()
        with self.unit() as unit:
            contact = self._contact_of_offer(unit, offer_id)
            _require_holder((contact.offer or {}).get("agent_id"), actor, f"offer {offer_id}")
            unit.agent(contact.decline(offer_id, now), now).release(str(offer_id), "declined")
            self._dispatch(unit, now)
        return self._contact_view(contact)

    def complete(
        self, contact_id: uuid.UUID, disposition: str, actor: str | None = None
    ) -> ContactView:
        now = self.clock()
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            _require_holder(contact.agent_id, actor, f"contact {contact_id}")
            agent = unit.agent(contact.complete(disposition, now), now)
            agent.finish(str(contact.id), now)
            self._dispatch(unit, now)
        return self._contact_view(contact)

    def reply(self, contact_id: uuid.UUID, text: str, actor: str | None = None) -> uuid.UUID:
        now = self.clock()
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            _require_holder(contact.agent_id, actor, f"contact {contact_id}")
            reply_id = derived_id("reply", str(contact.id), str(contact.version))
            contact.reply(reply_id, text, now)
        return reply_id

    # Queries -------------------------------------------------------------------------

    def offers_for(self, agent_id: str) -> list[OfferView]:
        self._person(agent_id)
        unit = Unit(self)
        agent = unit.get(Agent, Agent.create_id(agent_id))
        views = []
        for offer_id, contact_id in (agent.offers if agent else {}).items():
            contact = unit.contact(uuid.UUID(contact_id))
            if contact.offer is None or contact.offer["offer_id"] != offer_id:
                continue
            views.append(
                OfferView(
                    offer_id=uuid.UUID(offer_id),
                    contact_id=contact.id,
                    agent_id=agent_id,
                    channel=contact.channel,
                    summary=contact.summary,
                    escalation_level=contact.offer["level"],
                    offered_at=contact.offer["offered_at"],
                    expires_at=contact.offer["expires_at"],
                )
            )
        return views

    def agents(self) -> list[AgentView]:
        unit = Unit(self)
        now = self.clock()
        return [self._agent_view(unit.agent(pid, now)) for pid in self.people]

    def queue_now(self, queue: str) -> tuple[int, float | None, dict[str, int], int]:
        """(waiting, longest wait in seconds, agents by status, agents busy) right now."""
        if queue != self.config.queue:
            raise NotFound(f"queue {queue!r} not found")
        unit = Unit(self)
        now = self.clock()
        line = unit.get(WaitingLine, WaitingLine.create_id(queue))
        entries = line.entries if line else []
        longest = max(((now - e["queued_at"]).total_seconds() for e in entries), default=None)
        by_status: dict[str, int] = {}
        busy = 0
        for person_id in self.people:
            if not self._is_agent(person_id):
                continue
            agent = unit.agent(person_id, now)
            by_status[agent.status] = by_status.get(agent.status, 0) + 1
            busy += bool(agent.contacts)
        return len(entries), longest, by_status, busy

    def decisions(self, contact_id: uuid.UUID) -> list[RoutingDecision]:
        contact = Unit(self).contact(contact_id)
        return [RoutingDecision.model_validate(d) for d in contact.decisions]

    def contact(self, contact_id: uuid.UUID) -> ContactView:
        return self._contact_view(Unit(self).contact(contact_id))

    def involved(self, contact_id: uuid.UUID) -> set[str]:
        """Everyone who was offered or holds the contact: who may look at it."""
        contact = Unit(self).contact(contact_id)
        return {*contact.tried_agents, *([contact.agent_id] if contact.agent_id else [])}

    # Internals -----------------------------------------------------------------------

    def _person(self, person_id: str) -> Person:
        try:
            return self.people[person_id]
        except KeyError:
            raise NotFound(f"agent {person_id!r} not found") from None

    def _is_agent(self, person_id: str) -> bool:
        person = self.people.get(person_id)
        return person is not None and person.role == "agent"

    def _contact_of_offer(self, unit: Unit, offer_id: uuid.UUID) -> Contact:
        ref = unit.get(OfferRef, offer_id)
        if ref is None:
            raise NotFound(f"offer {offer_id} not found")
        return unit.contact(ref.contact_id)

    def _withdraw(self, unit: Unit, offer_id: uuid.UUID, reason: str, now: datetime) -> None:
        contact = self._contact_of_offer(unit, offer_id)
        unit.agent(contact.withdraw(offer_id, reason, now), now).release(str(offer_id), reason)

    def _dispatch(self, unit: Unit, now: datetime) -> None:
        """Gives every waiting contact its next step, best-placed contacts first."""
        agents = [unit.agent(pid, now) for pid in self.people if self._is_agent(pid)]
        for contact_id in unit.line(self.config.queue).in_order():
            contact = unit.contact(uuid.UUID(contact_id))
            if contact.status != "waiting":
                continue
            kind = work_kind(contact.channel)
            candidates = [
                Candidate(
                    a.agent_id,
                    a.status,
                    a.idle_since,
                    has_capacity(a.load(), kind, self.people[a.agent_id].capacity),
                    len(a.load()),
                )
                for a in agents
            ]
            step = next_step(
                contact.tried_agents,
                contact.escalation_level,
                candidates,
                self.supervisors,
                self.timeouts,
            )
            chosen = step.agent_id if isinstance(step, OfferTo) else None
            why = explain(candidates, contact.tried_agents, chosen)
            if isinstance(step, OfferTo):
                contact.decide("offer", step.agent_id, "least busy, longest idle agent", why, now)
                self._offer(unit, contact, step.agent_id, step.timeout, now)
            elif isinstance(step, EscalateTo):
                contact.decide("escalate", step.person_id, step.reason, why, now)
                contact.escalate(step.person_id, step.from_person_id, step.reason)
                self._offer(unit, contact, step.person_id, step.timeout, now)
            else:
                contact.decide("wait", None, step.reason, why, now)

    def _offer(
        self, unit: Unit, contact: Contact, person_id: str, timeout: float | None, now: datetime
    ) -> None:
        offer_id = derived_id("offer", str(contact.id), str(contact.version))
        expires_at = now + timedelta(seconds=timeout) if timeout is not None else None
        contact.offer_to(offer_id, person_id, now, expires_at)
        unit.agent(person_id, now).reserve(
            str(offer_id), str(contact.id), work_kind(contact.channel)
        )
        unit.add(OfferRef(offer_id=offer_id, contact_id=contact.id))

    def _agent_view(self, agent: Agent) -> AgentView:
        person = self.people[agent.agent_id]
        return AgentView(
            agent_id=agent.agent_id,
            name=person.name,
            role=person.role,
            status=agent.status,
            supervisor=person.supervisor,
            pending_offers=len(agent.offers),
            active_contacts=len(agent.contacts),
        )

    @staticmethod
    def _contact_view(contact: Contact) -> ContactView:
        return ContactView(
            contact_id=contact.id,
            status=contact.status,
            channel=contact.channel,
            agent_id=contact.agent_id or (contact.offer or {}).get("agent_id"),
            escalation_level=contact.escalation_level,
        )


__all__ = ["ContactError", "NotFound", "NotYours", "RoutingApplication"]

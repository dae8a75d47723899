"""The routing application: commands that change contacts and agents, one transaction each.

Two directions of routing: a contact that needs someone (`_route`: one contact, every agent)
and an agent who can take more work (`_fill`: one agent, the waiting contacts in order).
Both find candidates on the board and decide with the pure policy; the aggregates they
then change are loaded from the store, so their version check settles replica races.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper, Tracking
from eventsourcing.utils import EnvType

from events import CustomerIdentified, InteractionUpdated, contact_id_for
from events.base import derived_id, utcnow
from schemas.api import AgentView, ContactView
from schemas.config import Person, RoutingConfig
from services.routing.agent import Agent
from services.routing.board import Board
from services.routing.contact import Contact, ContactError
from services.routing.conversation_commands import (
    ConversationCommands,
    NotYours,
    require_holder,
)
from services.routing.dispatch import Dispatcher
from services.routing.follow_up import FollowUp
from services.routing.follow_ups import FollowUps
from services.routing.identification import Identification
from services.routing.plan import RoutingPlan
from services.routing.policy import (
    EscalateTo,
    climb,
    supervisor_step,
)
from services.routing.queries import RoutingQueries
from services.routing.unit import NotFound, Unit
from services.routing.views import (
    agent_view,
    contact_view,
)
from services.routing.voice_calls import VoiceCalls
from switchboard.inbox import NotYet
from switchboard.log_follower import reads
from switchboard.shredding import KeyRing, ShreddingMapper, open_key_table
from switchboard.store import TrackedApplication

A = TypeVar("A", bound=Aggregate)

# Twilio's final call statuses: the caller is gone.
CALL_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


def contact_owner(domain_event: Any) -> uuid.UUID | None:
    """Contact events carry who wrote and what: sealed under the contact's key; so are a
    follow-up's (its note), under the key of the contact it was scheduled on."""
    if isinstance(domain_event, FollowUp.Event):
        scheduled_on: Any = domain_event  # each FollowUp event carries its contact_id
        return uuid.UUID(str(scheduled_on.contact_id))
    is_contact = isinstance(domain_event, Contact.Event)
    return domain_event.originator_id if is_contact else None


class RoutingApplication(RoutingQueries, ConversationCommands, TrackedApplication):
    name = "routing"
    # Contacts too: a long chat is hundreds of events.
    snapshotting_intervals = {Agent: 50, Contact: 50}

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
        self.plan = RoutingPlan(people, config, queue_supervisor)
        self.board = Board()
        self._board_batch: object | None = None
        self._links_batch: object | None = None
        self._links: dict[uuid.UUID, uuid.UUID] = {}
        self.dispatch = Dispatcher(self.plan)
        self._board_reads = reads(self.mapper, Board.wants)
        self.voice = VoiceCalls(self)
        self.follow_ups = FollowUps(self)

    def construct_mapper(self) -> Mapper[uuid.UUID]:
        # Each contact's events are sealed with a key of their own: erasing a customer
        # destroys the keys of their contacts (routing holds who wrote and what).
        self.keys = KeyRing(open_key_table(self.factory, "contact_keys"), cache_size=100_000)
        return ShreddingMapper(self.construct_transcoder(), self.keys, contact_owner)

    def _catch_up(self) -> None:
        batch = self.open_batch()
        if batch is not None and batch is self._board_batch:
            return  # nothing is stored until the batch ends: once per batch is enough
        self.board.catch_up(
            self.notifications_after, self.decoded, self._contact_at, self._board_reads
        )
        self._board_batch = batch

    def _contact_at(self, contact_id: uuid.UUID, version: int) -> Contact:
        contact: Contact = self.repository.get(contact_id, version=version)
        return contact

    @contextmanager
    def unit(self, tracking: Tracking | None = None) -> Iterator[Unit]:
        self._catch_up()  # decisions start from everything stored, by any replica
        unit = Unit(self.repository, self.board, self.clock(), self.batch_writes())
        yield unit
        self.commit(*unit.touched.values(), tracking=tracking)

    def view(self) -> Unit:
        """For queries: the board as stored now, nothing to save."""
        self._catch_up()
        return Unit(self.repository, self.board, self.clock())

    # Commands from consumers (tracked) ----------------------------------------------

    def identified(self, event: CustomerIdentified, tracking: Tracking) -> None:
        """History says who the customer is: their tier, last agent and account owner shape
        the routing.
        It names the contact the interaction would open alone; one that joined a
        conversation is found through it."""
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, event.contact_id) or self.identified_conversation(
                unit, event.contact_id
            )
            last = event.last_agent_id if event.last_agent_id in self.plan.people else None
            owner = event.owner_id
            if contact is None:  # history was quicker: the contact takes it when it opens
                key = Identification.create_id(event.contact_id)
                if unit.get(Identification, key) is None:
                    unit.add(
                        Identification(
                            event.contact_id,
                            event.customer_id,
                            event.tier,
                            last,
                            owner,
                            language=event.language,
                        )
                    )
                linked = event.contact_id
            else:
                linked = contact.id
                if contact.customer_id is None:
                    was_identifying = contact.status == "identifying"
                    contact.identify(
                        event.customer_id, event.tier, last, owner, language=event.language
                    )
                    if was_identifying:
                        self.dispatch.enqueue(unit, contact)
        # Whose contact this is, beside its key: erasing the customer finds it there.
        self.link_customer(linked, event.customer_id)

    def link_customer(self, contact_id: uuid.UUID, customer_id: uuid.UUID) -> None:
        """Made before the command's tracking record is: in a batch, all of its links
        together as it ends (one transaction, not one per contact)."""
        batch = self.open_batch()
        if batch is None:
            self.keys.link(contact_id, customer_id)
            return
        if batch is not self._links_batch:
            self._links_batch, self._links = batch, {}
        self._links[contact_id] = customer_id

    def batch_ending(self) -> None:
        if self._links_batch is self.open_batch():
            self.keys.link_many(self._links)
        self._links_batch, self._links = None, {}

    def erase_customer(self, customer_id: uuid.UUID, tracking: Tracking) -> list[uuid.UUID]:
        """History erased the customer: their contacts still open are closed (nobody could
        read them), then the contacts' keys are destroyed. Redelivery finds them closed."""
        contacts = self.keys.table.owners_of([customer_id])
        with self.unit() as unit:
            for contact_id in contacts:
                seen = unit.seen_contact(contact_id)
                if seen is not None:
                    self.dispatch.close_erased(unit, unit.contact(contact_id))
        self.keys.destroy(contacts)
        self.commit(tracking=tracking)
        return contacts

    def identify_expired(self, contact_id: uuid.UUID, tracking: Tracking) -> None:
        """History did not answer in time: route without knowing the customer."""
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, contact_id)
            if contact is not None and contact.status == "identifying":
                self.dispatch.enqueue(unit, contact)

    def update(self, update: InteractionUpdated, tracking: Tracking) -> None:
        """A caller who hangs up before an agent took the call abandons the contact."""
        with self.unit(tracking) as unit:
            if update.kind != "status" or update.status not in CALL_ENDED:
                return
            contact = unit.get(Contact, contact_id_for(update.interaction_id))
            if contact is None:
                # Keyed by interaction, an update may be in another partition than its
                # interaction (keyed by sender) and come first: wait for it.
                raise NotYet(f"contact of interaction {update.interaction_id} not opened yet")
            if not contact.is_open:
                self.voice.caller_hung_up(unit, contact, update.status)
                return  # already taken or finished
            if self.voice.awaits_callback(contact):
                return
            offer_id = contact.pending_offer_id()
            had_offer = contact.abandon(f"call {update.status}", unit.now)
            if had_offer is not None and offer_id is not None:
                unit.agent(had_offer).release(str(offer_id), "abandoned")
                self.dispatch.fill(unit, had_offer)

    def wait_expired(self, contact_id: uuid.UUID, tracking: Tracking) -> None:
        """Nobody took the contact in the queue's maximum wait: up to the supervisor step."""
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, contact_id)
            if contact is None or contact.status != "waiting" or contact.queue is None:
                return  # offered, taken or gone: other deadlines rule it
            q = self.plan.by_name[contact.queue]
            top = supervisor_step(q.ladder)
            if contact.step == top:
                return  # already with the hierarchy
            waited = (unit.now - contact.queued_at).total_seconds()
            step = climb(
                None,
                True,
                self.plan.supervisors,
                q.supervisor,
                q.timeouts,
                f"waited {waited:.0f}s and no agent took it",
            )
            if isinstance(step, EscalateTo):
                contact.decide("escalate", step.person_id, step.reason, [], unit.now)
                self.dispatch.escalate(unit, contact, q, step)

    def presence_lost(self, agent_id: str, tracking: Tracking) -> None:
        """No heartbeat in time: offline, pending offers back to the queue at their original
        age, and the contacts they hold flagged to their supervisor."""
        person = self.people.get(agent_id)
        with self.unit(tracking) as unit:
            if person is None:
                return
            agent = unit.agent(agent_id)
            if agent.status == "offline":
                return
            agent.change_status("offline", unit.now)
            self.dispatch.withdraw_all(unit, agent, "agent stopped answering")
            for contact_id in agent.contacts:
                unit.contact(uuid.UUID(contact_id)).flag(
                    person.supervisor, "agent stopped answering (missed heartbeats)", unit.now
                )

    def wrap_up_over(self, agent_id: str, contact_id: uuid.UUID, tracking: Tracking) -> None:
        with self.unit(tracking) as unit:
            if agent_id not in self.people:
                return
            agent = unit.agent(agent_id)
            if str(contact_id) in agent.wrapping:
                self.dispatch.end_wrap_up(unit, agent, [str(contact_id)], "time")

    def expire(self, contact_id: uuid.UUID, offer_id: uuid.UUID, tracking: Tracking) -> None:
        with self.unit(tracking) as unit:
            contact = unit.get(Contact, contact_id)
            if contact is None or contact.pending_offer_id() != offer_id:
                return  # accepted or declined before the deadline
            agent = unit.agent(contact.expire(offer_id, unit.now))
            agent.release(str(offer_id), "expired")
            if self._is_agent(agent.agent_id):
                # An agent who lets an offer lapse has likely walked away.
                agent.change_status("not_responding", unit.now)
            self.dispatch.route(unit, contact)

    # Commands from people ------------------------------------------------------------

    def set_status(self, agent_id: str, status: str) -> AgentView:
        person = self._person(agent_id)
        with self.unit() as unit:
            agent = unit.agent(person.id)
            agent.change_status(status, unit.now)
            if status == "available":
                self.dispatch.fill(unit, agent_id)
            else:
                self.dispatch.withdraw_all(unit, agent, f"agent went {status}")
        return agent_view(agent, person)

    def accept(self, offer_id: uuid.UUID, actor: str | None = None) -> ContactView:
        """`actor`: who asks; None for the system itself (tests, simulation)."""
        with self.unit() as unit:
            contact = unit.contact_of_offer(offer_id)
            require_holder((contact.offer or {}).get("agent_id"), actor, f"offer {offer_id}")
            agent = unit.agent(contact.accept(offer_id, unit.now))
            agent.take(str(offer_id), str(contact.id))
            self.voice.accepted(unit, contact, agent.agent_id)
            self.follow_ups.accepted(unit, contact, agent.agent_id)
        return contact_view(contact)

    def decline(self, offer_id: uuid.UUID, actor: str | None = None) -> ContactView:
        with self.unit() as unit:
            contact = unit.contact_of_offer(offer_id)
            require_holder((contact.offer or {}).get("agent_id"), actor, f"offer {offer_id}")
            agent_id = contact.decline(offer_id, unit.now)
            unit.agent(agent_id).release(str(offer_id), "declined")
            self.dispatch.route(unit, contact)
            self.dispatch.fill(unit, agent_id)
        return contact_view(contact)

    def complete(
        self, contact_id: uuid.UUID, disposition: str, actor: str | None = None
    ) -> ContactView:
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            require_holder(contact.agent_id, actor, f"contact {contact_id}")
            agent = unit.agent(contact.complete(disposition, unit.now))
            self.dispatch.finish(unit, agent, contact)
        return contact_view(contact)

    def ready(self, agent_id: str) -> AgentView:
        """The agent finished their after-contact work early: new work may come."""
        person = self._person(agent_id)
        with self.unit() as unit:
            agent = unit.agent(person.id)
            self.dispatch.end_wrap_up(unit, agent, list(agent.wrapping), "ready")
        return agent_view(agent, person)

    def reply(self, contact_id: uuid.UUID, text: str, actor: str | None = None) -> uuid.UUID:
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            require_holder(contact.agent_id, actor, f"contact {contact_id}")
            reply_id = derived_id("reply", str(contact.id), str(contact.version))
            contact.reply(reply_id, text, unit.now)
            contact.mark_read(unit.now)  # who answers has read
        return reply_id

    def requeue(self, contact_id: uuid.UUID, by: str) -> ContactView:
        """A supervisor sends the contact back to its queue: the ladder starts over."""
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            offer_id = contact.pending_offer_id()
            had = contact.requeue(by, unit.now)
            if had is not None and offer_id is not None:
                unit.agent(had).release(str(offer_id), f"requeued by {by}")
            self.dispatch.route(unit, contact)
            if had is not None:
                self.dispatch.fill(unit, had)
        return contact_view(contact)

    def assign(self, contact_id: uuid.UUID, agent_id: str, by: str) -> ContactView:
        """A supervisor hands the contact to an agent who is free to take it."""
        self._person(agent_id)
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            if contact.status not in ("waiting", "offered") or contact.queue is None:
                raise ContactError(f"contact {contact_id} is {contact.status}, cannot be assigned")
            agent = unit.agent(agent_id)
            if agent.status != "available" or not self.dispatch.has_room(agent, contact):
                raise ContactError(f"{agent_id} is {agent.status} or has no free capacity")
            offer_id = contact.pending_offer_id()
            if offer_id is not None:
                self.dispatch.withdraw(unit, offer_id, f"reassigned by {by}")
            q = self.plan.by_name[contact.queue]
            contact.decide("offer", agent_id, f"assigned by {by}", [], unit.now)
            self.dispatch.offer(unit, contact, agent_id, q.timeouts.offer)
        return contact_view(contact)

    # Routing --------------------------------------------------------------------------

    def transfer(
        self,
        contact_id: uuid.UUID,
        actor: str | None,
        to_queue: str | None = None,
        to_agent: str | None = None,
        reason: str = "",
    ) -> ContactView:
        """The agent holding the contact passes it to a queue (its own by default), or
        straight to an agent who is free to take it. The customer's account owner may take
        it over the same way: transferred to themselves."""
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            taking_over = actor is not None and actor == contact.owner_id == to_agent
            if not taking_over:
                require_holder(contact.agent_id, actor, f"contact {contact_id}")
            q = self.plan.by_name.get(to_queue or contact.queue or "")
            if q is None:
                raise NotFound(f"queue {to_queue!r} not found")
            if to_agent is not None:
                self._person(to_agent)
                target = unit.agent(to_agent)
                if target.status != "available" or not self.dispatch.has_room(target, contact):
                    raise ContactError(f"{to_agent} is {target.status} or has no free capacity")
            priority = max(contact.priority, self.plan.priority_for(q, contact.facts.get("tier")))
            why = reason or "transferred"
            holder = contact.transfer(q.name, priority, why, unit.now)
            unit.agent(holder).finish(str(contact.id), unit.now)
            if to_agent is not None:
                by = f"taken over from {holder} by the account owner" if taking_over else None
                reason = by or f"transferred by {holder}: {why}"
                contact.decide("offer", to_agent, reason, [], unit.now)
                self.dispatch.offer(unit, contact, to_agent, q.timeouts.offer)
            else:
                self.dispatch.route(unit, contact)
            self.dispatch.fill(unit, holder)
        return contact_view(contact)

    def cancel(self, contact_id: uuid.UUID, by: str, reason: str) -> ContactView:
        with self.unit() as unit:
            contact = unit.contact(contact_id)
            offer_id = contact.pending_offer_id()
            had = contact.cancel(by, reason, unit.now)
            if had is not None and offer_id is not None:
                unit.agent(had).release(str(offer_id), "cancelled")
                self.dispatch.fill(unit, had)
        return contact_view(contact)


__all__ = ["ContactError", "NotFound", "NotYours", "RoutingApplication"]

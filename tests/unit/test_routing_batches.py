"""Routing decided in batches (history naming customers, switchboard/event_batches.py): the
board catches up only once a batch is stored, so each command must see what the batch's
earlier commands did to agents and queues, exactly as if they had been committed."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from events import contact_id_for
from schemas.config import Person, RoutingConfig
from services.routing.application import RoutingApplication
from switchboard.settings import Settings
from switchboard.store import event_store_env
from tests.support.clock import Clock
from tests.unit.test_conversations import sms
from tests.unit.test_routing_queues import contact_of, identify, interaction

PEOPLE = [
    Person(id="alice", name="A", supervisor="sam", capacity={"messaging": 1, "email": 1}),
    Person(id="bob", name="B", supervisor="sam", capacity={"messaging": 1, "email": 1}),
    Person(id="sam", name="S", role="supervisor"),
]

positions = iter(range(1, 1_000_000))


def track() -> Tracking:
    return Tracking("stream:EVENTS>routing-identities", next(positions))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> RoutingApplication:
    routing = RoutingApplication(
        PEOPLE,
        # Contacts wait for history to name their customer (the consumer batched here).
        RoutingConfig(offer_timeout_seconds=600, identify_timeout_seconds=30),
        queue_supervisor="sam",
        clock=clock,
        env=event_store_env(Settings(data_dir=tmp_path), "routing"),
    )
    for agent in ("alice", "bob"):
        routing.set_status(agent, "available")
        clock.advance(1)
    return routing


def offered(app: RoutingApplication, agent: str) -> list[uuid.UUID]:
    return [o.contact_id for o in app.offers_for(agent)]


def test_a_batch_never_offers_one_free_agent_two_contacts(
    app: RoutingApplication, clock: Clock
) -> None:
    """Three customers named in one batch, two agents with room for one each: one offer
    each, and the third waits. From the board alone, all three went to one agent."""
    for n in (1, 2, 3):
        app.receive(interaction(n), track())
        clock.advance(1)
    with app.batch(own_writes=True):
        for n in (1, 2, 3):
            app.identified(identify(n), track())
    first, second, third = (contact_of(n) for n in (1, 2, 3))
    assert sorted(offered(app, "alice") + offered(app, "bob")) == sorted([first, second])
    assert len(offered(app, "alice")) == len(offered(app, "bob")) == 1
    assert app.contact(third).status == "waiting"
    assert app.waiting_counts() == {"default": 1}


def test_an_agent_freed_in_a_batch_takes_a_contact_the_batch_queued(
    app: RoutingApplication, clock: Clock
) -> None:
    """The board's queues do not hold a contact queued earlier in the batch yet; an agent
    freed later in it still finds that contact first in line."""
    app.set_status("bob", "offline")
    app.receive(interaction(1), track())
    app.identified(identify(1), track())
    busy = app.accept(app.offers_for("alice")[0].offer_id)
    app.receive(interaction(2), track())
    clock.advance(5)
    with app.batch(own_writes=True):
        app.identified(identify(2), track())  # nobody free: it waits
        app.complete(busy.contact_id, "solved")  # alice is free (no wrap-up): she takes it
    waiting = contact_of(2)
    assert offered(app, "alice") == [waiting]
    assert app.contact(waiting).status == "offered"


def test_a_batch_decides_as_the_same_commands_one_at_a_time(
    tmp_path: Path, clock: Clock, app: RoutingApplication
) -> None:
    """The same inputs, batched and not, leave the same offers and queue."""
    alone = RoutingApplication(
        PEOPLE,
        RoutingConfig(offer_timeout_seconds=600, identify_timeout_seconds=30),
        queue_supervisor="sam",
        clock=clock,
        env=event_store_env(Settings(data_dir=tmp_path / "alone"), "routing"),
    )
    for agent in ("alice", "bob"):  # longest idle first, as in `app`
        alone.set_status(agent, "available")
        clock.advance(1)
    for n in range(1, 6):
        for routing in (app, alone):
            routing.receive(interaction(n), track())
    with app.batch(own_writes=True):
        for n in range(1, 6):
            app.identified(identify(n), track())
    for n in range(1, 6):
        alone.identified(identify(n), track())

    def state(routing: RoutingApplication) -> tuple[list[str], list[uuid.UUID], list[uuid.UUID]]:
        contacts = [contact_of(n) for n in range(1, 6)]
        statuses = [routing.contact(c).status for c in contacts]
        return (statuses, offered(routing, "alice"), offered(routing, "bob"))

    assert state(app) == state(alone)
    assert state(app)[0].count("offered") == 2


def test_a_batch_links_each_contact_to_its_customer_before_it_is_stored(
    app: RoutingApplication, clock: Clock
) -> None:
    """Erasing a customer finds their contacts by these links: a batch makes them all in one
    transaction as it ends, before its tracking record, so none is lost to a crash."""
    for n in (1, 2, 3):
        app.receive(interaction(n), track())
    with app.batch(own_writes=True):
        for n in (1, 2, 3):
            app.identified(identify(n), track())
        assert app.keys.table.owners_of([identify(1).customer_id]) == []  # not yet: one write
    for n in (1, 2, 3):
        event = identify(n)
        assert app.keys.table.owners_of([event.customer_id]) == [event.contact_id]


def test_an_inbound_batch_offers_contacts_history_named_first_one_free_agent_each(
    app: RoutingApplication,
) -> None:
    """History was quicker: each contact is offered as it opens. In one batch of routing's
    INBOUND partition (read with own writes, switchboard/inbound_consumers.py) the second contact
    sees the first one's offer, and the third waits."""
    for n in (1, 2, 3):
        app.identified(identify(n), track())
    with app.batch(own_writes=True):
        for n in (1, 2, 3):
            app.receive(interaction(n), track())
    assert len(offered(app, "alice")) == len(offered(app, "bob")) == 1
    assert app.contact(contact_of(3)).status == "waiting"


def test_without_own_writes_the_store_refuses_such_a_batch_whole(app: RoutingApplication) -> None:
    """Why routing's INBOUND batches read their own writes: otherwise both contacts reserve
    the same free agent's next version, and the batch is decided again one by one."""
    for n in (1, 2):
        app.identified(identify(n), track())
    with pytest.raises(IntegrityError), app.batch():
        for n in (1, 2):
            app.receive(interaction(n), track())
    assert offered(app, "alice") == offered(app, "bob") == []


def test_a_chats_lines_in_one_inbound_batch_are_one_contact(app: RoutingApplication) -> None:
    """A customer's quick lines land in one batch: the second joins the conversation the
    first opened, as one at a time."""
    lines = [sms("+4915100000001", text) for text in ("hi", "my order", "is late")]
    with app.batch(own_writes=True):
        for line in lines:
            app.receive(line, track())
    first = contact_id_for(lines[0].interaction_id)
    assert app.contact(first).message_count == 3
    assert [m.text for m in app.transcript(first, None, 10)] == ["hi", "my order", "is late"]


def test_identification_deadlines_decided_in_one_batch_queue_in_turn(
    app: RoutingApplication, clock: Clock
) -> None:
    """One deadline fires per contact (routing-identify-deadlines, decided whole): those
    history never named are queued in turn, each seeing the batch's offers; a named one
    is left as it was."""
    for n in (1, 2, 3, 4):
        app.receive(interaction(n), track())
    app.identified(identify(4), track())  # named in time: offered to one of the two
    clock.advance(31)
    with app.batch(own_writes=True):
        for n in (4, 1, 2, 3):
            app.identify_expired(contact_of(n), track())
    assert len(offered(app, "alice")) == len(offered(app, "bob")) == 1
    assert contact_of(4) in offered(app, "alice") + offered(app, "bob")
    assert [app.contact(contact_of(n)).status for n in (1, 2, 3)] == [
        "offered",
        "waiting",
        "waiting",
    ]

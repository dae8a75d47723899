"""What followers of a store do not decode (switchboard/log_follower.reads): routing's
board and queue statistics built from only the events they want equal those built from
every event, and no event the statistics or history's timeline skip would have counted."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import fields

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.persistence import Notification

from events import CustomerIdentified, contact_id_for
from services.history import timeline
from services.history.account_book import AccountBook
from services.history.contact_link import ContactLink
from services.history.customer import Customer
from services.history.identity_claim import IdentityClaim
from services.history.merge_suggestion import MergeSuggestion
from services.history.organization_account import OrganizationAccount
from services.routing.application import RoutingApplication
from services.routing.board import Board
from services.routing.contact import Contact
from services.routing.contracts import to_contract
from services.routing.queue_stats import QueueStatsProjection
from switchboard.log_follower import follow_in_memory, reads, select_after
from switchboard.serial import SerialExecutor
from tests.support.aggregate_copies import assert_later_events_leave_the_original
from tests.support.clock import Clock
from tests.support.recent import assert_shared_as_stored
from tests.unit.test_routing_ladder import (
    app,
    available,
    clock,
    hang_up,
    interaction,
    offer_of,
    track,
)

__all__ = ["app", "clock"]  # the fixtures


def busy_day(app: RoutingApplication, clock: Clock) -> None:
    """A customer named, offers taken, declined and lapsed; a call hung up; contacts
    completed."""
    available(app, clock, "alice", "bob")
    app.receive(interaction(1), track())
    first_in = interaction(1)
    app.identified(
        CustomerIdentified(
            customer_id=uuid.uuid4(),
            interaction_id=first_in.interaction_id,
            contact_id=contact_id_for(first_in.interaction_id),
            identities=["email:c1@example.com"],
            is_new_customer=False,
            tier="gold",
            language="en",
        ),
        track(),
    )
    clock.advance(5)
    first = app.accept(offer_of(app, "alice"))
    app.receive(interaction(2), track())
    app.decline(offer_of(app, "bob"), "bob")
    for n in (3, 4, 5):
        app.receive(interaction(n), track())
    clock.advance(30)
    for offer in app.offers_for("alice") + app.offers_for("bob"):
        app.expire(offer.contact_id, offer.offer_id, track())
    app.complete(first.contact_id, "done")
    call = interaction(6, channel="voice")
    app.receive(call, track())
    hang_up(app, call)


def test_queue_statistics_from_what_they_read_equal_those_from_everything(
    app: RoutingApplication, clock: Clock
) -> None:
    busy_day(app, clock)
    everything = QueueStatsProjection({"default": 20})
    for n in app.recorder.select_notifications(start=None, limit=1000):
        everything.apply(n.id, app.mapper.to_domain_event(n))
    chosen = QueueStatsProjection({"default": 20})
    run = SerialExecutor("stats")
    follower = follow_in_memory(
        app, "stats", chosen, run, 0.05, QueueStatsProjection.KINDS.__contains__
    )
    try:
        while not asyncio.run(follower.step()):
            pass
    finally:
        run.shutdown()
    totals = everything.totals["default"]
    assert totals.offered >= 5 and totals.declined and totals.expired and totals.abandoned
    assert chosen == everything


def test_the_queue_statistics_skip_only_what_they_would_not_count() -> None:
    """Every contact event left out of KINDS, applied to a queued contact, changes nothing
    but the position: a kind counted in `apply` and missing from KINDS fails here."""
    kinds = [
        v
        for v in vars(Contact).values()
        if isinstance(v, type) and issubclass(v, CanMutateAggregate)
    ]
    contact = uuid.uuid4()
    stats = QueueStatsProjection({"default": 20})
    queued = object.__new__(next(k for k in kinds if k.__qualname__ == "Contact.Queued"))
    object.__setattr__(queued, "originator_id", contact)
    object.__setattr__(queued, "queue", "default")
    stats.apply(1, queued)
    before = {f.name: repr(getattr(stats, f.name)) for f in fields(stats) if f.name != "position"}
    skipped = [k for k in kinds if k.__qualname__ not in QueueStatsProjection.KINDS]
    assert len(skipped) > 20
    for position, kind in enumerate(skipped, start=2):
        event = object.__new__(kind)
        object.__setattr__(event, "originator_id", contact)
        stats.apply(position, event)
    after = {f.name: repr(getattr(stats, f.name)) for f in fields(stats) if f.name != "position"}
    assert after == before


def test_a_board_from_agents_and_contacts_only_equals_one_from_everything(
    app: RoutingApplication, clock: Clock
) -> None:
    busy_day(app, clock)
    app.receive(interaction(7), track())  # one left waiting
    select = select_after(app.recorder)
    full, lean = Board(), Board()
    full.catch_up(select, app.mapper.to_domain_event)
    lean.catch_up(select, app.mapper.to_domain_event, reads=reads(app.mapper, Board.wants))
    topics = {
        n.topic.rpartition(":")[2].split(".")[0]
        for n in app.recorder.select_notifications(start=None, limit=1000)
    }
    assert topics - {"Agent", "Contact"}, "the day stored other aggregates' events too"
    assert lean.position == full.position
    assert {k: vars(a) for k, a in lean.agents.items()} == {
        k: vars(a) for k, a in full.agents.items()
    }
    assert {k: vars(c) for k, c in lean.contacts.items()} == {
        k: vars(c) for k, c in full.contacts.items()
    }
    assert lean.waiting("default") == full.waiting("default") != []


def test_the_timeline_skips_only_events_that_change_nothing() -> None:
    """History's projector decodes only timeline.KINDS: every other event of history's
    aggregates must change nothing (a case added to `changes_for` and not to KINDS fails)."""
    aggregates = (AccountBook, ContactLink, Customer, IdentityClaim, MergeSuggestion)
    kinds = [
        v
        for a in (*aggregates, OrganizationAccount)
        for v in vars(a).values()
        if isinstance(v, type) and issubclass(v, CanMutateAggregate)
    ]
    skipped = [k for k in kinds if k.__qualname__ not in timeline.KINDS]
    assert len(skipped) > 10 and len(kinds) - len(skipped) == len(timeline.KINDS)
    for kind in skipped:
        assert timeline.changes_for(1, object.__new__(kind)) == [], kind.__qualname__


def same_board(a: Board, b: Board) -> bool:
    return (
        a.position == b.position
        and {k: vars(x) for k, x in a.agents.items()} == {k: vars(x) for k, x in b.agents.items()}
        and {k: vars(x) for k, x in a.contacts.items()}
        == {k: vars(x) for k, x in b.contacts.items()}
        and a.waiting("default") == b.waiting("default")
    )


def test_the_board_reads_its_own_commits_from_memory_as_the_store_has_them(
    app: RoutingApplication, clock: Clock
) -> None:
    busy_day(app, clock)
    app.receive(interaction(7), track())
    decoded = 0
    decode = app.mapper.to_domain_event

    def counted(notification: Notification) -> object:
        nonlocal decoded
        decoded += 1
        return decode(notification)

    app.mapper.to_domain_event = counted  # type: ignore[method-assign, assignment]
    app.view()  # catches up with the last commit
    assert app.board.position == app.recorder.max_notification_id()
    assert decoded == 0, "all from the recent log"
    app.mapper.to_domain_event = decode  # type: ignore[method-assign]
    fresh = Board()
    fresh.catch_up(select_after(app.recorder), app.mapper.to_domain_event)
    assert same_board(app.board, fresh) and fresh.waiting("default")


def test_what_followers_share_they_leave_as_it_was(app: RoutingApplication, clock: Clock) -> None:
    """The recent log hands every follower the same event objects, the ones the commands
    made: the board evolves its aggregates from them, the relay and the views read them.
    None may change one (the relay would then publish what was never stored)."""
    busy_day(app, clock)
    available(app, clock, "alice", "bob")  # more commands on the same contacts and agents
    for offer in app.offers_for("alice") + app.offers_for("bob"):
        app.accept(offer.offer_id)
    app.view()
    stats = QueueStatsProjection({"default": 20})
    for n in app.notifications_after(0, 10_000):
        stats.apply(n.id, app.decoded(n))
        to_contract(app.decoded(n))
    assert_shared_as_stored(app)
    # Copies sharing nested containers (switchboard/aggregate_copy.py) stay deep copies.
    assert assert_later_events_leave_the_original(app, {"Contact", "Agent"}) > 50

"""After-contact work (wrap-up): a completed contact keeps its place in the agent's capacity
for the queue's wrap-up time, or until the agent says they are ready; driven through the
routing application with plain calls (in-memory store, controllable clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking

from events import AgentWrapUpEnded, AgentWrapUpStarted, Event
from schemas.api import AgentView
from schemas.config import QueueConfig
from services.routing.application import RoutingApplication
from services.routing.contracts import to_contract
from tests.support.clock import Clock
from tests.unit.test_routing_queues import (
    available,
    contact_of,
    interaction,
    offered,
    routing,
    track,
)

timer_positions = iter(range(1, 1_000_000))


def timer() -> Tracking:
    return Tracking("stream:TIMERS", next(timer_positions))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def alice(app: RoutingApplication) -> AgentView:
    [view] = [a for a in app.agents() if a.agent_id == "alice"]
    return view


def contracts(app: RoutingApplication) -> list[Event]:
    found = [
        to_contract(app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(0, 1000)
    ]
    return [e for e in found if e is not None]


def take(app: RoutingApplication, agent: str, n: int, channel: str = "webform") -> None:
    offer = next(o for o in app.offers_for(agent) if o.contact_id == contact_of(n, channel))
    app.accept(offer.offer_id, agent)


def test_no_new_call_comes_during_the_wrap_up_and_one_does_when_it_is_over(clock: Clock) -> None:
    app = routing(clock, wrap_up_seconds=30)
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    take(app, "alice", 1, "voice")
    app.receive(interaction(2, "voice"), track())  # she is on a call: it waits
    clock.advance(60)
    app.complete(contact_of(1, "voice"), "resolved", "alice")

    assert alice(app).wrap_up_until == clock.now + timedelta(seconds=30)
    assert alice(app).active_contacts == 0
    assert offered(app) == {}  # the waiting call waits through her wrap-up
    [started] = [e for e in contracts(app) if isinstance(e, AgentWrapUpStarted)]
    assert (started.agent_id, started.contact_id) == ("alice", contact_of(1, "voice"))
    assert started.until == clock.now + timedelta(seconds=30)

    clock.advance(30)
    app.wrap_up_over("alice", contact_of(1, "voice"), timer())
    assert alice(app).wrap_up_until is None
    assert offered(app) == {"alice": [contact_of(2, "voice")]}
    [ended] = [e for e in contracts(app) if isinstance(e, AgentWrapUpEnded)]
    assert ended.reason == "time"


def test_ready_ends_the_wrap_up_early_and_the_timer_then_changes_nothing(clock: Clock) -> None:
    app = routing(clock, wrap_up_seconds=30)
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    take(app, "alice", 1, "voice")
    app.receive(interaction(2, "voice"), track())
    app.complete(contact_of(1, "voice"), "resolved", "alice")
    clock.advance(5)

    view = app.ready("alice")
    assert view.wrap_up_until is None
    assert offered(app) == {"alice": [contact_of(2, "voice")]}
    app.wrap_up_over("alice", contact_of(1, "voice"), timer())  # the schedule fires anyway
    assert [e.reason for e in contracts(app) if isinstance(e, AgentWrapUpEnded)] == ["ready"]


def test_a_chat_in_wrap_up_holds_one_chat_place_only(clock: Clock) -> None:
    app = routing(clock, wrap_up_seconds=30)  # alice takes 3 conversations at once
    available(app, clock, "alice")
    for n in (1, 2, 3):
        app.receive(interaction(n), track())
        take(app, "alice", n)
    app.receive(interaction(4), track())
    app.complete(contact_of(1), "resolved", "alice")
    assert offered(app) == {}  # two chats and one wrap-up: full
    app.receive(interaction(5, "email"), track())  # an e-mail has its own places
    assert offered(app) == {"alice": [contact_of(5, "email")]}
    app.wrap_up_over("alice", contact_of(1), timer())
    assert sorted(offered(app)["alice"]) == sorted([contact_of(4), contact_of(5, "email")])


def test_a_queue_may_have_no_wrap_up(clock: Clock) -> None:
    quick = QueueConfig(name="quick", match="channel == 'voice'", wrap_up_seconds=0)
    app = routing(clock, wrap_up_seconds=30, queues=[quick])
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    take(app, "alice", 1, "voice")
    app.receive(interaction(2, "voice"), track())
    app.complete(contact_of(1, "voice"), "resolved", "alice")
    assert alice(app).wrap_up_until is None
    assert offered(app) == {"alice": [contact_of(2, "voice")]}


def test_longest_idle_counts_from_the_end_of_the_wrap_up(clock: Clock) -> None:
    longest_idle = QueueConfig(name="default", strategy="longest-idle")
    app = routing(clock, wrap_up_seconds=30, queues=[longest_idle])
    available(app, clock, "alice")
    app.receive(interaction(1, "voice"), track())
    take(app, "alice", 1, "voice")
    clock.advance(10)
    app.complete(contact_of(1, "voice"), "resolved", "alice")
    clock.advance(5)
    available(app, clock, "bob")  # after alice hung up, before her wrap-up ended
    app.ready("alice")
    app.receive(interaction(2, "voice"), track())
    assert offered(app) == {"bob": [contact_of(2, "voice")]}

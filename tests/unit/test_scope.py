"""Scope's plain parts: which timeline entries name a person or a queue, and who supervises
each queue."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.api import CustomerView
from schemas.config import Person, QueueConfig, RoutingConfig, SwitchboardConfig
from services.history.scope import SCOPE_KINDS, CustomerScope, involvement
from services.history.timeline import TimelineRow
from switchboard.auth import Authenticator, Principal
from switchboard.errors import Forbidden
from switchboard.scopes import queue_supervisors
from switchboard.serial import SerialExecutor


def row(kind: str, **data: Any) -> TimelineRow:
    return TimelineRow(1, uuid.uuid4(), datetime.now(UTC), kind, None, None, "", data)


def test_the_kinds_come_from_the_contracts_naming_a_person_or_queue() -> None:
    assert {
        "AgentOffered",
        "OfferAccepted",
        "ContactTransferred",
        "ContactEscalated",
    } <= SCOPE_KINDS
    assert {"ContactQueued", "CallConnected"} <= SCOPE_KINDS
    assert "InteractionReceived" not in SCOPE_KINDS and "NoteAdded" not in SCOPE_KINDS


def test_involvement_reads_people_and_queues_from_routing_entries_only() -> None:
    seen = involvement(
        [
            row("AgentOffered", agent_id="alice"),
            row("ContactTransferred", from_agent_id="bob", queue="billing"),
            row("ContactEscalated", to_person_id="sam", from_agent_id=None, queue=""),
            row("ContactQueued", queue="default"),
            row("NoteAdded", by="mallory", agent_id="mallory"),  # not a routing entry
        ]
    )
    assert seen.people == {"alice", "bob", "sam"}
    assert seen.queues == {"billing", "default"}


def test_each_queue_has_the_supervisor_routing_gives_it() -> None:
    config = SwitchboardConfig(
        people=[
            Person(id="ann", name="Ann"),
            Person(id="sue", name="Sue", role="supervisor"),
            Person(id="tom", name="Tom", role="supervisor"),
        ],
        routing=RoutingConfig(
            queues=[QueueConfig(name="billing", supervisor="tom"), QueueConfig(name="sales")]
        ),
    )
    assert queue_supervisors(config) == {"billing": "tom", "sales": "sue", "default": "sue"}
    moved = config.model_copy(
        update={"routing": config.routing.model_copy(update={"supervisor": "tom"})}
    )
    assert queue_supervisors(moved)["default"] == "tom"


class _Rows:
    """The timeline's one query scope makes, answering from a list."""

    def __init__(self, rows: list[TimelineRow]) -> None:
        self.rows = rows

    def rows_of_kinds(self, customer_id: uuid.UUID, kinds: Any) -> list[TimelineRow]:
        return [r for r in self.rows if r.kind in kinds]


async def _never_behind() -> bool:
    return False


def _scope(config: SwitchboardConfig, view: _Rows, **timing: float) -> CustomerScope:
    """A scope over `view`'s rows, history never behind on what it was sent."""
    return CustomerScope(
        Authenticator(config, "x" * 32),
        view,  # type: ignore[arg-type]
        SerialExecutor("scope"),
        _never_behind,
        **timing,
    )


async def test_only_supervisors_see_a_customer_nobody_was_offered_or_owns() -> None:
    """An unverified identity's own customer holds only that identity: supervisors see it to
    decide its merge suggestion; agents do not, and once anyone was offered it the usual
    rule applies."""
    config = SwitchboardConfig(
        people=[
            Person(id="ann", name="Ann"),
            Person(id="sue", name="Sue", role="supervisor"),
            Person(id="tom", name="Tom", role="supervisor"),
            Person(id="bo", name="Bo", supervisor="tom"),
        ]
    )
    view = _Rows([])
    scope = _scope(config, view)
    card = CustomerView(customer_id=uuid.uuid4(), name=None, identities=["phone:+4915100000002"])
    assert await scope.may_read(Principal("sue", "supervisor"), card)
    assert not await scope.may_read(Principal("ann", "agent"), card)
    view.rows = [row("AgentOffered", agent_id="bo")]
    assert await scope.may_read(Principal("tom", "supervisor"), card)  # bo's supervisor
    assert not await scope.may_read(Principal("sue", "supervisor"), card)
    assert not await scope.may_read(
        Principal("sue", "supervisor"), card.model_copy(update={"owner_id": "bo"})
    )


async def test_a_refusal_waits_for_an_offer_routing_has_not_relayed_yet() -> None:
    """Routing's API shows an offer before its relay puts it on EVENTS: history is caught up
    with everything it was sent, and still the offer lands on the timeline a moment later.
    A refusal waits for the timeline to be still before it is final."""
    config = SwitchboardConfig(people=[Person(id="ann", name="Ann")])
    view = _Rows([])
    scope = _scope(config, view, grace_seconds=3.0, settle_seconds=0.3)
    card = CustomerView(customer_id=uuid.uuid4(), name="Ana", identities=["email:a@b.c"])
    ann = Principal("ann", "agent")

    async def relayed() -> None:
        await asyncio.sleep(0.1)
        view.rows = [row("AgentOffered", agent_id="ann")]
        scope.projected()

    landing = asyncio.create_task(relayed())
    await scope.require(ann, card)  # no Forbidden: the offer arrived within the settle
    await landing

    view.rows = []
    started = time.monotonic()
    with pytest.raises(Forbidden):
        await scope.require(ann, card)
    assert 0.3 <= time.monotonic() - started < 2.0  # still for the settle, not the grace

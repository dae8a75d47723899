"""Scope's plain parts: which timeline entries name a person or a queue, and who supervises
each queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from schemas.config import Person, QueueConfig, RoutingConfig, SwitchboardConfig
from services.history.scope import SCOPE_KINDS, involvement
from services.history.timeline import TimelineRow
from switchboard.scopes import queue_supervisors


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

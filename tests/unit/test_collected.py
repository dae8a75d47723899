"""`Collected` (switchboard/store.py) collects what eventsourcing's ProcessingEvent does, in
the same order, without its slow Protocol checks for aggregates."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import Aggregate, event

from switchboard.store import Collected


class Ticket(Aggregate):
    @event("Opened")
    def __init__(self, title: str) -> None:
        self.title = title

    @event("Renamed")
    def rename(self, title: str) -> None:
        self.title = title


def collect(into: ProcessingEvent[Any]) -> ProcessingEvent[Any]:
    first, second = Ticket("a"), Ticket("b")
    first.rename("a2")
    loose = Ticket("c")  # an event committed as it is, not through its aggregate
    loose.rename("c2")
    into.collect_events(first, loose.collect_events()[1], None, second, reason="test")
    return into


def test_the_same_events_in_the_same_order_and_the_same_aggregates() -> None:
    ours, theirs = collect(Collected()), collect(ProcessingEvent())

    def shape(p: ProcessingEvent[Any]) -> list[tuple[str, int]]:
        return [(type(e).__qualname__, e.originator_version) for e in p.events]

    assert (
        shape(ours)
        == shape(theirs)
        == [
            ("Ticket.Opened", 1),
            ("Ticket.Renamed", 2),
            ("Ticket.Renamed", 2),
            ("Ticket.Opened", 1),
        ]
    )
    for p in (ours, theirs):
        assert [getattr(a, "title", None) for a in p.aggregates.values()] == ["a2", "b"]
    assert ours.saved_kwargs == theirs.saved_kwargs == {"reason": "test"}

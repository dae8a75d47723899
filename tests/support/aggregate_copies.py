"""Checks on switchboard/aggregate_copy.py: a copy that shares nested containers with its
original is a deep copy only while no event changes a nested container in place."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any

from switchboard.store import TrackedApplication


def assert_later_events_leave_the_original(app: TrackedApplication, kinds: set[str]) -> int:
    """For each stored aggregate of the named classes and each of its versions: a copy of
    it taken through every later event leaves the original as a fresh rebuild of that
    version has it. Returns how many (aggregate, version) pairs were checked."""
    by_aggregate: dict[Any, list[Any]] = defaultdict(list)
    for n in app.recorder.select_notifications(start=None, limit=100_000):
        if n.topic.rpartition(":")[2].split(".")[0] in kinds:
            by_aggregate[n.originator_id].append(n)

    def event(notification: Any) -> Any:
        return app.mapper.to_domain_event(notification)  # afresh: nothing shared

    def rebuilt(notifications: list[Any]) -> Any:
        aggregate = None
        for n in notifications:
            aggregate = event(n).mutate(aggregate)
        return aggregate

    checked = 0
    for stored in by_aggregate.values():
        for k in range(1, len(stored)):
            original, fresh = rebuilt(stored[:k]), rebuilt(stored[:k])
            moved = copy.deepcopy(original)
            for n in stored[k:]:
                moved = event(n).mutate(moved)
            assert vars(original) == vars(fresh), f"{type(original).__name__} v{k}"
            checked += 1
    return checked

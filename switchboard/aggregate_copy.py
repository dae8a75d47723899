"""Copying an aggregate for the cache without walking all it holds.

eventsourcing's repository hands out a deep copy of a cached aggregate on every read, so a
command that fails leaves the cache as it was. `copy.deepcopy` walks everything an
aggregate holds: a contact's decisions (each with every candidate's verdict) and origin, a
customer's conversations and notes. For aggregates whose events only ever replace a
nested container (`self.facts = {**self.facts, ...}`), never change one in place, copying
their own lists and dicts is as good as a deep copy: the only containers a later event
changes in place are those, and the copy has its own. tests/unit/test_aggregate_copies.py
replays every aggregate's later events onto such a copy and checks the original did not
move."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


def copy_one_level_down(aggregate: T, memo: dict[int, Any]) -> T:
    copied: T = object.__new__(type(aggregate))
    memo[id(aggregate)] = copied  # one copy however often a structure holds it
    copied.__dict__.update(
        (name, value.copy() if isinstance(value, dict | list) else value)
        for name, value in vars(aggregate).items()
    )
    return copied

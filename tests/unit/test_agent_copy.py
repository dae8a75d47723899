"""Agent.__deepcopy__ copies containers only: right while every attribute stays immutable
or a flat dict or list of immutable values, which this checks over an agent's whole life."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.routing.agent import Agent

IMMUTABLE = (str, int, float, bool, type(None), datetime, uuid.UUID)
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def lived() -> Agent:
    """An agent through every event it has, still holding some of everything."""
    agent = Agent("bob", T0)
    agent.change_status("available", T0)
    for n in range(4):
        agent.reserve(f"o{n}", f"c{n}", "messaging", at=T0 + timedelta(seconds=n))
    agent.release("o0", "timeout")
    agent.take("o1", "c1")
    agent.take("o2", "c2")
    agent.park("c2")
    agent.resume("c2")
    agent.park("c2")
    agent.finish("c1", T0 + timedelta(minutes=1))
    agent.start_wrap_up("bob", "c1", "messaging", T0 + timedelta(minutes=2))
    agent.start_wrap_up("bob", "c9", "voice", T0 + timedelta(minutes=3))
    agent.end_wrap_up("bob", "c9", "done", T0 + timedelta(minutes=3))
    return agent


def flat(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(v, IMMUTABLE) for kv in value.items() for v in kv)
    if isinstance(value, list):
        return all(isinstance(v, IMMUTABLE) for v in value)
    return isinstance(value, IMMUTABLE)


def test_every_attribute_is_immutable_or_a_flat_container() -> None:
    agent = lived()
    assert agent.offers and agent.contacts and agent.wrapping and agent.kinds and agent.parked
    agent.collect_events()
    nested = {name: value for name, value in vars(agent).items() if not flat(value)}
    assert nested == {}, "Agent.__deepcopy__ would share these: copy them there"


def test_a_copy_is_equal_and_shares_no_container() -> None:
    agent = lived()
    pending = len(agent._pending_events)
    copied = copy.deepcopy(agent)
    assert vars(copied) == vars(agent)
    for name, value in vars(agent).items():
        if isinstance(value, dict | list):
            assert getattr(copied, name) is not value, name
    # What a failed command does to its copy leaves the cached agent as it was.
    copied.reserve("o7", "c7", "voice", at=T0)
    copied.take("o3", "c3")
    copied.finish("c2", T0)
    copied.end_wrap_up("bob", "c1", "done", T0)
    assert "o7" not in agent.offers and "o3" in agent.offers
    assert agent.contacts == ["c2"] and agent.parked == ["c2"] and "c1" in agent.wrapping
    assert len(agent._pending_events) == pending
    assert copied.version == agent.version + 4


def test_an_agent_held_twice_is_copied_once() -> None:
    agent = lived()
    both = copy.deepcopy([agent, agent])
    assert both[0] is both[1] and both[0] is not agent

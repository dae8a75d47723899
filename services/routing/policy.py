"""Routing policy: pure functions over plain data, no I/O, no clock.

Who gets a contact next, and where it climbs when nobody takes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

DEFAULT_CAPACITY: Mapping[str, int] = {"voice": 1, "messaging": 3, "email": 5}


def work_kind(channel: str) -> str:
    """Capacity is per kind of work: a call, a written conversation, an e-mail."""
    if channel == "voice":
        return "voice"
    return "email" if channel == "email" else "messaging"


def has_capacity(load: Sequence[str], kind: str, capacity: Mapping[str, int]) -> bool:
    """Whether an agent holding `load` can take one more piece of `kind` work.
    A call takes the whole agent: it needs them free, and blocks anything else."""
    if "voice" in load:
        return False
    if kind == "voice":
        return not load
    return load.count(kind) < capacity.get(kind, DEFAULT_CAPACITY.get(kind, 1))


@dataclass(frozen=True)
class Candidate:
    agent_id: str
    status: str
    idle_since: datetime
    has_capacity: bool
    load: int = 0  # offers and contacts held now


@dataclass(frozen=True)
class OfferTo:
    agent_id: str
    timeout: float | None


@dataclass(frozen=True)
class EscalateTo:
    person_id: str
    from_person_id: str
    reason: str
    timeout: float | None


@dataclass(frozen=True)
class Wait:
    reason: str


Step = OfferTo | EscalateTo | Wait


@dataclass(frozen=True)
class Timeouts:
    offer: float
    escalation: float


def longest_idle(candidates: Iterable[Candidate], excluded: Sequence[str]) -> str | None:
    """The available agent with free capacity holding the least work, and among those the
    one who has waited longest: an agent with two chats is not "idle" next to a free one."""
    eligible = [
        c
        for c in candidates
        if c.status == "available" and c.has_capacity and c.agent_id not in excluded
    ]
    if not eligible:
        return None
    return min(eligible, key=lambda c: (c.load, c.idle_since, c.agent_id)).agent_id


def escalation_step(
    from_person: str, supervisors: Mapping[str, str | None], timeouts: Timeouts, reason: str
) -> Step:
    """One rung up from `from_person`; the top of the hierarchy keeps it without a deadline."""
    target = supervisors.get(from_person)
    if target is None:
        return Wait(f"{from_person} has nobody above to escalate to")
    above = supervisors.get(target)
    return EscalateTo(
        person_id=target,
        from_person_id=from_person,
        reason=reason,
        timeout=timeouts.escalation if above is not None else None,
    )


def next_step(
    tried: Sequence[str],
    escalation_level: int,
    candidates: Iterable[Candidate],
    supervisors: Mapping[str, str | None],
    timeouts: Timeouts,
) -> Step:
    """What to do with a contact that is waiting (not offered, not taken).

    Agents are offered in longest-idle order, each at most once. When no untried agent is
    available after at least one offer, the contact climbs to the supervisor of the last
    person who had it, then to theirs, one rung per unanswered escalation.
    """
    if escalation_level == 0:
        agent = longest_idle(candidates, excluded=tried)
        if agent is not None:
            return OfferTo(agent, timeouts.offer)
        if not tried:
            return Wait("no agent available")
        return escalation_step(
            tried[-1], supervisors, timeouts, f"not accepted by {len(tried)} agent(s)"
        )
    return escalation_step(
        tried[-1], supervisors, timeouts, f"escalation level {escalation_level} not taken"
    )


def explain(
    candidates: Iterable[Candidate], tried: Sequence[str], chosen: str | None
) -> list[dict[str, str]]:
    """Why each agent was or was not offered the contact, for people to read later."""
    verdicts = []
    for c in sorted(candidates, key=lambda c: (c.load, c.idle_since, c.agent_id)):
        if c.agent_id == chosen:
            verdict = "chosen: least busy, longest idle"
        elif c.status != "available":
            verdict = f"skipped: {c.status}"
        elif not c.has_capacity:
            verdict = "skipped: no free capacity"
        elif c.agent_id in tried:
            verdict = "skipped: already offered this contact"
        else:
            verdict = "skipped: busier or idle for less time"
        verdicts.append({"agent_id": c.agent_id, "verdict": verdict})
    return verdicts

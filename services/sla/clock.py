"""What an SLA clock owes and when: a plain function of a contact's timeline, its policy,
its calendar and the hierarchy (no I/O, no clock: `now` is an argument).

Metrics (reference/sla.md, design implication 6):
- first response: from the contact's start to the first agent reply; never paused;
- next response: once the first response is met, from a customer message nobody has
  answered to the next agent reply (or the resolution); one cycle per such message;
  paused while pending on the customer when the policy says so;
- resolution: from the start to the resolution; paused while pending; a reopen resumes it
  (the time it was resolved counts as paused).

Every step (warning, breach, ladder rung) has a key unique per contact; the clock records
each key once, so a late, repeated or concurrent fire never doubles an outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from schemas.sla_config import SlaPolicy
from services.sla.business_time import Calendar, Interval, due

FIRST, NEXT, RESOLUTION = "first_response", "next_response", "resolution"


@dataclass
class Cycle:
    metric: str
    number: int
    start: datetime
    end: datetime | None = None


@dataclass
class Timeline:
    """What happened to a contact, as far as its SLA is concerned."""

    start: datetime
    cycles: list[Cycle] = field(default_factory=list)
    pauses: list[Interval] = field(default_factory=list)
    paused_since: datetime | None = None
    holder: str | None = None

    def open_cycle(self, metric: str) -> Cycle | None:
        return next((c for c in self.cycles if c.metric == metric and c.end is None), None)

    def begin(self, metric: str, at: datetime) -> Cycle:
        number = sum(1 for c in self.cycles if c.metric == metric)
        cycle = Cycle(metric, number, at)
        self.cycles.append(cycle)
        return cycle

    def first_response_met(self) -> bool:
        return any(c.metric == FIRST and c.end is not None for c in self.cycles)


@dataclass(frozen=True)
class Step:
    key: str
    at: datetime
    kind: str  # warn, breach, notify, raise_priority, requeue, escalate
    metric: str
    cycle: int
    due_at: datetime
    fraction: float = 1.0
    level: int = 0
    to_person: str | None = None
    by: int = 0


def target_of(policy: SlaPolicy, metric: str) -> timedelta | None:
    minutes = {
        FIRST: policy.first_response_minutes,
        NEXT: policy.next_response_minutes,
        RESOLUTION: policy.resolution_minutes,
    }[metric]
    return None if minutes is None else timedelta(minutes=minutes)


def pausable(policy: SlaPolicy, metric: str) -> bool:
    return metric == RESOLUTION or (metric == NEXT and policy.pause_next_response)


def chain(first: str | None, supervisor_of: Callable[[str], str | None]) -> list[str]:
    """`first`, then their supervisor, theirs, up to the top (cycles are refused at load)."""
    out: list[str] = []
    cur = first
    while cur is not None and cur not in out:
        out.append(cur)
        cur = supervisor_of(cur)
    return out


def steps(
    timeline: Timeline,
    policy: SlaPolicy,
    calendar: Calendar,
    supervisor_of: Callable[[str], str | None],
    fallback_supervisor: str | None,
) -> list[Step]:
    """Every step still owed by the open cycles, in time order."""
    out: list[Step] = []
    for cycle in timeline.cycles:
        target = target_of(policy, cycle.metric)
        if cycle.end is not None or target is None:
            continue
        paused = pausable(policy, cycle.metric)
        if paused and timeline.paused_since is not None:
            continue  # no deadline while the customer has the next move
        pauses: Sequence[Interval] = timeline.pauses if paused else ()
        out.extend(_cycle_steps(timeline, policy, calendar, cycle, target, pauses))
        breach_at = due(calendar, cycle.start, target, pauses)
        above = above_holder(timeline.holder, supervisor_of, fallback_supervisor)
        for i, rung in enumerate(policy.breach):
            prefix = f"{cycle.metric}:{cycle.number}:ladder{i}"
            if rung.action != "escalate":
                at = due(calendar, breach_at, timedelta(minutes=rung.after_minutes), pauses)
                kind, by = rung.action, rung.by if rung.action == "raise_priority" else 0
                out.append(Step(prefix, at, kind, cycle.metric, cycle.number, breach_at, by=by))
                continue
            for level, person in enumerate(above[: rung.levels], start=1):
                delay = timedelta(minutes=rung.after_minutes * level)
                at = due(calendar, breach_at, delay, pauses)
                out.append(
                    Step(
                        f"{prefix}:{level}",
                        at,
                        "escalate",
                        cycle.metric,
                        cycle.number,
                        breach_at,
                        level=level,
                        to_person=person,
                    )
                )
    return sorted(out, key=lambda s: (s.at, s.key))


def _cycle_steps(
    timeline: Timeline,
    policy: SlaPolicy,
    calendar: Calendar,
    cycle: Cycle,
    target: timedelta,
    pauses: Sequence[Interval],
) -> list[Step]:
    out = []
    prefix = f"{cycle.metric}:{cycle.number}"
    breach_at = due(calendar, cycle.start, target, pauses)
    for fraction in sorted(set(policy.warn_at)):
        at = due(calendar, cycle.start, target * fraction, pauses)
        out.append(Step(f"{prefix}:warn{fraction:g}", at, "warn", *_of(cycle), breach_at, fraction))
    out.append(Step(f"{prefix}:breach", breach_at, "breach", *_of(cycle), breach_at))
    return out


def _of(cycle: Cycle) -> tuple[str, int]:
    return cycle.metric, cycle.number


def above_holder(
    holder: str | None, supervisor_of: Callable[[str], str | None], fallback: str | None
) -> list[str]:
    """Who the escalate rungs reach: the holder's supervisor, then theirs; a contact nobody
    holds starts with the queue's supervisor."""
    if holder is not None:
        return chain(supervisor_of(holder), supervisor_of)
    return chain(fallback, supervisor_of)


def due_now(owed: list[Step], done: frozenset[str] | set[str], now: datetime) -> list[Step]:
    return [s for s in owed if s.at <= now and s.key not in done]


def next_deadline(owed: list[Step], done: frozenset[str] | set[str]) -> datetime | None:
    return min((s.at for s in owed if s.key not in done), default=None)


def deadlines(
    timeline: Timeline, policy: SlaPolicy, calendar: Calendar
) -> dict[str, datetime | None]:
    """Each open metric's due time (None: paused), for the desk's countdown."""
    out: dict[str, datetime | None] = {}
    for cycle in timeline.cycles:
        target = target_of(policy, cycle.metric)
        if cycle.end is not None or target is None:
            continue
        paused = pausable(policy, cycle.metric)
        if paused and timeline.paused_since is not None:
            out[cycle.metric] = None
            continue
        out[cycle.metric] = due(calendar, cycle.start, target, timeline.pauses if paused else ())
    return out

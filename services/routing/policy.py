"""Routing policy: pure functions over plain data, no I/O, no clock.

Who gets a contact next, and where it climbs when nobody takes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, NamedTuple

from schemas.config import LadderStep, Strategy

DEFAULT_CAPACITY: Mapping[str, int] = {"voice": 1, "messaging": 3, "email": 5}
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
# A decision records this many candidates by name; the rest are counted by verdict, so a
# decision among 500 agents stays a small event.
NAMED_CANDIDATES = 20


def work_kind(channel: str) -> str:
    """Capacity is per kind of work: a call, a written conversation, an e-mail."""
    if channel == "voice":
        return "voice"
    # A forum post is answered at a mail's pace, not a chat's.
    return "email" if channel in ("email", "discourse") else "messaging"


def has_capacity(load: Sequence[str], kind: str, capacity: Mapping[str, int]) -> bool:
    """Whether an agent holding `load` can take one more piece of `kind` work.
    A call takes the whole agent: it needs them free, and blocks anything else."""
    if "voice" in load:
        return False
    if kind == "voice":
        return not load
    return load.count(kind) < capacity.get(kind, DEFAULT_CAPACITY.get(kind, 1))


def has_any_capacity(load: Sequence[str], capacity: Mapping[str, int]) -> bool:
    return any(has_capacity(load, kind, capacity) for kind in DEFAULT_CAPACITY)


class Candidate(NamedTuple):
    """An agent as one decision sees them (a tuple: hundreds are built per decision)."""

    agent_id: str
    status: str
    idle_since: datetime
    has_capacity: bool
    load: int = 0  # offers and contacts held now
    # The first ladder step whose agents include this agent; None: not one of the queue's.
    reach: int | None = 0
    skill: int = 0  # level in the queue's skill, for best-skill
    last_offered_at: datetime | None = None


@dataclass(frozen=True)
class Situation:
    """What the policy needs to know of a waiting contact."""

    tried: tuple[str, ...] = ()
    step: int = 0  # index into the queue's ladder
    tries_in_step: int = 0
    sticky_to: str | None = None  # the agent who served the customer last, until offered
    # The customer's account owner, while the owner step is still to come.
    owner: str | None = None
    # The owner's team (their supervisor's subtree), while the team step is still to come.
    team: tuple[str, ...] = ()
    # A follow-up's agent, who alone may be offered it until its grace ends.
    reserved_for: str | None = None


@dataclass(frozen=True)
class OfferTo:
    agent_id: str
    timeout: float | None
    reason: str
    sticky: bool = False
    # "owner" or "team": an offer of the account owner's steps, which are not counted
    # against the ladder's first step (its tries stay the queue's own).
    stage: Literal["owner", "team"] | None = None


@dataclass(frozen=True)
class PassOver:
    """The account owner's step (or their team's) has nobody to offer: on to the next,
    with the reason recorded."""

    stage: Literal["owner", "team"]
    reason: str


@dataclass(frozen=True)
class EscalateTo:
    """Up the hierarchy: the supervisor step of the ladder."""

    person_id: str
    from_person_id: str | None
    reason: str
    timeout: float | None


@dataclass(frozen=True)
class Widen:
    """On to the next (overflow) step of the ladder: more agents may take the contact."""

    step: int
    reason: str


@dataclass(frozen=True)
class Wait:
    reason: str


Step = OfferTo | EscalateTo | Widen | Wait | PassOver


@dataclass(frozen=True)
class Timeouts:
    offer: float
    escalation: float
    sticky: float = 10.0
    owner: float = 30.0


RANKS: dict[Strategy, tuple[str, Callable[[Candidate], Any]]] = {
    "least-busy": ("least busy, longest idle", lambda c: (c.load, c.idle_since, c.agent_id)),
    "longest-idle": ("longest idle", lambda c: (c.idle_since, c.load, c.agent_id)),
    "round-robin": (
        "longest since their last offer",
        lambda c: (c.last_offered_at or NEVER, c.agent_id),
    ),
    "best-skill": ("highest skill level", lambda c: (-c.skill, c.load, c.idle_since, c.agent_id)),
}


def with_ladder_end(ladder: Sequence[LadderStep]) -> tuple[LadderStep, ...]:
    """Every ladder ends with the supervisor step: a contact nobody takes must reach one."""
    if ladder and ladder[-1].step == "supervisor":
        return tuple(ladder)
    return (*ladder, LadderStep(step="supervisor"))


def supervisor_step(ladder: Sequence[LadderStep]) -> int:
    return len(ladder) - 1


def eligible(c: Candidate, step: int, excluded: Sequence[str]) -> bool:
    return (
        c.status == "available"
        and c.has_capacity
        and c.reach is not None
        and c.reach <= step
        and c.agent_id not in excluded
    )


def choose(
    candidates: Iterable[Candidate],
    step: int,
    excluded: Sequence[str],
    strategy: Strategy = "least-busy",
) -> str | None:
    """The best eligible agent by the queue's strategy, or None."""
    pool = [c for c in candidates if eligible(c, step, excluded)]
    if not pool:
        return None
    return min(pool, key=RANKS[strategy][1]).agent_id


def longest_idle(candidates: Iterable[Candidate], excluded: Sequence[str]) -> str | None:
    """The default strategy at the first step (kept for callers that have no ladder)."""
    return choose(candidates, 0, excluded)


def climb(
    from_person: str | None,
    entering: bool,
    supervisors: Mapping[str, str | None],
    queue_supervisor: str | None,
    timeouts: Timeouts,
    reason: str,
    rungs_left: int | None = None,
) -> Step:
    """One rung up from `from_person`. Entering the supervisor step from an agent with no
    supervisor (or from nobody) goes to the queue's supervisor. The top of the hierarchy,
    or the last rung the ladder allows, keeps the contact without a deadline."""
    target = supervisors.get(from_person) if from_person else None
    if target is None and entering and from_person != queue_supervisor:
        target = queue_supervisor
    if target is None:
        return Wait(f"{from_person or 'the queue'} has nobody above to escalate to")
    last = supervisors.get(target) is None or (rungs_left is not None and rungs_left <= 1)
    return EscalateTo(
        person_id=target,
        from_person_id=from_person,
        reason=reason,
        timeout=None if last else timeouts.escalation,
    )


def why_not_owner(owner: Candidate | None, tried: Sequence[str]) -> str | None:
    """Why the account owner cannot be offered the contact now; None when they can. Their
    queue membership does not matter: the customer is theirs whatever queue it reached."""
    if owner is None:
        return "not an agent routing knows"
    if owner.agent_id in tried:
        return "already offered this contact"
    if owner.status != "available":
        return owner.status
    if not owner.has_capacity:
        return "at capacity"
    return None


def owner_step(
    s: Situation, candidates: Sequence[Candidate], timeouts: Timeouts, strategy: Strategy
) -> OfferTo | PassOver | None:
    """The steps an owned customer's contact takes before the queue's ladder: the owner,
    then the owner's team; None once both are behind it."""
    if s.owner is not None:
        owner = next((c for c in candidates if c.agent_id == s.owner), None)
        why = why_not_owner(owner, s.tried)
        if why is None:
            return OfferTo(s.owner, timeouts.owner, "account owner", stage="owner")
        return PassOver("owner", f"account owner {s.owner} skipped: {why}")
    if s.team:
        pool = [c for c in candidates if c.agent_id in s.team and why_not_owner(c, s.tried) is None]
        if pool:
            best = min(pool, key=RANKS[strategy][1]).agent_id
            reason = f"account owner's team ({RANKS[strategy][0]})"
            return OfferTo(best, timeouts.offer, reason, stage="team")
        return PassOver("team", "nobody free in the account owner's team")
    return None


def reserved_step(agent_id: str, candidates: Sequence[Candidate], timeouts: Timeouts) -> Step:
    """A follow-up within its grace: offered to its agent when they can take it, else it
    waits for them. Once they let an offer of it pass, it is the queue's at once."""
    agent = next((c for c in candidates if c.agent_id == agent_id), None)
    why = why_not_owner(agent, ())
    if why is None:
        return OfferTo(agent_id, timeouts.offer, "follow-up: its own agent first")
    return Wait(f"follow-up kept for {agent_id} until its grace ends ({why})")


def team_of(owner: str, supervisors: Mapping[str, str | None]) -> tuple[str, ...]:
    """The owner's team: everyone under the owner's supervisor (the owner's own subtree
    when they have none), the owner included (the team step skips them once tried)."""
    head = supervisors.get(owner) or owner

    def under(person: str) -> bool:
        seen: set[str] = set()
        current: str | None = person
        while current is not None and current not in seen:
            if current == head:
                return True
            seen.add(current)
            current = supervisors.get(current)
        return False

    return tuple(sorted(p for p in supervisors if (p != head or p == owner) and under(p)))


def next_step(
    s: Situation,
    ladder: Sequence[LadderStep],
    candidates: Sequence[Candidate],
    supervisors: Mapping[str, str | None],
    timeouts: Timeouts,
    strategy: Strategy = "least-busy",
    queue_supervisor: str | None = None,
) -> Step:
    """What to do with a contact that is waiting (not offered, not taken).

    An owned customer's contact goes to their account owner first, then the owner's team
    (see owner_step). A returning customer's last agent is offered first when they are
    free. Then each
    agents/overflow step offers to its agents in the queue's strategy order, each at most
    once and up to the step's `tries`; when its tries are used up, or nobody untried is
    free after at least one offer in the step, the contact climbs to the next step. The
    supervisor step offers to the supervisor of the last person offered, then theirs.
    """
    if s.reserved_for is not None and s.reserved_for not in s.tried:
        return reserved_step(s.reserved_for, candidates, timeouts)
    first = owner_step(s, candidates, timeouts, strategy)
    if first is not None:
        return first
    if s.sticky_to is not None:
        last = next((c for c in candidates if c.agent_id == s.sticky_to), None)
        if last is not None and eligible(last, s.step, s.tried):
            return OfferTo(last.agent_id, timeouts.sticky, "returning customer", sticky=True)
    rung = ladder[s.step]
    if rung.step == "supervisor":
        rungs_left = None if rung.levels is None else rung.levels - s.tries_in_step
        if rungs_left is not None and rungs_left <= 0:
            return Wait(f"stays with {s.tried[-1]}: the ladder climbs no higher")
        entering = s.tries_in_step == 0
        reason = "nobody took it" if entering else f"escalation level {s.tries_in_step} not taken"
        from_person = s.tried[-1] if s.tried else None
        return climb(
            from_person, entering, supervisors, queue_supervisor, timeouts, reason, rungs_left
        )
    if rung.tries is None or s.tries_in_step < rung.tries:
        agent = choose(candidates, s.step, s.tried, strategy)
        if agent is not None:
            return OfferTo(agent, timeouts.offer, RANKS[strategy][0])
        if s.tries_in_step == 0:
            return Wait("no agent available")
        reason = f"nobody else free after {s.tries_in_step} offer(s)"
    else:
        reason = f"not accepted by {s.tries_in_step} agent(s)"
    top = ladder[s.step + 1]
    if top.step == "supervisor":
        from_person = s.tried[-1] if s.tried else None
        return climb(from_person, True, supervisors, queue_supervisor, timeouts, reason, top.levels)
    return Widen(s.step + 1, reason)


def explain(
    candidates: Iterable[Candidate],
    tried: Sequence[str],
    chosen: str | None,
    step: int = 0,
    strategy: Strategy = "least-busy",
    among: Collection[str] | None = None,
    chosen_as: str | None = None,
) -> list[dict[str, str]]:
    """Why each agent was or was not offered the contact, for people to read later: the
    best-ranked by name, the others counted by verdict. `among`: on the account owner's
    steps, who could be offered it (the owner, or their team); `chosen_as`: why the chosen
    one was, when not for the queue's strategy."""
    ranked = sorted(candidates, key=RANKS[strategy][1])
    verdicts = []
    for c in ranked:
        if c.agent_id == chosen:
            verdict = f"chosen: {chosen_as or RANKS[strategy][0]}"
        elif among is not None and c.agent_id not in among:
            verdict = "skipped: neither the account owner nor in their team"
        elif among is not None:
            verdict = f"skipped: {why_not_owner(c, tried) or 'ranked lower'}"
        elif c.reach is None:
            verdict = "skipped: not one of this queue's agents (skills, languages)"
        elif c.reach > step:
            verdict = "skipped: only at a later step of the ladder"
        elif c.status != "available":
            verdict = f"skipped: {c.status}"
        elif not c.has_capacity:
            verdict = "skipped: no free capacity"
        elif c.agent_id in tried:
            verdict = "skipped: already offered this contact"
        else:
            verdict = f"skipped: ranked lower ({RANKS[strategy][0]} first)"
        verdicts.append({"agent_id": c.agent_id, "verdict": verdict})
    named = [v for v in verdicts if v["verdict"].startswith("chosen")]
    named += [v for v in verdicts if not v["verdict"].startswith("chosen")]
    head, rest = named[:NAMED_CANDIDATES], named[NAMED_CANDIDATES:]
    for verdict, count in Counter(v["verdict"] for v in rest).items():
        head.append({"agent_id": f"({count} more)", "verdict": verdict})
    return head

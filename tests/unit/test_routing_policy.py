"""Routing policy as plain function calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.config import LadderStep
from services.routing.policy import (
    Candidate,
    EscalateTo,
    OfferTo,
    Situation,
    Timeouts,
    Wait,
    Widen,
    choose,
    explain,
    longest_idle,
    next_step,
    with_ladder_end,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUTS = Timeouts(offer=20, escalation=300)
SUPERVISORS = {"alice": "sam", "bob": "sam", "carol": "tara", "sam": "hana", "hana": None}


def agent(name: str, idle_minutes: int, status: str = "available", free: bool = True) -> Candidate:
    return Candidate(name, status, T0 - timedelta(minutes=idle_minutes), free)


def test_longest_idle_available_agent_with_capacity_wins() -> None:
    candidates = [
        agent("alice", 5),
        agent("bob", 30, status="away"),
        agent("carol", 20, free=False),
        agent("dan", 10),
    ]
    assert longest_idle(candidates, excluded=[]) == "dan"
    assert longest_idle(candidates, excluded=["dan"]) == "alice"
    assert longest_idle(candidates, excluded=["dan", "alice"]) is None


def test_equal_idle_time_is_decided_by_name_not_by_input_order() -> None:
    a, b = agent("bob", 5), agent("alice", 5)
    assert longest_idle([a, b], []) == longest_idle([b, a], []) == "alice"


LADDER = with_ladder_end([LadderStep(step="agents")])
REASON = "least busy, longest idle"


def step_for(tried: list[str], candidates: list[Candidate], **kw: object) -> object:
    situation = Situation(tuple(tried), kw.pop("step", 0), kw.pop("tries", len(tried)))  # type: ignore[arg-type]
    return next_step(situation, kw.pop("ladder", LADDER), candidates, SUPERVISORS, TIMEOUTS, **kw)  # type: ignore[arg-type]


def test_first_step_offers_to_the_longest_idle() -> None:
    step = step_for([], [agent("alice", 1), agent("bob", 9)])
    assert step == OfferTo("bob", 20, REASON)


def test_nobody_free_and_nobody_tried_waits() -> None:
    assert isinstance(step_for([], [agent("alice", 1, status="away")]), Wait)


def test_after_the_last_agent_it_goes_to_that_agents_supervisor() -> None:
    step = step_for(["bob", "carol"], [agent("bob", 1), agent("carol", 2)])
    assert step == EscalateTo("tara", "carol", "nobody else free after 2 offer(s)", None)


def test_each_unanswered_escalation_climbs_one_rung() -> None:
    first = step_for(["alice"], [])
    assert first == EscalateTo("sam", "alice", "nobody else free after 1 offer(s)", 300)
    # once with the hierarchy it keeps climbing, even if an agent became free meanwhile
    second = step_for(["alice", "sam"], [agent("bob", 3)], step=1, tries=1)
    assert isinstance(second, EscalateTo) and second.person_id == "hana"
    assert second.timeout is None  # the top keeps it
    assert isinstance(step_for(["alice", "sam", "hana"], [], step=1, tries=2), Wait)


def test_an_agent_without_supervisor_goes_to_the_queue_supervisor_or_waits() -> None:
    alone = next_step(Situation(("zed",), 0, 1), LADDER, [], {"zed": None}, TIMEOUTS)
    assert isinstance(alone, Wait)
    helped = next_step(
        Situation(("zed",), 0, 1),
        LADDER,
        [],
        {"zed": None, "q": None},
        TIMEOUTS,
        queue_supervisor="q",
    )
    assert helped == EscalateTo("q", "zed", "nobody else free after 1 offer(s)", None)


def test_a_step_gives_up_after_its_tries_then_widens_to_the_overflow() -> None:
    ladder = with_ladder_end(
        [LadderStep(step="agents", tries=1), LadderStep(step="overflow", agents="True", tries=1)]
    )
    experts = [agent("alice", 1), agent("bob", 2)]
    helper = Candidate("carl", "available", T0, True, reach=1)
    # alice declined: bob is free, but the first step allows one try only
    assert step_for(["alice"], [*experts, helper], ladder=ladder) == Widen(
        1, "not accepted by 1 agent(s)"
    )
    # at the overflow step carl may take it, and so may bob (widening keeps the experts)
    widened = step_for(["alice"], [*experts, helper], ladder=ladder, step=1, tries=0)
    assert widened == OfferTo("bob", 20, REASON)  # idle longer than carl
    busy_bob = [agent("alice", 1), agent("bob", 2, free=False), helper]
    assert step_for(["alice"], busy_bob, ladder=ladder, step=1, tries=0) == OfferTo(
        "carl", 20, REASON
    )
    assert step_for(["alice"], [helper], ladder=ladder, step=0, tries=0) == Wait(
        "no agent available"
    )
    # after its one try the overflow step goes up to the hierarchy: carl has no supervisor,
    # so to the queue's
    last = step_for(
        ["alice", "carl"], experts, ladder=ladder, step=1, tries=1, queue_supervisor="sam"
    )
    assert isinstance(last, EscalateTo) and last.person_id == "sam"


def test_the_supervisor_step_climbs_no_more_rungs_than_allowed() -> None:
    ladder = with_ladder_end([LadderStep(step="agents"), LadderStep(step="supervisor", levels=1)])
    first = step_for(["alice"], [], ladder=ladder)
    assert isinstance(first, EscalateTo) and first.person_id == "sam"
    assert isinstance(step_for(["alice", "sam"], [], ladder=ladder, step=1, tries=1), Wait)


def test_a_returning_customer_goes_first_to_their_last_agent_if_free() -> None:
    team = [agent("alice", 9), agent("bob", 1)]
    sticky = next_step(Situation(sticky_to="bob"), LADDER, team, SUPERVISORS, TIMEOUTS)
    assert sticky == OfferTo("bob", TIMEOUTS.sticky, "returning customer", sticky=True)
    away = [agent("alice", 9), agent("bob", 1, status="away")]
    usual = next_step(Situation(sticky_to="bob"), LADDER, away, SUPERVISORS, TIMEOUTS)
    assert usual == OfferTo("alice", 20, REASON)


def test_strategies_rank_differently() -> None:
    offered_long_ago = T0 - timedelta(hours=2)
    pool = [
        Candidate("alice", "available", T0 - timedelta(hours=1), True, load=1, skill=2),
        Candidate("bob", "available", T0, True, load=0, skill=9, last_offered_at=T0),
        Candidate("carol", "available", T0 - timedelta(minutes=5), True, 0, 0, 5, offered_long_ago),
    ]
    assert choose(pool, 0, [], "least-busy") == "carol"
    assert choose(pool, 0, [], "longest-idle") == "alice"
    assert choose(pool, 0, [], "round-robin") == "alice"  # never offered before
    assert choose(pool, 0, [], "best-skill") == "bob"
    not_in_queue = Candidate("dan", "available", T0 - timedelta(days=1), True, reach=None)
    assert choose([not_in_queue], 0, []) is None


def test_a_decision_names_the_best_candidates_and_counts_the_rest() -> None:
    many = [agent(f"a{i:03d}", i, status="away" if i % 2 else "available") for i in range(100)]
    verdicts = explain(many, [], "a098")
    assert verdicts[0] == {"agent_id": "a098", "verdict": "chosen: least busy, longest idle"}
    named = [v for v in verdicts if not v["agent_id"].startswith("(")]
    counted = {v["verdict"]: v["agent_id"] for v in verdicts if v["agent_id"].startswith("(")}
    assert len(named) == 20
    assert counted == {
        "skipped: away": "(40 more)",
        "skipped: ranked lower (least busy, longest idle first)": "(40 more)",
    }


def test_capacity_per_kind_of_work() -> None:
    from services.routing.policy import has_capacity, work_kind

    caps = {"messaging": 3, "email": 5}
    assert [work_kind(c) for c in ("voice", "email", "sms", "webform")] == [
        "voice",
        "email",
        "messaging",
        "messaging",
    ]
    assert has_capacity([], "voice", caps)
    assert not has_capacity(["email"], "voice", caps)  # a call needs the agent free
    assert not has_capacity(["voice"], "email", caps)  # and blocks everything else
    assert has_capacity(["messaging", "messaging"], "messaging", caps)
    assert not has_capacity(["messaging"] * 3, "messaging", caps)
    assert has_capacity(["messaging"] * 3, "email", caps)


def test_least_busy_before_longest_idle() -> None:
    busy_but_idle_long = Candidate("alice", "available", T0 - timedelta(hours=1), True, load=2)
    free_recently = Candidate("bob", "available", T0, True, load=0)
    assert longest_idle([busy_but_idle_long, free_recently], []) == "bob"

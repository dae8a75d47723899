"""`switchboard simulate` runs the real routing code; it must behave as the ideal queue."""

from __future__ import annotations

import random

import pytest

from services.routing.simulation import Scenario, erlang_c, simulate


def ideal_fifo_queue(s: Scenario) -> tuple[float, float, float]:
    """M/M/N with FIFO service, drawn from the same random streams as `simulate`:
    arrivals first, then one handle time per contact in the order they are answered."""
    rng = random.Random(s.seed)
    rate, horizon = s.arrivals_per_hour / 3600, s.hours * 3600
    arrivals, t = [], rng.expovariate(s.arrivals_per_hour / 3600)
    while t < horizon:
        arrivals.append(t)
        t += rng.expovariate(rate)
    free, waits = [0.0] * s.agents, []
    for a in arrivals:
        i = min(range(s.agents), key=lambda k: free[k])
        start = max(a, free[i])
        waits.append(start - a)
        free[i] = start + rng.expovariate(1 / s.mean_handle_seconds)
    n = len(waits)
    return sum(w > 0 for w in waits) / n, sum(waits) / n, sum(w <= s.sla_seconds for w in waits) / n


def test_routing_serves_exactly_like_the_ideal_queue() -> None:
    scenario = Scenario(arrivals_per_hour=300, mean_handle_seconds=40, agents=4, hours=3, seed=7)
    outcome = simulate(scenario)
    p_wait, asa, sl = ideal_fifo_queue(scenario)
    assert outcome.probability_of_waiting == pytest.approx(p_wait, abs=1e-9)
    assert outcome.average_speed_of_answer == pytest.approx(asa, rel=1e-6)
    assert outcome.service_level == pytest.approx(sl, abs=1e-9)


def test_agrees_with_erlang_c() -> None:
    """One queue, identical agents, FIFO, no abandonment: Erlang C's closed form.

    Tolerances (one 12-hour run at 70% occupancy, ~3,800 contacts): probability of waiting
    and service level within 0.04 absolute, average speed of answer within 25%, occupancy
    within 0.03. The waits are strongly correlated, so a single run's mean wait varies
    most; `test_routing_serves_exactly_like_the_ideal_queue` pins the mechanics exactly.
    """
    scenario = Scenario(arrivals_per_hour=315, mean_handle_seconds=40, agents=5, hours=12)
    model, run = erlang_c(scenario), simulate(scenario)
    assert run.contacts > 3000
    assert run.probability_of_waiting == pytest.approx(model.probability_of_waiting, abs=0.04)
    assert run.service_level == pytest.approx(model.service_level, abs=0.04)
    assert run.average_speed_of_answer == pytest.approx(model.average_speed_of_answer, rel=0.25)
    assert run.occupancy == pytest.approx(model.occupancy, abs=0.03)
    assert run.abandonment == 0.0


def test_an_overloaded_queue_has_no_steady_state() -> None:
    with pytest.raises(ValueError, match="unstable"):
        erlang_c(Scenario(arrivals_per_hour=400, mean_handle_seconds=60, agents=6))

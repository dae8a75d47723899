"""`switchboard simulate --sla`: the real SLA clock beside routing under the virtual clock."""

from __future__ import annotations

from dataclasses import replace

from schemas.sla_config import SlaConfig
from services.routing.simulation import Scenario, simulate

BASE = Scenario(arrivals_per_hour=300, mean_handle_seconds=40, agents=4, hours=1, seed=3)


def policy(**targets: float) -> SlaConfig:
    return SlaConfig.model_validate({"policies": [{"name": "calls", "warn_at": [], **targets}]})


def test_sla_changes_nothing_in_routing_and_counts_breaches() -> None:
    plain = simulate(BASE)
    tight = simulate(replace(BASE, sla=policy(first_response_minutes=0.001)))
    assert tight.average_speed_of_answer == plain.average_speed_of_answer
    assert plain.sla_breach_rate is None
    # A first response due after 60 ms: every contact that waited breached, no other did.
    assert tight.sla_breach_rate == plain.probability_of_waiting


def test_generous_targets_are_never_breached() -> None:
    loose = simulate(replace(BASE, sla=policy(first_response_minutes=600, resolution_minutes=600)))
    assert loose.sla_breach_rate == 0.0

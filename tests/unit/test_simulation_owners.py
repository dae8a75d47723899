"""`switchboard simulate --owner-share`: owned customers go to their owner when the owner is
free; a busy owner is skipped at once, so the queue stays work-conserving and the service
level is that of the same arrivals without owners."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.routing.simulation import Scenario, simulate


def test_an_owner_share_reaches_the_owner_and_costs_no_service_level() -> None:
    baseline = Scenario(arrivals_per_hour=150, mean_handle_seconds=40, agents=4, hours=2, seed=3)
    plain, owned = simulate(baseline), simulate(replace(baseline, owner_share=0.3))
    assert plain.owned == 0
    assert owned.contacts == plain.contacts
    assert 0.2 < owned.owned / owned.contacts < 0.4
    # One agent in four, free more often than not: without owners about a quarter.
    assert owned.owned_by_owner > 0.45
    assert owned.service_level == pytest.approx(plain.service_level, abs=1e-9)

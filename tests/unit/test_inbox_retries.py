"""How long a message waits before it is decided again after losing a race with another
writer: short at first, longer while the conflict lasts, never long, and never the same
for two replicas (so two that met once do not meet again at the same instant)."""

from __future__ import annotations

from switchboard.inbox import conflict_delay


def test_conflicts_back_off_with_jitter_and_a_ceiling() -> None:
    first = [conflict_delay(1) for _ in range(200)]
    later = [conflict_delay(4) for _ in range(200)]
    assert all(0.025 <= d <= 0.075 for d in first)
    assert all(0.2 <= d <= 0.6 for d in later)
    assert all(conflict_delay(n) <= 2.4 for n in range(1, 200))
    assert len(set(first)) > 100  # spread, not a fixed delay

"""The benches' account of the machine's cores: stolen time is not the machine's work."""

from __future__ import annotations

import os

import pytest

from bench.machine import MachineTime

HZ = os.sysconf("SC_CLK_TCK")


def stat(user: int, system: int, idle: int, iowait: int, steal: int) -> str:
    # user nice system idle iowait irq softirq steal guest guest_nice
    return f"cpu  {user} 0 {system} {idle} {iowait} 0 0 {steal} 0 0\ncpu0 1 2 3\n"


def test_stolen_time_is_neither_busy_nor_idle() -> None:
    before = MachineTime.parse(stat(1000, 100, 5000, 10, 200))
    after = MachineTime.parse(stat(1000 + 60, 100 + 10, 5000 + 80, 10 + 10, 200 + 40))

    spent = after.since(before)

    assert spent.total * HZ == pytest.approx(200)
    assert spent.busy * HZ == pytest.approx(70)
    assert spent.stolen * HZ == pytest.approx(40)
    assert spent.shares() == {"machine_busy": 0.35, "machine_stolen": 0.2}


def test_guest_time_is_not_counted_twice() -> None:
    # The kernel counts a guest's time inside user too: summed again it would swell the total.
    plain = MachineTime.parse("cpu  100 0 0 100 0 0 0 0 0 0\n")
    hosting = MachineTime.parse("cpu  100 0 0 100 0 0 0 0 60 0\n")

    assert hosting == plain


def test_reads_this_machine() -> None:
    first = MachineTime.now()
    second = MachineTime.now()

    assert second.since(first).total >= 0
    assert first.busy + first.stolen <= first.total

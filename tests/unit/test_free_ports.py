"""Ports for throwaway servers: each pytest-xdist worker draws from its own share."""

from __future__ import annotations

import pytest

from tests.support import ports


@pytest.mark.parametrize(("worker", "residue"), [("gw0", 0), ("gw1", 1), ("gw2", 2)])
def test_each_worker_takes_only_the_ports_of_its_own_residue(
    monkeypatch: pytest.MonkeyPatch, worker: str, residue: int
) -> None:
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "3")
    monkeypatch.setattr(ports, "_handed", set())
    drawn = [ports.free_port() for _ in range(50)]
    assert {p % 3 for p in drawn} == {residue}
    assert len(set(drawn)) == len(drawn)


def test_without_workers_any_port_may_be_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)
    monkeypatch.setattr(ports, "_handed", set())
    drawn = [ports.free_port() for _ in range(200)]
    assert {p % 2 for p in drawn} == {0, 1}

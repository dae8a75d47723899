"""SIGKILL of `switchboard up` in the middle of a 5,000-form burst.

Everything runs in one process here, or in two (`up --processes 2`: history, reports and
SLA in a child); SQLite, synchronous=NORMAL, the embedded nats-server dies with it. Forms
keep arriving while it is dead (each retried as a browser's form would be re-sent), and
after the restart every accepted form is on exactly one timeline and its contact was
queued (routed) exactly once: nothing the crash interrupted (a batch half decided, a
relay's publishes without their acks, a commit not yet checkpointed) is lost or doubled."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from switchboard.settings import Settings
from tests.faults.scenario import REPORTS
from tests.support.auth import ADMIN
from tests.support.channels import AGENTS, system_toml
from tests.support.ledger import Fate, FateReader
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess
from tests.support.traffic import Sent, Traffic

FORMS = 5000
SENDERS = 32
KILL_AFTER = 1500  # accepted forms


def problems(sent: list[Sent], fates: dict[str, Fate]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in sent:
        fate = fates.get(item.token)
        if fate is None or not fate.recorded:
            found[item.token] = ["lost"]
        elif fate.doubled() or not fate.kinds()["ContactQueued"]:
            found[item.token] = fate.doubled() or ["never routed"]
    return found


async def available(base_url: str) -> None:
    """Agents take offers too, as in production (two agents cannot take 5,000 contacts:
    their offers lapse and climb; what counts here is each contact routed once)."""
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=10) as api:
        for agent in AGENTS:
            r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
            r.raise_for_status()


@pytest.mark.timeout(1800)  # 5,000 contacts drained on two shared cores
@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-processes"])
async def test_sigkill_of_up_mid_burst_loses_and_doubles_no_form(
    tmp_path: Path, processes: int
) -> None:
    """With two processes the kill takes the services child too (PR_SET_PDEATHSIG): both
    stop mid-batch, and the restarted pair finishes the work of both."""
    up = ("up", "--processes", str(processes))
    system = SwitchboardProcess(tmp_path / "up", system_toml(free_port()), None, up)
    system.start(120)
    traffic = Traffic(system.base_url, None, mix={"webform": 1}, phase="burst")
    killed_at: list[int] = []
    try:
        await available(system.base_url)
        numbers = iter(range(FORMS))

        async def sender() -> None:
            while next(numbers, None) is not None:
                await traffic.send_one()

        async def strike() -> None:
            while len(traffic.accepted()) < KILL_AFTER:
                await asyncio.sleep(0.05)
            killed_at.append(len(traffic.accepted()))
            await asyncio.to_thread(system.kill)
            await asyncio.to_thread(system.start, 120)

        began = time.monotonic()
        await asyncio.gather(strike(), *(sender() for _ in range(SENDERS)))
        sending = time.monotonic() - began
        await traffic.close()
        assert not traffic.failed, f"{len(traffic.failed)} forms never accepted"
        assert killed_at[0] < FORMS - 1000, "the kill struck mid-burst"
        assert traffic.refusals["connect"] > 0, "forms arrived while up was dead"

        settings = Settings(data_dir=system.workdir / "data")
        accepted = traffic.accepted()
        # Each poll reads only what history stored since the last one, so polling often
        # costs the draining system nothing and ends the wait as soon as it is over.
        reader = FateReader(settings)
        deadline = time.monotonic() + 900
        while True:
            left = problems(accepted, await asyncio.to_thread(reader.read))
            if not left or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        # Where the time goes, for whoever wonders why this test is long.
        REPORTS.append(
            f"up burst ({up[-1]} process(es)): {FORMS} forms sent in {sending:.0f}s "
            f"(killed at {killed_at[0]}), "
            f"all recorded and routed {time.monotonic() - began - sending:.0f}s later"
        )
        assert len(accepted) == FORMS
        assert not left, f"{len(left)} of {FORMS}: {dict(list(left.items())[:10])}"
    finally:
        system.terminate()

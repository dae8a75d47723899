"""What the capacity benches share: where a running system is (one `up` or a process per
service), its agents made available, its CPU and memory, and what became of the web forms
wrk posted (read from the history store, the truth)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.scale import cpu_seconds
from bench.wrk import TOKEN
from switchboard.settings import Settings
from tests.support.auth import ADMIN
from tests.support.channels import AGENTS
from tests.support.ledger import read_fates
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess, children, services_children
from tests.support.stack import in_flight


@dataclass
class Target:
    """A running system: `forms_url` serves the web forms (ingest), `api_url` routing's API;
    `pids` are its processes (one for `up`), `settings` says where its stores are."""

    forms_url: str
    api_url: str
    nats_url: str
    pids: list[int]
    settings: Settings
    # `up`'s nats-server's monitoring endpoint, when it has one (with_nats_monitor).
    monitor_url: str | None = None


def layouts(processes: str, database_url: str | None) -> list[int]:
    """`--processes 1,2`: `up --processes N` for each N in turn. One --database-url is one
    empty store, which only the first layout would find empty."""
    found = [int(n) for n in processes.split(",")]
    if database_url and len(found) > 1:
        raise SystemExit("--database-url is one empty database: one layout per run")
    return found


def up_target(system: SwitchboardProcess, database_url: str | None = None) -> Target:
    """`system` once it is warm: healthy is not enough, as ingest's language model loads
    for seconds of CPU after that, which a burst would compete with and be charged for."""
    assert system.proc is not None
    warm(system.base_url)
    settings = Settings(data_dir=system.workdir / "data", database_url=database_url)
    port = system.env.get("SWITCHBOARD_NATS_MONITOR_PORT")
    monitor = f"http://127.0.0.1:{port}" if port else None
    # `up --processes 2`'s services child is `up` too: its CPU and memory are counted.
    pids = [system.proc.pid, *services_children(system.proc.pid)]
    return Target(system.base_url, system.base_url, system.nats_url, pids, settings, monitor)


def with_nats_monitor(env: dict[str, str]) -> dict[str, str]:
    """`env` for an `up` whose nats-server serves its counts (nats_messages)."""
    return {**env, "SWITCHBOARD_NATS_MONITOR_PORT": str(free_port())}


# What a bench names its own NATS connection, left out of nats_messages.
BENCH_CONNECTION = "bench"


def nats_messages(target: Target) -> int:
    """Messages `up`'s connections sent to and got from its nats-server so far (/connz):
    each publish, pull request, consumer-info request, reply, delivery and ack is one. A
    count of work, steady where CPU time varies by 10-20 % from run to run."""
    if target.monitor_url is None:
        return 0
    connz = httpx.get(f"{target.monitor_url}/connz", params={"limit": 1024}, timeout=5).json()
    return sum(
        int(c["in_msgs"]) + int(c["out_msgs"])
        for c in connz["connections"]
        if c.get("name") != BENCH_CONNECTION
    )


def warm(base_url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while "loading" in (health := httpx.get(f"{base_url}/healthz", timeout=5).text):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still loading after {timeout:.0f} s: {health}")
        time.sleep(0.2)


async def make_available(api_url: str) -> None:
    async with httpx.AsyncClient(base_url=api_url, headers=ADMIN, timeout=10) as api:
        for agent in AGENTS:
            r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
            r.raise_for_status()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_rss_mb(pid: int) -> float:
    """RSS of a process's children but its services child (`up`'s nats-server)."""
    services = services_children(pid)
    return sum(rss_mb(child) for child in children(pid) if child not in services)


def cpu_of(target: Target) -> float:
    return sum(cpu_seconds(pid) for pid in target.pids)


def children_cpu(target: Target) -> float:
    """CPU seconds of the targets' children so far (`up`'s nats-server): work that never
    shows in `up`'s own CPU, such as a JetStream API request it sends."""
    return sum(
        cpu_seconds(child)
        for pid in target.pids
        for child in children(pid)
        if child not in target.pids
    )


def rss_of(target: Target) -> float:
    return sum(rss_mb(pid) for pid in target.pids)


async def settle(target: Target, timeout: float) -> list[str]:
    """Waits until nothing is in flight (relays published their stores, every consumer
    empty, the timeline projected); what is left when `timeout` ran out."""
    deadline = time.monotonic() + timeout
    while (left := await in_flight(target.nats_url, target.settings)) and (
        time.monotonic() < deadline
    ):
        await asyncio.sleep(0.5)
    return left


@dataclass
class Fates:
    """What the history store holds of the forms wrk posted numbered from `first` to below
    `last` (bench.wrk's offsets)."""

    recorded: int
    offered: int
    doubled: int
    offer_delays: list[float]  # s from ingest accepting the interaction to AgentOffered


def form_fates(settings: Settings, first: int, last: int) -> Fates:
    recorded = offered = doubled = 0
    delays: list[float] = []
    for token, fate in read_fates(settings).items():
        if not token.startswith(TOKEN) or not first <= int(token[len(TOKEN) :]) < last:
            continue
        recorded += 1
        doubled += bool(fate.doubled())
        offered_at = fate.offered_at()
        if offered_at is not None and fate.received_at is not None:
            offered += 1
            delays.append((offered_at - fate.received_at).total_seconds())
    return Fates(recorded, offered, doubled, delays)


def stop(system: SwitchboardProcess) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within 30 s (a loaded machine; what it
    had not finished is left to the next start, which the benches never make)."""
    try:
        system.terminate()
    except subprocess.TimeoutExpired:
        system.kill()

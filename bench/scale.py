"""Throughput with 1, then 2 replicas of ingest, routing and history, in the same run.

    python -m bench.scale [--seconds 10] [--concurrency 8] [--partitions 4]

Each round starts a fresh nats-server and database (a throwaway PostgreSQL), every service
as its own `switchboard serve` process — N each of ingest, routing and history, one of
notifier, as compose.yaml runs them, INBOUND split into P partitions — sets the agents
available and drives web forms, the API channel, Telegram and Twilio SMS with `concurrency`
senders per ingest replica for `seconds` (no pause between messages: this measures
capacity; every message is another customer, so the partitions share the load evenly).
`--partitions 1,4` runs the pair of rounds for each partition count (1 is how INBOUND was
read before partitions). A round reports accepted per second (ingest), offered per second
(the whole pipeline, from the first message sent to the last offer made), lost and
duplicated, the CPU seconds each process used and how busy the whole machine was meanwhile
(replicas only add throughput where there are idle cores), the consumers with the largest
backlog when the senders stopped (where the pipeline queues), and, per partition count,
the 2-replica figures as ratios to 1 replica.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx
import nats

from bench.load import wait_for_offers
from bench.machine import MachineTime
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import INBOUND
from switchboard.nats_server import NatsServerProcess
from tests.support.auth import ADMIN
from tests.support.channels import AGENTS, system_toml
from tests.support.ledger import tally
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.service_processes import ServiceProcesses
from tests.support.stack import CONSUMERS
from tests.support.traffic import Sent, Traffic

MIX = {"webform": 2, "api": 1, "telegram": 1, "twilio-sms": 1}


async def drive(urls: list[str], seconds: float, concurrency: int) -> tuple[list[Sent], float]:
    senders = [
        Traffic(url, None, mix=dict(MIX), first=1 + i * 10_000_000) for i, url in enumerate(urls)
    ]
    end = time.monotonic() + seconds

    async def worker(traffic: Traffic) -> None:
        while time.monotonic() < end:
            await traffic.send_one()

    started = time.time()
    await asyncio.gather(*(worker(t) for t in senders for _ in range(concurrency)))
    for traffic in senders:
        await traffic.close()
    return [s for t in senders for s in t.sent], started


async def backlog(url: str, partitions: int, top: int = 3) -> dict[str, int]:
    """Messages waiting or in flight per consumer (a service's partitions together)."""
    waiting: dict[str, int] = {}
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for stream, names in consumers(partitions).items():
            for name in names:
                info = await js.consumer_info(stream, name)
                label = f"{name.rsplit('-p', 1)[0]} (INBOUND)" if stream == INBOUND else name
                waiting[label] = waiting.get(label, 0) + info.num_pending + info.num_ack_pending
    finally:
        await nc.close()
    return dict(sorted(waiting.items(), key=lambda kv: -kv[1])[:top])


def consumers(partitions: int) -> dict[str, list[str]]:
    inbound = [*inbound_consumer_names("routing", partitions)]
    inbound += inbound_consumer_names("history", partitions)
    return {**CONSUMERS, INBOUND: inbound}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def round_with(
    replicas: int,
    partitions: int,
    pg: ThrowawayPostgres,
    base: Path,
    seconds: float,
    concurrency: int,
) -> dict[str, object]:
    name = f"p{partitions}r{replicas}"
    server = NatsServerProcess(base / f"nats-{name}", free_port())
    server.start()
    database = pg.create_database(f"scale_{name}")
    system = ServiceProcesses(
        base / name,
        "",
        server.url,
        database,
        env={"SWITCHBOARD_INBOUND_PARTITIONS": str(partitions)},
        replicas={"ingest": replicas, "routing": replicas, "history": replicas},
        config_for=lambda _: system_toml(free_port(), offer_timeout=600),
    )
    try:
        await system.start()
        async with httpx.AsyncClient(base_url=system.url("routing"), headers=ADMIN) as api:
            for agent in AGENTS:
                r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
                r.raise_for_status()
        pids = {k: p.proc.pid for k, p in system.procs.items() if p.proc is not None}
        cpu_before = {k: cpu_seconds(pid) for k, pid in pids.items()}
        machine_before = MachineTime.now()
        ingest = [system.url(k) for k in system.procs if k.split("-")[0] == "ingest"]
        sent, started = await drive(ingest, seconds, concurrency)
        queued = await backlog(server.url, partitions)
        accepted = [s for s in sent if s.accepted_at]
        fates = await asyncio.to_thread(wait_for_offers, system.settings, accepted, 180.0)
        cpu = {k: round(cpu_seconds(pid) - cpu_before[k], 1) for k, pid in pids.items()}
        machine = MachineTime.now().since(machine_before)
    finally:
        system.stop()
        server.stop()
    counted = tally(name, sent, fates)
    offers = [f.offered_at() for s in accepted if (f := fates.get(s.token))]
    last_offer = max(o.timestamp() for o in offers if o is not None)
    return {
        "partitions": partitions,
        "replicas": replicas,
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / seconds, 1),
        "offered": counted.offered,
        "offered_per_s": round(counted.offered / (last_offer - started), 1),
        "lost": len(counted.lost),
        "duplicated": len(counted.doubled),
        **machine.shares(),
        "cpu_seconds": cpu,
        "backlog_when_senders_stopped": queued,
    }


def ratio(rounds: list[dict[str, object]], partitions: int, key: str) -> float:
    one, two = (float(str(r[key])) for r in rounds if r["partitions"] == partitions)
    return round(two / one, 3)


async def main(seconds: float, concurrency: int, partition_counts: list[int]) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        pg = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="switchboard-scale-pg-")))
        pg.start()
        try:
            rounds = [
                await round_with(n, p, pg, Path(tmp), seconds, concurrency)
                for p in partition_counts
                for n in (1, 2)
            ]
        finally:
            pg.stop()
    columns = ["partitions", "replicas", "accepted", "accepted_per_s", "offered", "offered_per_s"]
    columns += ["lost", "duplicated", "machine_busy", "machine_stolen"]
    print("".join(f"{c:>15}" for c in columns))
    for r in rounds:
        print("".join(f"{r[c]!s:>15}" for c in columns))
    for r in rounds:
        print(f"P={r['partitions']} R={r['replicas']} CPU seconds: {r['cpu_seconds']}")
        print(f"P={r['partitions']} R={r['replicas']} backlog: {r['backlog_when_senders_stopped']}")
    summary: dict[str, object] = {
        "bench": "scale",
        "seconds": seconds,
        "concurrency_per_ingest": concurrency,
        "rounds": rounds,
    }
    for p in partition_counts:
        summary[f"p{p}_accepted_ratio_2_to_1"] = ratio(rounds, p, "accepted_per_s")
        summary[f"p{p}_offered_ratio_2_to_1"] = ratio(rounds, p, "offered_per_s")
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--partitions", default="4", help="INBOUND partition counts to compare, e.g. 1,4"
    )
    args = parser.parse_args()
    counts = [int(p) for p in args.partitions.split(",")]
    asyncio.run(main(args.seconds, args.concurrency, counts))

"""Throughput with 1, then 2 replicas of ingest and routing, measured in the same run.

    python -m bench.scale [--seconds 10] [--concurrency 8]

Each round starts a fresh nats-server and database (a throwaway PostgreSQL), every service
as its own `switchboard serve` process — N of ingest and N of routing, one of history and of
notifier, as compose.yaml runs them — sets the agents available and drives web forms, the
API channel, Telegram and Twilio SMS with `concurrency` senders per ingest replica for
`seconds` (no pause between messages: this measures capacity). It reports accepted per
second (ingest), offered per second (the whole pipeline, from the first message sent to the
last offer made), lost and duplicated, and the 2-replica figures as ratios to 1 replica.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import wait_for_offers
from switchboard.nats_server import NatsServerProcess
from tests.support.auth import ADMIN
from tests.support.channels import AGENTS, system_toml
from tests.support.ledger import tally
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.service_processes import ServiceProcesses
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


async def round_with(
    replicas: int, pg: ThrowawayPostgres, base: Path, seconds: float, concurrency: int
) -> dict[str, float | int]:
    nats = NatsServerProcess(base / f"nats-{replicas}", free_port())
    nats.start()
    database = pg.create_database(f"scale_{replicas}")
    system = ServiceProcesses(
        base / f"r{replicas}",
        "",
        nats.url,
        database,
        replicas={"ingest": replicas, "routing": replicas},
        config_for=lambda _: system_toml(free_port(), offer_timeout=600),
    )
    try:
        await system.start()
        async with httpx.AsyncClient(base_url=system.url("routing"), headers=ADMIN) as api:
            for agent in AGENTS:
                r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
                r.raise_for_status()
        ingest = [system.url(k) for k in system.procs if k.split("-")[0] == "ingest"]
        sent, started = await drive(ingest, seconds, concurrency)
        accepted = [s for s in sent if s.accepted_at]
        fates = await asyncio.to_thread(wait_for_offers, system.settings, accepted, 120.0)
    finally:
        system.stop()
        nats.stop()
    counted = tally(f"{replicas} replicas", sent, fates)
    offers = [f.offered_at() for s in accepted if (f := fates.get(s.token))]
    last_offer = max(o.timestamp() for o in offers if o is not None)
    return {
        "replicas": replicas,
        "accepted": len(accepted),
        "accepted_per_s": round(len(accepted) / seconds, 1),
        "offered": counted.offered,
        "offered_per_s": round(counted.offered / (last_offer - started), 1),
        "lost": len(counted.lost),
        "duplicated": len(counted.doubled),
    }


async def main(seconds: float, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        pg = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="switchboard-scale-pg-")))
        pg.start()
        try:
            rounds = [await round_with(n, pg, Path(tmp), seconds, concurrency) for n in (1, 2)]
        finally:
            pg.stop()
    one, two = rounds
    columns = ["replicas", "accepted", "accepted_per_s", "offered", "offered_per_s"]
    columns += ["lost", "duplicated"]
    print("".join(f"{c:>16}" for c in columns))
    for r in rounds:
        print("".join(f"{r[c]:>16}" for c in columns))
    summary: dict[str, object] = {
        "bench": "scale",
        "seconds": seconds,
        "concurrency_per_ingest": concurrency,
        "rounds": rounds,
        "accepted_ratio_2_to_1": round(
            float(two["accepted_per_s"]) / float(one["accepted_per_s"]), 3
        ),
        "offered_ratio_2_to_1": round(float(two["offered_per_s"]) / float(one["offered_per_s"]), 3),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.concurrency))

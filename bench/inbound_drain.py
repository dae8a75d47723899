"""How fast routing and history work off an INBOUND backlog, 1 against 2 replicas each.

    python -m bench.inbound_drain [--interactions 600] [--partitions 1,4] [--batches 64]

The consumers alone, without ingest or a load generator competing for the cores: each round
starts a fresh nats-server and database (a throwaway PostgreSQL), publishes `interactions`
web-form interactions, each from another customer, straight to INBOUND, then starts N
replicas each of routing and history (`switchboard serve`, as compose.yaml runs them) and
times until every partition consumer of each service has nothing pending. Reported per
round: interactions per second for routing and for history, the CPU seconds each process
used and how busy the whole machine was; per partition count, 2 replicas as ratios to 1.
`--batches 1,64` runs each layout reading one message at a time (as `serve` did before
session 17) and in batches through consumer leases (`serve`'s default), the ratios of the
second to the first per layout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

import nats
from nats.js import JetStreamContext

from bench.machine import MachineTime
from bench.scale import cpu_seconds
from events import InboundEvent, InteractionReceived, Sender
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import INBOUND, ensure_streams, envelope
from switchboard.nats_server import NatsServerProcess
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.service_processes import ServiceProcesses

SERVICES = ("routing", "history")


async def fill(js: JetStreamContext, interactions: int) -> None:
    for n in range(interactions):
        event = InteractionReceived(
            interaction_id=InboundEvent.id_for("webform", "bench", str(n)),
            channel="webform",
            source="bench",
            external_id=str(n),
            sender=Sender(email=f"d{n}@example.com"),
            text=f"backlog {n}",
        )
        env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
        await js.publish(env.subject, env.body, headers=env.headers, stream=INBOUND)


async def pending(js: JetStreamContext, service: str, partitions: int) -> int:
    total = 0
    for name in inbound_consumer_names(service, partitions):
        info = await js.consumer_info(INBOUND, name)
        total += info.num_pending + info.num_ack_pending
    return total


async def round_with(
    replicas: int,
    partitions: int,
    batch: int,
    interactions: int,
    pg: ThrowawayPostgres,
    base: Path,
) -> dict[str, object]:
    name = f"p{partitions}r{replicas}b{batch}"
    server = NatsServerProcess(base / f"nats-{name}", free_port())
    server.start()
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await ensure_streams(js, 3600, inbound_partitions=partitions)
    await fill(js, interactions)
    system = ServiceProcesses(
        base / name,
        "",
        server.url,
        pg.create_database(f"drain_{name}"),
        env={
            "SWITCHBOARD_INBOUND_PARTITIONS": str(partitions),
            "SWITCHBOARD_INBOUND_BATCH": str(batch),
        },
        names=SERVICES,
        replicas=dict.fromkeys(SERVICES, replicas),
        config_for=lambda _: system_toml(free_port()),
    )
    try:
        # Started together; each replica starts consuming as soon as it is up.
        await system.start()
        started = time.monotonic()
        pids = {k: p.proc.pid for k, p in system.procs.items() if p.proc is not None}
        cpu_before = {k: cpu_seconds(pid) for k, pid in pids.items()}
        machine_before = MachineTime.now()
        took: dict[str, float] = {}
        while len(took) < len(SERVICES) and time.monotonic() - started < 600:
            for service in SERVICES:
                if service not in took and not await pending(js, service, partitions):
                    took[service] = time.monotonic() - started
            await asyncio.sleep(0.1)
        cpu = {k: round(cpu_seconds(pid) - cpu_before[k], 1) for k, pid in pids.items()}
        machine = MachineTime.now().since(machine_before)
    finally:
        system.stop()
        await nc.close()
        server.stop()
    result: dict[str, object] = {"partitions": partitions, "replicas": replicas, "batch": batch}
    for service in SERVICES:
        result[f"{service}_per_s"] = round(interactions / took[service], 1)
    result.update(machine.shares())
    result["cpu_seconds"] = cpu
    return result


async def main(
    interactions: int, partition_counts: list[int], batches: list[int]
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        pg = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="switchboard-drain-pg-")))
        pg.start()
        try:
            rounds = [
                await round_with(n, p, b, interactions, pg, Path(tmp))
                for p in partition_counts
                for n in (1, 2)
                for b in batches  # alternated: the machine's load moves less between them
            ]
        finally:
            pg.stop()
    columns = ["partitions", "replicas", "batch", "routing_per_s", "history_per_s"]
    columns += ["machine_busy", "machine_stolen"]
    print("".join(f"{c:>15}" for c in columns))
    for r in rounds:
        print("".join(f"{r[c]!s:>15}" for c in columns))
    for r in rounds:
        print(
            f"P={r['partitions']} R={r['replicas']} B={r['batch']} CPU seconds: {r['cpu_seconds']}"
        )
    summary: dict[str, object] = {
        "bench": "inbound_drain",
        "interactions": interactions,
        "rounds": rounds,
    }

    def rate(p: int, n: int, b: int, service: str) -> float:
        (found,) = (r for r in rounds if (r["partitions"], r["replicas"], r["batch"]) == (p, n, b))
        return float(str(found[f"{service}_per_s"]))

    for p in partition_counts:
        for service in SERVICES:
            for b in batches:
                name = f"p{p}_{service}_ratio_2_to_1" + (f"_b{b}" if len(batches) > 1 else "")
                summary[name] = round(rate(p, 2, b, service) / rate(p, 1, b, service), 3)
            if len(batches) > 1:
                base, *others = batches
                for b, n in ((b, n) for b in others for n in (1, 2)):
                    summary[f"p{p}_r{n}_{service}_ratio_b{b}_to_b{base}"] = round(
                        rate(p, n, b, service) / rate(p, n, base, service), 3
                    )
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=600)
    parser.add_argument(
        "--partitions", default="1,4", help="INBOUND partition counts to compare, e.g. 1,4"
    )
    parser.add_argument(
        "--batches",
        default="64",
        help="SWITCHBOARD_INBOUND_BATCH values to compare, e.g. 1,64 (1: one message at a time)",
    )
    args = parser.parse_args()
    counts = [int(p) for p in args.partitions.split(",")]
    batches = [int(b) for b in args.batches.split(",")]
    asyncio.run(main(args.interactions, counts, batches))

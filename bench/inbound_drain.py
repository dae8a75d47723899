"""How fast routing and history work off an INBOUND backlog, 1 against 2 replicas each.

    python -m bench.inbound_drain [--interactions 600] [--partitions 1,4] [--batches 64]

The consumers alone, without ingest or a load generator competing for the cores: each round
starts a fresh nats-server and database (a throwaway PostgreSQL), publishes `interactions`
web-form interactions, each from another customer, straight to INBOUND, then starts N
replicas each of routing and history (`switchboard serve`, as compose.yaml runs them) and
watches every partition consumer of each service from before they start. Reported per
round: interactions per second for routing and for history while they drain (from the
first message done to the last: start-up is not timed, and batches work off a backlog in
about the time a process takes to start), the CPU seconds each process used meanwhile and
how busy the whole machine was; per partition count, 2 replicas as ratios to 1.
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
from nats.js.errors import NotFoundError

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


async def pending(js: JetStreamContext, service: str, partitions: int, total: int) -> int:
    """What the service's partition consumers have left: all of it before they exist."""
    left = 0
    for name in inbound_consumer_names(service, partitions):
        try:
            info = await js.consumer_info(INBOUND, name)
        except NotFoundError:
            return total
        left += info.num_pending + info.num_ack_pending
    return left


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
    drains = {service: Drain() for service in SERVICES}

    async def watch() -> None:
        """From before the processes start: each service's drain, from the first message
        done to the last (start-up excluded: batches work off the backlog in about the
        time a process takes to report itself healthy)."""
        while not all(d.ended is not None for d in drains.values()):
            for service, drain in drains.items():
                left = await pending(js, service, partitions, interactions)
                drain.saw(left, interactions, system)
            await asyncio.sleep(0.02)

    watching = asyncio.create_task(watch())
    try:
        # Started together; each replica starts consuming as soon as it is up.
        await system.start()
        await asyncio.wait_for(watching, 600)
    finally:
        watching.cancel()
        system.stop()
        await nc.close()
        server.stop()
    result: dict[str, object] = {"partitions": partitions, "replicas": replicas, "batch": batch}
    for service, drain in drains.items():
        result[f"{service}_per_s"] = round(drain.per_second(), 1)
    # Over the drains, as the rates and CPU seconds: with batches they may be over before
    # the processes say they are healthy.
    first = min(drains.values(), key=lambda d: d.began or 0.0)
    last = max(drains.values(), key=lambda d: d.ended or 0.0)
    result.update(last.machine_ended.since(first.machine_began).shares())
    result["cpu_seconds"] = {k: v for d in drains.values() for k, v in d.cpu().items()}
    return result


class Drain:
    """When a service's backlog began to shrink and when it was gone, its processes' CPU
    seconds and the machine's time at both."""

    def __init__(self) -> None:
        self.began: float | None = None
        self.ended: float | None = None
        self.left_at_began = 0
        self._cpu_began: dict[str, float] = {}
        self._cpu_ended: dict[str, float] = {}
        self.machine_began = self.machine_ended = MachineTime(0.0, 0.0, 0.0)

    def saw(self, left: int, total: int, system: ServiceProcesses) -> None:
        now = time.monotonic()
        if self.began is None and left < total:
            self.began = now
            self.left_at_began = left  # what the first batch took is not timed
            self._cpu_began = _cpu(system)
            self.machine_began = MachineTime.now()
        if self.ended is None and left == 0:
            self.ended = now
            self._cpu_ended = _cpu(system)
            self.machine_ended = MachineTime.now()

    def per_second(self) -> float:
        assert self.began is not None and self.ended is not None
        # One poll's resolution at least: a batch can take the whole backlog between two.
        return self.left_at_began / max(self.ended - self.began, 0.02)

    def cpu(self) -> dict[str, float]:
        return {
            k: round(self._cpu_ended[k] - self._cpu_began[k], 1)
            for k in self._cpu_ended.keys() & self._cpu_began.keys()
        }


def _cpu(system: ServiceProcesses) -> dict[str, float]:
    return {
        k: cpu_seconds(p.proc.pid)
        for k, p in system.procs.items()
        if p.proc is not None and p.proc.poll() is None
    }


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

"""Routing under load, each figure next to a baseline measured in the same run.

    python -m bench.routing [--agents 500] [--waiting 10000] [--ticks 1000] [--rate 20]
                            [--timers 100000] [--parts decisions,pipeline,timers]

decisions  The routing application on its SQLite store, steady state: every agent is on a
           call and `--waiting` calls wait. Each tick one agent completes (routing offers
           them the head of the line: one decision), accepts, and one call arrives (it must
           wait: one decision). Baseline: saving a one-event aggregate on the same store.
pipeline   `switchboard serve routing` in its own process on a real nats-server, the same
           steady state reached through JetStream and HTTP, at `--rate` ticks per second:
           interaction published -> ContactQueued relayed (routed), and agent's completion
           -> their next AgentOffered relayed. Baseline: a JetStream publish reaching a
           consumer.
timers     `--timers` offer deadlines pending as NATS message schedules (one subject each,
           as routing schedules them), due over 30 s: how late each fires. Baseline: the
           same with 1,000 pending.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from nats.js.api import DeliverPolicy, StreamConfig

from events import InboundEvent, InteractionReceived, Sender, contact_id_for
from schemas.config import Person, RoutingConfig
from services.routing.application import RoutingApplication
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import INBOUND, envelope
from switchboard.nats_server import NatsServerProcess
from switchboard.settings import Settings
from switchboard.store import TrackedApplication, event_store_env
from tests.support.auth import ADMIN, auth_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def call(n: int) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("voice", "bench", str(n)),
        channel="voice",
        source="bench",
        external_id=str(n),
        sender=Sender(phone="+4915112345678"),
    )


def agents(n: int) -> list[Person]:
    return [Person(id=f"a{i:04d}", name=f"Agent {i}", supervisor="sup") for i in range(n)] + [
        Person(id="sup", name="Supervisor", role="supervisor")
    ]


# -- decisions --------------------------------------------------------------------------


class Counter(Aggregate):
    @event("Bumped")
    def bump(self) -> None:
        pass


def store_baseline(data: Path, seconds: float) -> float:
    app = type("baseline", (TrackedApplication,), {"name": "baseline"})(
        event_store_env(Settings(data_dir=data), "baseline")
    )
    counter = Counter()
    app.save(counter)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        counter.bump()
        app.save(counter)
        done += 1
    app.close()
    return done / (time.perf_counter() - started)


def decisions(data: Path, n_agents: int, waiting: int, ticks: int) -> dict[str, float]:
    people = agents(n_agents)
    config = RoutingConfig(
        offer_timeout_seconds=3600, max_wait_seconds=1e9, identify_timeout_seconds=0
    )
    app = RoutingApplication(
        people, config, "sup", env=event_store_env(Settings(data_dir=data), "routing")
    )
    positions = iter(range(1, 10**9))
    arrivals = iter(range(10**9))
    started = time.perf_counter()
    for _ in range(waiting + n_agents):
        app.receive(call(next(arrivals)), Tracking("bench", next(positions)))
    queued_per_s = (waiting + n_agents) / (time.perf_counter() - started)
    holding: dict[str, uuid.UUID] = {}
    for person in people[:-1]:
        app.set_status(person.id, "available")
        [offer] = app.offers_for(person.id)
        holding[person.id] = app.accept(offer.offer_id).contact_id
    offer_decisions, wait_decisions = [], []
    for tick in range(ticks):
        agent = people[tick % n_agents].id
        t0 = time.perf_counter()
        app.complete(holding[agent], "done")  # decides: the head of the line to this agent
        offer_decisions.append(time.perf_counter() - t0)
        [offer] = app.offers_for(agent)
        holding[agent] = app.accept(offer.offer_id).contact_id
        t0 = time.perf_counter()
        app.receive(call(next(arrivals)), Tracking("bench", next(positions)))  # decides: wait
        wait_decisions.append(time.perf_counter() - t0)
    still_waiting = app.waiting_counts()["default"]
    app.close()
    both = offer_decisions + wait_decisions
    return {
        "queued_per_s": queued_per_s,
        "decisions_per_s": len(both) / sum(both),
        "offer_p50_ms": pct(offer_decisions, 0.5),
        "offer_p99_ms": pct(offer_decisions, 0.99),
        "wait_p50_ms": pct(wait_decisions, 0.5),
        "wait_p99_ms": pct(wait_decisions, 0.99),
        "waiting": still_waiting,
    }


# -- pipeline ---------------------------------------------------------------------------


def routing_config(n_agents: int) -> str:
    lines = [
        "[routing]",
        "offer_timeout_seconds = 3600",
        "max_wait_seconds = 1e9",
        "identify_timeout_seconds = 0",
    ]
    for p in agents(n_agents):
        lines += ["[[people]]", f'id = "{p.id}"', f'name = "{p.name}"', f'role = "{p.role}"']
        lines += [f'supervisor = "{p.supervisor}"'] if p.supervisor else []
    return "\n".join(lines) + "\n" + auth_toml()


async def jetstream_hops(url: str, samples: int = 300) -> list[float]:
    """Publish -> consumer delivery on a JetStream stream, in seconds, one per sample."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BASELINE", subjects=["baseline.>"]))
    sub = await js.subscribe("baseline.>", ordered_consumer=True)
    latencies = []
    for n in range(samples):
        t0 = time.perf_counter()
        await js.publish(f"baseline.{n}", b"x")
        await sub.next_msg(timeout=5)
        latencies.append(time.perf_counter() - t0)
    await js.delete_stream("BASELINE")
    await nc.close()
    return latencies


async def jetstream_baseline(url: str, samples: int = 300) -> float:
    """Median publish -> consumer delivery on a JetStream stream, in seconds."""
    return statistics.median(await jetstream_hops(url, samples))


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError("the routing service did not catch up")
        await asyncio.sleep(0.2)


async def pipeline(
    url: str, workdir: Path, n_agents: int, waiting: int, ticks: int, rate: float
) -> dict[str, float]:
    routing = SwitchboardProcess(
        workdir, routing_config(n_agents), None, ("serve", "routing"), {"SWITCHBOARD_NATS_URL": url}
    )
    routing.start(60)
    base = routing.base_url
    nc = await nats.connect(url)
    js = nc.jetstream()
    http = httpx.AsyncClient(base_url=base, headers=ADMIN, timeout=30)
    try:

        async def drained() -> bool:
            for name in inbound_consumer_names("routing", Settings().inbound_partitions):
                info = await js.consumer_info(INBOUND, name)
                if info.num_pending or info.num_ack_pending:
                    return False
            return True

        async def publish(n: int) -> None:
            e = call(n)
            env = envelope(e, subject=e.publish_subject(), **{"Nats-Msg-Id": e.msg_id()})
            await js.publish(env.subject, env.body, headers=env.headers, stream=INBOUND)

        started = time.perf_counter()
        for n in range(waiting + n_agents):
            await publish(n)
        await until(drained)
        queued_per_s = (waiting + n_agents) / (time.perf_counter() - started)
        holding: dict[str, str] = {}
        names = [p.id for p in agents(n_agents)[:-1]]
        for name in names:
            await http.post(f"/api/agents/{name}/status", json={"status": "available"})
            [offer] = (await http.get(f"/api/agents/{name}/offers")).json()
            accepted = await http.post(f"/api/offers/{offer['offer_id']}/accept")
            holding[name] = accepted.json()["contact_id"]

        sent: dict[str, float] = {}
        routed: list[float] = []
        freed: dict[str, float] = {}
        offered: list[float] = []
        next_offer: dict[str, asyncio.Future[str]] = {}

        async def on_event(msg: Any) -> None:
            data = json.loads(msg.data)
            now = time.perf_counter()
            if msg.subject.endswith(".ContactQueued") and data["contact_id"] in sent:
                routed.append(now - sent.pop(data["contact_id"]))
            elif msg.subject.endswith(".AgentOffered") and data["agent_id"] in freed:
                offered.append(now - freed.pop(data["agent_id"]))
                next_offer[data["agent_id"]].set_result(data["offer_id"])

        await js.subscribe(
            "sb.events.routing.>",
            cb=on_event,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.NEW,
        )

        async def tick(t: int) -> None:
            name = names[t % len(names)]
            next_offer[name] = asyncio.get_running_loop().create_future()
            freed[name] = time.perf_counter()
            await http.post(f"/api/contacts/{holding[name]}/complete", json={})
            offer_id = await asyncio.wait_for(next_offer[name], 60)
            holding[name] = (await http.post(f"/api/offers/{offer_id}/accept")).json()["contact_id"]

        arrivals = iter(range(waiting + n_agents, 10**9))
        tasks = []
        t_start = time.perf_counter()
        for t in range(ticks):
            n = next(arrivals)
            sent[str(contact_id_for(call(n).interaction_id))] = time.perf_counter()
            await publish(n)
            tasks.append(asyncio.create_task(tick(t)))
            await asyncio.sleep(max(0.0, t_start + (t + 1) / rate - time.perf_counter()))
        await asyncio.gather(*tasks)
        await until(lambda: _true(not sent), timeout=60)
        return {
            "queued_per_s": queued_per_s,
            "routed_p50_ms": pct(routed, 0.5),
            "routed_p99_ms": pct(routed, 0.99),
            "offer_p50_ms": pct(offered, 0.5),
            "offer_p99_ms": pct(offered, 0.99),
            "ticks_per_s": ticks / (time.perf_counter() - t_start),
        }
    finally:
        await http.aclose()
        await nc.close()
        routing.terminate()


async def _true(value: bool) -> bool:
    return value


# -- timers ------------------------------------------------------------------------------


async def timers(url: str, pending: int, spread: float = 30.0, lead: float = 10.0) -> list[float]:
    """Lateness in seconds of `pending` schedules due evenly over `spread` seconds."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = f"T{uuid.uuid4().hex[:8]}"
    await js.add_stream(
        StreamConfig(name=stream, subjects=[f"{stream}.>"], allow_msg_schedules=True)
    )
    lateness: list[float] = []

    async def fired(msg: Any) -> None:
        lateness.append(time.time() - json.loads(msg.data)["at"])

    await js.subscribe(f"{stream}.fired.>", cb=fired, ordered_consumer=True)
    first = time.time() + lead
    futures = []
    for i in range(pending):
        at = first + spread * i / pending
        when = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
        headers = {"Nats-Schedule": f"@at {when}", "Nats-Schedule-Target": f"{stream}.fired.{i}"}
        body = json.dumps({"at": at}).encode()
        futures.append(await js.publish_async(f"{stream}.offer.{i}", body, headers=headers))
        if len(futures) >= 1000:
            await asyncio.gather(*futures)
            futures = []
    await asyncio.gather(*futures)
    deadline = first + spread + 60
    while len(lateness) < pending and time.time() < deadline:
        await asyncio.sleep(0.5)
    await nc.close()
    if len(lateness) < pending:
        raise RuntimeError(f"only {len(lateness)} of {pending} deadlines fired")
    return lateness


# -- main -----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--waiting", type=int, default=10_000)
    parser.add_argument("--ticks", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--parts", default="decisions,pipeline,timers")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    result: dict[str, Any] = {"bench": "routing", "agents": args.agents, "waiting": args.waiting}
    rows: list[tuple[str, str, float, float | None]] = []  # part, figure, value, baseline
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        if "decisions" in parts:
            saves = store_baseline(data / "baseline", 3.0)
            d = decisions(data / "decisions", args.agents, args.waiting, args.ticks)
            result["decisions"] = {**d, "baseline_saves_per_s": saves}
            rows += [
                (
                    "decisions",
                    "decisions/s (baseline: one-event saves/s)",
                    d["decisions_per_s"],
                    saves,
                ),
                ("decisions", "offer decision p50 ms", d["offer_p50_ms"], None),
                ("decisions", "offer decision p99 ms", d["offer_p99_ms"], None),
                ("decisions", "wait decision p50 ms", d["wait_p50_ms"], None),
                ("decisions", "wait decision p99 ms", d["wait_p99_ms"], None),
            ]
        server = NatsServerProcess(data / "nats", free_port())
        server.start()
        try:
            if "pipeline" in parts:
                base = asyncio.run(jetstream_baseline(server.url)) * 1000
                workdir = data / "pipeline"
                workdir.mkdir()
                p = asyncio.run(
                    pipeline(server.url, workdir, args.agents, args.waiting, args.ticks, args.rate)
                )
                result["pipeline"] = {**p, "baseline_jetstream_ms": base}
                for label, key in (
                    ("interaction -> routed", "routed"),
                    ("done -> next offer", "offer"),
                ):
                    for q in ("p50", "p99"):
                        rows.append(
                            (
                                "pipeline",
                                f"{label} {q} ms (baseline: JetStream hop)",
                                p[f"{key}_{q}_ms"],
                                base,
                            )
                        )
            if "timers" in parts:
                small = asyncio.run(timers(server.url, 1000))
                large = asyncio.run(timers(server.url, args.timers))
                t = {
                    "baseline_pending": 1000,
                    "baseline_p50_ms": pct(small, 0.5),
                    "baseline_p99_ms": pct(small, 0.99),
                    "pending": args.timers,
                    "p50_ms": pct(large, 0.5),
                    "p99_ms": pct(large, 0.99),
                    "max_ms": max(large) * 1000,
                }
                result["timers"] = t
                for q in ("p50", "p99"):
                    rows.append(
                        (
                            "timers",
                            f"lateness {q} ms, {args.timers} pending (baseline: 1000)",
                            t[f"{q}_ms"],
                            t[f"baseline_{q}_ms"],
                        )
                    )
        finally:
            server.stop()
    print(f"routing bench: {args.agents} agents, {args.waiting} waiting")
    print(f"{'part':<10} {'figure':<58} {'value':>10} {'baseline':>10} {'ratio':>8}")
    for part, figure, value, baseline in rows:
        ratio = f"{value / baseline:8.3f}" if baseline else f"{'':>8}"
        base_text = f"{baseline:10.2f}" if baseline is not None else f"{'':>10}"
        print(f"{part:<10} {figure:<58} {value:10.2f} {base_text} {ratio}")
    print(json.dumps(rounded(result)))


def rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    return value


if __name__ == "__main__":
    main()

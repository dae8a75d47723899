"""Phone calls that connect: accept -> bridge request, next to a JetStream hop in the same run.

The whole system in this process (ingest with the voice bridge, routing, history, notifier,
SQLite stores) on a child nats-server, and a local server speaking Twilio's REST API that
answers every leg after `--ring` seconds and calls back, signed. Two parts:

- sequential: one agent takes `--samples` calls one after another; accept (the desk's POST)
  -> Twilio receives the request dialling the agent's leg, and -> the caller is moved in;
- concurrent: `--calls` calls ring at once with as many agents free; all are accepted at
  once, bridged, hung up and completed; then nothing may be stranded (a contact not
  completed, an agent still holding a call, a leg still ringing, the bridge's consumer
  behind).

The baseline is the median of a JetStream publish -> consumer delivery on the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import nats

from bench.routing import jetstream_baseline, pct, rounded
from schemas.config import Person
from switchboard.nats_server import NatsServerProcess
from tests.support.fake_twilio import FakeTwilio
from tests.support.ports import free_port
from tests.support.stack import Stack
from tests.support.twilio_signing import ACCOUNT
from tests.support.twilio_signing import call as call_params
from tests.support.voice_calls import at_rest, post, voice_config


def agents(n: int) -> list[Person]:
    return [
        Person(id=f"a{i:02d}", name=f"Agent {i}", phone=f"+4915190{i:06d}", supervisor="sam")
        for i in range(n)
    ]


def request_times(fake: FakeTwilio) -> dict[str, dict[str, float]]:
    """When Twilio got the request dialling each conference's first agent ("dial") and the
    one moving its caller in ("move"), by conference name."""
    found: dict[str, dict[str, float]] = {}
    voice = fake.voice
    for (method, path, form), stamp in zip(voice.log, voice.stamps, strict=True):
        if path.endswith("/Participants.json") and form.get("Label") == "agent-1":
            found.setdefault(path.split("/")[-2], {}).setdefault("dial", stamp)
        elif method == "POST" and "<Conference" in str(form.get("Twiml", "")):
            name = str(form["Twiml"]).split("</Conference>")[0].rsplit(">", 1)[-1]
            found.setdefault(name, {}).setdefault("move", stamp)
    return found


async def ring(stack: Stack, n: int) -> None:
    params = call_params(n, From=f"+49152{n:08d}")
    r = await post(stack, "/voice", params)
    assert r.status_code == 200, r.text


async def offers_of(stack: Stack, agent_ids: list[str]) -> list[dict[str, Any]]:
    found = await asyncio.gather(*(stack.offers(a) for a in agent_ids))
    return [o for offers in found for o in offers]


async def wait_for(probe: Any, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await probe()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise TimeoutError("the system did not get there in time")


Accepts = list[tuple[float, float]]  # per offer: accept sent, accept answered (perf_counter)


async def take(stack: Stack, fake: FakeTwilio, offers: list[dict[str, Any]]) -> Accepts:
    """Accepts the offers at once; returns when, once every caller was moved in. One
    poller: the bench must not load the machine it measures."""
    started: dict[str, tuple[float, float]] = {}

    async def accept(offer: dict[str, Any]) -> None:
        t0 = time.perf_counter()
        r = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
        assert r.status_code == 200, r.text
        started[offer["offer_id"]] = (t0, time.perf_counter())

    names = [f"contact-{o['contact_id']}" for o in offers]
    await asyncio.gather(*(accept(o) for o in offers))

    async def all_moved() -> bool:
        await asyncio.sleep(0.05)
        times = request_times(fake)
        return all("move" in times.get(n, {}) for n in names)

    await wait_for(all_moved)
    return [started[o["offer_id"]] for o in offers]


Latencies = tuple[list[float], list[float], list[float], list[float]]


def latencies(fake: FakeTwilio, offers: list[dict[str, Any]], accepts: Accepts) -> Latencies:
    """Accept sent -> dial request, accept answered (committed) -> dial request, accept sent
    -> caller moved, the accept's own round trip."""
    times = request_times(fake)
    found: Latencies = ([], [], [], [])
    for offer, (sent, answered) in zip(offers, accepts, strict=True):
        at = times[f"contact-{offer['contact_id']}"]
        values = (at["dial"] - sent, at["dial"] - answered, at["move"] - sent, answered - sent)
        for into, value in zip(found, values, strict=True):
            into.append(value)
    return found


async def finish(stack: Stack, fake: FakeTwilio, contact_id: str) -> None:
    """The caller hangs up (the conference ends), the agent completes."""
    await fake.voice.end_conference(f"contact-{contact_id}")
    r = await stack.http.post(f"/api/contacts/{contact_id}/complete", json={"disposition": "ok"})
    assert r.status_code == 200, r.text


async def sequential(stack: Stack, fake: FakeTwilio, samples: int) -> dict[str, float]:
    await stack.status("a00", "available")
    totals: Latencies = ([], [], [], [])
    for n in range(samples):
        await ring(stack, 1000 + n)
        [offer] = await wait_for(lambda: stack.offers("a00"))
        accepts = await take(stack, fake, [offer])
        for values, found in zip(totals, latencies(fake, [offer], accepts), strict=True):
            values.extend(found)
        await finish(stack, fake, offer["contact_id"])
    await stack.status("a00", "offline")
    return summary(totals)


async def concurrent(stack: Stack, fake: FakeTwilio, calls: int) -> dict[str, Any]:
    ids = [f"a{i:02d}" for i in range(calls)]
    for agent_id in ids:
        await stack.status(agent_id, "available")
    started = time.perf_counter()
    await asyncio.gather(*(ring(stack, 2000 + n) for n in range(calls)))

    async def all_offered() -> list[dict[str, Any]] | None:
        found = await offers_of(stack, ids)
        return found if len(found) == calls else None

    offers = await wait_for(all_offered)
    accepted = await take(stack, fake, offers)
    bridged = time.perf_counter() - started
    found = latencies(fake, offers, accepted)
    relay, bridge = await split(stack, fake, offers, accepted)
    await asyncio.gather(*(finish(stack, fake, o["contact_id"]) for o in offers))
    await wait_for(lambda: at_rest(stack))
    stranded = await strays(stack, fake, ids, [o["contact_id"] for o in offers])
    return {
        **summary(found),
        "committed_to_relayed_p50_ms": pct(relay, 0.5),
        "committed_to_relayed_p99_ms": pct(relay, 0.99),
        "relayed_to_dial_p50_ms": pct(bridge, 0.5),
        "relayed_to_dial_p99_ms": pct(bridge, 0.99),
        "calls": calls,
        "all_bridged_s": bridged,
        "stranded": stranded,
    }


async def split(
    stack: Stack, fake: FakeTwilio, offers: list[dict[str, Any]], accepts: Accepts
) -> tuple[list[float], list[float]]:
    """Where committed -> dial goes: routing's relay (the acceptance committed -> its bridge
    request stored on EVENTS) and the bridge (stored on EVENTS -> Twilio got the dial)."""
    wall_minus_perf = time.time() - time.perf_counter()
    nc = await nats.connect(stack.nats_server.url)
    relayed: dict[str, float] = {}
    try:
        sub = await nc.jetstream().subscribe(
            "sb.events.routing.CallBridgeRequested", ordered_consumer=True
        )
        wanted = {o["contact_id"] for o in offers}
        while not wanted <= relayed.keys():
            msg = await sub.next_msg(timeout=10)
            contact = json.loads(msg.data)["contact_id"]
            relayed.setdefault(contact, msg.metadata.timestamp.timestamp() - wall_minus_perf)
    finally:
        await nc.close()
    times = request_times(fake)
    relay, bridge = [], []
    for offer, (_, answered) in zip(offers, accepts, strict=True):
        at = relayed[offer["contact_id"]]
        relay.append(at - answered)
        bridge.append(times[f"contact-{offer['contact_id']}"]["dial"] - at)
    return relay, bridge


async def strays(stack: Stack, fake: FakeTwilio, ids: list[str], contacts: list[str]) -> int:
    """Contacts not completed, agents still holding one, legs still queued or ringing."""
    left = 0
    for contact_id in contacts:
        r = await stack.http.get(f"/api/contacts/{contact_id}")
        left += r.json()["status"] != "completed"
    for agent_id in ids:
        left += bool((await stack.http.get(f"/api/agents/{agent_id}/contacts")).json())
    left += sum(leg.status in ("queued", "ringing") for leg in fake.voice.legs.values())
    return left


def summary(found: Latencies) -> dict[str, float]:
    names = ("accept_to_dial", "committed_to_dial", "accept_to_caller_moved", "accept_http")
    figures: dict[str, float] = {}
    for name, values in zip(names, found, strict=True):
        figures[f"{name}_p50_ms"] = pct(values, 0.5)
        figures[f"{name}_p99_ms"] = pct(values, 0.99)
    return figures


async def run(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    server = NatsServerProcess(data / "nats", free_port())
    server.start()
    fake = FakeTwilio(ACCOUNT)
    await fake.start()
    fake.voice.ring_seconds = args.ring
    config = voice_config(fake, ring_seconds=30)
    people = [*agents(max(args.calls, 1)), *[p for p in config.people if p.role != "agent"]]
    routing = config.routing.model_copy(update={"offer_timeout_seconds": 300})
    config = config.model_copy(update={"people": people, "routing": routing})
    stack = Stack(data / "data", server, config=config)
    try:
        await stack.start()
        hop = await jetstream_baseline(server.url) * 1000
        return {
            "baseline_jetstream_ms": hop,
            "sequential": await sequential(stack, fake, args.samples),
            "concurrent": await concurrent(stack, fake, args.calls),
        }
    finally:
        await stack.close()
        await fake.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--ring", type=float, default=0.05, help="seconds a leg rings")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(run(args, Path(tmp)))
    hop = result["baseline_jetstream_ms"]
    print(f"voice bridge bench: {args.samples} sequential calls, {args.calls} at once")
    print(f"{'part':<11} {'figure':<40} {'value':>10} {'baseline':>10} {'ratio':>8}")
    for part in ("sequential", "concurrent"):
        for figure, value in result[part].items():
            timed = figure.endswith("_ms")
            base = f"{hop:10.2f}" if timed else f"{'':>10}"
            ratio = f"{value / hop:8.1f}" if timed and hop else f"{'':>8}"
            print(f"{part:<11} {figure:<40} {value:10.2f} {base} {ratio}")
    print(json.dumps(rounded({"bench": "voice_bridge", **result})))


if __name__ == "__main__":
    main()

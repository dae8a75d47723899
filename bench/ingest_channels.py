"""Ingest throughput per channel, as a ratio to raw JetStream publishing in the same run.

    python -m bench.ingest_channels [--seconds 4] [--concurrency 16]

The baseline is nats-py publishing to a JetStream stream like INBOUND (same duplicate
window, a unique Nats-Msg-Id each, the same concurrency). Each channel is then driven over
HTTP against `switchboard serve ingest` in its own process: the channel's real payload,
signed as the channel signs it, answered after the JetStream ack. Afterwards the INBOUND
stream must hold exactly as many messages per channel as were accepted: lost and doubled
are counted, not assumed. Each channel is also given as a ratio to the web form (the
simplest adapter: no signature) in the same run, which isolates what verifying and parsing
a channel's payload costs; last, `bench.adapter_cost` gives that cost alone, in-process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiosmtplib
import httpx
import nats
from nats.js.api import StreamConfig

from bench import adapter_cost
from bench.ingest_alone import start_ingest
from switchboard.nats_server import NatsServerProcess
from tests.support import channels
from tests.support.channels import EMAIL_CHANNEL, HTTP_CHANNELS, Request
from tests.support.ports import free_port

CHANNELS = HTTP_CHANNELS


@dataclass
class Result:
    name: str
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    accepted: int = 0  # including the warm-up: what the stream must hold

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def drive(
    name: str, seconds: float, concurrency: int, attempt: Callable[[int], Awaitable[object]]
) -> Result:
    """`attempt(n)` is awaited by `concurrency` workers until time is up."""
    result = Result(name)
    counter = itertools.count(1)
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            n = next(counter)
            start = time.perf_counter()
            try:
                await attempt(n)
            except Exception:
                result.errors += 1
                continue
            result.latencies.append(time.perf_counter() - start)
            result.ok += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    return result


async def baseline(url: str, seconds: float, concurrency: int) -> Result:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BENCH", subjects=["bench.>"], duplicate_window=3600))
    payload = json.dumps(channels.webform(0, "bench 0")[1].decode()).encode() * 2  # ~ an event
    run = uuid.uuid4().hex

    async def publish(n: int) -> None:
        await js.publish("bench.raw", payload, headers={"Nats-Msg-Id": f"{run}:{n}"})

    await drive("warm-up", 0.5, concurrency, publish)
    result = await drive("raw JetStream publish", seconds, concurrency, publish)
    await nc.close()
    return result


async def channel(
    base: str,
    name: str,
    build: Callable[[int, str, str], Request],
    seconds: float,
    concurrency: int,
) -> Result:
    offset = itertools.count(10_000_000 * (1 + list(CHANNELS).index(name)))
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def post(_: int) -> None:
            n = next(offset)
            path, body, headers = build(n, f"bench {n}", base)
            r = await client.post(path, content=body, headers=headers)
            if r.status_code >= 300:
                raise RuntimeError(f"{r.status_code} {r.text[:200]}")

        warm = await drive("warm-up", 0.5, concurrency, post)
        result = await drive(name, seconds, concurrency, post)
        result.accepted = warm.ok + result.ok
        return result


async def email(port: int, seconds: float, concurrency: int) -> Result:
    """One SMTP session per message, as sending servers mostly do."""
    offset = itertools.count(1)

    async def send(_: int) -> None:
        n = next(offset)
        await aiosmtplib.send(channels.email(n, f"bench {n}"), hostname="127.0.0.1", port=port)

    warm = await drive("warm-up", 0.5, concurrency, send)
    result = await drive("email (SMTP)", seconds, concurrency, send)
    result.accepted = warm.ok + result.ok
    return result


async def http_reference(base: str, seconds: float, concurrency: int) -> Result:
    """An HTTP round trip with one NATS request behind it and no adapter work: separates
    what HTTP in Python costs from what our channel code adds."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def get(_: int) -> None:
            r = await client.get("/healthz")
            if r.status_code >= 500 and r.status_code != 503:
                raise RuntimeError(r.text)

        await drive("warm-up", 0.5, concurrency, get)
        return await drive("HTTP GET /healthz", seconds, concurrency, get)


async def stream_counts(url: str) -> dict[str, int]:
    """Messages on INBOUND per channel (stored as `sb.inbound.<partition>.<channel>`)."""
    nc = await nats.connect(url)
    info = await nc.jetstream().stream_info("INBOUND", subjects_filter="sb.inbound.*.*")
    await nc.close()
    counts: dict[str, int] = {}
    for subject, n in (info.state.subjects or {}).items():
        channel = subject.split(".")[3]
        counts[channel] = counts.get(channel, 0) + n
    return counts


async def main(seconds: float, concurrency: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsServerProcess(Path(tmp) / "nats", free_port())
        server.start()
        smtp_port = free_port()
        proc, base = start_ingest(Path(tmp), server.url, smtp_port=smtp_port)
        try:
            raw = await baseline(server.url, seconds, concurrency)
            http = await http_reference(base, seconds, concurrency)
            results = [
                await channel(base, name, build, seconds, concurrency)
                for name, (_, build) in CHANNELS.items()
            ]
            results.append(await email(smtp_port, seconds, concurrency))
            counts = await stream_counts(server.url)
        finally:
            proc.terminate()
            proc.wait(15)
            server.stop()

    webform = next(r.rate for r in results if r.name == "webform")
    print(
        f"{'measure':<24}{'ok':>9}{'err':>6}{'ops/s':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'ratio':>8}{'/form':>7}"
    )
    summary: dict[str, object] = {
        "bench": "ingest_channels",
        "seconds": seconds,
        "concurrency": concurrency,
        "baseline_js_publish_per_s": round(raw.rate, 1),
    }
    summary["http_reference_per_s"] = round(http.rate, 1)
    for r in [raw, http, *results]:
        ratio = r.rate / raw.rate if raw.rate else 0.0
        print(
            f"{r.name:<24}{r.ok:>9}{r.errors:>6}{r.rate:>10.1f}"
            f"{r.percentile(0.5):>9.2f}{r.percentile(0.99):>9.2f}{ratio:>8.3f}"
            f"{r.rate / webform if webform else 0.0:>7.2f}"
        )
    channel_of = {name: channel for name, (channel, _) in CHANNELS.items()}
    channel_of["email (SMTP)"] = EMAIL_CHANNEL
    for r in results:
        on_stream = counts.get(channel_of[r.name], 0)
        summary[r.name] = {
            "per_s": round(r.rate, 1),
            "ratio_to_baseline": round(r.rate / raw.rate, 4) if raw.rate else None,
            "ratio_to_http_reference": round(r.rate / http.rate, 3) if http.rate else None,
            "ratio_to_webform": round(r.rate / webform, 3) if webform else None,
            "p50_ms": round(r.percentile(0.5), 2),
            "p99_ms": round(r.percentile(0.99), 2),
            "errors": r.errors,
            "accepted": r.accepted,
            "lost": max(0, r.accepted - on_stream),
            "doubled": max(0, on_stream - r.accepted),
        }
    # The adapters' own work, steadier than the HTTP figures on a shared machine.
    summary["adapter_verify_parse"] = adapter_cost.measure(0.5)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.concurrency))

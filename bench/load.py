"""Load: every channel at a steady rate against `switchboard up`; nothing lost or doubled.

    python -m bench.load [--rate 20] [--seconds 20] [--database-url postgresql://...]

Starts `switchboard up` in a temporary directory (child nats-server; SQLite, or PostgreSQL
with --database-url, which must name an empty database), sets the agents available and
drives web forms, the API channel (HMAC-signed), Twilio SMS (signed as Twilio signs),
Telegram (secret token) and e-mail over SMTP at `--rate` new messages a second, each
retried as its channel would on 503/451. Then, from the history event store: accepted,
recorded, offered, lost (must be 0) and duplicated (must be 0), and latencies: accept (the
channel's round trip, retries included) and interaction -> offer (acceptance to the agent's
offer), p50/p99, per channel and in total. "keeps_up" is the rate achieved over the rate
asked: below 1 the generator or the system could not keep the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from switchboard.settings import Settings
from tests.support.auth import ADMIN
from tests.support.channels import AGENTS, system_toml
from tests.support.ledger import Fate, read_fates
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess
from tests.support.traffic import Sent, Traffic


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def offer_delay(item: Sent, fate: Fate | None) -> float | None:
    offered = fate.offered_at() if fate else None
    return None if offered is None else max(0.0, offered.timestamp() - item.accepted_at)


def wait_for_offers(settings: Settings, sent: list[Sent], timeout: float) -> dict[str, Fate]:
    """Until every accepted message is recorded and offered, or `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        fates = read_fates(settings)
        done = all(
            (f := fates.get(s.token)) is not None and f.offered_at() is not None for s in sent
        )
        if done or time.monotonic() > deadline:
            return fates
        time.sleep(0.5)


def summarize(
    sent: list[Sent], fates: dict[str, Fate], rate: float, seconds: float
) -> dict[str, object]:
    rows: dict[str, dict[str, float | int]] = {}
    for channel in [*sorted({s.channel for s in sent}), "total"]:
        items = [s for s in sent if channel in ("total", s.channel)]
        accepted = [s for s in items if s.accepted_at]
        recorded = [s for s in accepted if (f := fates.get(s.token)) and f.recorded]
        delays = [d for s in accepted if (d := offer_delay(s, fates.get(s.token))) is not None]
        rows[channel] = {
            "accepted": len(accepted),
            "recorded": len(recorded),
            "offered": len(delays),
            "lost": len(accepted) - len(recorded),
            "duplicated": sum(1 for s in recorded if fates[s.token].doubled()),
            "never_accepted": len(items) - len(accepted),
            "accept_p50_ms": round(percentile([s.latency for s in accepted], 0.5), 1),
            "accept_p99_ms": round(percentile([s.latency for s in accepted], 0.99), 1),
            "offer_p50_ms": round(percentile(delays, 0.5), 1),
            "offer_p99_ms": round(percentile(delays, 0.99), 1),
        }
    total = rows["total"]
    return {
        "bench": "load",
        "rate_asked": rate,
        "seconds": seconds,
        "keeps_up": round(int(total["accepted"]) / (rate * seconds), 3) if rate else None,
        "channels": rows,
    }


def print_table(summary: dict[str, object], refusals: dict[str, int]) -> None:
    rows = summary["channels"]
    assert isinstance(rows, dict)
    columns = ["accepted", "recorded", "offered", "lost", "duplicated"]
    columns += ["accept_p50_ms", "accept_p99_ms", "offer_p50_ms", "offer_p99_ms"]
    print(f"{'channel':<12}" + "".join(f"{c:>15}" for c in columns))
    for channel, row in rows.items():
        print(f"{channel:<12}" + "".join(f"{row[c]:>15}" for c in columns))
    print(f"refused then retried: {refusals or 'none'}; keeps_up={summary['keeps_up']}")


async def drive(base_url: str, smtp_port: int, rate: float, seconds: float) -> Traffic:
    async with httpx.AsyncClient(base_url=base_url, headers=ADMIN, timeout=10) as api:
        for agent in AGENTS:
            r = await api.post(f"/api/agents/{agent}/status", json={"status": "available"})
            r.raise_for_status()
    traffic = Traffic(base_url, smtp_port, phase="load")
    until = time.monotonic() + seconds
    await traffic.steady(rate, lambda: time.monotonic() < until)
    await traffic.close()
    return traffic


def main(rate: float, seconds: float, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        smtp_port = free_port()
        env = {"SWITCHBOARD_DATABASE_URL": database_url} if database_url else {}
        system = SwitchboardProcess(Path(tmp) / "sb", system_toml(smtp_port), None, env=env)
        system.start(60)
        try:
            traffic = asyncio.run(drive(system.base_url, smtp_port, rate, seconds))
            settings = Settings(data_dir=Path(tmp) / "sb" / "data", database_url=database_url)
            fates = wait_for_offers(settings, traffic.accepted(), timeout=60)
        finally:
            system.terminate()
    summary = summarize(traffic.sent, fates, rate, seconds)
    print_table(summary, dict(traffic.refusals))
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="new messages a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    main(args.rate, args.seconds, args.database_url)

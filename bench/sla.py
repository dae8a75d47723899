"""SLA deadlines and business-time arithmetic, each figure next to a baseline measured in
the same run.

    python -m bench.sla [--timers 100000] [--dues 200000] [--parts due,timers]

due     Due times on a business calendar (Europe/Berlin, Mon-Fri 08:00-12:00 and
        13:00-17:30, German public holidays), from random instants over three years and
        random targets up to 40 business hours: due times computed per second, and the
        business time between two instants (`elapsed`) per second. Baseline: plain
        `datetime + timedelta` over the same instants and targets.
timers  `--timers` SLA deadlines pending as NATS message schedules (one subject each, as the
        SLA service schedules them), due over 30 s: how late each fires (bench.routing's
        method). Baseline: the same with 1,000 pending.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.routing import pct, rounded, timers
from schemas.sla_config import CalendarConfig, HolidaySource
from services.sla.business_time import due, elapsed
from services.sla.calendars import build_calendar
from switchboard.nats_server import NatsServerProcess
from tests.support.ports import free_port

OFFICE = CalendarConfig(
    time_zone="Europe/Berlin",
    hours={d: ["08:00-12:00", "13:00-17:30"] for d in ("mon", "tue", "wed", "thu", "fri")},
    holidays=HolidaySource(country="DE"),
)


def samples(n: int, seed: int = 5) -> list[tuple[datetime, timedelta]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = 3 * 365 * 86400
    return [
        (start + timedelta(seconds=rng.uniform(0, span)), timedelta(minutes=rng.randint(1, 2400)))
        for _ in range(n)
    ]


def due_rates(n: int) -> dict[str, float]:
    cal = build_calendar(OFFICE)
    cases = samples(n)
    # Warm: a year's holidays are computed once per calendar, on first use.
    for t, a in cases[:1000]:
        due(cal, t, a)
    t0 = time.perf_counter()
    plain = [t + a for t, a in cases]
    plain_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    dues = [due(cal, t, a) for t, a in cases]
    due_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for (t, _), u in zip(cases, plain, strict=True):
        elapsed(cal, t, u)
    elapsed_s = time.perf_counter() - t0
    assert all(d >= t for d, (t, _) in zip(dues, cases, strict=True))
    return {
        "computations": n,
        "due_per_s": n / due_s,
        "elapsed_per_s": n / elapsed_s,
        "due_us": due_s / n * 1e6,
        "baseline_add_per_s": n / plain_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--dues", type=int, default=200_000)
    parser.add_argument("--parts", default="due,timers")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    result: dict[str, Any] = {"bench": "sla"}
    rows: list[tuple[str, str, float, float | None]] = []  # part, figure, value, baseline
    if "due" in parts:
        d = due_rates(args.dues)
        result["due"] = d
        base = d["baseline_add_per_s"]
        rows += [
            ("due", "due times/s (baseline: datetime + timedelta/s)", d["due_per_s"], base),
            ("due", "elapsed business time/s (same baseline)", d["elapsed_per_s"], base),
            ("due", "due time µs each", d["due_us"], None),
        ]
    if "timers" in parts:
        with tempfile.TemporaryDirectory() as tmp:
            server = NatsServerProcess(Path(tmp) / "nats", free_port())
            server.start()
            try:
                small = asyncio.run(timers(server.url, 1000))
                large = asyncio.run(timers(server.url, args.timers))
            finally:
                server.stop()
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
            figure = f"lateness {q} ms, {args.timers} pending (baseline: 1000)"
            rows.append(("timers", figure, t[f"{q}_ms"], t[f"baseline_{q}_ms"]))
    print("SLA bench")
    print(f"{'part':<8} {'figure':<52} {'value':>12} {'baseline':>12} {'ratio':>8}")
    for part, figure, value, baseline in rows:
        ratio = f"{value / baseline:8.4f}" if baseline else f"{'':>8}"
        base_text = f"{baseline:12.2f}" if baseline is not None else f"{'':>12}"
        print(f"{part:<8} {figure:<52} {value:12.2f} {base_text} {ratio}")
    print(json.dumps(rounded(result)))


if __name__ == "__main__":
    main()

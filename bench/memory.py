"""Memory: RSS of `switchboard up` as contacts accumulate (the issue: < 1 GiB at 100,000).

    python -m bench.memory [--contacts 2000] [--rate 50] [--chunk 1000] [--database-url URL]

One `up` (SQLite, or PostgreSQL with --database-url), its two agents available with room for
`--capacity` contacts each (3), offers that do not expire during the run: every contact
stays open, offered or waiting in its queue, on the board (the most routing ever holds).
With room for every contact (a large --capacity, as before session 7) each agent holds tens
of thousands of offers, which no agent ever does, and every command copies that agent: the
cost per contact grows with the run and 100,000 is out of reach. wrk posts distinct web
forms, one new customer each, paced at `--rate` a second (at about what `up` drains, so the
backlog stays small), in chunks of `--chunk`; after each chunk, once nothing is in flight
(every consumer empty, relays caught up), a checkpoint: contacts so far (INBOUND's last
sequence), RSS of `up` and, apart, of its child nats-server (JetStream's duplicate window
lives there), CPU seconds of `up`. Then the slope (MB per 1,000 contacts, least squares over
the checkpoints after the first) and the straight line's RSS at 100,000 contacts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.support import children_rss_mb, cpu_of, make_available, rss_of, settle, stop, up_target
from bench.sustained import accepted_so_far
from bench.wrk import post_forms, wrk_binary
from tests.support.channels import FORM, system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess

GOAL_CONTACTS = 100_000
GOAL_MB = 1024.0


def slope(points: list[tuple[int, float]]) -> float:
    """MB per contact, least squares."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk_binary()
    load = os.getloadavg()[0]
    env = {"SWITCHBOARD_DATABASE_URL": args.database_url} if args.database_url else {}
    checkpoints: list[dict[str, Any]] = []
    left: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        toml = system_toml(free_port(), offer_timeout=24 * 3600, capacity=args.capacity)
        up = ("up", "--processes", str(args.processes))
        system = SwitchboardProcess(Path(tmp) / "up", toml, None, up, env=env)
        system.start(120)
        try:
            target = up_target(system, args.database_url)
            asyncio.run(make_available(target.api_url))
            started = time.monotonic()
            url = f"{target.forms_url}/channels/webform/{FORM}"

            def checkpoint() -> None:
                row = {
                    "contacts": asyncio.run(accepted_so_far(target.nats_url)),
                    "rss_mb": round(rss_of(target), 1),
                    "nats_rss_mb": round(sum(children_rss_mb(pid) for pid in target.pids), 1),
                    "cpu_s": round(cpu_of(target), 1),
                    "elapsed_s": round(time.monotonic() - started, 1),
                    "load_average": round(os.getloadavg()[0], 1),
                }
                checkpoints.append(row)
                print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)

            checkpoint()
            n = 0
            while checkpoints[-1]["contacts"] < args.contacts:
                n += 1
                chunk = min(args.chunk, args.contacts - checkpoints[-1]["contacts"])
                post_forms(url, chunk / args.rate, args.connections, n * 10**9, rate=args.rate)
                left = asyncio.run(settle(target, args.settle))
                checkpoint()
                if left:
                    print(f"still in flight after {args.settle:g} s: {left}")
                    break
        finally:
            stop(system)
    points = [(c["contacts"], c["rss_mb"]) for c in checkpoints[1:]]
    per_contact = slope(points)
    last = checkpoints[-1]
    at_goal = last["rss_mb"] + per_contact * (GOAL_CONTACTS - last["contacts"])
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(f"\nload average before the run: {load:.1f}; `up` on {store}, {args.rate:g} forms/s")
    print(f"{'contacts':>10}{'RSS MB':>10}{'nats MB':>10}{'CPU s':>10}{'elapsed s':>12}")
    for c in checkpoints:
        print(
            f"{c['contacts']:>10}{c['rss_mb']:>10}{c['nats_rss_mb']:>10}{c['cpu_s']:>10}"
            f"{c['elapsed_s']:>12}"
        )
    print(
        f"slope {1000 * per_contact:.2f} MB per 1,000 contacts; straight line at "
        f"{GOAL_CONTACTS:,}: {at_goal:.0f} MB (goal < {GOAL_MB:g})"
    )
    summary = {
        "bench": "memory",
        "store": store,
        "load_average": round(load, 1),
        "rate": args.rate,
        "processes": args.processes,
        "checkpoints": checkpoints,
        "mb_per_1000_contacts": round(1000 * per_contact, 2),
        "rss_mb_at_100000_straight_line": round(at_goal, 1),
        "in_flight_at_end": left,
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="forms a second")
    parser.add_argument("--chunk", type=int, default=1000, help="contacts between checkpoints")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--capacity",
        type=int,
        default=3,
        help="each agent's room (the rest wait in the queue, open on the board)",
    )
    parser.add_argument("--settle", type=float, default=600.0, help="wait for the drain (s)")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    parser.add_argument(
        "--processes", type=int, default=1, help="`up --processes N`: RSS and CPU of both"
    )
    run(parser.parse_args())

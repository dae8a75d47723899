"""Sustained load: web forms at a fixed rate into `switchboard up`, interaction -> offer p99.

    python -m bench.sustained [--rate 200] [--seconds 60] [--search 25,50,100,150,200]
        [--step-seconds 15] [--connections N] [--database-url URL] [--processes 1,2]
        [--linger-ms 0,10] [--window-ms 0,100] [--repeat N]

wrk (Debian's, no -R) paces its requests with a Lua `delay()` that gives each request the
next slot of a fixed schedule (bench/wrk.py), and the achieved rate is reported. One `up`
(SQLite, or PostgreSQL with --database-url), its agents available with room for every
contact. In order:

1. a short search: `--step-seconds` at each rate of `--search`, ascending, until a step
   leaves something behind (the system no longer keeps up); the highest rate that passed
   is the machine's sustainable rate;
2. `--seconds` at that rate, then `--seconds` at `--rate` (the issue's goal: 200/s for 60 s);
   `--seconds 0`: the search alone.

A step passes when wrk achieved >= 95 % of the rate asked, the interaction -> offer p99
is under 100 ms and nothing is left behind. Interaction -> offer is read from the history
store: the interaction's time (ingest accepted it) to its contact's AgentOffered event.
Nothing left behind: every accepted form (INBOUND's count) recorded once and offered, and,
after waiting up to `--settle` seconds, every consumer empty and every relay caught up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import nats

from bench.load import percentile
from bench.machine import MachineTime
from bench.support import (
    Target,
    cpu_of,
    form_fates,
    layouts,
    make_available,
    nats_messages,
    settle,
    stop,
    up_target,
    with_nats_monitor,
)
from bench.wrk import post_forms, wrk_binary
from switchboard.jetstream import INBOUND
from tests.support.channels import FORM, system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess

P99_GOAL_MS = 100.0
IDLE_SECONDS = 5.0


async def accepted_so_far(nats_url: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return int((await nc.jetstream().stream_info(INBOUND)).state.last_seq)
    finally:
        await nc.close()


def step(
    target: Target, rate: float, seconds: float, connections: int, number: int, wait: float
) -> dict[str, Any]:
    """One paced run; its forms are numbered from `number` * 10**9 (bench.wrk's offset)."""
    before = asyncio.run(accepted_so_far(target.nats_url))
    cpu, messages, machine = cpu_of(target), nats_messages(target), MachineTime.now()
    url = f"{target.forms_url}/channels/webform/{FORM}"
    # Enough connections for a quarter of a second of requests in flight, and no more: a
    # connection idle longer than uvicorn's keep-alive (5 s) is closed under wrk.
    connections = connections or max(2, min(128, math.ceil(rate / 4)))
    sent = post_forms(url, seconds, connections, number * 10**9, rate=rate)
    accepted = asyncio.run(accepted_so_far(target.nats_url)) - before
    # Counted as wrk stops (the last contacts a moment short): settle's polls are not up's.
    messages = nats_messages(target) - messages
    started = time.monotonic()
    left = asyncio.run(settle(target, wait))
    settled_s = time.monotonic() - started
    fates = form_fates(target.settings, number * 10**9, (number + 1) * 10**9)
    p99 = percentile(fates.offer_delays, 0.99)
    behind = fates.recorded - fates.offered
    result = {
        "rate_asked": rate,
        "rate_achieved": round(sent.rate, 1),
        "seconds": round(sent.seconds, 1),
        "connections": connections,
        "accepted": accepted,
        "wrk_errors": sent.non_2xx + sent.socket_errors,
        "accept_p99_ms": round(sent.p99_ms, 1),
        "recorded": fates.recorded,
        "offered": fates.offered,
        "doubled": fates.doubled,
        "offer_p50_ms": round(percentile(fates.offer_delays, 0.5), 1),
        "offer_p99_ms": round(p99, 1),
        "offer_max_ms": round(percentile(fates.offer_delays, 1.0), 1),
        "settled_after_s": round(settled_s, 1),
        "left_behind": behind,
        "in_flight": left,
        "cpu_ms_per_contact": round(1000 * (cpu_of(target) - cpu) / max(accepted, 1), 1),
        "nats_msgs_per_contact": round(messages / max(accepted, 1), 1),
        "load_average": round(os.getloadavg()[0], 1),
        **MachineTime.now().since(machine).shares(),
    }
    result["passed"] = (
        sent.rate >= 0.95 * rate
        and p99 < P99_GOAL_MS
        and behind == 0
        and not left
        and not fates.doubled
        and fates.recorded >= accepted
    )
    print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Each layout of `--processes`, each with each `--linger-ms` and `--window-ms`, in
    turn, `--repeat` times over (A, B, A, B: a change in the machine falls on both); with
    two variants, each search step's median for each (the same machine, minutes apart)."""
    lingers = [float(ms) for ms in args.linger_ms.split(",")]
    windows = [float(ms) for ms in args.window_ms.split(",")]
    variants = [
        Variant(n, linger, window)
        for n in layouts(args.processes, None)
        for linger in lingers
        for window in windows
    ]
    if args.database_url and len(variants) * args.repeat > 1:
        raise SystemExit("--database-url is one empty database: one variant, once, per run")
    runs = [(v, run_layout(args, v)) for _ in range(args.repeat) for v in variants]
    if len(runs) == 1:
        return runs[0][1]
    compared: dict[str, Any] = {"bench": "sustained_variants", "repeat": args.repeat}
    for variant in variants:
        mine = [summary for v, summary in runs if v == variant]
        steps: dict[str, list[dict[str, Any]]] = {}
        for summary in mine:
            for s in summary["search"]:
                steps.setdefault(f"{s['rate_asked']:g}", []).append(s)
        compared[str(variant)] = {
            rate: {
                key: round(statistics.median(s[key] for s in found), 1)
                for key in ("offer_p50_ms", "offer_p99_ms", "cpu_ms_per_contact")
            }
            | {"passed": f"{sum(s['passed'] for s in found)}/{len(found)}"}
            for rate, found in steps.items()
        }
    print("\nmedians of each variant's search steps, by rate:")
    for name, by_rate in list(compared.items())[2:]:
        print(f"  {name}: " + "; ".join(f"{r}/s {v}" for r, v in by_rate.items()))
    print(json.dumps(compared))
    return compared


class Variant(NamedTuple):
    processes: int
    linger_ms: float
    window_ms: float

    def __str__(self) -> str:
        return (
            f"processes {self.processes}, linger {self.linger_ms:g} ms,"
            f" window {self.window_ms:g} ms"
        )


def run_layout(args: argparse.Namespace, variant: Variant) -> dict[str, Any]:
    wrk_binary()
    load = os.getloadavg()[0]
    processes = variant.processes
    env = {"SWITCHBOARD_DATABASE_URL": args.database_url} if args.database_url else {}
    env["SWITCHBOARD_BATCH_LINGER_MS"] = str(variant.linger_ms)
    env["SWITCHBOARD_BATCH_WINDOW_MS"] = str(variant.window_ms)
    env = with_nats_monitor(env)
    with tempfile.TemporaryDirectory() as tmp:
        # Offers stay open for the whole run: an expiring offer would be offered again,
        # traffic of its own that is not what is measured here.
        toml = system_toml(free_port(), offer_timeout=3600)
        up = ("up", "--processes", str(processes))
        system = SwitchboardProcess(Path(tmp) / "up", toml, None, up, env=env)
        system.start(120)
        try:
            target = up_target(system, args.database_url)
            asyncio.run(make_available(target.api_url))
            # What `up` burns with nothing coming in (timers, polls): at a low rate it is
            # much of the CPU per contact.
            idle_from, messages_from = cpu_of(target), nats_messages(target)
            time.sleep(IDLE_SECONDS)
            idle = (cpu_of(target) - idle_from) / IDLE_SECONDS
            idle_messages = (nats_messages(target) - messages_from) / IDLE_SECONDS
            searched: list[dict[str, Any]] = []
            for n, rate in enumerate(float(r) for r in args.search.split(",") if r):
                searched.append(
                    step(target, rate, args.step_seconds, args.connections, n + 1, args.settle)
                )
                if searched[-1]["left_behind"] or searched[-1]["in_flight"]:
                    break  # it no longer keeps up: higher rates only add backlog
            passed = [s["rate_asked"] for s in searched if s["passed"]]
            sustainable = max(passed, default=None)
            runs = {}
            if args.seconds and sustainable is not None and sustainable != args.rate:
                runs["sustainable"] = step(
                    target, sustainable, args.seconds, args.connections, 100, args.settle
                )
            if args.seconds:  # 0: the search alone
                runs["goal"] = step(
                    target, args.rate, args.seconds, args.connections, 101, args.settle
                )
        finally:
            stop(system)
    store = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"\nload average before the run: {load:.1f}; `up --processes {processes}` on {store}"
        f", batches linger {variant.linger_ms:g} ms, window {variant.window_ms:g} ms",
        end="",
    )
    print(f"; wrk -t1, -c{args.connections or 'rate / 4'}")
    columns = ["rate_asked", "rate_achieved", "accepted", "offered", "left_behind", "doubled"]
    columns += ["offer_p50_ms", "offer_p99_ms", "cpu_ms_per_contact", "nats_msgs_per_contact"]
    columns += ["machine_stolen", "passed"]
    print(f"{'':<14}" + "".join(f"{c:>19}" for c in columns))
    rows = [(f"search {i + 1}", s) for i, s in enumerate(searched)] + list(runs.items())
    for name, row in rows:
        print(f"{name:<14}" + "".join(f"{row[c]!s:>19}" for c in columns))
    print(f"max sustainable rate of the search (p99 < {P99_GOAL_MS:g} ms): {sustainable}")
    print(f"`up` idle: {1000 * idle:.0f} ms of CPU and {idle_messages:.0f} NATS messages a second")
    summary = {
        "bench": "sustained",
        "store": store,
        "processes": processes,
        "linger_ms": variant.linger_ms,
        "window_ms": variant.window_ms,
        "load_average": round(load, 1),
        "connections": args.connections,
        "idle_cpu_ms_per_s": round(1000 * idle),
        "idle_nats_msgs_per_s": round(idle_messages),
        "search": searched,
        "sustainable_rate": sustainable,
        **runs,
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="the goal's rate (forms/s)")
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="of the goal's run (0: the search alone)"
    )
    parser.add_argument("--search", default="25,50,100,150,200", help="rates to try, ascending")
    parser.add_argument("--step-seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=0, help="0: a quarter of the rate")
    parser.add_argument("--settle", type=float, default=300.0, help="wait for the drain (s)")
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    parser.add_argument(
        "--processes", default="1", help="`up --processes N`; 1,2: each in turn, 2 against 1"
    )
    parser.add_argument(
        "--linger-ms", default="10", help="SWITCHBOARD_BATCH_LINGER_MS; 0,10: each in turn"
    )
    parser.add_argument(
        "--window-ms", default="100", help="SWITCHBOARD_BATCH_WINDOW_MS; 0,100: each in turn"
    )
    parser.add_argument("--repeat", type=int, default=1, help="the variants, alternated")
    run(parser.parse_args())

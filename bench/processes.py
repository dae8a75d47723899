"""One process or one per service: the same burst into `switchboard up` and into
`switchboard serve <service>` processes, in one run.

    python -m bench.processes [--seconds 4] [--connections 32] [--rounds 2] [--postgres]

Round "up": `up` as people run it (child nats-server, SQLite under its data directory, or
PostgreSQL with --postgres). Round "processes": ingest, routing, history, notifier, reports
and sla each as its own `switchboard serve` process on one nats-server (no credentials:
loopback only, as the tests run it) and the same store (one SQLite data directory shared
by every process, as `up` keeps it, or one PostgreSQL database), with
SWITCHBOARD_INBOUND_BATCH=64: with one replica of each service every partition has one
reader, so batches are safe there (docs/capacity.md, "Ordering fence"). Each round is
bench.burst's burst: wrk posting distinct web forms for `--seconds`, then the drain; the
rounds alternate `--rounds` times. Reported per layout: accepted/s, routed/s, drain ratio,
CPU per contact summed over its processes (nats-server not counted in either), RSS summed,
and processes ÷ up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.burst import burst, up_burst
from bench.support import Target
from bench.wrk import wrk_binary
from switchboard.cli import SERVICES
from switchboard.nats_server import NatsServerProcess
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.service_processes import ServiceProcesses

KEYS = ["accepted_per_s", "routed_per_s", "recorded_per_s", "drain_ratio", "history_ratio"]
KEYS += ["cpu_ms_per_contact", "rss_mb", "machine_busy", "machine_stolen"]


def processes_burst(
    workdir: Path,
    seconds: float,
    connections: int,
    database_url: str | None,
    drain_limit: float,
    groups: tuple[str, ...] = SERVICES,
) -> dict[str, Any]:
    server = NatsServerProcess(workdir / "nats", free_port())
    server.start()
    system = ServiceProcesses(
        workdir,
        system_toml(free_port()),
        server.url,
        database_url,
        env={"SWITCHBOARD_INBOUND_BATCH": "64"},
        names=groups,
    )
    try:
        asyncio.run(system.start(timeout=240.0))  # six processes starting on a busy machine
        pids = [p.proc.pid for p in system.procs.values() if p.proc is not None]
        target = Target(
            system.url(_group_of("ingest", groups)),
            system.url(_group_of("routing", groups)),
            server.url,
            pids,
            system.settings,
        )
        return asyncio.run(burst(target, seconds, connections, drain_limit))
    finally:
        system.stop()
        server.stop()


def _group_of(service: str, groups: tuple[str, ...]) -> str:
    return next(g for g in groups if service in g.split(","))


def run(args: argparse.Namespace, urls: list[str | None]) -> dict[str, Any]:
    wrk_binary()
    load = os.getloadavg()[0]
    rounds: dict[str, list[dict[str, Any]]] = {"up": [], "processes": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.rounds):
            for layout in rounds:
                url = urls.pop(0)
                workdir = Path(tmp) / f"{layout}-{n}"
                if layout == "up":
                    result, _ = up_burst(
                        workdir, args.seconds, args.connections, url, False, args.drain_limit
                    )
                else:
                    result = processes_burst(
                        workdir,
                        args.seconds,
                        args.connections,
                        url,
                        args.drain_limit,
                        tuple(args.groups.split()) if args.groups else SERVICES,
                    )
                result["load_average"] = round(os.getloadavg()[0], 1)
                print(layout, json.dumps(result), flush=True)
                rounds[layout].append(result)
    mean = {
        layout: {k: round(sum(r[k] for r in rs) / len(rs), 3) for k in KEYS}
        for layout, rs in rounds.items()
    }
    ratios = {
        k: round(mean["processes"][k] / mean["up"][k], 2) if mean["up"][k] else None for k in KEYS
    }
    store = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\nload average before the run: {load:.1f}; {store}; wrk -t1 -c{args.connections}")
    print(f"mean of {args.rounds} alternated rounds, {args.seconds:g} s of wrk each")
    print(f"{'':<22}{'up':>12}{'processes':>12}{'proc. / up':>12}")
    for k in KEYS:
        print(f"{k:<22}{mean['up'][k]!s:>12}{mean['processes'][k]!s:>12}{ratios[k]!s:>12}")
    lost = [r["left_behind"] for rs in rounds.values() for r in rs if r["left_behind"]]
    print(f"left behind after the drain limit: {lost or 'nothing'}")
    summary = {
        "bench": "processes",
        "store": store,
        "load_average": round(load, 1),
        "rounds": rounds,
        "mean": mean,
        "processes_to_up": ratios,
    }
    print(json.dumps(summary))
    return summary


def main(args: argparse.Namespace) -> dict[str, Any]:
    count = 2 * args.rounds
    if not args.postgres:
        return run(args, [None] * count)
    pg = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="switchboard-processes-pg-")))
    pg.start()
    try:
        urls: list[str | None] = [pg.create_database(f"processes_{n}") for n in range(count)]
        return run(args, urls)
    finally:
        pg.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="wrk's burst")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2, help="alternated rounds per layout")
    parser.add_argument("--postgres", action="store_true", help="on a throwaway PostgreSQL")
    parser.add_argument("--drain-limit", type=float, default=300.0, help="give up after (s)")
    parser.add_argument(
        "--groups",
        help='services per process, e.g. "ingest,routing,notifier,reports,sla history"'
        " (default: one process each)",
    )
    main(parser.parse_args())

"""A burst of web forms: how fast `switchboard up` drains it, and what ingest alone costs.

    python -m bench.burst [--seconds 4] [--connections 32] [--ingest-seconds 4] [--profile [gil]]
        [--one-at-a-time] [--database-url URL] [--ingest-only] [--ingest-rounds 2]
        [--ingest-baseline GIT_REF] [--capacity N] [--watch] [--forms N] [--rate R]
        [--processes 1,2]

All HTTP load comes from wrk (Debian's C load generator, installed with apt-get when
missing), posting distinct web forms, one customer each. In one run:

1. ingest alone: `switchboard serve ingest` in its own process on a fresh nats-server,
   against a bare FastAPI handler (bench/bare_publish.py) doing the same JetStream publish
   under the same uvicorn settings, alternated `--ingest-rounds` times (2) for
   `--ingest-seconds` each: accepted/s and the ratio ingest ÷ bare (the issue's goal:
   >= 0.8); `--ingest-baseline main` adds `serve ingest` as of that git revision to the
   alternation (before and after in one run), `--ingest-only` stops there
   (bench/ingest_alone.py).
2. burst drain: `switchboard up` (child nats-server, SQLite; or PostgreSQL with
   `--database-url`, an empty database, or `--postgres`, a throwaway one) with its agents
   available, wrk for `--seconds` (or until `--forms` forms are answered, paced to `--rate`
   a second if given: the same burst arriving the same way each time, which is what an A/B
   of two revisions needs, for cost per contact moves with a burst's size and pace, and a
   timed burst's size moves with the machine);
   accepted = what INBOUND holds, accepted/s over wrk's time; then the time from the first
   request until every accepted form's contact is in a queue (routed: routing knows whose
   it is, after history named the customer or the identify deadline passed; EVENTS'
   ContactQueued count), and until routing's (opened) and history's INBOUND consumers
   have nothing pending; drain = routed/s ÷ accepted/s (goal >= 0.5; before session 7
   "routed" was only "opened", which comes before history's answer); then until no
   consumer of INBOUND or EVENTS has anything left (settled: the reports wait while
   contacts are behind, switchboard/precedence.py).
   CPU seconds and RSS of `up` afterwards;
   with `--profile`, py-spy samples `up` from the burst to the end of the drain and the
   functions on the stack most often are printed (`--profile gil`: only the thread holding
   the GIL, where Python's CPU goes; bench/pyspy.py says why both). `--one-at-a-time`
   first runs the same burst into `up` configured as before batches (SWITCHBOARD_INBOUND_BATCH=1,
   SWITCHBOARD_SQLITE_SYNCHRONOUS=FULL) and prints both side by side, with their ratios.
   The two agents have room for every contact (each offered at once: each agent then holds
   thousands of offers, which every offer copies); `--capacity 3` gives them a desk's room,
   and the rest of the burst waits in the queue, as in a real center. `--watch` prints,
   every 2 s, each consumer's unfinished messages and how far routing's and history's
   relays are behind their stores (bench/backlog.py): where the backlog sits.
   `--processes 1,2` bursts into `up --processes 1`, then `up --processes 2` (history,
   reports and SLA in a child: switchboard/child_services.py; its CPU and RSS count as
   `up`'s), each on an empty store, and prints them side by side with their ratios.
   `--profile` samples `up` itself, not the child.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import nats
from nats.js import JetStreamContext

from bench import ingest_alone as alone
from bench.backlog import Sample, Watch, unfinished
from bench.machine import MachineTime
from bench.pyspy import Profile, by_package
from bench.support import (
    BENCH_CONNECTION,
    Target,
    children_cpu,
    cpu_of,
    layouts,
    make_available,
    nats_messages,
    rss_of,
    stop,
    up_target,
    with_nats_monitor,
)
from bench.wrk import post_forms, wrk_binary
from switchboard.inbound_consumers import inbound_consumer_names
from switchboard.jetstream import EVENTS, INBOUND, ensure_streams
from switchboard.nats_server import NatsServerProcess
from tests.support.channels import FORM, system_toml
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.process import SwitchboardProcess

PARTITIONS = 4  # Settings.inbound_partitions' default


def ingest_alone(
    tmp: Path, seconds: float, connections: int, rounds: int = 2, baseline: str | None = None
) -> dict[str, Any]:
    server = NatsServerProcess(tmp / "nats-ingest", free_port())
    server.start()
    try:
        asyncio.run(_streams(server.url))
        return alone.ingest_alone(tmp, server.url, seconds, connections, rounds, baseline)
    finally:
        server.stop()


async def _streams(url: str) -> None:
    nc = await nats.connect(url)
    await ensure_streams(nc.jetstream(), 3600, inbound_partitions=PARTITIONS)
    await nc.close()


async def backlog(js: JetStreamContext, service: str) -> int:
    total = 0
    for name in inbound_consumer_names(service, PARTITIONS):
        info = await js.consumer_info(INBOUND, name)
        total += info.num_pending + info.num_ack_pending
    return total


async def queued(js: JetStreamContext) -> int:
    """Contacts routing has put in a queue, its decision of whose they are (each new web
    form's contact once): the issue's "routing queued them"."""
    info = await js.stream_info(EVENTS, subjects_filter=QUEUED)
    return sum((info.state.subjects or {}).values())


QUEUED = "sb.events.routing.ContactQueued"


async def settle(js: JetStreamContext, started: float, limit: float) -> float | None:
    """Seconds from the burst's start until no consumer has anything left, twice in a row
    half a second apart (a relay may be about to publish what a consumer then takes);
    None after `limit`."""
    quiet = 0
    while time.monotonic() - started < limit:
        quiet = quiet + 1 if not any((await unfinished(js)).values()) else 0
        if quiet == 2:
            return time.monotonic() - started - 0.5
        await asyncio.sleep(0.5)
    return None


async def burst(
    target: Target,
    seconds: float,
    connections: int,
    drain_limit: float,
    watch: bool = False,
    forms: int | None = None,
    rate: float | None = None,
) -> dict[str, Any]:
    await make_available(target.api_url)
    nc = await nats.connect(target.nats_url, name=BENCH_CONNECTION)
    js = nc.jetstream()
    watcher = Watch(js, target.settings.data_dir) if watch else None
    before = (await js.stream_info(INBOUND)).state.messages
    messages_before = nats_messages(target)
    queued_before = await queued(js)
    cpu_before, machine_before = cpu_of(target), MachineTime.now()
    nats_before = children_cpu(target)
    started = time.monotonic()
    watching = asyncio.create_task(watcher.run(started)) if watcher else None
    url = f"{target.forms_url}/channels/webform/{FORM}"
    sent = await asyncio.to_thread(post_forms, url, seconds, connections, 10**12, rate, forms)
    accepted = (await js.stream_info(INBOUND)).state.messages - before
    drained: dict[str, float] = {}
    left: dict[str, int] = {}
    while len(drained) < 3 and time.monotonic() - started < drain_limit:
        for service in ("routing", "history"):
            if service not in drained:
                left[service] = await backlog(js, service)
                if not left[service]:
                    drained[service] = time.monotonic() - started
        if "queued" not in drained:
            left["queued"] = max(accepted - (await queued(js) - queued_before), 0)
            if not left["queued"]:
                drained["queued"] = time.monotonic() - started
        await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started
    # Then the rest of the work the burst made (the reports wait while contacts are behind,
    # switchboard/precedence.py), so that the CPU a contact cost counts all of it.
    settled = await settle(js, started, drain_limit) if len(drained) == 3 else None
    machine = MachineTime.now().since(machine_before)
    if watching is not None:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
    await nc.close()
    accepted_per_s = accepted / sent.seconds

    def per_s(service: str) -> float:
        done = accepted - (0 if service in drained else left[service])
        return done / drained.get(service, elapsed)

    return {
        "accepted": accepted,
        "wrk_ok": sent.ok,
        "wrk_errors": sent.non_2xx + sent.socket_errors,
        "accepted_per_s": round(accepted_per_s, 1),
        "accept_p99_ms": None if math.isnan(sent.p99_ms) else round(sent.p99_ms, 1),
        "routed_per_s": round(per_s("queued"), 1),
        "opened_per_s": round(per_s("routing"), 1),
        "recorded_per_s": round(per_s("history"), 1),
        "routed_in_s": round(drained.get("queued", -1), 1),
        "opened_in_s": round(drained.get("routing", -1), 1),
        "history_drained_s": round(drained.get("history", -1), 1),
        "settled_in_s": round(settled, 1) if settled is not None else None,
        "left_behind": {s: left[s] for s in left if s not in drained},
        "drain_ratio": round(per_s("queued") / accepted_per_s, 3),
        "opened_ratio": round(per_s("routing") / accepted_per_s, 3),
        "history_ratio": round(per_s("history") / accepted_per_s, 3),
        "cpu_ms_per_contact": round(1000 * (cpu_of(target) - cpu_before) / max(accepted, 1), 1),
        "nats_cpu_ms_per_contact": round(
            1000 * (children_cpu(target) - nats_before) / max(accepted, 1), 2
        ),
        "nats_msgs_per_contact": round(
            (nats_messages(target) - messages_before) / max(accepted, 1), 1
        ),
        **machine.shares(),
        "rss_mb": round(rss_of(target), 1),
        **({"backlog": [b.as_json() for b in watcher.samples]} if watcher else {}),
    }


# How `up` ran before issue 17's batches: one message in flight per partition, an fsync per
# SQLite commit (uvloop, httptools and the aggregate cache stay: they are not settings).
ONE_AT_A_TIME = {"SWITCHBOARD_INBOUND_BATCH": "1", "SWITCHBOARD_SQLITE_SYNCHRONOUS": "FULL"}


def up_burst(
    tmp: Path,
    seconds: float,
    connections: int,
    database_url: str | None,
    profile: bool | str,
    drain_limit: float,
    settings: dict[str, str] | None = None,
    capacity: int = 100_000,
    watch: bool = False,
    forms: int | None = None,
    rate: float | None = None,
    processes: int = 1,
) -> tuple[dict[str, Any], dict[str, float]]:
    env = {"SWITCHBOARD_DATABASE_URL": database_url} if database_url else {}
    env.update(settings or {})
    env = with_nats_monitor(env)
    toml = system_toml(free_port(), capacity=capacity)
    system = SwitchboardProcess(tmp, toml, None, ("up", "--processes", str(processes)), env=env)
    system.start(120)
    spy: Profile | None = None
    try:
        assert system.proc is not None
        if profile:
            out = Path(tempfile.mkstemp(prefix="burst-profile-", suffix=".txt")[1])
            spy = Profile(system.proc.pid, out, gil=profile == "gil")
        target = up_target(system, database_url)
        result = asyncio.run(burst(target, seconds, connections, drain_limit, watch, forms, rate))
    finally:
        shares = spy.stop() if spy else {}
        if spy:
            shares = {f"[self] {k}": v for k, v in by_package(spy.output).items()} | shares
            print(f"py-spy's collapsed stacks: {spy.output}")
        stop(system)
    return result, shares


def main(args: argparse.Namespace) -> dict[str, Any]:
    wrk_binary()
    args.layouts = layouts(args.processes, args.database_url)  # --postgres: one database each
    if args.postgres:
        pg = ThrowawayPostgres(Path(tempfile.mkdtemp(prefix="switchboard-burst-pg-")))
        pg.start()
        try:
            if args.one_at_a_time:
                args.url_one_at_a_time = pg.create_database("burst_one_at_a_time")
            # An empty database for each layout's burst.
            args.urls = {n: pg.create_database(f"burst_{n}") for n in args.layouts}
            args.database_url = args.urls[args.layouts[0]]
            return run(args)
        finally:
            pg.stop()
    return run(args)


def run(args: argparse.Namespace) -> dict[str, Any]:
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        ingest = ingest_alone(
            Path(tmp),
            args.ingest_seconds,
            args.connections,
            args.ingest_rounds,
            args.ingest_baseline,
        )
        if args.ingest_only:
            alone.print_table(ingest, args.connections)
            summary = {"bench": "burst", "load_average": round(load, 1), "ingest": ingest}
            print(f"load average before the run: {load:.1f}")
            print(json.dumps(summary))
            return summary
        baseline: dict[str, Any] | None = None
        if args.one_at_a_time:
            baseline, _ = up_burst(
                Path(tmp) / "up-one-at-a-time",
                args.seconds,
                args.connections,
                getattr(args, "url_one_at_a_time", args.database_url),
                False,
                args.drain_limit,
                ONE_AT_A_TIME,
                args.capacity,
                forms=args.forms,
                rate=args.rate,
            )
        by_layout: dict[int, dict[str, Any]] = {}
        for processes in args.layouts:
            by_layout[processes], shares = up_burst(
                Path(tmp) / f"up-{processes}",
                args.seconds,
                args.connections,
                getattr(args, "urls", {}).get(processes, args.database_url),
                args.profile,
                args.drain_limit,
                capacity=args.capacity,
                watch=args.watch,
                forms=args.forms,
                rate=args.rate,
                processes=processes,
            )
        drain = by_layout[next(iter(by_layout))]
        if len(by_layout) > 1:  # the first layout is the baseline: `up` as one process
            baseline, drain = drain, by_layout[list(by_layout)[-1]]
    layout_names = tuple(
        f"{n} process{'es' if n > 1 else ''}" for n in list(by_layout)[:1] + list(by_layout)[-1:]
    )
    print(f"load average before the run: {load:.1f}; wrk -t1 -c{args.connections}")
    alone.print_table(ingest, args.connections)
    store = "PostgreSQL" if args.database_url else "SQLite"
    size = f"{args.forms} forms" if args.forms else f"{args.seconds:g} s"
    size += f" at {args.rate:g}/s" if args.rate else ""
    print(f"\nburst into switchboard up ({store}), {size} of wrk")
    if baseline is None:
        for key, value in drain.items():
            if key != "backlog":
                print(f"  {key:<22}{value}")
    else:
        first, last = ("one at a time", "batches") if args.one_at_a_time else layout_names
        print(f"  {'':<22}{first:>16}{last:>16}")
        for key, value in drain.items():
            if key != "backlog":
                print(f"  {key:<22}{baseline[key]!s:>16}{value!s:>16}")
    if args.watch:
        print("\nwhere the backlog sat (relay lag: stored, not yet published)")
        for sample in drain.get("backlog", []):
            print(Sample(sample["at"], sample["relay_lag"], sample["pending"]).line())
    if shares:
        print("\npy-spy: share of busy samples in each package ([self]: innermost frame)")
        print("and with each function on the stack")
        for name, share in shares.items():
            print(f"  {share:>6.1%}  {name}")
    summary = {
        "bench": "burst",
        "store": store,
        "load_average": round(load, 1),
        "ingest": ingest,
        "up": drain,
    }
    if baseline is not None and not args.one_at_a_time:
        summary["up_processes"] = {str(n): by_layout[n] for n in by_layout}
        for key in ("routed_per_s", "drain_ratio", "cpu_ms_per_contact", "rss_mb"):
            summary[f"{key}_{layout_names[1]}_to_{layout_names[0]}".replace(" ", "_")] = round(
                drain[key] / max(baseline[key], 1e-9), 2
            )
    elif baseline is not None:
        summary["up_one_at_a_time"] = baseline
        summary["drain_ratio_batches_to_one_at_a_time"] = round(
            drain["drain_ratio"] / max(baseline["drain_ratio"], 1e-9), 2
        )
        summary["cpu_per_contact_batches_to_one_at_a_time"] = round(
            drain["cpu_ms_per_contact"] / max(baseline["cpu_ms_per_contact"], 1e-9), 2
        )
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="wrk's burst into up")
    parser.add_argument(
        "--forms",
        type=int,
        default=None,
        help="a burst of this many forms instead (wrk stops at the nth answer or --seconds)",
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="wrk paced to this many forms a second (with --forms: the same arrival each run)",
    )
    parser.add_argument("--ingest-seconds", type=float, default=4.0)
    parser.add_argument("--ingest-rounds", type=int, default=2, help="alternations per server")
    parser.add_argument(
        "--ingest-baseline",
        metavar="GIT_REF",
        default=None,
        help="also `serve ingest` as of this revision (e.g. main), in the same alternation",
    )
    parser.add_argument("--ingest-only", action="store_true", help="part 1 only, no `up`")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--database-url", default=None, help="an empty PostgreSQL database")
    parser.add_argument(
        "--postgres", action="store_true", help="on a throwaway PostgreSQL (Debian's binaries)"
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="busy",
        choices=["busy", "gil"],
        help="py-spy `up` during the burst: every busy thread, or (gil) the GIL's holder",
    )
    parser.add_argument(
        "--one-at-a-time",
        action="store_true",
        help="first a burst into up as before batches (one in flight, fsync per commit)",
    )
    parser.add_argument(
        "--processes",
        default="1",
        help="`up --processes N`; 1,2: a burst into each in one run, 2 as a ratio to 1",
    )
    parser.add_argument("--drain-limit", type=float, default=300.0, help="give up after (s)")
    parser.add_argument(
        "--capacity",
        type=int,
        default=100_000,
        help="each of the two agents' room: all offered at once (default), or most queued",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="every 2 s of the drain: each consumer's unfinished messages, each relay's lag",
    )
    main(parser.parse_args())

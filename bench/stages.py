"""Where a contact's time goes: a burst into `switchboard up` with traces on, per stage.

    python -m bench.stages [--seconds 3] [--connections 32]

One run, two bursts of distinct web forms from wrk (bench/burst.py's `burst`): first with
the JSON-lines exporter on (SWITCHBOARD_TRACE_FILE), then with traces off, each `up` left
running as long past its drain (until every span is written, at least 10 s). Prints

1. p50/p99 duration of each span name (docs/tracing.md), with how many there were;
2. interaction -> offer latency split along its path: HTTP accept and JetStream publish,
   the wait in INBOUND, history's batch (until the message's decision starts on the store's
   thread, then until the batch is committed), history's relay, the wait in
   EVENTS, routing's identity consumer up to the commit that queues and offers it;
3. what tracing costs: drain ratio and CPU per contact with traces off and on (to the
   drain, and all of it, the same time past the drain in both).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import re
import signal
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bench.burst import burst
from bench.scale import cpu_seconds
from bench.support import up_target
from bench.wrk import wrk_binary
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess

Span = dict[str, Any]

# The SDK's batch processor drops spans past its queue; a burst makes ~40 per contact.
TRACED = {
    "OTEL_BSP_MAX_QUEUE_SIZE": "400000",
    "OTEL_BSP_MAX_EXPORT_BATCH_SIZE": "4096",
    "OTEL_BSP_SCHEDULE_DELAY": "1000",
}
_ID = re.compile(r"\.[0-9a-f]{8}-[0-9a-f-]{27}|\.\d+(?=\.)")


def stage(span: Span) -> str:
    """A span's stage: its name, FastStream's (subject + action) with the consumer and
    without the ids in timer subjects."""
    consumer = span["attributes"].get("sb.consumer")
    if span["kind"] == "SERVER":
        return "HTTP accept (ingest)"
    if span["name"].endswith(" process") and consumer:
        return f"consume {consumer}"
    return _ID.sub(".*", span["name"])


def quantiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (values[0], values[0]) if values else (0.0, 0.0)
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[98]


def per_stage(spans: Iterable[Span]) -> dict[str, dict[str, float]]:
    durations: dict[str, list[float]] = defaultdict(list)
    for span in spans:
        durations[stage(span)].append((span["end"] - span["start"]) / 1e6)
    table = {}
    for name, values in durations.items():
        p50, p99 = quantiles(values)
        table[name] = {
            "count": len(values),
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "total_s": round(sum(values) / 1000, 2),
        }
    return dict(sorted(table.items(), key=lambda kv: -kv[1]["total_s"]))


SEGMENTS = (
    "accept + publish",  # HTTP request start -> JetStream acked the publish
    "wait in INBOUND",  # -> history's batch takes the message
    "history batch -> its decision",  # -> its decision starts on the store's thread
    "decision -> batch committed",  # -> the batch's commit ends (the rest of the batch)
    "history store -> relay",  # -> its relay publishes CustomerIdentified
    "relay -> routing",  # -> routing's identity consumer starts on it
    "routing queues + offers",  # -> the commit that queues the contact and offers it
)


def latency_split(spans: list[Span]) -> dict[str, Any]:
    """Per trace (one web form each), the interaction -> offer path cut into SEGMENTS."""
    traces: dict[str, list[Span]] = defaultdict(list)
    commit_of: dict[str, Span] = {}  # a batch's decision -> its transaction's commit
    for span in spans:
        traces[span["trace_id"]].append(span)
        if span["name"].endswith(".commit"):
            for link in span["links"]:
                commit_of[link["span_id"]] = span
    cuts: dict[str, list[float]] = defaultdict(list)
    complete = 0
    for trace in traces.values():
        points = _path(trace, commit_of)
        if points is None:
            continue
        complete += 1
        for name, (a, b) in zip(SEGMENTS, itertools.pairwise(points), strict=True):
            cuts[name].append((b - a) / 1e6)
        cuts["interaction -> offer"].append((points[-1] - points[0]) / 1e6)
    result: dict[str, Any] = {"traces": len(traces), "complete": complete}
    for name, values in cuts.items():
        p50, p99 = quantiles(values)
        result[name] = {"p50_ms": round(p50, 2), "p99_ms": round(p99, 2)}
    return result


def _path(trace: list[Span], commit_of: dict[str, Span]) -> list[int] | None:
    def first(pred: Any) -> Span | None:
        found = [s for s in trace if pred(s)]
        return min(found, key=lambda s: s["start"]) if found else None

    def child(parent: Span | None, name: str, **attrs: str) -> Span | None:
        if parent is None:
            return None
        return first(
            lambda s: (
                s["parent_id"] == parent["span_id"]
                and (s["name"] == name or not name)
                and all(s["attributes"].get(k) == v for k, v in attrs.items())
            )
        )

    http = first(lambda s: s["kind"] == "SERVER")
    publish = child(http, "ingest.publish")
    inbound = first(
        lambda s: (
            s["name"] == "history.inbound"
            and publish is not None
            and s["parent_id"] == publish["span_id"]
        )
    )
    decide = child(inbound, "history.decide")
    if decide is None:
        return None
    commit = child(decide, "history.commit") or commit_of.get(decide["span_id"])
    relay = child(
        decide,
        "history.relay",
        **{"messaging.destination.name": "sb.events.history.CustomerIdentified"},
    )
    # Routing may have to wait for its own ContactOpened (NotYet): the attempt that commits.
    identities = offered = None
    for attempt in sorted(trace, key=lambda s: s["start"]):
        if relay is not None and attempt["parent_id"] == relay["span_id"]:
            offered = child(attempt, "routing.commit")
            if offered is not None:
                identities = attempt
                break
    if (
        http is None
        or publish is None
        or inbound is None
        or commit is None
        or relay is None
        or identities is None
        or offered is None
    ):
        return None
    return [
        http["start"],
        publish["end"],
        inbound["start"],
        decide["start"],
        commit["end"],
        relay["start"],
        identities["start"],
        offered["end"],
    ]


def read_spans(path: Path) -> list[Span]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def up_burst(
    tmp: Path, args: argparse.Namespace, env: dict[str, str], trace_file: Path | None, after: float
) -> tuple[dict[str, Any], float]:
    """bench.burst's burst into `up`, then `up` runs on: with traces until it has written
    every span (the exporter lags under load), and at least `after` seconds, so both runs'
    CPU covers the same work (offers expiring, escalations) past the drain."""
    system = SwitchboardProcess(tmp, system_toml(free_port()), None, env=env)
    system.start(120)
    try:
        assert system.proc is not None
        cpu_before = cpu_seconds(system.proc.pid)
        result = asyncio.run(
            burst(up_target(system), args.seconds, args.connections, args.drain_limit)
        )
        drained = time.monotonic()
        if trace_file is not None:
            settled(trace_file)
        time.sleep(max(0.0, after - (time.monotonic() - drained)))
        waited = time.monotonic() - drained
        cpu = cpu_seconds(system.proc.pid) - cpu_before
        result["cpu_ms_per_contact_all"] = round(1000 * cpu / max(result["accepted"], 1), 1)
    finally:
        assert system.proc is not None
        system.proc.send_signal(signal.SIGTERM)
        system.proc.wait(600)
    return result, waited


def settled(path: Path, quiet: float = 3.0) -> None:
    """Until the file has not grown for `quiet` seconds (spans are exported every second)."""
    size, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        now = path.stat().st_size if path.exists() else 0
        if now != size:
            size, since = now, time.monotonic()
        time.sleep(0.5)


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk_binary()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        trace_file = Path(tmp) / "traces.jsonl"
        traced = {"SWITCHBOARD_TRACE_FILE": str(trace_file), **TRACED}
        on, waited = up_burst(Path(tmp) / "on", args, traced, trace_file, 10.0)
        off, _ = up_burst(Path(tmp) / "off", args, {}, None, waited)
        spans = read_spans(trace_file)
    stages = per_stage(spans)
    split = latency_split(spans)
    print(f"load average before the run: {load:.1f}; wrk -t1 -c{args.connections}")
    print(f"\n{len(spans)} spans from {on['accepted']} contacts; time per stage (top 24)")
    print(f"  {'stage':<44}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}{'total s':>10}")
    for name, row in list(stages.items())[:24]:
        print(
            f"  {name:<44}{row['count']:>8}{row['p50_ms']:>10}{row['p99_ms']:>10}"
            f"{row['total_s']:>10}"
        )
    print(f"\ninteraction -> offer, {split['complete']} of {split['traces']} traces complete")
    print(f"  {'segment':<44}{'p50 ms':>10}{'p99 ms':>10}")
    for name in (*SEGMENTS, "interaction -> offer"):
        if name in split:
            print(f"  {name:<44}{split[name]['p50_ms']:>10}{split[name]['p99_ms']:>10}")
    keys = (
        "accepted",
        "accepted_per_s",
        "accept_p99_ms",
        "routed_per_s",
        "drain_ratio",
        "cpu_ms_per_contact",
        "cpu_ms_per_contact_all",
        "rss_mb",
    )
    print(f"\ntracing's cost, same run\n  {'':<22}{'traces off':>14}{'traces on':>14}")
    for key in keys:
        print(f"  {key:<22}{off[key]!s:>14}{on[key]!s:>14}")
    summary = {
        "bench": "stages",
        "load_average": round(load, 1),
        "spans_per_contact": round(len(spans) / max(on["accepted"], 1), 1),
        "stages": stages,
        "interaction_to_offer": split,
        "traces_off": {k: off[k] for k in keys},
        "traces_on": {k: on[k] for k in keys},
        "cpu_per_contact_on_to_off": round(
            on["cpu_ms_per_contact_all"] / max(off["cpu_ms_per_contact_all"], 1e-9), 2
        ),
        "drain_ratio_on_to_off": round(on["drain_ratio"] / max(off["drain_ratio"], 1e-9), 2),
    }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="wrk's burst into up")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--drain-limit", type=float, default=300.0, help="give up after (s)")
    run(parser.parse_args())

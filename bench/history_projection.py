"""History on PostgreSQL: projection catch-up as a ratio to raw inserts, and timeline
query latency for a customer with many entries in a large read model.

    python -m bench.history_projection [--interactions 5000] [--events 1000000]
                                       [--entries 10000] [--queries 300]

1. Catch-up. `--interactions` interactions from 300 customers are recorded through the real
   HistoryApplication (per-customer encryption included) on a throwaway PostgreSQL; then a
   fresh read model is projected from the whole store (`rebuild`, the same code the live
   projection runs) and timed: events/s. Baseline in the same run: raw psycopg
   `executemany` inserts of as many rows into an equivalent table (same columns and index),
   in transactions of the same batch size.
2. Queries. The read model of a second database is filled with `--events` timeline entries
   by COPY (generating them through the application would take hours here): 100 per
   customer, and `--entries` for one customer spread across the whole range. Then the
   timeline API's queries for that customer, each `--queries` times: the first page, a page
   at a random cursor, one channel, and `as_of` a random past moment. Baseline: a lookup of
   one entry by primary key on the same table.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Tracking

from events import InboundEvent, InteractionReceived, Sender
from services.history.app import build_history_core
from services.history.projector import TimelineProjector
from switchboard.settings import Settings
from tests.support.postgres import ThrowawayPostgres

CHANNELS = ("email", "voice", "whatsapp", "webform", "telegram")
START = datetime(2024, 1, 1, tzinfo=UTC)
BATCH = 500  # what TimelineProjector.rebuild reads and writes per transaction


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def core(cluster: ThrowawayPostgres, name: str, data_dir: Path) -> tuple[TimelineProjector, str]:
    url = cluster.create_database(name)
    return build_history_core(Settings(data_dir=data_dir, database_url=url)), url


def record_interactions(projector: TimelineProjector, n: int) -> None:
    app = projector.app
    for i in range(n):
        who = i % 300
        app.record_interaction(
            InteractionReceived(
                interaction_id=InboundEvent.id_for("email", "bench", f"m{i}"),
                channel="email",
                source="bench",
                external_id=f"m{i}",
                sender=Sender(email=f"c{who}@example.com", name=f"Customer {who}"),
                text=f"bench message {i} " + "x" * 80,
            ),
            Tracking("INBOUND", i + 1),
        )


def raw_inserts(url: str, rows: int) -> float:
    """Seconds to insert `rows` timeline-shaped rows with plain psycopg."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE raw_entries (position bigint PRIMARY KEY, customer_id uuid NOT NULL, "
            "at timestamptz NOT NULL, kind text NOT NULL, channel text, contact_id uuid, "
            "summary text NOT NULL, data jsonb NOT NULL, recorded_at timestamptz)"
        )
        conn.execute("CREATE INDEX raw_by_customer ON raw_entries (customer_id, position)")
        conn.commit()
        customers = [uuid.uuid4() for _ in range(300)]
        data = json.dumps({"interaction_id": str(uuid.uuid4()), "text": "x" * 100})
        started = time.perf_counter()
        for first in range(1, rows + 1, BATCH):
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO raw_entries VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                    [
                        (
                            p,
                            customers[p % 300],
                            START,
                            "InteractionReceived",
                            "email",
                            uuid.uuid4(),
                            "bench message",
                            data,
                            START,
                        )
                        for p in range(first, min(first + BATCH, rows + 1))
                    ],
                )
            conn.commit()
        return time.perf_counter() - started


def catch_up(cluster: ThrowawayPostgres, tmp: Path, interactions: int) -> dict[str, Any]:
    projector, url = core(cluster, "bench_catchup", tmp / "catchup")
    try:
        started = time.perf_counter()
        record_interactions(projector, interactions)
        recording = time.perf_counter() - started
        events = projector.app.recorder.max_notification_id() or 0
        started = time.perf_counter()
        projector.rebuild()
        projecting = time.perf_counter() - started
        raw = raw_inserts(url, events)
    finally:
        projector.close()
    return {
        "events": events,
        "recording_events_per_s": events / recording,
        "projection_events_per_s": events / projecting,
        "raw_inserts_per_s": events / raw,
    }


def fill_read_model(url: str, events: int, entries: int, target: uuid.UUID) -> list[int]:
    """COPY `events` entries: `entries` of them the target's, spread evenly; the rest 100
    per other customer. Returns the target's positions."""
    step = max(1, events // entries)
    others = [uuid.uuid4() for _ in range(max(1, (events - entries) // 100))]
    mine: list[int] = []
    data = json.dumps({"text": "bench " + "x" * 80})
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY timeline_entries (position, customer_id, at, kind, channel, contact_id, "
                "summary, data, recorded_at) FROM STDIN"
            ) as copy,
        ):
            for p in range(1, events + 1):
                is_target = p % step == 0 and len(mine) < entries
                who = target if is_target else others[p % len(others)]
                if is_target:
                    mine.append(p)
                at = START + timedelta(seconds=p)
                copy.write_row(
                    (
                        p,
                        who,
                        at,
                        "InteractionReceived",
                        CHANNELS[(len(mine) if is_target else p) % len(CHANNELS)],
                        uuid.uuid4(),
                        f"message {p}",
                        data,
                        at,
                    )
                )
        conn.execute("ANALYZE timeline_entries")
        conn.commit()
    return mine


def timed(runs: int, query: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        query()
        samples.append(time.perf_counter() - started)
    return samples


def queries(
    cluster: ThrowawayPostgres, tmp: Path, events: int, entries: int, runs: int
) -> dict[str, list[float]]:
    projector, url = core(cluster, "bench_queries", tmp / "queries")
    view: Any = projector.view
    target = uuid.uuid4()
    try:
        started = time.perf_counter()
        mine = fill_read_model(url, events, entries, target)
        print(
            f"filled {events} entries ({len(mine)} of one customer) by COPY in "
            f"{time.perf_counter() - started:.1f}s"
        )
        rng = random.Random(1)

        def at_position(p: int) -> datetime:
            return START + timedelta(seconds=p)

        def by_key() -> object:
            with view.datastore.transaction(commit=False) as cur:
                cur.execute(
                    "SELECT * FROM timeline_entries WHERE position = %s", (rng.choice(mine),)
                )
                return cur.fetchall()

        results = {
            "baseline: one entry by key": timed(runs, by_key),
            "first page (50)": timed(runs, lambda: view.rows(target, None, 50, None)),
            "page at a cursor": timed(runs, lambda: view.rows(target, rng.choice(mine), 50, None)),
            "one channel": timed(runs, lambda: view.rows(target, None, 50, "whatsapp")),
            "as_of a past moment": timed(
                runs, lambda: view.rows(target, None, 50, None, at_position(rng.choice(mine)))
            ),
        }
        assert len(view.rows(target, None, 50, None)) == min(50, entries)
        return results
    finally:
        projector.close()


def main(interactions: int, events: int, entries: int, runs: int) -> dict[str, Any]:
    # Not under a private temp dir: the server runs as the postgres user.
    pg_dir = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    with tempfile.TemporaryDirectory() as tmp:
        cluster = ThrowawayPostgres(pg_dir)
        cluster.start()
        try:
            caught = catch_up(cluster, Path(tmp), interactions)
            latency = queries(cluster, Path(tmp), events, entries, runs)
        finally:
            cluster.stop()
            shutil.rmtree(pg_dir, ignore_errors=True)

    ratio = caught["projection_events_per_s"] / caught["raw_inserts_per_s"]
    print(f"\n{'catch-up (' + str(caught['events']) + ' events)':<34}{'events/s':>12}{'ratio':>8}")
    print(f"{'raw psycopg inserts (baseline)':<34}{caught['raw_inserts_per_s']:>12.0f}{1:>8.3f}")
    print(f"{'projection catch-up':<34}{caught['projection_events_per_s']:>12.0f}{ratio:>8.3f}")
    print(
        f"{'recording through the application':<34}{caught['recording_events_per_s']:>12.0f}"
        f"{caught['recording_events_per_s'] / caught['raw_inserts_per_s']:>8.3f}"
    )
    base = percentile(latency["baseline: one entry by key"], 0.99)
    title = f"query ({entries} of {events})"
    print(f"\n{title:<34}{'p50 ms':>9}{'p99 ms':>9}{'p99 ratio':>11}")
    summary: dict[str, Any] = {
        "bench": "history_projection",
        "events": events,
        "entries": entries,
        "catchup_events": caught["events"],
        "raw_inserts_per_s": round(caught["raw_inserts_per_s"], 1),
        "projection_events_per_s": round(caught["projection_events_per_s"], 1),
        "projection_ratio_to_raw_inserts": round(ratio, 3),
        "recording_events_per_s": round(caught["recording_events_per_s"], 1),
        "queries": {},
    }
    for name, samples in latency.items():
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"{name:<34}{p50:>9.2f}{p99:>9.2f}{p99 / base:>11.2f}")
        summary["queries"][name] = {
            "p50_ms": round(p50, 3),
            "p99_ms": round(p99, 3),
            "p99_ratio_to_baseline": round(p99 / base, 2),
        }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=5000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    main(args.interactions, args.events, args.entries, args.queries)

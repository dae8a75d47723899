"""Reports on PostgreSQL: report latency over a large read model, and projection catch-up.

    python -m bench.reports [--rows 1000000] [--runs 5] [--contacts 5000]

1. Queries. The reports read model of a throwaway PostgreSQL is filled with `--rows`
   contacts by COPY (through the projection it would take hours here), opened over 120
   days on five channels and eight sources. Then, `--runs` times each, the day-by-channel
   metrics report over 90 days (GET /api/reports/metrics?bucket=day&group_by=channel, the
   same `Reports.metrics` code) and the source funnel over the same 90 days (admin scope:
   every row). Baseline: a plain indexed `count(*)` of the same window on the same table.
2. Catch-up. `--contacts` contacts' public events (opened, queued, offered, accepted,
   replied, completed; about 6 per contact) are projected into an empty read model in
   batches of 500 events, as `switchboard reports rebuild` does (the store read is not in
   it: see bench.history_projection for that part): contacts/s. Baseline in the same run:
   raw psycopg `executemany` inserts of as many rows into an equivalent table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from eventsourcing.persistence import Tracking

from events import (
    AgentOffered,
    ContactCompleted,
    ContactOpened,
    ContactQueued,
    Event,
    OfferAccepted,
    ReplyRequested,
)
from schemas.config import SwitchboardConfig
from services.reports.adapters.read_model_sql import SubscriptionsSql
from services.reports.api import Reports
from services.reports.app import build_reports_core
from services.reports.contact_row import COLUMNS
from services.reports.params import ReportParams
from services.reports.projector import project
from services.reports.query import RowFilter
from switchboard.auth import Authenticator
from switchboard.settings import Settings
from tests.support.postgres import ThrowawayPostgres

CHANNELS = ("email", "voice", "whatsapp", "webform", "telegram")
SOURCES = ("google", "facebook.com", "newsletter", "bing", "crm", "+4930123", "partner", "direct")
START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 120
BATCH = 500


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def view_on(cluster: ThrowawayPostgres, name: str, data_dir: Path) -> tuple[SubscriptionsSql, str]:
    url = cluster.create_database(name)
    return build_reports_core(Settings(data_dir=data_dir, database_url=url)).view, url


def fill(url: str, rows: int) -> None:
    step = DAYS * 86400 / rows
    agents = json.dumps(["a1"])
    with psycopg.connect(url) as conn:
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY report_contacts ({', '.join(COLUMNS)}) FROM STDIN") as copy,
        ):
            for n in range(rows):
                opened = START + timedelta(seconds=n * step)
                answered = n % 10 != 0
                done = n % 3 != 0
                copy.write_row(
                    (
                        str(uuid.UUID(int=n)),
                        opened,
                        CHANNELS[n % 5],
                        SOURCES[n % 8],
                        "spring" if n % 2 else None,
                        None,
                        None,
                        "{}",
                        "default",
                        None,
                        None,
                        None,
                        "a1" if answered else None,
                        "a1" if answered else None,
                        agents if answered else "[]",
                        1,
                        answered,
                        not answered,
                        False,
                        0,
                        0,
                        0,
                        float(n % 60),
                        float(n % 300) if answered else None,
                        120.0 if answered else 0.0,
                        0.0,
                        600.0 if done else None,
                        opened + timedelta(minutes=10) if done else None,
                        ("sale" if n % 7 == 0 else "fixed") if done else None,
                        None,
                        None,
                        False,
                    )
                )
        conn.execute("ANALYZE report_contacts")
        conn.commit()


def timed(runs: int, query: Any) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        query()
        samples.append(time.perf_counter() - started)
    return samples


def queries(cluster: ThrowawayPostgres, tmp: Path, rows: int, runs: int) -> dict[str, list[float]]:
    view, url = view_on(cluster, "bench_report_queries", tmp / "queries")
    try:
        started = time.perf_counter()
        fill(url, rows)
        print(f"filled {rows} contacts by COPY in {time.perf_counter() - started:.1f}s")
        config = SwitchboardConfig()
        reports = Reports(view, config, Authenticator(config, "bench-secret"))
        start, end = START + timedelta(days=10), START + timedelta(days=100)
        params = ReportParams(start, end, ZoneInfo("UTC"), "day", ("channel",), {}, 100, None)
        f = RowFilter(start, end)

        def count() -> object:
            with view.datastore.transaction(commit=False) as cur:
                cur.execute(
                    "SELECT count(*) FROM report_contacts WHERE opened_at >= %s AND opened_at < %s",
                    (start, end),
                )
                return cur.fetchall()

        results = {
            "baseline: indexed count(*)": timed(runs, count),
            "day by channel, 90 days": timed(runs, lambda: reports.metrics(params, f)),
            "source funnel, 90 days": timed(runs, lambda: reports.funnel(f)),
        }
        day_rows = reports.metrics(params, f)
        assert len(day_rows) == 90 * 5, len(day_rows)
        return results
    finally:
        view.close()


def contact_events(n: int) -> list[Event]:
    c, i = uuid.UUID(int=n + 1), uuid.uuid4()
    at = START + timedelta(seconds=n)
    offer = uuid.uuid4()
    return [
        ContactOpened(
            contact_id=c,
            interaction_id=i,
            channel="webform",
            identify_by=None,
            source="f",
            attributes={"utm_source": "google"},
            occurred_at=at,
        ),
        ContactQueued(
            contact_id=c,
            interaction_id=i,
            channel="webform",
            queue="default",
            priority=0,
            occurred_at=at,
        ),
        AgentOffered(
            contact_id=c, offer_id=offer, agent_id=f"a{n % 20}", expires_at=None, occurred_at=at
        ),
        OfferAccepted(
            contact_id=c,
            offer_id=offer,
            agent_id=f"a{n % 20}",
            waited_seconds=3,
            occurred_at=at + timedelta(seconds=3),
        ),
        ReplyRequested(
            contact_id=c,
            reply_id=uuid.uuid4(),
            agent_id=f"a{n % 20}",
            text="hi",
            channel="webform",
            origin={},
            occurred_at=at + timedelta(seconds=20),
        ),
        ContactCompleted(
            contact_id=c,
            agent_id=f"a{n % 20}",
            disposition="sale",
            occurred_at=at + timedelta(seconds=90),
        ),
    ]


def raw_inserts(url: str, rows: int) -> float:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE raw_contacts (LIKE report_contacts INCLUDING ALL)")
        conn.commit()
        started = time.perf_counter()
        for first in range(0, rows, BATCH // 6):
            with conn.cursor() as cur:
                cur.executemany(
                    f"INSERT INTO raw_contacts ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join(['%s'] * len(COLUMNS))})",
                    [
                        (
                            str(uuid.UUID(int=n + 1)),
                            START,
                            "webform",
                            "google",
                            None,
                            None,
                            None,
                            "{}",
                            "default",
                            None,
                            None,
                            None,
                            "a1",
                            "a1",
                            "[]",
                            1,
                            True,
                            False,
                            False,
                            0,
                            0,
                            0,
                            3.0,
                            20.0,
                            87.0,
                            0.0,
                            90.0,
                            START,
                            "sale",
                            None,
                            None,
                            False,
                        )
                        for n in range(first, min(first + BATCH // 6, rows))
                    ],
                )
            conn.commit()
        return time.perf_counter() - started


def catch_up(cluster: ThrowawayPostgres, tmp: Path, contacts: int) -> dict[str, float]:
    view, url = view_on(cluster, "bench_report_catchup", tmp / "catchup")
    try:
        events = [e for n in range(contacts) for e in contact_events(n)]
        started = time.perf_counter()
        for first in range(0, len(events), BATCH):
            project(
                view,
                events[first : first + BATCH],
                Tracking("routing>reports-routing", first + BATCH),
            )
        projecting = time.perf_counter() - started
        raw = raw_inserts(url, contacts)
    finally:
        view.close()
    return {
        "events": len(events),
        "projection_contacts_per_s": contacts / projecting,
        "raw_inserts_per_s": contacts / raw,
    }


def main(rows: int, runs: int, contacts: int) -> dict[str, Any]:
    pg_dir = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    with tempfile.TemporaryDirectory() as tmp:
        cluster = ThrowawayPostgres(pg_dir)
        cluster.start()
        try:
            caught = catch_up(cluster, Path(tmp), contacts)
            latency = queries(cluster, Path(tmp), rows, runs)
        finally:
            cluster.stop()
            shutil.rmtree(pg_dir, ignore_errors=True)
    ratio = caught["projection_contacts_per_s"] / caught["raw_inserts_per_s"]
    print(f"\n{f'catch-up ({contacts} contacts)':<34}{'contacts/s':>12}{'ratio':>8}")
    print(f"{'raw psycopg inserts (baseline)':<34}{caught['raw_inserts_per_s']:>12.0f}{1:>8.3f}")
    print(f"{'projection catch-up':<34}{caught['projection_contacts_per_s']:>12.0f}{ratio:>8.3f}")
    base = percentile(latency["baseline: indexed count(*)"], 0.5)
    print(f"\n{f'report ({rows} contacts)':<34}{'p50 ms':>10}{'p99 ms':>10}{'p50 ratio':>11}")
    summary: dict[str, Any] = {
        "bench": "reports",
        "rows": rows,
        "runs": runs,
        "catchup_contacts": contacts,
        "projection_contacts_per_s": round(caught["projection_contacts_per_s"], 1),
        "raw_inserts_per_s": round(caught["raw_inserts_per_s"], 1),
        "projection_ratio_to_raw_inserts": round(ratio, 3),
        "queries": {},
    }
    for name, samples in latency.items():
        p50, p99 = percentile(samples, 0.5), percentile(samples, 0.99)
        print(f"{name:<34}{p50:>10.1f}{p99:>10.1f}{p50 / base:>11.1f}")
        summary["queries"][name] = {
            "p50_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "p50_ratio_to_count": round(p50 / base, 1),
        }
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contacts", type=int, default=5000)
    a = parser.parse_args()
    main(a.rows, a.runs, a.contacts)

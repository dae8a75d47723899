"""The history read model in SQLite."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.sqlite import SQLiteTrackingRecorder

from services.history.adapters.read_model_sql import FOLDED, ReadModelSql
from services.history.timeline import PROJECTED_FROM, Suggestion, TimelineRow

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS timeline_entries (position INTEGER PRIMARY KEY, "
    "customer_id TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL, channel TEXT, "
    "contact_id TEXT, summary TEXT NOT NULL, data TEXT NOT NULL, recorded_at TEXT)",
    "CREATE INDEX IF NOT EXISTS timeline_by_customer ON timeline_entries (customer_id, position)",
    "CREATE INDEX IF NOT EXISTS timeline_by_channel "
    "ON timeline_entries (customer_id, channel, position)",
    "CREATE INDEX IF NOT EXISTS timeline_by_recorded_at ON timeline_entries (recorded_at)",
    "CREATE TABLE IF NOT EXISTS customer_index (customer_id TEXT PRIMARY KEY, name TEXT, "
    "organization TEXT, name_folded TEXT, organization_folded TEXT)",
    "CREATE TABLE IF NOT EXISTS customer_links (absorbed_id TEXT NOT NULL, "
    "survivor_id TEXT NOT NULL, linked_position INTEGER NOT NULL, linked_at TEXT NOT NULL, "
    "unlinked_position INTEGER, unlinked_at TEXT, PRIMARY KEY (absorbed_id, linked_position))",
    "CREATE INDEX IF NOT EXISTS customer_links_by_survivor ON customer_links (survivor_id)",
    "CREATE TABLE IF NOT EXISTS merge_suggestions (suggestion_id TEXT PRIMARY KEY, "
    "a TEXT NOT NULL, b TEXT NOT NULL, evidence TEXT NOT NULL, status TEXT NOT NULL, "
    "proposed_at TEXT NOT NULL, decided_by TEXT)",
]


def _time(value: datetime) -> str:
    # One fixed width in UTC, so that text order is time order for `as_of`.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class SQLiteTimelineView(ReadModelSql, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *SCHEMA]

    def create_table(self) -> None:
        super().create_table()
        with self._cursor(commit=True) as curs:
            # SQLite has no ADD COLUMN IF NOT EXISTS: a read model made before the folded
            # copies gets them here.
            curs.execute("PRAGMA table_info(customer_index)")
            present = {r[1] for r in curs.fetchall()}
            for column in FOLDED.values():
                if column not in present:
                    curs.execute(f"ALTER TABLE customer_index ADD COLUMN {column} TEXT")
            self._fold_unfolded(curs)

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _tracking_table(self) -> str:
        return "tracking"

    def _in(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return _time(value)
        return value

    def _json(self, value: dict[str, Any]) -> Any:
        return json.dumps(value, default=str)

    def _timeline_row(self, r: Any) -> TimelineRow:
        return TimelineRow(
            position=int(r[0]),
            customer_id=uuid.UUID(r[1]),
            at=datetime.fromisoformat(r[2]),
            kind=r[3],
            channel=r[4],
            contact_id=uuid.UUID(r[5]) if r[5] else None,
            summary=r[6],
            data=json.loads(r[7]),
            recorded_at=datetime.fromisoformat(r[8]) if r[8] else None,
        )

    def _suggestion(self, r: Any) -> Suggestion:
        return Suggestion(
            suggestion_id=uuid.UUID(r[0]),
            a=uuid.UUID(r[1]),
            b=uuid.UUID(r[2]),
            evidence=json.loads(r[3]),
            status=r[4],
            proposed_at=datetime.fromisoformat(r[5]),
            decided_by=r[6],
        )

    def position(self) -> int:
        return self.max_tracking_id(PROJECTED_FROM) or 0

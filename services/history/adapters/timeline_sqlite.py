"""The timeline read model in SQLite."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.sqlite import SQLiteTrackingRecorder

from services.history.timeline import PROJECTED_FROM, TimelineRow

COLUMNS = "position, customer_id, at, kind, channel, contact_id, summary, data"


class SQLiteTimelineView(SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS timeline_entries ("
            "position INTEGER PRIMARY KEY, customer_id TEXT NOT NULL, at TEXT NOT NULL, "
            "kind TEXT NOT NULL, channel TEXT, contact_id TEXT, summary TEXT NOT NULL, "
            "data TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS timeline_by_customer "
            "ON timeline_entries (customer_id, position)",
        ]

    def add(self, rows: Sequence[TimelineRow], tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            for r in rows:
                c.execute(
                    f"INSERT INTO timeline_entries ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        r.position,
                        str(r.customer_id),
                        r.at.isoformat(),
                        r.kind,
                        r.channel,
                        str(r.contact_id) if r.contact_id else None,
                        r.summary,
                        json.dumps(r.data),
                    ),
                )
            self._insert_tracking(c, tracking)

    def position(self) -> int:
        return self.max_tracking_id(PROJECTED_FROM) or 0

    def rows(
        self, customer_id: uuid.UUID, before: int | None, limit: int, channel: str | None
    ) -> list[TimelineRow]:
        sql = f"SELECT {COLUMNS} FROM timeline_entries WHERE customer_id = ?"
        params: list[Any] = [str(customer_id)]
        if before is not None:
            sql += " AND position < ?"
            params.append(before)
        if channel is not None:
            sql += " AND channel = ?"
            params.append(channel)
        sql += " ORDER BY position DESC LIMIT ?"
        params.append(limit)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return [_row(tuple(r)) for r in c.fetchall()]

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM timeline_entries")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (PROJECTED_FROM,))


def _row(r: tuple[Any, ...]) -> TimelineRow:
    return TimelineRow(
        position=int(r[0]),
        customer_id=uuid.UUID(r[1]),
        at=datetime.fromisoformat(r[2]),
        kind=r[3],
        channel=r[4],
        contact_id=uuid.UUID(r[5]) if r[5] else None,
        summary=r[6],
        data=json.loads(r[7]),
    )

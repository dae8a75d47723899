"""The timeline read model in PostgreSQL, beside the history store."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from services.history.timeline import PROJECTED_FROM, TimelineRow

COLUMNS = "position, customer_id, at, kind, channel, contact_id, summary, data"


class PostgresTimelineView(PostgresTrackingRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = Identifier(self.datastore.schema, "timeline_entries")
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (position bigint PRIMARY KEY, "
                    "customer_id uuid NOT NULL, at timestamptz NOT NULL, kind text NOT NULL, "
                    "channel text, contact_id uuid, summary text NOT NULL, data jsonb NOT NULL)"
                ).format(self.table),
                SQL(
                    "CREATE INDEX IF NOT EXISTS timeline_by_customer ON {0} (customer_id, position)"
                ).format(self.table),
            ]
        )

    def add(self, rows: Sequence[TimelineRow], tracking: Tracking) -> None:
        insert = SQL("INSERT INTO {0} (" + COLUMNS + ") VALUES (%s,%s,%s,%s,%s,%s,%s,%s)").format(
            self.table
        )
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                insert,
                [
                    (
                        r.position,
                        r.customer_id,
                        r.at,
                        r.kind,
                        r.channel,
                        r.contact_id,
                        r.summary,
                        Jsonb(r.data),
                    )
                    for r in rows
                ],
            )
            self._insert_tracking(curs, tracking)

    def position(self) -> int:
        return self.max_tracking_id(PROJECTED_FROM) or 0

    def rows(
        self, customer_id: uuid.UUID, before: int | None, limit: int, channel: str | None
    ) -> list[TimelineRow]:
        parts: list[Composed | SQL] = [
            SQL("SELECT " + COLUMNS + " FROM {0} WHERE customer_id = %s").format(self.table)
        ]
        params: list[Any] = [customer_id]
        if before is not None:
            parts.append(SQL(" AND position < %s"))
            params.append(before)
        if channel is not None:
            parts.append(SQL(" AND channel = %s"))
            params.append(channel)
        parts.append(SQL(" ORDER BY position DESC LIMIT %s"))
        params.append(limit)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(Composed(parts), params)
            return [TimelineRow(**dict(r)) for r in curs.fetchall()]

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("DELETE FROM {0}").format(self.table))
            curs.execute(
                SQL("DELETE FROM {0} WHERE application_name = %s").format(
                    Identifier(self.datastore.schema, self.tracking_table_name)
                ),
                (PROJECTED_FROM,),
            )

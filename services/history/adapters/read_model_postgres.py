"""The history read model in PostgreSQL, beside the history store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from services.history.adapters.read_model_sql import ReadModelSql
from services.history.timeline import PROJECTED_FROM, Suggestion, TimelineRow

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS {timeline_entries} (position bigint PRIMARY KEY, "
    "customer_id uuid NOT NULL, at timestamptz NOT NULL, kind text NOT NULL, channel text, "
    "contact_id uuid, summary text NOT NULL, data jsonb NOT NULL, recorded_at timestamptz)",
    "ALTER TABLE {timeline_entries} ADD COLUMN IF NOT EXISTS recorded_at timestamptz",
    "CREATE INDEX IF NOT EXISTS timeline_by_customer ON {timeline_entries} (customer_id, position)",
    "CREATE INDEX IF NOT EXISTS timeline_by_channel "
    "ON {timeline_entries} (customer_id, channel, position)",
    "CREATE INDEX IF NOT EXISTS timeline_by_recorded_at ON {timeline_entries} (recorded_at)",
    "CREATE TABLE IF NOT EXISTS {customer_index} (customer_id uuid PRIMARY KEY, name text, "
    "organization text, name_folded text, organization_folded text)",
    "ALTER TABLE {customer_index} ADD COLUMN IF NOT EXISTS name_folded text",
    "ALTER TABLE {customer_index} ADD COLUMN IF NOT EXISTS organization_folded text",
    "CREATE TABLE IF NOT EXISTS {customer_links} (absorbed_id uuid NOT NULL, "
    "survivor_id uuid NOT NULL, linked_position bigint NOT NULL, "
    "linked_at timestamptz NOT NULL, unlinked_position bigint, unlinked_at timestamptz, "
    "PRIMARY KEY (absorbed_id, linked_position))",
    "CREATE INDEX IF NOT EXISTS customer_links_by_survivor ON {customer_links} (survivor_id)",
    "CREATE TABLE IF NOT EXISTS {merge_suggestions} (suggestion_id uuid PRIMARY KEY, "
    "a uuid NOT NULL, b uuid NOT NULL, evidence jsonb NOT NULL, status text NOT NULL, "
    "proposed_at timestamptz NOT NULL, decided_by text)",
]


class PostgresTimelineView(ReadModelSql, PostgresTrackingRecorder):
    placeholder = "%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(SQL(self._sql(s)).format() for s in SCHEMA)

    def create_table(self) -> None:
        super().create_table()
        with self._cursor(commit=True) as curs:
            self._fold_unfolded(curs)

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as curs:
            yield curs

    def _table(self, name: str) -> str:
        return Identifier(self.datastore.schema, name).as_string(None)

    def _tracking_table(self) -> str:
        return self._table(self.tracking_table_name)

    def _json(self, value: dict[str, Any]) -> Any:
        return Jsonb(value)

    def _timeline_row(self, r: Any) -> TimelineRow:
        return TimelineRow(**r)

    def _suggestion(self, r: Any) -> Suggestion:
        return Suggestion(**r)

    def position(self) -> int:
        return self.max_tracking_id(PROJECTED_FROM) or 0

"""The reports read model in PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Identifier

from services.reports.adapters.aggregate_postgres import aggregate_statement
from services.reports.adapters.read_model_sql import SubscriptionsSql
from services.reports.query import AggregateSpec, RowFilter

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS {report_contacts} (contact_id text PRIMARY KEY, "
    "opened_at timestamptz, channel text, source text, campaign text, referrer text, "
    "called_number text, attributes text, queue text, request_type text, sla_outcome text, "
    "tier text, first_agent text, last_agent text, agents text, offers integer, "
    "answered boolean, abandoned boolean, cancelled boolean, transfers integer, "
    "escalations integer, reopened integer, wait_seconds double precision, "
    "first_response_seconds double precision, handle_seconds double precision, "
    "wrap_up_seconds double precision, resolution_seconds double precision, "
    "completed_at timestamptz, disposition text, held_since timestamptz, "
    "wrap_up_since timestamptz, call_ringing boolean)",
    "CREATE INDEX IF NOT EXISTS report_contacts_by_time ON {report_contacts} (opened_at)",
    "CREATE TABLE IF NOT EXISTS {report_agent_state} (agent_id text PRIMARY KEY, "
    "presence text, contacts text, wrapping text, status text, since timestamptz)",
    "CREATE TABLE IF NOT EXISTS {report_agent_intervals} (agent_id text NOT NULL, "
    "status text NOT NULL, started_at timestamptz NOT NULL, ended_at timestamptz NOT NULL)",
    "CREATE INDEX IF NOT EXISTS report_intervals_by_end ON {report_agent_intervals} (ended_at)",
    "CREATE TABLE IF NOT EXISTS {report_missed} (agent_id text NOT NULL, "
    "contact_id text NOT NULL, at timestamptz NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {report_subscriptions} (subscription_id text PRIMARY KEY, "
    "person_id text NOT NULL, cadence text NOT NULL, at text NOT NULL, weekday integer, "
    "time_zone text NOT NULL, group_by text NOT NULL, last_due timestamptz)",
]


class PostgresReportsView(SubscriptionsSql, PostgresTrackingRecorder):
    placeholder = "%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(SQL(self._sql(s)).format() for s in SCHEMA)

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as curs:
            yield curs

    def _table(self, name: str) -> str:
        return Identifier(self.datastore.schema, name).as_string(None)

    def _tracking_table(self) -> str:
        return self._table(self.tracking_table_name)

    def aggregate(self, f: RowFilter, spec: AggregateSpec) -> list[tuple[Any, ...]] | None:
        where, where_params = self._where(f)
        sql, params = aggregate_statement(
            self._sql(where), where_params, spec, self._table("report_contacts")
        )
        with self._cursor(commit=False) as curs:
            curs.execute(sql, params)
            return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in curs.fetchall()]

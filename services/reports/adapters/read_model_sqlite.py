"""The reports read model in SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.sqlite import SQLiteTrackingRecorder

from services.reports.adapters.read_model_sql import SubscriptionsSql

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS report_contacts (contact_id TEXT PRIMARY KEY, "
    "opened_at TEXT, channel TEXT, source TEXT, campaign TEXT, referrer TEXT, "
    "called_number TEXT, attributes TEXT, queue TEXT, request_type TEXT, sla_outcome TEXT, "
    "tier TEXT, first_agent TEXT, last_agent TEXT, agents TEXT, offers INTEGER, "
    "answered INTEGER, abandoned INTEGER, cancelled INTEGER, transfers INTEGER, "
    "escalations INTEGER, reopened INTEGER, wait_seconds REAL, first_response_seconds REAL, "
    "handle_seconds REAL, wrap_up_seconds REAL, resolution_seconds REAL, completed_at TEXT, "
    "disposition TEXT, held_since TEXT, wrap_up_since TEXT, call_ringing INTEGER)",
    "CREATE INDEX IF NOT EXISTS report_contacts_by_time ON report_contacts (opened_at)",
    "CREATE TABLE IF NOT EXISTS report_agent_state (agent_id TEXT PRIMARY KEY, "
    "presence TEXT, contacts TEXT, wrapping TEXT, status TEXT, since TEXT)",
    "CREATE TABLE IF NOT EXISTS report_agent_intervals (agent_id TEXT NOT NULL, "
    "status TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS report_intervals_by_end ON report_agent_intervals (ended_at)",
    "CREATE TABLE IF NOT EXISTS report_missed (agent_id TEXT NOT NULL, "
    "contact_id TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS report_subscriptions (subscription_id TEXT PRIMARY KEY, "
    "person_id TEXT NOT NULL, cadence TEXT NOT NULL, at TEXT NOT NULL, weekday INTEGER, "
    "time_zone TEXT NOT NULL, group_by TEXT NOT NULL, last_due TEXT)",
]


class SQLiteReportsView(SubscriptionsSql, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *SCHEMA]

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as c:
            yield c

    def _tracking_table(self) -> str:
        return "tracking"

    def _time_in(self, value: datetime) -> Any:
        # One fixed width in UTC, so that text order is time order.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")

    def _time_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

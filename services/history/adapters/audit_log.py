"""The audit log's table, in SQLite or PostgreSQL (its own store: `audit`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresFactory, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Identifier

from services.history.audit import AuditEntry, AuditLog, AuditQuery, AuditRecord

COLUMNS = "at, person, role, customer_id, what"
POSTGRES_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS {audit_reads} (seq bigserial PRIMARY KEY, "
    "at timestamptz NOT NULL, person text NOT NULL, role text NOT NULL, "
    "customer_id uuid NOT NULL, what text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_by_person ON {audit_reads} (person, seq)",
    "CREATE INDEX IF NOT EXISTS audit_by_customer ON {audit_reads} (customer_id, seq)",
    "CREATE INDEX IF NOT EXISTS audit_by_time ON {audit_reads} (at)",
]
SQLITE_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS audit_reads (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
    "at TEXT NOT NULL, person TEXT NOT NULL, role TEXT NOT NULL, customer_id TEXT NOT NULL, "
    "what TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS audit_by_person ON audit_reads (person, seq)",
    "CREATE INDEX IF NOT EXISTS audit_by_customer ON audit_reads (customer_id, seq)",
    "CREATE INDEX IF NOT EXISTS audit_by_time ON audit_reads (at)",
]


class AuditSql:
    placeholder = "?"
    datastore: Any

    def _table(self) -> str:
        return "audit_reads"

    def _in(self, value: Any) -> Any:
        return value

    def _out_time(self, value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    @contextmanager
    def _cursor(self, commit: bool) -> Iterator[Any]:
        with self.datastore.transaction(commit=commit) as curs:
            yield curs

    def _sql(self, statement: str) -> str:
        return statement.replace("{audit_reads}", self._table()).replace("?", self.placeholder)

    def append(self, records: Sequence[AuditRecord]) -> None:
        with self._cursor(commit=True) as curs:
            curs.executemany(
                self._sql(f"INSERT INTO {{audit_reads}} ({COLUMNS}) VALUES (?, ?, ?, ?, ?)"),
                [
                    [self._in(r.at), r.person, r.role, self._in(r.customer_id), r.what]
                    for r in records
                ],
            )

    def select(self, query: AuditQuery) -> list[AuditEntry]:
        sql = f"SELECT seq, {COLUMNS} FROM {{audit_reads}} WHERE 1 = 1"
        params: list[Any] = []
        for condition, value in (
            (" AND person = ?", query.person),
            (" AND customer_id = ?", query.customer_id),
            (" AND at >= ?", query.since),
            (" AND at < ?", query.until),
            (" AND seq < ?", query.before),
        ):
            if value is not None:
                sql += condition
                params.append(self._in(value))
        with self._cursor(commit=False) as curs:
            curs.execute(self._sql(sql + " ORDER BY seq DESC LIMIT ?"), [*params, query.limit])
            return [self._entry(r) for r in curs.fetchall()]

    def _entry(self, r: Any) -> AuditEntry:
        seq, at, person, role, customer_id, what = (
            [r[k] for k in ("seq", "at", "person", "role", "customer_id", "what")]
            if isinstance(r, dict)
            else list(r)
        )
        return AuditEntry(
            seq=int(seq),
            at=self._out_time(at),
            person=person,
            role=role,
            customer_id=customer_id
            if isinstance(customer_id, uuid.UUID)
            else uuid.UUID(customer_id),
            what=what,
        )

    def close(self) -> None:
        self.datastore.close()


class SQLiteAuditLog(AuditSql, SQLiteTrackingRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *SQLITE_SCHEMA]

    def _in(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            # One fixed width in UTC, so that text order is time order.
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        return value


class PostgresAuditLog(AuditSql, PostgresTrackingRecorder):
    placeholder = "%s"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(SQL(self._sql(s)).format() for s in POSTGRES_SCHEMA)

    def _table(self) -> str:
        return Identifier(self.datastore.schema, "audit_reads").as_string(None)


def open_audit_log(env: dict[str, str]) -> AuditLog:
    factory = InfrastructureFactory.construct(Environment("audit", env))
    if isinstance(factory, PostgresFactory):
        return factory.tracking_recorder(PostgresAuditLog)
    return factory.tracking_recorder(SQLiteAuditLog)  # type: ignore[return-value]

"""The reports read model's statements, shared by the SQLite and PostgreSQL views.

Written once with `?` placeholders, like the timeline's (services/history/adapters).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, time
from typing import Any

from eventsourcing.persistence import Tracking

from services.reports.agent_time import AgentState, Interval, MissedOffer
from services.reports.contact_row import COLUMNS, ContactRow
from services.reports.query import AggregateSpec, RowFilter
from services.reports.schedule import Subscription

TABLES = ("report_contacts", "report_agent_state", "report_agent_intervals", "report_missed")
# Not projected, so not cleared by a rebuild: who wants which report e-mailed.
SUBSCRIPTIONS = "report_subscriptions"
SUBSCRIPTION_COLUMNS = (
    "subscription_id, person_id, cadence, at, weekday, time_zone, group_by, last_due"
)
JSON_COLUMNS = ("attributes", "agents")
TIME_COLUMNS = ("opened_at", "completed_at", "held_since", "wrap_up_since")
AGENT_COLUMNS = ("agent_id", "presence", "contacts", "wrapping", "status", "since")
# Tracking names this model keeps, one per consumer (see switchboard/inbox.tracking_of).
TRACKED = ("routing>reports-routing", "history>reports-history")


class ReportsSql:
    placeholder = "?"
    _insert_tracking: Callable[[Any, Tracking], None]
    datastore: Any
    max_tracking_id: Callable[[str], int | None]
    has_tracking_id: Callable[[str, int | None], bool]

    def close(self) -> None:
        self.datastore.close()

    # What a dialect provides ------------------------------------------------------
    def _cursor(self, commit: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _tracking_table(self) -> str:
        raise NotImplementedError

    def _table(self, name: str) -> str:
        return name

    def _time_in(self, value: datetime) -> Any:
        return value

    def _time_out(self, value: Any) -> datetime:
        assert isinstance(value, datetime)
        return value

    # --------------------------------------------------------------------------------
    def _sql(self, statement: str) -> str:
        for name in (*TABLES, SUBSCRIPTIONS):
            statement = statement.replace(f"{{{name}}}", self._table(name))
        return statement.replace("?", self.placeholder)

    def _in(self, name: str, value: Any) -> Any:
        if value is None:
            return None
        if name in JSON_COLUMNS or name in ("contacts", "wrapping"):
            return json.dumps(value, sort_keys=True)
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return self._time_in(value)
        return value

    def _row(self, r: Sequence[Any]) -> ContactRow:
        values = dict(zip(COLUMNS, r, strict=True))
        for name in JSON_COLUMNS:
            empty: Any = {} if name == "attributes" else []
            values[name] = json.loads(values[name]) if values[name] else empty
        for name in TIME_COLUMNS:
            if values[name] is not None:
                values[name] = self._time_out(values[name])
        for name in ("answered", "abandoned", "cancelled", "call_ringing"):
            values[name] = bool(values[name])
        values["contact_id"] = uuid.UUID(str(values["contact_id"]))
        return ContactRow(**values)

    # Writing ------------------------------------------------------------------------
    def position(self, name: str) -> int:
        return self.max_tracking_id(name) or 0

    def positions(self) -> dict[str, int]:
        return {name: self.position(name) for name in TRACKED}

    def load(
        self, contact_ids: Iterable[uuid.UUID], agent_ids: Iterable[str]
    ) -> tuple[dict[uuid.UUID, ContactRow], dict[str, AgentState]]:
        contacts, agents = sorted(set(contact_ids)), sorted(set(agent_ids))
        rows: dict[uuid.UUID, ContactRow] = {}
        states: dict[str, AgentState] = {}
        with self._cursor(commit=False) as curs:
            if contacts:
                marks = ", ".join("?" * len(contacts))
                curs.execute(
                    self._sql(
                        f"SELECT {', '.join(COLUMNS)} FROM {{report_contacts}} "
                        f"WHERE contact_id IN ({marks})"
                    ),
                    [str(c) for c in contacts],
                )
                rows = {row.contact_id: row for row in map(self._row, _fetched(curs))}
            if agents:
                marks = ", ".join("?" * len(agents))
                curs.execute(
                    self._sql(
                        f"SELECT {', '.join(AGENT_COLUMNS)} FROM {{report_agent_state}} "
                        f"WHERE agent_id IN ({marks})"
                    ),
                    agents,
                )
                for a, presence, held, wrapping, status, since in _fetched(curs):
                    states[a] = AgentState(
                        a,
                        presence,
                        json.loads(held),
                        json.loads(wrapping),
                        status,
                        self._time_out(since) if since is not None else None,
                    )
        return rows, states

    def save(
        self,
        rows: Iterable[ContactRow],
        states: Iterable[AgentState],
        closed: Sequence[Interval | MissedOffer],
        tracking: Tracking | None,
    ) -> None:
        """Rows and agent states as they now are, closed intervals and missed offers, and
        the tracking record: one transaction, so a redelivery finds it done or not at all."""
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS[1:])
        agent_updates = ", ".join(f"{c} = excluded.{c}" for c in AGENT_COLUMNS[1:])
        with self._cursor(commit=True) as curs:
            curs.executemany(
                self._sql(
                    f"INSERT INTO {{report_contacts}} ({', '.join(COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(COLUMNS))}) "
                    f"ON CONFLICT (contact_id) DO UPDATE SET {updates}"
                ),
                [[self._in(c, v) for c, v in row.values().items()] for row in rows],
            )
            curs.executemany(
                self._sql(
                    f"INSERT INTO {{report_agent_state}} ({', '.join(AGENT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(AGENT_COLUMNS))}) "
                    f"ON CONFLICT (agent_id) DO UPDATE SET {agent_updates}"
                ),
                [[self._in(c, getattr(s, c)) for c in AGENT_COLUMNS] for s in states],
            )
            intervals = [c for c in closed if isinstance(c, Interval)]
            if intervals:
                curs.executemany(
                    self._sql(
                        "INSERT INTO {report_agent_intervals} (agent_id, status, started_at, "
                        "ended_at) VALUES (?, ?, ?, ?)"
                    ),
                    [
                        [
                            i.agent_id,
                            i.status,
                            self._time_in(i.started_at),
                            self._time_in(i.ended_at),
                        ]
                        for i in intervals
                    ],
                )
            missed = [c for c in closed if isinstance(c, MissedOffer)]
            if missed:
                curs.executemany(
                    self._sql(
                        "INSERT INTO {report_missed} (agent_id, contact_id, at) VALUES (?, ?, ?)"
                    ),
                    [[m.agent_id, m.contact_id, self._time_in(m.at)] for m in missed],
                )
            if tracking is not None:
                self._insert_tracking(curs, tracking)

    def clear(self) -> None:
        with self._cursor(commit=True) as curs:
            for name in TABLES:
                curs.execute(f"DELETE FROM {self._table(name)}")
            for name in TRACKED:
                curs.execute(
                    self._sql(f"DELETE FROM {self._tracking_table()} WHERE application_name = ?"),
                    [name],
                )

    # Reading ------------------------------------------------------------------------
    def _where(self, f: RowFilter) -> tuple[str, list[Any]]:
        sql = "opened_at >= ? AND opened_at < ?"
        params: list[Any] = [self._time_in(f.start), self._time_in(f.end)]
        for column, value in f.equal.items():
            column = "last_agent" if column == "agent" else column
            column = "request_type" if column == "type" else column
            if value is None:
                sql += f" AND {column} IS NULL"
            else:
                sql += f" AND {column} = ?"
                params.append(value)
        if f.team is not None:
            sql += (
                f" AND last_agent IN ({', '.join('?' * len(f.team))})" if f.team else " AND 1 = 0"
            )
            params += list(f.team)
        if f.agents is not None:
            # Scope: contacts one of these agents worked on (agents is a JSON list), and
            # every contact of the scope's queues (answered or not).
            within = ["agents LIKE ?" for _ in f.agents]
            params += [f"%{json.dumps(a)}%" for a in f.agents]
            if f.queues:
                within.append(f"queue IN ({', '.join('?' * len(f.queues))})")
                params += list(f.queues)
            sql += f" AND ({' OR '.join(within)})" if within else " AND 1 = 0"
        return sql, params

    def page(
        self, f: RowFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[ContactRow]:
        """Rows in (opened_at, contact_id) order after the key `after`: drill-down pages and
        exports read the table a page at a time, never whole."""
        where, params = self._where(f)
        if after is not None:
            where += " AND (opened_at > ? OR (opened_at = ? AND contact_id > ?))"
            params += [self._time_in(after[0]), self._time_in(after[0]), after[1]]
        with self._cursor(commit=False) as curs:
            curs.execute(
                self._sql(
                    f"SELECT {', '.join(COLUMNS)} FROM {{report_contacts}} WHERE {where} "
                    "ORDER BY opened_at, contact_id LIMIT ?"
                ),
                [*params, limit],
            )
            return [self._row(r) for r in _fetched(curs)]

    def aggregate(self, f: RowFilter, spec: AggregateSpec) -> list[tuple[Any, ...]] | None:
        """Figures grouped in the database, or None where Python folds the rows instead."""
        return None

    def all_rows(self) -> list[ContactRow]:
        with self._cursor(commit=False) as curs:
            curs.execute(
                self._sql(
                    f"SELECT {', '.join(COLUMNS)} FROM {{report_contacts}} ORDER BY contact_id"
                )
            )
            return [self._row(r) for r in _fetched(curs)]

    def intervals(
        self, agents: Sequence[str] | None, start: datetime, end: datetime
    ) -> list[tuple[str, str, datetime, datetime | None]]:
        """(agent, status, started, ended) overlapping [start, end), the open ones last
        with no end."""
        found: list[tuple[str, str, datetime, datetime | None]] = []
        with self._cursor(commit=False) as curs:
            curs.execute(
                self._sql(
                    "SELECT agent_id, status, started_at, ended_at FROM {report_agent_intervals} "
                    "WHERE ended_at > ? AND started_at < ? ORDER BY agent_id, started_at"
                ),
                [self._time_in(start), self._time_in(end)],
            )
            for a, s, b, e in _fetched(curs):
                found.append((a, s, self._time_out(b), self._time_out(e)))
            curs.execute(
                self._sql(
                    "SELECT agent_id, status, since FROM {report_agent_state} ORDER BY agent_id"
                )
            )
            for a, s, since in _fetched(curs):
                if since is not None:
                    found.append((a, s, self._time_out(since), None))
        return [i for i in found if agents is None or i[0] in agents]

    def missed(self, start: datetime, end: datetime) -> dict[str, int]:
        with self._cursor(commit=False) as curs:
            curs.execute(
                self._sql(
                    "SELECT agent_id, count(*) FROM {report_missed} WHERE at >= ? AND at < ? "
                    "GROUP BY agent_id"
                ),
                [self._time_in(start), self._time_in(end)],
            )
            return {a: int(n) for a, n in _fetched(curs)}

    def agent_tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """Everything but the contacts, for comparing a rebuild with the live model."""
        with self._cursor(commit=False) as curs:
            out: dict[str, list[tuple[Any, ...]]] = {}
            for name, order in (
                ("report_agent_state", "agent_id"),
                ("report_agent_intervals", "agent_id, started_at, status"),
                ("report_missed", "agent_id, at, contact_id"),
            ):
                curs.execute(f"SELECT * FROM {self._table(name)} ORDER BY {order}")
                out[name] = _fetched(curs)
            return out


class SubscriptionsSql(ReportsSql):
    """Subscriptions to e-mailed reports, beside the read model."""

    def subscribe(self, sub: Subscription) -> None:
        with self._cursor(commit=True) as curs:
            curs.execute(
                self._sql(
                    f"INSERT INTO {{report_subscriptions}} ({SUBSCRIPTION_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)"
                ),
                [
                    str(sub.subscription_id),
                    sub.person_id,
                    sub.cadence,
                    sub.at.isoformat(),
                    sub.weekday,
                    sub.time_zone,
                    sub.group_by,
                ],
            )

    def subscriptions(self, person_id: str | None = None) -> list[Subscription]:
        sql = f"SELECT {SUBSCRIPTION_COLUMNS} FROM {{report_subscriptions}}"
        params = [] if person_id is None else [person_id]
        with self._cursor(commit=False) as curs:
            curs.execute(self._sql(sql + (" WHERE person_id = ?" if params else "")), params)
            return [
                Subscription(
                    uuid.UUID(r[0]),
                    r[1],
                    r[2],
                    time.fromisoformat(r[3]),
                    int(r[4] or 0),
                    r[5],
                    r[6],
                    self._time_out(r[7]) if r[7] is not None else None,
                )
                for r in _fetched(curs)
            ]

    def subscription(self, subscription_id: uuid.UUID) -> Subscription | None:
        found = [s for s in self.subscriptions() if s.subscription_id == subscription_id]
        return found[0] if found else None

    def unsubscribe(self, subscription_id: uuid.UUID) -> None:
        with self._cursor(commit=True) as curs:
            curs.execute(
                self._sql("DELETE FROM {report_subscriptions} WHERE subscription_id = ?"),
                [str(subscription_id)],
            )

    def sent(self, subscription_id: uuid.UUID, due: datetime) -> None:
        with self._cursor(commit=True) as curs:
            curs.execute(
                self._sql(
                    "UPDATE {report_subscriptions} SET last_due = ? WHERE subscription_id = ?"
                ),
                [self._time_in(due), str(subscription_id)],
            )


def _fetched(curs: Any) -> list[tuple[Any, ...]]:
    """Rows as tuples: PostgreSQL's cursors here give dicts (in column order)."""
    return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in curs.fetchall()]

"""The read model's statements and queries, shared by the SQLite and PostgreSQL views.

Written once with `?` placeholders; each dialect says how it opens a transaction, how it
writes a placeholder and how values go in and come out.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from itertools import groupby
from typing import Any

from eventsourcing.persistence import Tracking

from services.history.folding import fold_for_search, like_pattern
from services.history.timeline import (
    PROJECTED_FROM,
    Change,
    CustomerForgotten,
    CustomerIndexed,
    Linked,
    Rejoined,
    Suggestion,
    SuggestionChanged,
    TimelineRow,
    Unlinked,
)

COLUMNS = "position, customer_id, at, kind, channel, contact_id, summary, data, recorded_at"
SUGGESTION_COLUMNS = "suggestion_id, a, b, evidence, status, proposed_at, decided_by"
TABLES = ("timeline_entries", "customer_index", "customer_links", "merge_suggestions")
MAX_GROUP = 1000  # merged customers followed in one query
# Searched fields and their folded copies (services.history.folding says why).
FOLDED = {"name": "name_folded", "organization": "organization_folded"}


class ReadModelSql:
    placeholder = "?"
    # From the eventsourcing tracking recorder this is mixed into.
    _insert_tracking: Callable[[Any, Tracking], None]
    datastore: Any

    def close(self) -> None:
        """The view's own connections: it has a pool beside the history store's."""
        self.datastore.close()

    # What a dialect provides ------------------------------------------------------
    def _cursor(self, commit: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _tracking_table(self) -> str:
        raise NotImplementedError

    def _table(self, name: str) -> str:
        return name

    def _in(self, value: Any) -> Any:
        """A Python value as this database takes it."""
        return value

    def _json(self, value: dict[str, Any]) -> Any:
        raise NotImplementedError

    def _timeline_row(self, r: Any) -> TimelineRow:
        raise NotImplementedError

    def _suggestion(self, r: Any) -> Suggestion:
        raise NotImplementedError

    def _uuid(self, value: Any) -> uuid.UUID:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(value)

    # --------------------------------------------------------------------------------
    def _sql(self, statement: str) -> str:
        for name in TABLES:
            statement = statement.replace(f"{{{name}}}", self._table(name))
        return statement.replace("?", self.placeholder)

    def _exec(self, curs: Any, statement: str, *params: Any) -> None:
        curs.execute(self._sql(statement), [self._in(p) for p in params])

    def apply(self, changes: Sequence[Change], tracking: Tracking) -> None:
        with self._cursor(commit=True) as curs:
            for kind, run in groupby(changes, type):
                if kind is TimelineRow:
                    self._insert_rows(curs, list(run))  # type: ignore[arg-type]
                else:
                    for change in run:
                        self._apply_one(curs, change)
            self._insert_tracking(curs, tracking)

    def _insert_rows(self, curs: Any, rows: list[TimelineRow]) -> None:
        curs.executemany(
            self._sql(f"INSERT INTO {{timeline_entries}} ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)"),
            [
                [
                    self._in(v)
                    for v in (r.position, r.customer_id, r.at, r.kind, r.channel, r.contact_id)
                ]
                + [r.summary, self._json(r.data), self._in(r.recorded_at)]
                for r in rows
            ],
        )

    def _apply_one(self, curs: Any, change: Change) -> None:
        match change:
            case Rejoined(customer_id, own_contact_id, contact_id):
                self._exec(
                    curs,
                    "UPDATE {timeline_entries} SET contact_id = ? "
                    "WHERE customer_id = ? AND contact_id = ?",
                    contact_id,
                    customer_id,
                    own_contact_id,
                )
            case CustomerIndexed(customer_id, given):
                indexed = dict(given)
                indexed.update({FOLDED[n]: fold_for_search(v) for n, v in given.items()})
                names = sorted(indexed)
                updates = ", ".join(f"{n} = excluded.{n}" for n in names)
                self._exec(
                    curs,
                    f"INSERT INTO {{customer_index}} (customer_id, {', '.join(names)}) "
                    f"VALUES (?{', ?' * len(names)}) "
                    f"ON CONFLICT (customer_id) DO UPDATE SET {updates}",
                    customer_id,
                    *(indexed[n] for n in names),
                )
            case Linked(absorbed, survivor, position, at):
                self._exec(
                    curs,
                    "INSERT INTO {customer_links} (absorbed_id, survivor_id, linked_position, "
                    "linked_at) VALUES (?, ?, ?, ?)",
                    absorbed,
                    survivor,
                    position,
                    at,
                )
            case Unlinked(absorbed, position, at):
                self._exec(
                    curs,
                    "UPDATE {customer_links} SET unlinked_position = ?, unlinked_at = ? "
                    "WHERE absorbed_id = ? AND unlinked_position IS NULL",
                    position,
                    at,
                    absorbed,
                )
            case SuggestionChanged(suggestion_id, fields) if "a" in fields:
                self._exec(
                    curs,
                    f"INSERT INTO {{merge_suggestions}} ({SUGGESTION_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, NULL)",
                    suggestion_id,
                    fields["a"],
                    fields["b"],
                    self._json(fields["evidence"]),
                    fields["status"],
                    fields["proposed_at"],
                )
            case SuggestionChanged(suggestion_id, fields):
                self._exec(
                    curs,
                    "UPDATE {merge_suggestions} SET status = ?, decided_by = ? "
                    "WHERE suggestion_id = ?",
                    fields["status"],
                    fields["decided_by"],
                    suggestion_id,
                )
            case CustomerForgotten(customer_id):
                for statement in (
                    "DELETE FROM {timeline_entries} WHERE customer_id = ?",
                    "DELETE FROM {customer_index} WHERE customer_id = ?",
                    "DELETE FROM {customer_links} WHERE absorbed_id = ? OR survivor_id = ?",
                    "DELETE FROM {merge_suggestions} WHERE a = ? OR b = ?",
                ):
                    self._exec(curs, statement, *[customer_id] * statement.count("?"))

    # Queries ------------------------------------------------------------------------
    def _active(self, as_of: datetime | None) -> tuple[str, list[Any]]:
        """Which merge links held at `as_of` (now when None)."""
        if as_of is None:
            return "unlinked_position IS NULL", []
        return "linked_at <= ? AND (unlinked_at IS NULL OR unlinked_at > ?)", [as_of, as_of]

    def group(self, customer_id: uuid.UUID, as_of: datetime | None = None) -> list[uuid.UUID]:
        """The customer shown for `customer_id` (who it was merged into), then everyone
        merged into that one, as the links stood at `as_of`."""
        active, when = self._active(as_of)
        with self._cursor(commit=False) as curs:
            root, seen = customer_id, {customer_id}
            while True:
                self._exec(
                    curs,
                    "SELECT survivor_id FROM {customer_links} "
                    f"WHERE absorbed_id = ? AND {active}",
                    root,
                    *when,
                )
                found = curs.fetchone()
                if found is None or len(seen) > MAX_GROUP:
                    break
                root = self._uuid(_first(found))
                seen.add(root)
            members, frontier = [root], [root]
            while frontier and len(members) < MAX_GROUP:
                marks = ", ".join("?" * len(frontier))
                self._exec(
                    curs,
                    f"SELECT absorbed_id FROM {{customer_links}} "
                    f"WHERE survivor_id IN ({marks}) AND {active}",
                    *frontier,
                    *when,
                )
                frontier = [self._uuid(_first(r)) for r in curs.fetchall()]
                members += frontier
        return members

    def rows(
        self,
        customer_id: uuid.UUID,
        before: int | None,
        limit: int,
        channel: str | None,
        as_of: datetime | None = None,
    ) -> list[TimelineRow]:
        members = self.group(customer_id, as_of)
        sql = f"SELECT {COLUMNS} FROM {{timeline_entries}} WHERE customer_id IN ("
        sql += ", ".join("?" * len(members)) + ")"
        params: list[Any] = list(members)
        for condition, value in (
            (" AND position < ?", before),
            (" AND channel = ?", channel),
            (" AND recorded_at <= ?", as_of),
            # Entries are recorded in position order, so the last one recorded by `as_of`
            # bounds the scan (else an early moment walks every later entry first).
            (
                " AND position <= (SELECT position FROM {timeline_entries} "
                "WHERE recorded_at <= ? ORDER BY recorded_at DESC, position DESC LIMIT 1)",
                as_of,
            ),
        ):
            if value is not None:
                sql += condition
                params.append(value)
        sql += " ORDER BY position DESC LIMIT ?"
        with self._cursor(commit=False) as curs:
            self._exec(curs, sql, *params, limit)
            return [self._timeline_row(r) for r in curs.fetchall()]

    def rows_of_kinds(self, customer_id: uuid.UUID, kinds: Collection[str]) -> list[TimelineRow]:
        """The group's entries of these kinds, oldest first (what access is decided on)."""
        members, kinds = self.group(customer_id), sorted(kinds)
        marks, kind_marks = ", ".join("?" * len(members)), ", ".join("?" * len(kinds))
        with self._cursor(commit=False) as curs:
            self._exec(
                curs,
                f"SELECT {COLUMNS} FROM {{timeline_entries}} WHERE customer_id IN ({marks}) "
                f"AND kind IN ({kind_marks}) ORDER BY position",
                *members,
                *kinds,
            )
            return [self._timeline_row(r) for r in curs.fetchall()]

    def search(self, text: str, limit: int) -> list[uuid.UUID]:
        """Customers whose name or organization contains `text`, in any case and script:
        the folded query against the folded copies, so the database folds nothing."""
        pattern = like_pattern(text)
        with self._cursor(commit=False) as curs:
            self._exec(
                curs,
                "SELECT customer_id FROM {customer_index} WHERE name_folded LIKE ? ESCAPE '\\' "
                "OR organization_folded LIKE ? ESCAPE '\\' ORDER BY name LIMIT ?",
                pattern,
                pattern,
                limit,
            )
            return [self._uuid(_first(r)) for r in curs.fetchall()]

    def _fold_unfolded(self, curs: Any) -> None:
        """Fills the folded copies of rows written before they existed (an older read
        model): once, at start, so no query has to fold in SQL."""
        for field, folded in FOLDED.items():
            self._exec(
                curs,
                f"SELECT customer_id, {field} FROM {{customer_index}} "
                f"WHERE {field} IS NOT NULL AND {folded} IS NULL",
            )
            stale = [(_first(r), _second(r)) for r in curs.fetchall()]
            for customer_id, value in stale:
                self._exec(
                    curs,
                    f"UPDATE {{customer_index}} SET {folded} = ? WHERE customer_id = ?",
                    fold_for_search(value),
                    customer_id,
                )

    def suggestions(self, status: str | None) -> list[Suggestion]:
        sql = f"SELECT {SUGGESTION_COLUMNS} FROM {{merge_suggestions}}"
        params = [] if status is None else [status]
        sql += " WHERE status = ?" if status is not None else ""
        with self._cursor(commit=False) as curs:
            self._exec(curs, sql + " ORDER BY proposed_at", *params)
            return [self._suggestion(r) for r in curs.fetchall()]

    def clear(self) -> None:
        with self._cursor(commit=True) as curs:
            for name in TABLES:
                curs.execute(f"DELETE FROM {self._table(name)}")
            self._exec(
                curs,
                f"DELETE FROM {self._tracking_table()} WHERE application_name = ?",
                PROJECTED_FROM,
            )


def _first(row: Any) -> Any:
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def _second(row: Any) -> Any:
    return list(row.values())[1] if isinstance(row, dict) else row[1]

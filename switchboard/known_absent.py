"""Which of some aggregate ids have no events yet, in one query.

A batch of new contacts reads several aggregates per message that cannot exist yet (the
contact derived from the interaction's id, its joined-message marker, its early
identification, the claims of a first-time sender), each a store transaction that finds
nothing. Asked once for the whole batch, those reads are answered without the store
(`TrackedApplication.batch(expect=...)`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from eventsourcing.persistence import AggregateRecorder
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

from switchboard.sqlite_store import select_in


def absent_ids(recorder: AggregateRecorder, ids: Collection[uuid.UUID]) -> frozenset[uuid.UUID]:
    """The ids with no stored event; empty for a recorder it cannot ask in one query."""
    if not ids:
        return frozenset()
    if isinstance(recorder, SQLiteAggregateRecorder):
        found = _sqlite_existing(recorder, [i.hex for i in ids])
    elif isinstance(recorder, PostgresAggregateRecorder):
        found = _postgres_existing(recorder, list(ids))
    else:
        return frozenset()
    return frozenset(i for i in ids if i not in found)


def _sqlite_existing(recorder: SQLiteAggregateRecorder, ids: list[str]) -> set[uuid.UUID]:
    table = recorder.events_table_name
    query = f"SELECT DISTINCT originator_id FROM {table} WHERE originator_id IN ({{}})"
    with recorder.datastore.transaction(commit=False) as c:
        return {uuid.UUID(row[0]) for row in select_in(c, query, ids)}


def _postgres_existing(recorder: PostgresAggregateRecorder, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(
            SQL("SELECT DISTINCT originator_id FROM {0}.{1} WHERE originator_id = ANY(%s)").format(
                Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
            ),
            (ids,),
        )
        return {uuid.UUID(str(row["originator_id"])) for row in curs.fetchall()}

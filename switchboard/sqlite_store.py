"""eventsourcing's SQLite store with a chosen `PRAGMA synchronous`.

eventsourcing already puts a file database in WAL mode but leaves SQLite's default
`synchronous=FULL`: an fsync per commit, 15-20 % of `up`'s CPU under a burst (py-spy, see
bench/README.md) and a wait on the disk for every message. In WAL mode, `NORMAL` fsyncs at
checkpoints only: a commit survives the process dying (SIGKILL, a crash) and is lost only
when the machine loses power before the next checkpoint. That is the same promise the
embedded nats-server's JetStream makes (it syncs to disk every 2 minutes by default), so the
embedded mode's exactly-once holds under the same failures as before; `FULL` is one setting
away (SWITCHBOARD_SQLITE_SYNCHRONOUS) and PostgreSQL deployments are unaffected. See
docs/capacity.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool
from eventsourcing.sqlite import SQLiteFactory as BaseSQLiteFactory
from eventsourcing.utils import Environment, EnvType

LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")
TOPIC = f"{__name__}:SQLiteFactory"


class SynchronousPool(SQLiteConnectionPool):
    """Sets `synchronous` on each connection it opens (the pragma is per connection)."""

    def __init__(self, synchronous: str, db_name: str, lock_timeout: int | None) -> None:
        self.synchronous = synchronous
        super().__init__(db_name=db_name, lock_timeout=lock_timeout)

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        connection._sqlite_conn.execute(f"PRAGMA synchronous={self.synchronous}")
        return connection


class SQLiteFactory(BaseSQLiteFactory):
    SQLITE_SYNCHRONOUS = "SQLITE_SYNCHRONOUS"

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        level = (self.env.get(self.SQLITE_SYNCHRONOUS) or "FULL").strip().upper()
        if level not in LEVELS:
            raise OSError(f"{self.SQLITE_SYNCHRONOUS} must be one of {LEVELS}, not {level!r}")
        default = self.datastore.pool
        # No connection is open yet: the pool opens them when first asked.
        self.datastore.pool = SynchronousPool(level, default.db_name, default.lock_timeout)
        default.close()


SQLITE_CHUNK = 500  # below SQLite's oldest limit of 999 parameters a statement


def select_in(cursor: Any, query: str, values: Sequence[str]) -> list[Any]:
    """The rows of `query` (its `{}` an IN list) for all `values`, in statements of at most
    SQLITE_CHUNK parameters each."""
    rows: list[Any] = []
    for start in range(0, len(values), SQLITE_CHUNK):
        chunk = values[start : start + SQLITE_CHUNK]
        cursor.execute(query.format(",".join("?" * len(chunk))), chunk)
        rows.extend(cursor.fetchall())
    return rows

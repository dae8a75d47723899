"""Key tables in SQLite and PostgreSQL, in the database of the store they serve.

Destroying a key keeps its row (key NULL): a late event for that owner is then refused a
new key instead of being written readable."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlparse

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from switchboard.sqlite_store import select_in


class SQLiteKeyTable:
    def __init__(self, datastore: SQLiteDatastore, table: str) -> None:
        self.datastore = datastore
        self.table = table
        with datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (owner_id TEXT PRIMARY KEY, key BLOB, "
                "customer_id TEXT, erased_at TEXT)"
            )
            c.execute(f"CREATE INDEX IF NOT EXISTS {table}_by_customer ON {table} (customer_id)")

    def load(self, owner_id: uuid.UUID) -> tuple[bytes | None] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT key FROM {self.table} WHERE owner_id = ?", (str(owner_id),))
            row = c.fetchone()
        return None if row is None else (row[0],)

    def insert(self, owner_id: uuid.UUID, key: bytes) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT OR IGNORE INTO {self.table} (owner_id, key) VALUES (?, ?)",
                (str(owner_id), key),
            )

    def load_many(self, owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes | None]:
        owners = [str(o) for o in owner_ids]
        found: dict[uuid.UUID, bytes | None] = {}
        with self.datastore.transaction(commit=False) as c:
            query = f"SELECT owner_id, key FROM {self.table} WHERE owner_id IN ({{}})"
            found.update((uuid.UUID(row[0]), row[1]) for row in select_in(c, query, owners))
        return found

    def insert_many(self, keys: Mapping[uuid.UUID, bytes]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT OR IGNORE INTO {self.table} (owner_id, key) VALUES (?, ?)",
                [(str(owner), key) for owner, key in keys.items()],
            )

    def destroy(self, owner_ids: Iterable[uuid.UUID]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for owner in owner_ids:
                c.execute(
                    f"INSERT INTO {self.table} (owner_id, key, erased_at) "
                    "VALUES (?, NULL, datetime('now')) ON CONFLICT (owner_id) "
                    "DO UPDATE SET key = NULL, erased_at = datetime('now')",
                    (str(owner),),
                )

    def link(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"UPDATE {self.table} SET customer_id = ? WHERE owner_id = ?",
                [(str(customer), str(owner)) for owner, customer in links.items()],
            )

    def owners_of(self, customer_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        found = []
        with self.datastore.transaction(commit=False) as c:
            for customer in customer_ids:
                c.execute(
                    f"SELECT owner_id FROM {self.table} WHERE customer_id = ?", (str(customer),)
                )
                found += [uuid.UUID(row[0]) for row in c.fetchall()]
        return found


def postgres_datastore(url: str) -> PostgresDatastore:
    """A datastore for a postgresql:// URL (the keys' own database)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"SWITCHBOARD_KEYS_DATABASE_URL: unsupported scheme {parsed.scheme!r}")
    return PostgresDatastore(
        dbname=parsed.path.lstrip("/") or "switchboard_keys",
        host=parsed.hostname or "127.0.0.1",
        port=parsed.port or 5432,
        user=unquote(parsed.username or "postgres"),
        password=unquote(parsed.password or ""),
        pool_size=2,
    )


class PostgresKeyTable:
    def __init__(self, datastore: PostgresDatastore, table: str) -> None:
        self.datastore = datastore
        self.table = Identifier(datastore.schema, table)
        with datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} (owner_id uuid PRIMARY KEY, key bytea, "
                    "customer_id uuid, erased_at timestamptz)"
                ).format(self.table)
            )
            curs.execute(
                SQL("CREATE INDEX IF NOT EXISTS {0} ON {1} (customer_id)").format(
                    Identifier(f"{table}_by_customer"), self.table
                )
            )

    def load(self, owner_id: uuid.UUID) -> tuple[bytes | None] | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT key FROM {0} WHERE owner_id = %s").format(self.table), (owner_id,)
            )
            row = curs.fetchone()
        return None if row is None else (row["key"],)

    def insert(self, owner_id: uuid.UUID, key: bytes) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (owner_id, key) VALUES (%s, %s) "
                    "ON CONFLICT (owner_id) DO NOTHING"
                ).format(self.table),
                (owner_id, key),
            )

    def load_many(self, owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, bytes | None]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT owner_id, key FROM {0} WHERE owner_id = ANY(%s)").format(self.table),
                (list(owner_ids),),
            )
            return {row["owner_id"]: row["key"] for row in curs.fetchall()}

    def insert_many(self, keys: Mapping[uuid.UUID, bytes]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL(
                    "INSERT INTO {0} (owner_id, key) VALUES (%s, %s) "
                    "ON CONFLICT (owner_id) DO NOTHING"
                ).format(self.table),
                list(keys.items()),
            )

    def destroy(self, owner_ids: Iterable[uuid.UUID]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for owner in owner_ids:
                curs.execute(
                    SQL(
                        "INSERT INTO {0} (owner_id, key, erased_at) VALUES (%s, NULL, now()) "
                        "ON CONFLICT (owner_id) DO UPDATE SET key = NULL, erased_at = now()"
                    ).format(self.table),
                    (owner,),
                )

    def link(self, links: Mapping[uuid.UUID, uuid.UUID]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL("UPDATE {0} SET customer_id = %s WHERE owner_id = %s").format(self.table),
                [(customer, owner) for owner, customer in links.items()],
            )

    def owners_of(self, customer_ids: Iterable[uuid.UUID]) -> list[uuid.UUID]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT owner_id FROM {0} WHERE customer_id = ANY(%s)").format(self.table),
                (list(customer_ids),),
            )
            return [row["owner_id"] for row in curs.fetchall()]

"""Customers' keys in SQLite, in the history store's database."""

from __future__ import annotations

import uuid

from eventsourcing.sqlite import SQLiteDatastore


class SQLiteKeyTable:
    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore
        with datastore.transaction(commit=True) as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS customer_keys "
                "(customer_id TEXT PRIMARY KEY, key BLOB, erased_at TEXT)"
            )

    def load(self, customer_id: uuid.UUID) -> tuple[bytes | None] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT key FROM customer_keys WHERE customer_id = ?", (str(customer_id),))
            row = c.fetchone()
        return None if row is None else (row[0],)

    def insert(self, customer_id: uuid.UUID, key: bytes) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "INSERT OR IGNORE INTO customer_keys (customer_id, key) VALUES (?, ?)",
                (str(customer_id), key),
            )

    def destroy(self, customer_ids: list[uuid.UUID]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for customer_id in customer_ids:
                # A row stays (key NULL): a late event for this customer is then refused
                # a new key instead of being written readable.
                c.execute(
                    "INSERT INTO customer_keys (customer_id, key, erased_at) "
                    "VALUES (?, NULL, datetime('now')) ON CONFLICT (customer_id) "
                    "DO UPDATE SET key = NULL, erased_at = datetime('now')",
                    (str(customer_id),),
                )

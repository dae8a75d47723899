"""Customers' keys in PostgreSQL, in the history store's database."""

from __future__ import annotations

import uuid

from eventsourcing.postgres import PostgresDatastore
from psycopg.sql import SQL, Identifier


class PostgresKeyTable:
    def __init__(self, datastore: PostgresDatastore) -> None:
        self.datastore = datastore
        self.table = Identifier(datastore.schema, "customer_keys")
        with datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} "
                    "(customer_id uuid PRIMARY KEY, key bytea, erased_at timestamptz)"
                ).format(self.table)
            )

    def load(self, customer_id: uuid.UUID) -> tuple[bytes | None] | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT key FROM {0} WHERE customer_id = %s").format(self.table),
                (customer_id,),
            )
            row = curs.fetchone()
        return None if row is None else (row["key"],)

    def insert(self, customer_id: uuid.UUID, key: bytes) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                SQL(
                    "INSERT INTO {0} (customer_id, key) VALUES (%s, %s) "
                    "ON CONFLICT (customer_id) DO NOTHING"
                ).format(self.table),
                (customer_id, key),
            )

    def destroy(self, customer_ids: list[uuid.UUID]) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for customer_id in customer_ids:
                # A row stays (key NULL): a late event for this customer is then refused
                # a new key instead of being written readable.
                curs.execute(
                    SQL(
                        "INSERT INTO {0} (customer_id, key, erased_at) VALUES (%s, NULL, now()) "
                        "ON CONFLICT (customer_id) DO UPDATE SET key = NULL, erased_at = now()"
                    ).format(self.table),
                    (customer_id,),
                )

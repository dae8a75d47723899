"""The keys that seal personal data can live in a database of their own
(SWITCHBOARD_KEYS_DATABASE_URL): the stores' database then holds no key, so a copy of it
alone reads no one; erasure destroys the keys there. Real nats-server and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import Stack, running_stack
from tests.support.waiting import eventually

KEY_TABLES = {"customer_keys", "contact_keys", "notification_keys"}


@pytest.fixture
def keys_url(postgres_cluster: ThrowawayPostgres) -> str:
    return postgres_cluster.create_database(f"sb_keys_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["postgres"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    keys_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Stack]:
    monkeypatch.setenv("SWITCHBOARD_KEYS_DATABASE_URL", keys_url)
    async with running_stack(request, tmp_path, nats_server) as stack:
        yield stack


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


async def test_keys_live_apart_from_the_stores(stack: Stack, keys_url: str) -> None:
    assert stack.settings.database_url and stack.settings.keys_database_url == keys_url
    r = await stack.post_form(name="Ina Apart", email="ina@example.com", message="hello")
    assert r.status_code == 202
    card = await eventually(lambda: stack.customer("ina@example.com"))
    await eventually(stack.settled)
    assert KEY_TABLES <= tables(keys_url)
    assert not KEY_TABLES & tables(stack.settings.database_url)

    def live_keys() -> int:
        with psycopg.connect(keys_url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM customer_keys WHERE owner_id = %s AND key IS NOT NULL",
                (card["customer_id"],),
            ).fetchone()
        return int(row[0]) if row else 0

    assert live_keys() == 1
    erased = await stack.http.delete(f"/api/customers/{card['customer_id']}")
    assert erased.status_code == 204, erased.text
    assert live_keys() == 0
    assert (await stack.http.get(f"/api/customers/{card['customer_id']}")).status_code == 410

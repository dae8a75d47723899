from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.postgres import ThrowawayPostgres
from tests.support.stack import Stack


@pytest.fixture(params=["sqlite", "postgres"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
) -> AsyncIterator[Stack]:
    """The whole system on a real nats-server, on each event store."""
    database_url = None
    if request.param == "postgres":
        cluster: ThrowawayPostgres = request.getfixturevalue("postgres_cluster")
        database_url = cluster.create_database(f"sb_{uuid.uuid4().hex[:16]}")
    s = Stack(tmp_path / "data", nats_server, database_url, mailbox.url)
    await s.start()
    yield s
    await s.close()

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
) -> AsyncIterator[Stack]:
    """The whole system on a real nats-server, on SQLite; tests of what the store does
    (exactly-once, tracking, batching, erasure, rebuilt read models) are marked
    BOTH_STORES and run on PostgreSQL too."""
    async with running_stack(request, tmp_path, nats_server, smtp_url=mailbox.url) as stack:
        yield stack

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack


@pytest.fixture(params=["sqlite", "postgres"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
) -> AsyncIterator[Stack]:
    """The whole system on a real nats-server, on each event store."""
    async with running_stack(request, tmp_path, nats_server, smtp_url=mailbox.url) as stack:
        yield stack

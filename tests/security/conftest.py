from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, running_stack


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    """The whole system on a real nats-server (SQLite: what is tested here is the HTTP
    surface, not the store)."""
    async with running_stack(request, tmp_path, nats_server) as stack:
        yield stack

"""The fault suite: real processes (one per service), real nats-server and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.faults.scenario import fault_config
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.service_processes import ServiceProcesses


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.faults)


@pytest.fixture
def inbound_smtp_port() -> int:
    return free_port()


@pytest.fixture
async def services(
    tmp_path: Path,
    nats_server: NatsServerProcess,
    postgres_url: str,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> AsyncIterator[ServiceProcesses]:
    system = ServiceProcesses(
        tmp_path,
        fault_config(inbound_smtp_port),
        nats_server.url,
        postgres_url,
        smtp_url=mailbox.url,
    )
    try:
        await system.start()
        yield system
    finally:
        system.stop()

"""Real servers for the integration and end-to-end tests: nats-server and PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from _pytest.terminal import TerminalReporter

from switchboard.nats_server import NatsServerProcess
from tests.faults.scenario import FAULT_SUMMARY
from tests.support.fake_twilio import FakeTwilio
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.postgres import ThrowawayPostgres
from tests.support.twilio_signing import ACCOUNT

# The fault suite's outcome lines, from every test's report (in this process or a worker's).
_FAULT_LINES: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _FAULT_LINES.extend(
        str(value) for name, value in report.user_properties if name == FAULT_SUMMARY
    )


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    """Per fault: interactions sent, recorded, offered, lost, doubled (also when passing)."""
    if _FAULT_LINES:
        terminalreporter.section(FAULT_SUMMARY)
        for line in _FAULT_LINES:
            terminalreporter.write_line(line)


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServerProcess]:
    """A fresh nats-server with JetStream per test: tests never see each other's streams."""
    server = NatsServerProcess(tmp_path / "nats", free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[ThrowawayPostgres]:
    # Not under pytest's tmp dir: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
    cluster = ThrowawayPostgres(base)
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_cluster: ThrowawayPostgres) -> str:
    """A new empty database per test on the session's cluster."""
    return postgres_cluster.create_database(f"sb_{uuid.uuid4().hex[:12]}")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    """A local server speaking Twilio's REST API (messages and voice) for ACCOUNT."""
    fake = FakeTwilio(ACCOUNT)
    await fake.start()
    yield fake
    await fake.stop()

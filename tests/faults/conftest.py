"""The fault suite: real processes (one per service), real nats-server and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Generator
from pathlib import Path

import nats
import pytest
from nats.js.api import StreamConfig

from switchboard.jetstream import nats_servers
from switchboard.nats_server import NatsCluster, NatsServerProcess
from tests.faults.scenario import FAULT_SUMMARY, REPORTS, fault_config
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.service_processes import ServiceProcesses
from tests.support.waiting import eventually


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A fault test's outcome lines ride on its report: under pytest-xdist the test ran in a
    worker, and only the report reaches the process that prints the summary
    (tests/conftest.py)."""
    report = yield
    if report.when == "call" and REPORTS:
        report.user_properties.extend((FAULT_SUMMARY, line) for line in REPORTS)
        REPORTS.clear()
    args = item.funcargs.values() if isinstance(item, pytest.Function) else ()
    system = next((a for a in args if isinstance(a, ServiceProcesses)), None)
    if report.when == "call" and report.failed and system is not None:
        # Read while the processes still run (the fixture stops them after this): what was
        # still in flight, and how each process's last run ended, to read in CI's output.
        left = asyncio.run(system.in_flight())
        report.sections.append(("in flight after the failure", "\n".join(left) or "nothing"))
        report.sections.append(("service warnings and errors", system.problems()))
        report.sections.append(("service logs (each last start's tail)", system.logs()))
    return report


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


@pytest.fixture
async def nats_cluster(tmp_path: Path) -> AsyncIterator[NatsCluster]:
    """Three nats-servers on loopback joined by routes, JetStream ready for R3 streams."""
    cluster = NatsCluster(
        tmp_path / "cluster", [free_port() for _ in range(3)], [free_port() for _ in range(3)]
    )
    cluster.start()
    try:
        await eventually(lambda: _replicated_stream_possible(cluster.url), timeout=30, interval=0.5)
        yield cluster
    finally:
        cluster.stop()


async def _replicated_stream_possible(url: str) -> bool:
    """The cluster has elected its JetStream meta leader and sees all three peers."""
    try:
        nc = await nats.connect(nats_servers(url), connect_timeout=1)
    except Exception:
        return False
    try:
        js = nc.jetstream(timeout=2)
        await js.add_stream(StreamConfig(name="PROBE", subjects=["probe"], num_replicas=3))
        await js.delete_stream("PROBE")
        return True
    except Exception:
        return False
    finally:
        await nc.close()

"""A 3-node NATS cluster with every stream and bucket replicated 3 times: SIGKILL the node
leading the streams under load and leave it dead; channels, consumers and relays move to the
other two, nothing is lost or doubled, and offers still lapse and escalate on time (the
message schedules live in the replicated TIMERS stream)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from switchboard.jetstream import INBOUND, TIMERS, nats_servers
from switchboard.nats_server import NatsCluster
from tests.faults.scenario import HEAVY, Scenario, fault_config
from tests.support.mailbox import Mailbox
from tests.support.service_processes import ServiceProcesses
from tests.support.traffic import Traffic


@pytest.fixture
async def clustered(
    tmp_path: Path,
    nats_cluster: NatsCluster,
    postgres_url: str,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> AsyncIterator[ServiceProcesses]:
    system = ServiceProcesses(
        tmp_path,
        fault_config(inbound_smtp_port),
        nats_cluster.url,
        postgres_url,
        smtp_url=mailbox.url,
        env={"SWITCHBOARD_STREAM_REPLICAS": "3"},
    )
    try:
        await system.start()
        yield system
    finally:
        system.stop()


async def stream_leader(url: str, stream: str) -> tuple[str, int]:
    """(server name of the stream's leader, how many replicas follow it)."""
    nc = await nats.connect(nats_servers(url))
    try:
        info = await nc.jetstream().stream_info(stream)
        assert info.cluster is not None and info.cluster.leader is not None
        return info.cluster.leader, len(info.cluster.replicas or [])
    finally:
        await nc.close()


# The outcome's wait goes on while consumers work off a backlog (tests/faults/scenario.py).
@pytest.mark.timeout(600)
async def test_killing_a_nats_node_under_load_loses_nothing(
    clustered: ServiceProcesses,
    nats_cluster: NatsCluster,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> None:
    leader, followers = await stream_leader(nats_cluster.url, INBOUND)
    assert followers == 2  # the services asked for 3 replicas
    traffic = Traffic(clustered.url("ingest"), inbound_smtp_port)
    scenario = Scenario(traffic, clustered.url("routing"))

    async def strike() -> None:
        nats_cluster.node(leader).kill()
        await asyncio.sleep(8.0 if HEAVY else 4.0)

    async with scenario.running():
        await asyncio.sleep(3.0)
        await scenario.fault(f"nats-node-sigkill-{leader}", strike)
        await asyncio.sleep(4.0)  # with the node still dead
        outcome = await scenario.outcome(clustered.settings, mailbox, in_flight=clustered.in_flight)

    outcome.assert_nothing_lost_or_doubled()
    # Offers made after the kill lapsed and escalated: timers fired from the surviving nodes.
    new_leader, _ = await stream_leader(nats_cluster.url, TIMERS)
    assert new_leader != leader
    assert any("sam" in f.escalated_to() for f in outcome.fates.values())
    assert not (left := await clustered.settle()), f"{left}\n{clustered.logs()}"

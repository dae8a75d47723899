"""NATS and PostgreSQL restart while customers keep writing in.

NATS down: channels get 503 with Retry-After (SMTP: 451) and retry; nothing is accepted that
JetStream did not confirm, so nothing is lost after. PostgreSQL down: channels never notice
(ingest needs no database), consumers pause and catch up; nothing lost or doubled."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.faults.scenario import HEAVY, Scenario
from tests.support.mailbox import Mailbox
from tests.support.postgres import ThrowawayPostgres
from tests.support.service_processes import ServiceProcesses
from tests.support.traffic import Traffic


# The outcome's wait goes on while consumers work off a backlog (tests/faults/scenario.py).
@pytest.mark.timeout(600)
async def test_nats_sigkill_and_restart_while_channels_send(
    services: ServiceProcesses,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> None:
    traffic = Traffic(services.url("ingest"), inbound_smtp_port)
    scenario = Scenario(traffic, services.url("routing"))

    async def strike() -> None:
        nats_server.kill()
        # Longer than ingest waits for a JetStream ack (5 s): a publish made while the client
        # reconnects is held and sent on reconnection, so a short outage only slows channels.
        await asyncio.sleep(15.0 if HEAVY else 7.0)
        nats_server.start()

    async with scenario.running():
        await asyncio.sleep(3.0)
        await scenario.fault("nats-sigkill", strike)
        await asyncio.sleep(3.0)
        outcome = await scenario.outcome(services.settings, mailbox, in_flight=services.in_flight)

    # While NATS was away the channels were told to come back, not told "accepted".
    assert traffic.refusals["503"] > 0 and traffic.retry_after_seen, outcome.report()
    outcome.assert_nothing_lost_or_doubled()
    assert not (left := await services.settle()), f"{left}\n{services.logs()}"


# The outcome's wait goes on while consumers work off a backlog (tests/faults/scenario.py).
@pytest.mark.timeout(600)
async def test_postgres_restart_pauses_consumers_and_refuses_no_channel(
    services: ServiceProcesses,
    postgres_cluster: ThrowawayPostgres,
    mailbox: Mailbox,
    inbound_smtp_port: int,
) -> None:
    traffic = Traffic(services.url("ingest"), inbound_smtp_port)
    scenario = Scenario(traffic, services.url("routing"))

    async def strike() -> None:
        # "immediate" is a crash: no checkpoint, recovery replays the WAL.
        mode = "immediate" if HEAVY else "fast"
        await asyncio.to_thread(postgres_cluster.pg_ctl, "stop", mode)
        await asyncio.sleep(3.0)
        await asyncio.to_thread(postgres_cluster.pg_ctl, "start")

    async with scenario.running():
        await asyncio.sleep(3.0)
        await scenario.fault("postgres-restart", strike)
        await asyncio.sleep(3.0)
        outcome = await scenario.outcome(services.settings, mailbox, in_flight=services.in_flight)

    assert not traffic.refusals, outcome.report()  # the channels never noticed
    outcome.assert_nothing_lost_or_doubled()
    assert not (left := await services.settle()), f"{left}\n{services.logs()}"

"""A mail server that is away when an escalation happens gets the mail once it is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually


@pytest.fixture
def late_mailbox() -> Mailbox:
    return Mailbox()  # not started yet


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    late_mailbox: Mailbox,
) -> AsyncIterator[Stack]:
    config = stack_config(max_wait=1, escalation_timeout=600)
    async with running_stack(request, tmp_path, nats_server, config, late_mailbox.url) as s:
        yield s


async def test_escalation_mail_waits_for_the_mail_server(
    stack: Stack, late_mailbox: Mailbox
) -> None:
    assert (await stack.post_form(email="w@example.com", message="anyone?")).status_code == 202
    await eventually(lambda: stack.offers("sam"))  # escalated while no mail server runs
    await asyncio.sleep(6)  # longer than the old retry budget would have lasted for a burst
    late_mailbox.start()
    try:
        mails = await late_mailbox.wait_for(1, timeout=30)
        assert [m["To"] for m in mails] == ["sam@example.com"]
        await eventually(stack.settled)
        assert len(late_mailbox.messages) == 1
        health = (await stack.http.get("/healthz")).json()
        assert "dead-lettered" not in health["checks"]["notifier"]
    finally:
        late_mailbox.stop()

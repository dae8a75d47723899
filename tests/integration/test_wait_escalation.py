"""No contact sits unowned: with nobody free, it climbs to the queue's supervisor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, delivered, running_stack, stack_config
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def impatient(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    # The offer's own timeout is not what these tests are about: long enough that a loaded
    # machine cannot let alice's offer lapse between seeing it and accepting it (a 409).
    config = stack_config(max_wait=2, offer_timeout=30)
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as stack:
        yield stack


async def test_waiting_contact_goes_to_the_queue_supervisor(
    impatient: Stack, mailbox: Mailbox
) -> None:
    r = await impatient.post_form(email="nobody-home@example.com", message="hello?")
    assert r.status_code == 202
    [offer] = await eventually(lambda: impatient.offers("sam"), timeout=15)
    assert offer["escalation_level"] == 1
    assert offer["expires_at"] is not None  # sam has hana above him
    [mail] = await mailbox.wait_for(1)
    assert mail["To"] == "sam@example.com"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "no agent took it" in body.get_content()


async def test_deadline_after_an_agent_took_it_changes_nothing(impatient: Stack) -> None:
    await impatient.status("alice", "available")
    r = await impatient.post_form(email="quick@example.com", message="fast one")
    assert r.status_code == 202
    [offer] = await eventually(lambda: impatient.offers("alice"))
    assert (await impatient.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    await eventually(impatient.settled)
    infos = await eventually(
        lambda: _fired(impatient), timeout=10
    )  # the wait deadline did fire ...
    assert infos
    contact = (await impatient.http.get(f"/api/contacts/{offer['contact_id']}")).json()
    assert (contact["status"], contact["agent_id"]) == ("accepted", "alice")  # ... to no effect
    assert await impatient.offers("sam") == []


async def _fired(stack: Stack) -> bool:
    info = (await stack.consumers())["routing-wait-deadlines"]
    return delivered(info).stream_seq > 0 and info.num_ack_pending == 0 and info.num_pending == 0

"""SLA policies on real nats-server and PostgreSQL: an accepted contact nobody answers warns
its holder, breaches, tells holder and supervisor, and climbs the hierarchy rung by rung
with an e-mail to each person; a customer's reply while pending restarts the
next-response clock."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from events import contact_id_for
from schemas.config import SwitchboardConfig
from schemas.request_types import StatusUpdates
from schemas.sla_config import SlaConfig
from switchboard.jetstream import INBOUND, envelope
from switchboard.nats_server import NatsServerProcess
from tests.integration.test_conversations import publish, sms
from tests.integration.test_replies import email_from
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

# Targets in minutes; small enough for a test, the same arithmetic as hours.
FIRST_RESPONSE = 0.05  # 3 s
NEXT_RESPONSE = 0.1  # 6 s
RUNG = 0.03  # 1.8 s between rungs


def sla_config(**policy: Any) -> SwitchboardConfig:
    sla = SlaConfig.model_validate(
        {
            "policies": [
                {
                    "name": "everyone",
                    "first_response_minutes": FIRST_RESPONSE,
                    "next_response_minutes": NEXT_RESPONSE,
                    "warn_at": [0.5],
                    "breach": [
                        {"action": "notify"},
                        {"action": "escalate", "after_minutes": RUNG, "levels": 2},
                    ],
                    **policy,
                }
            ]
        }
    )
    return stack_config().model_copy(update={"sla": sla})


@pytest.fixture(params=["postgres"])
async def sla_stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server, sla_config(), mailbox.url) as stack:
        yield stack


async def accepted_contact(stack: Stack, agent: str = "alice") -> str:
    await stack.status(agent, "available")
    await publish(stack, sms(1, "my order never came"))
    [offer] = await eventually(lambda: stack.offers(agent), timeout=15)
    r = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
    assert r.status_code == 200, r.text
    return str(offer["contact_id"])


async def sla_of(stack: Stack, contact_id: str) -> dict[str, Any] | None:
    r = await stack.http.get(f"/api/sla/contacts/{contact_id}")
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


async def test_a_breach_climbs_two_rungs_with_mail_to_each_person(
    sla_stack: Stack, mailbox: Mailbox
) -> None:
    contact_id = await accepted_contact(sla_stack)
    mails = await mailbox.wait_for(5, timeout=30)
    got = sorted((m["To"], " ".join(str(m["Subject"]).split()).split(":")[0]) for m in mails)
    assert got == [
        ("alice@example.com", "[Switchboard] SLA at risk"),
        ("alice@example.com", "[Switchboard] SLA breached"),
        ("hana@example.com", "[Switchboard] SLA escalation level 2"),
        ("sam@example.com", "[Switchboard] SLA breached"),
        ("sam@example.com", "[Switchboard] SLA escalation level 1"),
    ]
    view = await sla_of(sla_stack, contact_id)
    assert view is not None and view["breaches"] == 1 and view["holder_id"] == "alice"
    # The holder sees their own countdown; another agent does not.
    alice = await sla_stack.signed_in("alice")
    assert (await alice.get(f"/api/sla/contacts/{contact_id}")).status_code == 200
    bob = await sla_stack.signed_in("bob")
    assert (await bob.get(f"/api/sla/contacts/{contact_id}")).status_code == 403
    held = (await alice.get("/api/sla/agents/alice")).json()
    assert [v["contact_id"] for v in held] == [contact_id]
    # The console's board: alice's supervisor sees it breached; agents see no board.
    sam = await sla_stack.signed_in("sam")
    board = (await sam.get("/api/sla/board")).json()
    assert [(r["contact_id"], r["state"], r["metric"]) for r in board] == [
        (contact_id, "breached", "first_response")
    ]
    assert (await bob.get("/api/sla/board")).status_code == 403
    assert (await bob.get("/api/sla/agents/alice")).status_code == 403


async def test_a_customer_reply_while_pending_restarts_next_response(sla_stack: Stack) -> None:
    contact_id = await accepted_contact(sla_stack)
    alice = await sla_stack.signed_in("alice")
    r = await alice.post(f"/api/contacts/{contact_id}/replies", json={"text": "on its way"})
    assert r.status_code == 202, r.text
    assert (await alice.post(f"/api/contacts/{contact_id}/pending")).status_code == 200

    async def paused() -> bool:
        view = await sla_of(sla_stack, contact_id)
        return view is not None and view["paused"] and "first_response" not in view["deadlines"]

    await eventually(paused, timeout=15)
    wrote = datetime.now().astimezone()
    await publish(sla_stack, sms(2, "it still has not arrived"))

    async def restarted() -> dict[str, Any] | None:
        view = await sla_of(sla_stack, contact_id)
        if view is None or view["paused"] or not view["deadlines"].get("next_response"):
            return None
        return view

    view = await eventually(restarted, timeout=15)
    assert view is not None
    due = datetime.fromisoformat(view["deadlines"]["next_response"])
    # Counted from the customer's message, not from the first one or the reply.
    target = timedelta(minutes=NEXT_RESPONSE)
    assert wrote + target - timedelta(seconds=1) <= due <= wrote + target + timedelta(seconds=10)
    uuid.UUID(contact_id)


@pytest.fixture(params=["postgres"])
async def requeuing_stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = sla_config(
        warn_at=[],
        breach=[
            {"action": "raise_priority", "by": 5},
            {"action": "requeue", "after_minutes": RUNG},
        ],
    )
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def test_breach_raises_priority_then_takes_it_back_to_the_queue(
    requeuing_stack: Stack,
) -> None:
    stack = requeuing_stack
    contact_id = await accepted_contact(stack)

    async def back_in_queue() -> dict[str, Any] | None:
        contact: dict[str, Any] = (await stack.http.get(f"/api/contacts/{contact_id}")).json()
        return contact if contact["agent_id"] != "alice" and contact["priority"] >= 5 else None

    contact = await eventually(back_in_queue, timeout=20)
    assert contact["status"] in ("waiting", "offered")

    async def released() -> dict[str, Any] | None:
        # SLA's view follows routing's events on EVENTS: a moment behind routing's own.
        view = await sla_of(stack, contact_id)
        return view if view is not None and view["holder_id"] is None else None

    await eventually(released, timeout=20)


@pytest.fixture(params=["postgres"])
async def acknowledging_stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    config = sla_config(acknowledge=True, first_response_minutes=60, warn_at=[])
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as stack:
        yield stack


async def test_the_customer_gets_a_reference_and_the_expected_time(
    acknowledging_stack: Stack, mailbox: Mailbox
) -> None:
    stack = acknowledging_stack
    before = datetime.now().astimezone()
    nc = await nats.connect(stack.nats_server.url)
    ana = email_from("ana@example.com", "<sla1@mail.example>")
    for event in (ana, sms(7, "STOP")):
        env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
        await nc.jetstream().publish(env.subject, env.body, headers=env.headers, stream=INBOUND)
    await nc.close()

    [mail] = await mailbox.wait_for(1, timeout=30)
    assert mail["To"] == "ana@example.com" and mail["Subject"] == "Re: Broken kettle"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert re.search(r"We have your request A-[0-9A-Z]{4}\. You can expect our answer by", text)
    # The signed link in it leads to this request's stage, and an altered one to nothing.
    found = re.search(r"Follow it at (\S+)/status#(\S+) \.", text)
    assert found is not None, text
    async with httpx.AsyncClient(base_url=stack.base_url) as customer:  # no credentials
        status = (await customer.get(f"/api/status/{found[2]}")).json()
        assert status["stage"] == "received" and status["reference"] in text
        assert (await customer.get(f"/api/status/{found[2]}x")).status_code == 404
    contact_id = str(
        contact_id_for(email_from("ana@example.com", "<sla1@mail.example>").interaction_id)
    )
    view = await eventually(lambda: sla_of(stack, contact_id), timeout=15)
    # The acknowledgment is no response: the first-response clock runs on, an hour long.
    due = datetime.fromisoformat(view["deadlines"]["first_response"])
    assert before + timedelta(minutes=59) < due < before + timedelta(minutes=61)
    await eventually(stack.settled, timeout=30)
    # The SMS that said STOP is acknowledged by nobody (and sends nothing).
    assert len(mailbox.messages) == 1
    stop_contact = contact_id_for(sms(7, "STOP").interaction_id)
    routing = (await stack.http.get(f"/api/contacts/{stop_contact}/messages")).json()
    assert [m["direction"] for m in routing] == ["in"]


@pytest.fixture(params=["postgres"])
async def updating_stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    config = stack_config()
    routing = config.routing.model_copy(update={"status_updates": StatusUpdates()})
    config = config.model_copy(update={"routing": routing})
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as stack:
        yield stack


async def test_the_customer_hears_each_stage_through_their_channel(
    updating_stack: Stack, mailbox: Mailbox
) -> None:
    stack = updating_stack
    await stack.status("alice", "available")
    nc = await nats.connect(stack.nats_server.url)
    event = email_from("bea@example.com", "<stages@mail.example>")
    env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
    await nc.jetstream().publish(env.subject, env.body, headers=env.headers, stream=INBOUND)
    await nc.close()
    [offer] = await eventually(lambda: stack.offers("alice"), timeout=15)
    contact = offer["contact_id"]
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    await mailbox.wait_for(1, timeout=20)
    assert (await stack.http.post(f"/api/contacts/{contact}/pending")).status_code == 200
    await mailbox.wait_for(2, timeout=20)
    r = await stack.http.post(f"/api/contacts/{contact}/complete", json={})
    assert r.status_code == 200, r.text
    mails = await mailbox.wait_for(3, timeout=20)
    assert [m["To"] for m in mails] == ["bea@example.com"] * 3
    texts = [str(m.get_body(preferencelist=("plain",)).get_content()) for m in mails]  # type: ignore[union-attr]
    assert re.match(r"Your request A-[0-9A-Z]{4} is with Alice now\.", texts[0])
    assert texts[1].startswith("To go on with your request A-")
    assert texts[2].startswith("Your request A-") and "is resolved" in texts[2]
    await eventually(stack.settled, timeout=30)
    assert len(mailbox.messages) == 3

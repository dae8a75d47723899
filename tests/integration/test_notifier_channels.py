"""Escalations reach the supervisor on the channels they chose: e-mail in a real aiosmtpd
mailbox and SMS through the real twilio client to a server speaking Twilio's API. One event
notifies once per channel, a refused number is recorded and shown to supervisors, and an
outage is retried with backoff until it is over."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest

from schemas.config import NotifierConfig, SwitchboardConfig, TwilioConfig
from switchboard.jetstream import EVENTS, ORIGIN_APP_HEADER, ORIGIN_POSITION_HEADER
from switchboard.nats_server import NatsServerProcess
from tests.support.fake_twilio import FakeTwilio
from tests.support.mailbox import Mailbox
from tests.support.stack import BOTH_STORES, Stack, running_stack, stack_config
from tests.support.waiting import eventually

SAM_PHONE = "+4915112345678"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio()
    await fake.start()
    yield fake
    await fake.stop()


def config_with_sms(twilio_url: str) -> SwitchboardConfig:
    # Nobody is available: every contact escalates to sam after a second.
    base = stack_config(max_wait=1, escalation_timeout=600)
    people = [
        p.model_copy(update={"notify": ["desk", "email", "sms"], "phone": SAM_PHONE})
        if p.id == "sam"
        else p
        for p in base.people
    ]
    twilio = TwilioConfig(
        account_sid="AC" + "0" * 32,
        auth_token="secret",
        api_base_url=twilio_url,
        from_number="+4930555000",
    )
    return base.model_copy(
        update={
            "people": people,
            "channels": base.channels.model_copy(update={"twilio": twilio}),
            "notifier": NotifierConfig(retry_base_seconds=0.5, max_attempts=4),
        }
    )


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
    fake_twilio: FakeTwilio,
) -> AsyncIterator[Stack]:
    config = config_with_sms(fake_twilio.url)
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as s:
        yield s


async def notifications(stack: Stack, status: str) -> list[dict[str, Any]]:
    r = await stack.http.get("/api/notifications", params={"status": status})
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()
    return rows


@BOTH_STORES
async def test_escalation_by_email_and_sms_once_each(
    stack: Stack, mailbox: Mailbox, fake_twilio: FakeTwilio
) -> None:
    r = await stack.post_form(email="w@example.com", message="Is anyone there? Order 4711")
    assert r.status_code == 202
    [offer] = await eventually(lambda: stack.offers("sam"))
    [mail] = await mailbox.wait_for(1)
    [sms] = await eventually(lambda: _arrived(fake_twilio.messages))
    link = f"{stack.base_url}/console?contact={offer['contact_id']}"
    assert sms["To"] == SAM_PHONE and sms["From"] == "+4930555000"
    assert "Order 4711" in sms["Body"] and link in sms["Body"]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and link in body.get_content()
    delivered = await eventually(lambda: _count(stack, "delivered", 2))
    assert {(n["channel"], n["attempts"]) for n in delivered} == {("email", 1), ("sms", 1)}

    # The same event again, as if relayed anew after the dedupe window and without the
    # origin position (so tracking cannot tell): its id alone stops a second message.
    copied = await _republish_without_tracking(stack, "sb.events.routing.ContactEscalated")
    assert copied == 1
    await eventually(stack.all_consumed)
    assert len(fake_twilio.messages) == 1 and len(mailbox.messages) == 1
    assert len(await notifications(stack, "delivered")) == 2


async def test_refused_number_is_recorded_and_shown_to_supervisors(
    stack: Stack, mailbox: Mailbox, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.refuse.add(SAM_PHONE)
    r = await stack.post_form(email="w@example.com", message="Please call me")
    assert r.status_code == 202
    [failed] = await eventually(lambda: notifications(stack, "failed"))
    assert failed["channel"] == "sms" and failed["recipient"] == "sam"
    assert failed["attempts"] == 1 and "21211" in failed["last_error"]
    assert fake_twilio.requests == 1  # refused for good: not retried
    assert len(await mailbox.wait_for(1)) == 1  # the e-mail went all the same

    sam = await stack.signed_in("sam")
    seen = (await sam.get("/api/notifications", params={"status": "failed"})).json()
    assert [n["notification_id"] for n in seen] == [failed["notification_id"]]
    alice = await stack.signed_in("alice")
    assert (await alice.get("/api/notifications")).status_code == 403
    r = await sam.get("/api/notifications", params={"status": "lost"})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "query.status"


async def test_outage_is_retried_with_backoff_until_it_is_over(
    stack: Stack, fake_twilio: FakeTwilio
) -> None:
    fake_twilio.failures = 2
    r = await stack.post_form(email="w@example.com", message="Hello?")
    assert r.status_code == 202
    [sms] = await eventually(lambda: _count(stack, "delivered", 2, channel="sms"), timeout=30)
    assert sms["attempts"] == 3 and "500" in sms["last_error"]
    assert fake_twilio.requests == 3 and len(fake_twilio.messages) == 1
    assert await notifications(stack, "failed") == []


async def _arrived(items: list[dict[str, str]]) -> list[dict[str, str]]:
    return list(items)


async def _count(
    stack: Stack, status: str, n: int, channel: str | None = None
) -> list[dict[str, Any]]:
    rows = await notifications(stack, status)
    if len(rows) < n:
        return []
    return [r for r in rows if channel is None or r["channel"] == channel]


async def _republish_without_tracking(stack: Stack, subject: str) -> int:
    nc = await nats.connect(stack.nats_server.url)
    try:
        js = nc.jetstream()
        msg = await js.get_last_msg(EVENTS, subject)
        headers = dict(msg.headers or {})
        for name in (ORIGIN_APP_HEADER, ORIGIN_POSITION_HEADER):
            headers.pop(name, None)
        headers["Nats-Msg-Id"] = f"copy-{uuid.uuid4()}"
        await js.publish(subject, msg.data or b"", headers=headers, stream=EVENTS)
        return 1
    finally:
        await nc.close()

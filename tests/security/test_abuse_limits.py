"""Abuse limits (issue 16, item 7): per-address limits on public forms, per-sender limits and
known mailboxes on SMTP, replies never from an address a sender made up, a body limit on the
API, an hourly cap on SMS notifications."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest

from events import ReplyRequested
from schemas.config import ChannelsConfig, EmailChannel, IngestConfig, Person, TwilioConfig
from services.ingest.email_reply import reply_email
from services.notifier.adapters.senders import DeliveryFailed, SmsSender
from services.notifier.notification import Notification
from switchboard.nats_server import NatsServerProcess
from switchboard.rate_limit import RateLimit
from tests.support.fake_twilio import FakeTwilio
from tests.support.ports import free_port
from tests.support.stack import Stack, running_stack, stack_config


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_a_steady_rate_per_key() -> None:
    clock = Clock()
    limit = RateLimit(burst=3, per_hour=60, clock=clock)
    assert [limit.take("a") for _ in range(3)] == [None, None, None]
    assert limit.take("a") == pytest.approx(60.0)  # one a minute from now on
    assert limit.take("b") is None  # another key has its own bucket
    clock.now += 60
    assert limit.take("a") is None
    assert limit.take("a") is not None


@pytest.fixture(params=["sqlite"])
async def limited(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    email = EmailChannel(
        port=free_port(), mailboxes=["support@shop.example"], sender_burst=2, sender_per_hour=1
    )
    config = stack_config().model_copy(
        update={
            "ingest": IngestConfig(form_burst=3, form_per_hour=1),
            "channels": ChannelsConfig(email=email),
        }
    )
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def test_a_public_form_takes_only_so_many_from_one_address(limited: Stack) -> None:
    async def post(address: str, n: int) -> httpx.Response:
        # The stack believes forwarded headers from loopback, as from its gateway.
        return await limited.http.post(
            "/channels/webform/contact-us",
            json={"email": f"f{n}@example.com", "message": f"form {n}"},
            headers={"X-Forwarded-For": address},
        )

    assert [(await post("203.0.113.5", n)).status_code for n in range(3)] == [202] * 3
    refused = await post("203.0.113.5", 3)
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert (await post("203.0.113.6", 4)).status_code == 202  # someone else is not slowed


def mail(sender: str, to: str, n: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, f"mail {n}"
    msg["Message-ID"] = f"<abuse-{n}-{uuid.uuid4().hex}@example.com>"
    msg.set_content("hello")
    return msg


async def test_smtp_takes_only_our_mailboxes_and_so_many_per_sender(limited: Stack) -> None:
    port = limited.config.channels.email.port
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(
            mail("a@example.com", "ceo@shop.example", 0), port=port, hostname="127.0.0.1"
        )
    assert refused.value.recipients[0].code == 550
    for n in range(2):
        await aiosmtplib.send(
            mail("b@example.com", "support@shop.example", n), port=port, hostname="127.0.0.1"
        )
    with pytest.raises(aiosmtplib.SMTPResponseException) as later:
        await aiosmtplib.send(
            mail("b@example.com", "support@shop.example", 2), port=port, hostname="127.0.0.1"
        )
    assert later.value.code == 451  # a real mail server tries again later


def test_a_reply_is_never_from_an_address_the_sender_made_up() -> None:
    def reply(wrote_to: str) -> ReplyRequested:
        return ReplyRequested(
            contact_id=uuid.uuid4(),
            reply_id=uuid.uuid4(),
            agent_id="alice",
            text="hi",
            channel="email",
            origin={"source": wrote_to, "sender": {"email": "ann@example.com"}},
        )

    ours = ["support@shop.example"]
    assert reply_email(reply("support@shop.example"), "noreply@shop", ours)["From"] == (
        "support@shop.example"
    )
    assert reply_email(reply("ceo@bank.example"), "noreply@shop", ours)["From"] == "noreply@shop"
    assert reply_email(reply("support@shop.example"), "noreply@shop")["From"] == "noreply@shop"


async def test_the_api_refuses_bodies_over_its_limit(stack: Stack) -> None:
    huge = {"text": "x" * 300_000}
    declared = await stack.http.post(f"/api/contacts/{uuid.uuid4()}/replies", json=huge)
    assert declared.status_code == 413, declared.text

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000

    streamed = await stack.http.post(f"/api/contacts/{uuid.uuid4()}/replies", content=chunks())
    assert streamed.status_code == 413


async def test_sms_notifications_stop_at_the_hourly_cap() -> None:
    twilio = FakeTwilio()
    await twilio.start()
    config = TwilioConfig(
        account_sid=twilio.account_sid,
        auth_token="t" * 32,
        api_base_url=twilio.url,
        from_number="+4930555000",
    )
    sender = SmsSender(config, per_hour=2, clock=Clock())
    sam = Person(id="sam", name="Sam", role="supervisor", phone="+4915100000009")
    try:
        for n in range(2):
            await sender.send(_sms(sam, n))
        with pytest.raises(DeliveryFailed) as capped:
            await sender.send(_sms(sam, 2))
        assert not capped.value.retry and "hourly SMS cap" in capped.value.reason
        assert len(twilio.messages) == 2
    finally:
        await sender.close()
        await twilio.stop()


def _sms(person: Person, n: int) -> Notification:
    return Notification(
        cause_event_id=uuid.uuid4(),
        contact_id=None,
        recipient=person.id,
        channel="sms",
        address=person.phone or "",
        subject=f"escalation {n}",
        body=f"escalation {n}",
        requested_at=datetime.now(UTC),
    )

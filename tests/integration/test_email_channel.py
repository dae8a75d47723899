"""E-mail through a real SMTP conversation: recorded once, threaded, raw kept, 4xx when the
event stream is down so the sender retries."""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import nats
import pytest

from schemas.config import ChannelsConfig, EmailChannel
from services.ingest.email_parsing import thread_token
from services.ingest.email_server import RawStore
from switchboard.jetstream import INBOUND, decode_event
from switchboard.nats_server import NatsServerProcess
from tests.support.ports import free_port
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

LIMIT = 200_000


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    email = EmailChannel(port=free_port(), max_message_bytes=LIMIT)
    config = stack_config().model_copy(update={"channels": ChannelsConfig(email=email)})
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


def mail(n: int, sender: str = "Ana <ana@example.com>", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@shop.example"
    msg["Subject"] = f"Order {n}"
    msg["Message-ID"] = f"<order-{n}@mail.example>"
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(f"Where is order {n}?")
    return msg


async def send(stack: Stack, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=stack.config.channels.email.port)


async def test_mail_is_recorded_once_threaded_and_kept_raw(stack: Stack) -> None:
    first = mail(1)
    for _ in range(3):  # a sending server retrying the same message
        await send(stack, first)
    reply = mail(
        2, **{"In-Reply-To": "<order-1@mail.example>", "References": "<order-1@mail.example>"}
    )
    await send(stack, reply)

    customer = await eventually(lambda: stack.customer("ana@example.com"))

    async def timeline() -> list[dict[str, object]]:
        entries = await stack.timeline(customer["customer_id"])
        return entries if sum(e["kind"] == "InteractionReceived" for e in entries) >= 2 else []

    entries = await eventually(timeline)
    await eventually(stack.settled)
    received = [
        e
        for e in await stack.timeline(customer["customer_id"])
        if e["kind"] == "InteractionReceived"
    ]
    assert [e["summary"] for e in received] == ["Order 1", "Order 2"]

    nc = await nats.connect(stack.nats_server.url)
    js = nc.jetstream()
    info = await js.stream_info(INBOUND)
    assert info.state.messages == 2
    events = [
        decode_event(m.headers, m.data or b"")
        for m in [await js.get_msg(INBOUND, seq) for seq in (1, 2)]
    ]
    keys = {e.conversation_key for e in events}  # type: ignore[attr-defined]
    assert keys == {"email:" + thread_token("<order-1@mail.example>")}
    raw = await RawStore(js).get(events[0].attributes["raw_ref"])  # type: ignore[attr-defined]
    assert b"Message-ID: <order-1@mail.example>" in raw and b"Where is order 1?" in raw
    await nc.close()
    assert entries


async def test_oversized_mail_is_refused(stack: Stack) -> None:
    big = mail(3)
    big.set_content("x" * (LIMIT + 1000))
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await send(stack, big)
    assert refused.value.code == 552


async def test_event_stream_down_means_try_again_later(stack: Stack) -> None:
    stack.nats_server.stop()
    with pytest.raises(aiosmtplib.SMTPResponseException) as later:
        await send(stack, mail(4))
    assert later.value.code == 451
    stack.nats_server.start()

    async def accepted() -> bool:
        try:
            await send(stack, mail(4))
        except aiosmtplib.SMTPResponseException:
            return False
        return True

    await eventually(accepted, timeout=30, interval=0.5)
    assert await eventually(lambda: stack.customer("ana@example.com"), timeout=30)

"""An agent's reply goes back through the customer's channel, at most once, and what became
of it lands on the timeline."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest

from events import InboundEvent, InteractionReceived, ReplyRequested, ReplyStatusChanged, Sender
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.email_parsing import reply_message_id, thread_token
from services.ingest.replies import SEND_TRIES, ReplyDispatcher, SendFailed
from switchboard.jetstream import INBOUND, REPLIES_BUCKET, decode_event, ensure_streams, envelope
from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack
from tests.support.waiting import eventually


def email_from(address: str, message_id: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("email", "support@shop.example", message_id),
        channel="email",
        source="support@shop.example",
        external_id=message_id,
        sender=Sender(email=address, name="Ana"),
        subject_line="Broken kettle",
        text="My kettle arrived broken.",
        conversation_key="email:" + thread_token(message_id),
    )


async def test_email_reply_is_threaded_and_recorded(stack: Stack, mailbox: Mailbox) -> None:
    await stack.status("alice", "available")
    nc = await nats.connect(stack.nats_server.url)
    event = email_from("ana@example.com", "<m1@mail.example>")
    env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
    await nc.jetstream().publish(env.subject, env.body, headers=env.headers, stream=INBOUND)
    await nc.close()

    [offer] = await eventually(lambda: stack.offers("alice"))
    contact = offer["contact_id"]
    early = await stack.http.post(f"/api/contacts/{contact}/replies", json={"text": "hi"})
    assert early.status_code == 409  # only the agent who took it may answer
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    r = await stack.http.post(
        f"/api/contacts/{contact}/replies", json={"text": "Sorry! A new one is on its way."}
    )
    assert r.status_code == 202, r.text
    reply_id = r.json()["reply_id"]
    assert (await stack.http.post(f"/api/contacts/{contact}/replies", json={})).status_code == 400

    [mail] = await mailbox.wait_for(1)
    assert mail["To"] == "ana@example.com"
    assert mail["From"] == "support@shop.example"
    assert mail["Subject"] == "Re: Broken kettle"
    assert mail["In-Reply-To"] == "<m1@mail.example>"
    assert mail["Message-ID"] == reply_message_id(
        reply_id, "email:" + thread_token("<m1@mail.example>")
    )

    customer = await eventually(lambda: stack.customer("ana@example.com"))

    expected = {"Reply by alice: Sorry! A new one is on its way.", "Reply sent via email"}

    async def summaries() -> list[str]:
        # The request (routing's stream) and the outcome (ingest's) arrive in either order.
        found = [e["summary"] for e in await stack.timeline(customer["customer_id"])]
        return found if expected <= set(found) else []

    found = await eventually(summaries)
    assert found.count("Reply sent via email") == 1
    await eventually(stack.settled)
    assert len(mailbox.messages) == 1


async def test_a_web_form_is_answered_by_e_mail(stack: Stack, mailbox: Mailbox) -> None:
    await stack.status("alice", "available")
    form = await stack.post_form(email="ana@example.com", subject="Invoice", message="Wrong sum")
    assert form.status_code == 202
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    contact = offer["contact_id"]
    r = await stack.http.post(f"/api/contacts/{contact}/replies", json={"text": "Fixed it."})
    assert r.status_code == 202, r.text
    [mail] = await mailbox.wait_for(1)
    assert (mail["To"], mail["Subject"]) == ("ana@example.com", "Re: Invoice")
    assert mail.get_content().strip() == "Fixed it."


class RecordingSender:
    """Our own sender for the dispatcher's bookkeeping; the channel is not the subject here."""

    reply_channels = frozenset({"sms"})

    def __init__(self) -> None:
        self.sent: list[uuid.UUID] = []
        self.fail_next: SendFailed | None = None

    async def send(self, reply: ReplyRequested) -> str | None:
        if self.fail_next is not None:
            failure, self.fail_next = self.fail_next, None
            raise failure
        self.sent.append(reply.reply_id)
        return f"SM{len(self.sent)}"


@pytest.fixture
async def js_env(
    tmp_path: Path,
) -> AsyncIterator[tuple[nats.js.JetStreamContext, NatsServerProcess]]:
    from tests.support.ports import free_port

    server = NatsServerProcess(tmp_path / "nats", free_port())
    server.start()
    nc = await nats.connect(server.url)
    js = nc.jetstream()
    await ensure_streams(js, 60)
    yield js, server
    await nc.close()
    server.stop()


def sms_reply() -> ReplyRequested:
    return ReplyRequested(
        contact_id=uuid.uuid4(),
        reply_id=uuid.uuid4(),
        agent_id="alice",
        text="on our way",
        channel="sms",
        origin={"channel": "sms", "sender": {"phone": "+4915112345678"}},
    )


async def statuses(js: nats.js.JetStreamContext) -> list[ReplyStatusChanged]:
    info = await js.stream_info(INBOUND)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await js.get_msg(INBOUND, seq)
        event = decode_event(msg.headers, msg.data or b"")
        assert isinstance(event, ReplyStatusChanged)
        found.append(event)
    return found


async def test_dispatcher_sends_each_reply_at_most_once(
    js_env: tuple[nats.js.JetStreamContext, NatsServerProcess],
) -> None:
    js, _ = js_env
    sender = RecordingSender()
    dispatcher = ReplyDispatcher([sender], InboundPublisher(js), js)
    from eventsourcing.persistence import Tracking

    t = Tracking("routing", 1)
    reply = sms_reply()
    await dispatcher.reply_requested(reply, t)
    await dispatcher.reply_requested(reply, t)  # redelivered
    assert sender.sent == [reply.reply_id]
    assert [(s.status, s.provider_id) for s in await statuses(js)] == [("sent", "SM1")]

    # A crash between claiming and sending: we cannot know, so we say so, and do not resend.
    interrupted = sms_reply()
    kv = await js.key_value(REPLIES_BUCKET)
    await kv.create(str(interrupted.reply_id), b"sending")
    await dispatcher.reply_requested(interrupted, t)
    assert interrupted.reply_id not in sender.sent
    assert (await statuses(js))[-1].status == "uncertain"

    # Nothing left us: retried until it goes.
    flaky = sms_reply()
    sender.fail_next = SendFailed("connection refused", retry=True)
    with pytest.raises(SendFailed):
        await dispatcher.reply_requested(flaky, t)
    await dispatcher.reply_requested(flaky, t)
    assert sender.sent[-1] == flaky.reply_id

    # Unreachable however often it is tried: recorded as failed once the tries are used up,
    # so the agent sees it, rather than dead-lettered unseen.
    down = sms_reply()
    for _ in range(SEND_TRIES - 1):
        sender.fail_next = SendFailed("connection refused", retry=True)
        with pytest.raises(SendFailed):
            await dispatcher.reply_requested(down, t)
    sender.fail_next = SendFailed("connection refused", retry=True)
    await dispatcher.reply_requested(down, t)
    [gave_up] = [s for s in await statuses(js) if s.reply_id == down.reply_id]
    assert (gave_up.status, gave_up.detail) == (
        "failed",
        f"gave up after {SEND_TRIES} tries: connection refused",
    )
    assert down.reply_id not in sender.sent

    # Refused for good: recorded as failed, never retried.
    refused = sms_reply()
    sender.fail_next = SendFailed("not a mobile number")
    await dispatcher.reply_requested(refused, t)
    await dispatcher.reply_requested(refused, t)
    assert refused.reply_id not in sender.sent
    assert [s.status for s in await statuses(js) if s.reply_id == refused.reply_id] == ["failed"]

    # A channel nobody can send on.
    telegram = sms_reply().model_copy(update={"channel": "telegram"})
    await dispatcher.reply_requested(telegram, t)
    last = (await statuses(js))[-1]
    assert (last.status, last.detail) == ("failed", "no sender for channel telegram")

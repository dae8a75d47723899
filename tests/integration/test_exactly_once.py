"""Nothing lost, nothing doubled: retried webhooks, redelivered and re-published messages,
garbage on the streams, and NATS going away."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import nats
from nats.js.errors import NotFoundError

from services.reports.app import build_reports_core
from services.reports.contact_row import ContactRow
from switchboard.jetstream import DEAD_LETTERS, EVENTS, INBOUND, RELAY_BUCKET
from tests.support.mailbox import Mailbox
from tests.support.stack import BOTH_STORES, CONSUMERS, Stack, delivered
from tests.support.stores import stored_events
from tests.support.waiting import eventually

pytestmark = BOTH_STORES

APPS = ("routing", "history", "notifier")


async def test_same_submission_five_times_is_one_interaction(stack: Stack) -> None:
    form = {"email": "dup@example.com", "message": "once please", "submission_id": "sub-42"}
    answers = await asyncio.gather(*(stack.post_form(**form) for _ in range(5)))
    assert [a.status_code for a in answers] == [202] * 5
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True, True, True, True]
    assert len({a.json()["interaction_id"] for a in answers}) == 1

    customer = await eventually(lambda: stack.customer("dup@example.com"))

    async def queued() -> list[str]:
        kinds = [e["kind"] for e in await stack.timeline(customer["customer_id"])]
        return kinds if "ContactQueued" in kinds else []

    await eventually(queued)
    await eventually(stack.settled)
    kinds = await queued()
    assert kinds.count("InteractionReceived") == 1
    assert kinds.count("ContactQueued") == 1


async def test_redelivery_and_republishing_change_nothing(stack: Stack, mailbox: Mailbox) -> None:
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    for n in range(2):
        r = await stack.post_form(email=f"c{n}@example.com", message=f"question {n}")
        assert r.status_code == 202
    # Nobody answers: each contact climbs to hana, who keeps it; 2 mails per contact.
    await eventually(lambda: stack.offers("hana"), timeout=30)
    assert len(await mailbox.wait_for(4, timeout=30)) == 4
    await eventually(lambda: _ladders_done(stack))
    await eventually(stack.settled)

    before_events = {app: stored_events(stack.settings, app) for app in APPS}
    before_timelines = {n: await _timeline(stack, n) for n in range(2)}
    await stack.stop()
    before_reports = _report_rows(stack)
    assert len(before_reports[0]) == 2

    nc = await nats.connect(stack.nats_server.url)
    js = nc.jetstream()
    positions = {}
    kv = await js.key_value(RELAY_BUCKET)
    for app in ("routing", "history"):
        positions[app] = (await kv.get(app)).value
        await kv.put(app, b"0")  # the relays will publish everything again
    replayed = 0
    for stream, names in CONSUMERS.items():
        for name in names:  # fresh consumers get every message again
            await js.delete_consumer(stream, name)
        if stream in (INBOUND, EVENTS):
            replayed += await _republish_with_new_ids(js, stream)
    await nc.close()

    await stack.start()
    await eventually(lambda: _relays_at(stack, positions), timeout=30)
    await eventually(stack.settled, timeout=30)
    copies = sum(delivered(i).consumer_seq for i in (await stack.consumers()).values())
    assert copies >= replayed  # the copies really went through the consumers

    assert {app: stored_events(stack.settings, app) for app in APPS} == before_events
    assert {n: await _timeline(stack, n) for n in range(2)} == before_timelines
    assert len(mailbox.messages) == 4
    assert _report_rows(stack) == before_reports  # every event projected once in effect


def _report_rows(stack: Stack) -> tuple[list[ContactRow], dict[str, list[tuple[Any, ...]]]]:
    view = build_reports_core(stack.settings).view
    try:
        return view.all_rows(), view.agent_tables()
    finally:
        view.close()


async def test_garbage_on_the_stream_is_dead_lettered_and_the_rest_flows(stack: Stack) -> None:
    nc = await nats.connect(stack.nats_server.url)
    js = nc.jetstream()
    subject = "sb.inbound.garbage.webform"  # one key: one partition's consumers see all three
    await js.publish(subject, b"\xff\xfe not json")
    await js.publish(subject, b'{"half": ', headers={"Sb-Event-Type": "InteractionReceived"})
    await js.publish(subject, b"{}", headers={"Sb-Event-Type": "NoSuchEvent"})
    r = await stack.post_form(email="after@example.com", message="still works?")
    assert r.status_code == 202
    assert await eventually(lambda: stack.customer("after@example.com"))
    await eventually(stack.all_consumed)
    dead = await js.stream_info(DEAD_LETTERS)
    assert dead.state.messages == 6  # three each from routing and history
    health = (await stack.http.get("/healthz")).json()
    assert "dead-lettered" in health["checks"]["routing"]
    await nc.close()


async def test_nats_outage_answers_503_then_recovers(stack: Stack) -> None:
    stack.nats_server.stop()
    r = await stack.post_form(email="outage@example.com", message="are you there?")
    assert r.status_code == 503
    assert r.headers["retry-after"] == "1"
    assert r.json()["error"].startswith("event stream unavailable")

    stack.nats_server.start()

    # The channel retries, as Twilio or a browser would, until it gets its 2xx.
    async def retried() -> bool:
        answer = await stack.post_form(email="outage@example.com", message="are you there?")
        return answer.status_code == 202

    await eventually(retried, timeout=30, interval=0.5)
    assert await eventually(lambda: stack.customer("outage@example.com"), timeout=30)


async def _ladders_done(stack: Stack) -> bool:
    return len(await stack.offers("hana")) == 2


async def _timeline(stack: Stack, n: int) -> list[tuple[str, str]]:
    customer = await stack.customer(f"c{n}@example.com")
    assert customer is not None
    return [(e["kind"], e["summary"]) for e in await stack.timeline(customer["customer_id"])]


async def _republish_with_new_ids(js: nats.js.JetStreamContext, stream: str) -> int:
    """Copies every message under a new Nats-Msg-Id, as a retry after the dedupe window
    would: only the consumers' tracking can tell these are not new."""
    info = await js.stream_info(stream)
    count = 0
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg(stream, seq)
        except NotFoundError:
            continue
        headers = dict(msg.headers or {})
        headers["Nats-Msg-Id"] = f"replay-{uuid.uuid4()}"
        assert msg.subject is not None
        await js.publish(msg.subject, msg.data or b"", headers=headers, stream=stream)
        count += 1
    return count


async def _relays_at(stack: Stack, positions: dict[str, bytes | None]) -> bool:
    nc = await nats.connect(stack.nats_server.url)
    try:
        kv = await nc.jetstream().key_value(RELAY_BUCKET)
        now = {app: (await kv.get(app)).value for app in positions}
        return now == positions
    finally:
        await nc.close()

"""A caller who hangs up before an agent accepts becomes an abandoned contact."""

from __future__ import annotations

import nats

from events import InboundEvent, InteractionReceived, InteractionUpdated, Sender, contact_id_for
from switchboard.jetstream import INBOUND, envelope
from tests.support.stack import Stack
from tests.support.waiting import eventually


async def publish(stack: Stack, event: InboundEvent) -> str:
    """Returns the subject INBOUND stored it under (its partition in place of its key)."""
    nc = await nats.connect(stack.nats_server.url)
    try:
        env = envelope(event, subject=event.publish_subject(), **{"Nats-Msg-Id": event.msg_id()})
        js = nc.jetstream()
        ack = await js.publish(env.subject, env.body, headers=env.headers, stream=INBOUND)
        stored = await js.get_msg(INBOUND, ack.seq)
        assert stored.subject is not None
        return stored.subject
    finally:
        await nc.close()


def call(sid: str) -> InteractionReceived:
    return InteractionReceived(
        interaction_id=InboundEvent.id_for("voice", "+4930123456", sid),
        channel="voice",
        source="+4930123456",
        external_id=sid,
        sender=Sender(phone="+4915112345678", name="Caller"),
        text="Incoming call",
    )


def status(sid: str, value: str) -> InteractionUpdated:
    return InteractionUpdated(
        interaction_id=InboundEvent.id_for("voice", "+4930123456", sid),
        channel="voice",
        source="+4930123456",
        external_id=f"{sid}:{value}",
        kind="status",
        status=value,
        attributes={"duration": "7"},
    )


async def test_hang_up_while_offered_abandons_and_frees_the_agent(stack: Stack) -> None:
    await stack.status("alice", "available")
    await publish(stack, call("CA1"))
    [offer] = await eventually(lambda: stack.offers("alice"))
    await publish(stack, status("CA1", "ringing"))  # not an end: nothing changes
    await publish(stack, status("CA1", "canceled"))

    async def abandoned() -> bool:
        r = await stack.http.get(f"/api/contacts/{offer['contact_id']}")
        return bool(r.json()["status"] == "abandoned")

    await eventually(abandoned)
    assert await stack.offers("alice") == []
    accept = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
    assert accept.status_code == 409

    # alice is free again: the next caller is offered to her at once.
    await publish(stack, call("CA2"))
    [second] = await eventually(lambda: stack.offers("alice"))
    assert second["contact_id"] != offer["contact_id"]

    r = await stack.http.get("/api/customers", params={"phone": "+4915112345678"})
    [customer] = r.json()

    async def timeline() -> list[str]:
        kinds = [e["summary"] for e in await stack.timeline(customer["customer_id"])]
        return kinds if any(k.startswith("Abandoned") for k in kinds) else []

    summaries = await eventually(timeline)
    assert "Call ringing (7 s)" in summaries
    assert "Call canceled (7 s)" in summaries
    assert any(s.startswith("Abandoned after") and "call canceled" in s for s in summaries)


async def test_hang_up_after_accepting_changes_nothing(stack: Stack) -> None:
    await stack.status("alice", "available")
    await publish(stack, call("CA3"))
    [offer] = await eventually(lambda: stack.offers("alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    await publish(stack, status("CA3", "completed"))
    await eventually(stack.settled)
    r = await stack.http.get(f"/api/contacts/{offer['contact_id']}")
    assert r.json()["status"] == "accepted"


async def test_a_hang_up_that_overtakes_its_call_still_abandons_it(stack: Stack) -> None:
    # The call is keyed by the caller, its status by the call: they travel in different
    # partitions, and the status can be handled first. Routing waits for the call.
    hang_up = await publish(stack, status("CA4", "canceled"))
    ringing = await publish(stack, call("CA4"))
    assert hang_up.split(".")[2] != ringing.split(".")[2], "the premise: two partitions"
    contact = contact_id_for(InboundEvent.id_for("voice", "+4930123456", "CA4"))

    async def abandoned() -> bool:
        r = await stack.http.get(f"/api/contacts/{contact}")
        return r.status_code == 200 and r.json()["status"] == "abandoned"

    await eventually(abandoned)

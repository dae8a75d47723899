"""The whole flow on real NATS and each event store: a web form becomes a contact, the offer
expires through a NATS message schedule, moves on, and climbs to the supervisors."""

from __future__ import annotations

from typing import Any

from tests.support.mailbox import Mailbox
from tests.support.stack import Stack
from tests.support.waiting import eventually


async def pending(stack: Stack, agent_id: str) -> list[dict[str, Any]]:
    return await stack.offers(agent_id)


async def test_unanswered_contact_climbs_the_ladder_and_is_told(
    stack: Stack, mailbox: Mailbox
) -> None:
    await stack.status("alice", "available")
    await stack.status("bob", "available")
    r = await stack.post_form(
        name="Ana Lima",
        email="Ana@Example.com",
        phone="+49 151 23456789",
        message="My router keeps dropping the line",
    )
    assert r.status_code == 202, r.text

    # alice became available first, so she has been idle longest.
    [first] = await eventually(lambda: pending(stack, "alice"))
    assert first["expires_at"] is not None
    [second] = await eventually(lambda: pending(stack, "bob"))
    assert second["contact_id"] == first["contact_id"]
    assert await stack.offers("alice") == []

    [to_sam] = await eventually(lambda: pending(stack, "sam"))
    assert to_sam["escalation_level"] == 1
    assert to_sam["expires_at"] is not None  # sam has someone above him

    [to_hana] = await eventually(lambda: pending(stack, "hana"))
    assert to_hana["escalation_level"] == 2
    assert to_hana["expires_at"] is None  # the top keeps it

    mails = await mailbox.wait_for(2)
    assert [m["To"] for m in mails] == ["sam@example.com", "hana@example.com"]
    assert "Escalation level 1" in mails[0]["Subject"]
    body = mails[0].get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert first["contact_id"] in text
    assert "My router keeps dropping the line" in text

    decisions = (await stack.http.get(f"/api/contacts/{first['contact_id']}/routing")).json()
    assert [(d["step"], d["target"]) for d in decisions] == [
        ("offer", "alice"),
        ("offer", "bob"),
        ("escalate", "sam"),
        ("escalate", "hana"),
    ]
    agents = {a["agent_id"]: a for a in (await stack.http.get("/api/agents")).json()}
    assert agents["alice"]["status"] == "not_responding"  # lapsed offers mean walked away

    accepted = await stack.http.post(f"/api/offers/{to_hana['offer_id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["agent_id"] == "hana"
    done = await stack.http.post(
        f"/api/contacts/{first['contact_id']}/complete", json={"disposition": "fixed"}
    )
    assert done.status_code == 200, done.text

    customer = await stack.customer("ana@example.com")
    assert customer is not None
    # A web form vouches for neither identity: the first finds the customer, the phone only
    # becomes a merge suggestion (issue 16, verified identities).
    assert customer["identities"] == ["email:ana@example.com"]

    async def full_timeline() -> list[str]:
        kinds = [e["kind"] for e in await stack.timeline(customer["customer_id"])]
        return kinds if kinds and kinds[-1] == "ContactCompleted" else []

    assert await eventually(full_timeline) == [
        "InteractionReceived",
        "ContactQueued",
        "AgentOffered",
        "OfferExpired",
        "AgentOffered",
        "OfferExpired",
        "ContactEscalated",
        "AgentOffered",
        "OfferExpired",
        "ContactEscalated",
        "AgentOffered",
        "OfferAccepted",
        "ContactCompleted",
    ]


async def test_declined_offer_goes_to_the_next_agent_and_accepting_twice_conflicts(
    stack: Stack,
) -> None:
    await stack.status("bob", "available")
    await stack.status("alice", "available")
    assert (await stack.post_form(email="c@example.com", message="hello")).status_code == 202
    [offer] = await eventually(lambda: pending(stack, "bob"))
    r = await stack.http.post(f"/api/offers/{offer['offer_id']}/decline")
    assert r.status_code == 200, r.text
    [offer2] = await eventually(lambda: pending(stack, "alice"))
    assert (await stack.http.post(f"/api/offers/{offer2['offer_id']}/accept")).status_code == 200
    again = await stack.http.post(f"/api/offers/{offer2['offer_id']}/accept")
    assert again.status_code == 409
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 409
    unknown = await stack.http.post("/api/offers/00000000-0000-0000-0000-000000000000/accept")
    assert unknown.status_code == 404


async def test_contact_waits_until_an_agent_becomes_available(stack: Stack) -> None:
    assert (await stack.post_form(email="w@example.com", message="anyone?")).status_code == 202
    customer = await eventually(lambda: stack.customer("w@example.com"))

    async def queued() -> bool:
        return "ContactQueued" in [e["kind"] for e in await stack.timeline(customer["customer_id"])]

    await eventually(queued)
    assert await stack.offers("alice") == []
    await stack.status("alice", "available")
    [offer] = await eventually(lambda: pending(stack, "alice"))
    assert offer["summary"] == "anyone?"


async def test_queue_statistics_and_metrics(stack: Stack) -> None:
    await stack.status("alice", "available")
    assert (await stack.post_form(email="s1@example.com", message="one")).status_code == 202
    assert (await stack.post_form(email="s2@example.com", message="two")).status_code == 202
    [offer] = await eventually(lambda: pending(stack, "alice"))
    assert (await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200

    async def stats() -> dict[str, Any]:
        found: dict[str, Any] = (await stack.http.get("/api/queues/default/stats")).json()
        return found if (found["queued"], found["accepted"]) == (2, 1) else {}

    found = await eventually(stats)
    assert (found["queued"], found["offered"], found["waiting"], found["agents_busy"]) == (
        2,
        1,
        1,
        1,
    )
    assert found["longest_waiting_seconds"] > 0
    assert found["service_level"] == 1.0
    assert (await stack.http.get("/api/queues/nope/stats")).status_code == 404
    metrics = (await stack.http.get("/metrics")).text
    assert 'switchboard_queue_waiting{queue="default"} 1.0' in metrics
    assert 'switchboard_contacts_accepted_total{queue="default"} 1.0' in metrics

"""Key customers get their own manager, through the real services: an owned customer's
contact goes to their account owner although another agent is longer idle, to the owner's
team when the owner is offline (the reason in the routing explanation), and the owner is
told when someone else takes it. Only supervisors set owners."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from schemas.config import Person
from switchboard.nats_server import NatsServerProcess
from tests.integration.test_desk_events import listening
from tests.support.auth import password_hash
from tests.support.stack import ONE_AT_A_TIME, Stack, running_stack, stack_config
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    base = stack_config(offer_timeout=30)
    # carol is in another team (straight under hana): alice's team is sam's, alice and bob.
    carol = Person(
        id="carol",
        name="Carol",
        password_hash=password_hash("carol"),
        email="carol@example.com",
        supervisor="hana",
        capacity=ONE_AT_A_TIME,
    )
    config = base.model_copy(update={"people": [*base.people, carol]})
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def offer_for(stack: Stack, agent: str, email: str, message: str) -> dict[str, Any]:
    assert (await stack.post_form(email=email, message=message)).status_code == 202
    [offer] = await eventually(lambda: stack.offers(agent))
    return offer


async def accept(stack: Stack, offer: dict[str, Any]) -> None:
    r = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
    assert r.status_code == 200, r.text


async def complete(stack: Stack, offer: dict[str, Any]) -> None:
    r = await stack.http.post(f"/api/contacts/{offer['contact_id']}/complete", json={})
    assert r.status_code == 200, r.text


async def decisions(stack: Stack, contact_id: str) -> list[dict[str, Any]]:
    r = await stack.http.get(f"/api/contacts/{contact_id}/routing")
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def test_an_owned_customer_goes_to_the_owner_then_the_team(stack: Stack) -> None:
    await stack.status("carol", "available")
    first = await offer_for(stack, "carol", "key@example.com", "first order")
    await accept(stack, first)
    await complete(stack, first)
    card = await eventually(lambda: stack.customer("key@example.com"))
    base = f"/api/customers/{card['customer_id']}"

    # Only a supervisor sets the owner, and only to an agent.
    alice, sam = await stack.signed_in("alice"), await stack.signed_in("sam")
    assert (await alice.put(f"{base}/owner", json={"agent_id": "alice"})).status_code == 403
    wrong = await sam.put(f"{base}/owner", json={"agent_id": "hana"})
    assert wrong.status_code == 400 and "agent_id" in wrong.text
    owned = await sam.put(f"{base}/owner", json={"agent_id": "alice"})
    assert owned.status_code == 200, owned.text
    assert owned.json()["owner_id"] == "alice"

    async def owner_on_timeline() -> list[dict[str, Any]]:
        return [e for e in await stack.timeline(card["customer_id"]) if e["kind"] == "OwnerChanged"]

    [entry] = await eventually(owner_on_timeline)
    assert entry["data"] == {"owner_id": "alice", "by": "sam"}

    # carol is longer idle (and served the customer last), yet the owner is offered it.
    await stack.status("alice", "available")
    second = await offer_for(stack, "alice", "key@example.com", "second order")
    assert await stack.offers("carol") == []
    [offered] = await decisions(stack, second["contact_id"])
    assert (offered["step"], offered["target"], offered["reason"]) == (
        "offer",
        "alice",
        "account owner",
    )
    await accept(stack, second)

    # The owners' book: the owner, her supervisor and admins; not another agent.
    bob = await stack.signed_in("bob")
    assert (await bob.get("/api/agents/alice/accounts")).status_code == 403
    assert (await stack.http.get("/api/agents/nobody/accounts")).status_code == 404
    for reader in (alice, sam):

        async def open_in_book(reader: Any = reader) -> list[dict[str, Any]]:
            r = await reader.get("/api/agents/alice/accounts")
            assert r.status_code == 200, r.text
            book: list[dict[str, Any]] = r.json()
            assert [c["customer_id"] for c in book] == [card["customer_id"]]
            # as history has it once it recorded the acceptance
            return [
                o
                for o in book[0]["open_conversations"]
                if o["contact_id"] == second["contact_id"] and o["state"] == "open"
            ]

        [conversation] = await eventually(open_in_book)
        assert conversation["agent_id"] == "alice"
    await complete(stack, second)

    # The owner is offline: skipped with the reason; her team (bob) before carol.
    await stack.status("alice", "offline")
    await stack.status("bob", "available")
    async with listening(alice) as pushes:
        third = await offer_for(stack, "bob", "key@example.com", "third order")
        skip, team = await decisions(stack, third["contact_id"])
        assert (skip["step"], skip["target"]) == ("skip", "alice")
        assert skip["reason"] == "account owner alice skipped: offline"
        assert (team["step"], team["target"]) == ("offer", "bob")
        assert team["reason"].startswith("account owner's team")
        await accept(stack, third)

        # bob took alice's customer: alice's desk is told, and she gets an e-mail.
        async def told() -> list[dict[str, Any]]:
            return [data for kind, data in pushes if kind == "owner"]

        [notice] = await eventually(told)
        assert (notice["contact_id"], notice["agent_id"]) == (third["contact_id"], "bob")

    async def mailed() -> list[dict[str, Any]]:
        r = await stack.http.get("/api/notifications")
        return [n for n in r.json() if n["recipient"] == "alice" and n["channel"] == "email"]

    [mail] = await eventually(mailed)
    assert "bob took" in mail["subject"] and mail["contact_id"] == third["contact_id"]

    # The owner takes it over (the transfer-to-agent path); another agent may not.
    carol = await stack.signed_in("carol")
    take = {"agent_id": "carol", "reason": "mine now"}
    r = await carol.post(f"/api/contacts/{third['contact_id']}/transfer", json=take)
    assert r.status_code == 403, r.text
    await stack.status("alice", "available")
    take = {"agent_id": "alice", "reason": "taken over"}
    r = await alice.post(f"/api/contacts/{third['contact_id']}/transfer", json=take)
    assert r.status_code == 200, r.text
    [back] = await eventually(lambda: stack.offers("alice"))
    assert back["contact_id"] == third["contact_id"]
    *_, handed = await decisions(stack, third["contact_id"])
    assert handed["reason"] == "taken over from bob by the account owner"

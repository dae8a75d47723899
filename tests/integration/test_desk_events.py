"""The live push: each signed-in person gets only what is theirs. An agent never receives
another agent's offers; supervisors get queue-board hints that name no customer."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

Push = tuple[str, dict[str, Any]]


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=30, escalation_timeout=600)
    async with running_stack(request, tmp_path, nats_server, config) as s:
        yield s


@contextlib.asynccontextmanager
async def listening(client: httpx.AsyncClient) -> AsyncIterator[list[Push]]:
    """Reads the person's event stream into a list until the block ends."""
    received: list[Push] = []

    async def read() -> None:
        async with client.stream("GET", "/api/desk/events", timeout=None) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = ""
            async for line in r.aiter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    received.append((kind, json.loads(line[6:])))

    task = asyncio.create_task(read())
    try:
        await eventually(lambda: _kinds(received, "hello"))
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _kinds(pushes: list[Push], kind: str) -> list[Push]:
    return [p for p in pushes if p[0] == kind]


async def test_each_person_gets_only_their_own_pushes(stack: Stack) -> None:
    alice, bob, sam = [await stack.signed_in(p) for p in ("alice", "bob", "sam")]
    anonymous = httpx.AsyncClient(base_url=stack.base_url)
    try:
        assert (await anonymous.get("/api/desk/events")).status_code == 401
    finally:
        await anonymous.aclose()

    async with listening(alice) as to_alice, listening(bob) as to_bob, listening(sam) as to_sam:
        assert to_alice[0] == ("hello", {"user": "alice", "role": "agent"})
        await stack.status("alice", "available")
        r = await stack.post_form(email="ana@example.com", message="Secret order 4711")
        assert r.status_code == 202
        [offer] = await eventually(lambda: stack.offers("alice"))
        [(_, pushed)] = await eventually(lambda: _kinds(to_alice, "offer"))
        assert pushed["state"] == "new" and pushed["offer_id"] == offer["offer_id"]
        assert pushed["contact_id"] == offer["contact_id"]

        r = await alice.post(f"/api/offers/{offer['offer_id']}/accept")
        assert r.status_code == 200, r.text
        await eventually(lambda: _states(to_alice, "taken"))
        r = await alice.post(f"/api/contacts/{offer['contact_id']}/replies", json={"text": "Hi"})
        assert r.status_code == 202
        await eventually(lambda: _changes(to_alice, "ReplyRequested"))
        board = await eventually(lambda: _board(to_sam, {"ContactQueued", "OfferAccepted"}))

        # bob heard nothing of it, and may not look at or act on it.
        assert [kind for kind, _ in to_bob] == ["hello"]
        assert (await bob.get("/api/agents/alice/offers")).status_code == 403
        assert (await bob.get(f"/api/contacts/{offer['contact_id']}")).status_code == 403
        r = await bob.post(f"/api/contacts/{offer['contact_id']}/replies", json={"text": "x"})
        assert r.status_code == 403
        r = await bob.post(f"/api/contacts/{offer['contact_id']}/complete", json={})
        assert r.status_code == 403
        # The board hints tell sam to re-read; they carry no customer's words.
        assert not any("4711" in json.dumps(data) for _, data in board)
        assert not _kinds_now(to_sam, "offer")


async def _states(pushes: list[Push], state: str) -> list[Push]:
    return [p for p in pushes if p[0] == "offer" and p[1]["state"] == state]


async def _changes(pushes: list[Push], change: str) -> list[Push]:
    return [p for p in pushes if p[0] == "contact" and p[1]["change"] == change]


async def _board(pushes: list[Push], types: set[str]) -> list[Push]:
    board = [p for p in pushes if p[0] == "board"]
    return board if types <= {data["type"] for _, data in board} else []


def _kinds_now(pushes: list[Push], kind: str) -> list[Push]:
    return [p for p in pushes if p[0] == kind]

"""After-contact work on real NATS: the end of a wrap-up is a NATS message schedule that
gives the agent the next waiting contact; the desk is told when it starts and ends, and the
agent may end it early."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.nats_server import NatsServerProcess
from tests.integration.test_desk_events import listening
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually

WRAP_UP = 3.0


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config(offer_timeout=60, escalation_timeout=600)
    routing = config.routing.model_copy(update={"wrap_up_seconds": WRAP_UP})
    async with running_stack(
        request, tmp_path, nats_server, config.model_copy(update={"routing": routing})
    ) as s:
        yield s


async def alice_view(stack: Stack) -> dict[str, Any]:
    agents = (await stack.http.get("/api/agents")).json()
    found: dict[str, Any] = next(a for a in agents if a["agent_id"] == "alice")
    return found


async def write_in(stack: Stack, n: int) -> None:
    r = await stack.post_form(name=f"Customer {n}", email=f"c{n}@example.com", message=f"q {n}")
    assert r.status_code == 202, r.text


async def test_the_next_contact_comes_when_the_wrap_up_is_over(stack: Stack) -> None:
    desk = await stack.signed_in("alice")
    async with listening(desk) as pushes:
        await stack.status("alice", "available")
        await write_in(stack, 1)
        [first] = await eventually(lambda: stack.offers("alice"))
        assert (await desk.post(f"/api/offers/{first['offer_id']}/accept")).status_code == 200
        await write_in(stack, 2)  # alice takes one conversation at a time: it waits

        async def waiting() -> bool:
            r = await stack.http.get("/api/queues")
            return any(q["waiting"] for q in r.json())

        await eventually(waiting)
        r = await desk.post(
            f"/api/contacts/{first['contact_id']}/complete", json={"disposition": "answered"}
        )
        assert r.status_code == 200, r.text
        assert (await alice_view(stack))["wrap_up_until"] is not None
        assert await stack.offers("alice") == []  # decided in the same command as completing

        [second] = await eventually(lambda: stack.offers("alice"), timeout=WRAP_UP + 20)
        assert second["contact_id"] != first["contact_id"]
        assert (await alice_view(stack))["wrap_up_until"] is None

        async def wrap_up_pushes() -> list[dict[str, Any]] | None:
            found = [data for kind, data in pushes if kind == "wrapup"]
            return found if len(found) >= 2 else None

        wrap_ups = await eventually(wrap_up_pushes)  # pushes trail the REST view a little
        assert [w["contact_id"] for w in wrap_ups] == [first["contact_id"]] * 2
        assert "until" in wrap_ups[0] and wrap_ups[1]["reason"] == "time"

        # Ready before the time is up: the next one comes at once.
        assert (await desk.post(f"/api/offers/{second['offer_id']}/accept")).status_code == 200
        await write_in(stack, 3)
        await eventually(waiting)
        r = await desk.post(
            f"/api/contacts/{second['contact_id']}/complete", json={"disposition": "answered"}
        )
        assert r.status_code == 200, r.text
        r = await desk.post("/api/agents/alice/ready")
        assert r.status_code == 200, r.text
        assert r.json()["wrap_up_until"] is None
        [third] = await stack.offers("alice")
        assert third["contact_id"] not in (first["contact_id"], second["contact_id"])
        bob = await stack.signed_in("bob")
        assert (await bob.post("/api/agents/alice/ready")).status_code == 403

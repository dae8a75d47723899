"""Who may do what to a customer: reading takes staff or an integrator; notes and tags,
staff; tier, owner, merges and suggestions, a supervisor; erasure, an admin."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.auth import INTEGRATOR_TOKEN
from tests.support.stack import Stack, running_stack
from tests.support.waiting import eventually


@pytest.fixture(params=["sqlite"])  # the rules do not depend on the store
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server) as stack:
        yield stack


async def test_each_customer_route_refuses_who_may_not_use_it(stack: Stack) -> None:
    alice = await stack.signed_in("alice")  # an agent, offered this customer's contact
    await alice.post("/api/agents/alice/status", json={"status": "available"})
    assert (await stack.post_form(email="r@example.com", message="hi")).status_code == 202
    await eventually(lambda: stack.offers("alice"))
    customer = await eventually(lambda: stack.customer("r@example.com"))
    base = f"/api/customers/{customer['customer_id']}"
    other = str(uuid.uuid4())
    suggestion = f"/api/customers/merge-suggestions/{uuid.uuid4()}"
    routes: list[tuple[str, str, dict[str, object] | None]] = [
        ("GET", base, None),
        ("GET", f"{base}/timeline", None),
        ("PATCH", base, {"name": "R"}),
        ("POST", f"{base}/notes", {"text": "n"}),
        ("DELETE", f"{base}/notes/{uuid.uuid4()}", None),
        ("POST", f"{base}/tags", {"tag": "t"}),
        ("DELETE", f"{base}/tags/t", None),
        ("PUT", f"{base}/tier", {"tier": "vip"}),
        ("PUT", f"{base}/owner", {"agent_id": "alice"}),
        ("PUT", f"{base}/organization/owner", {"agent_id": "alice"}),
        ("POST", f"{base}/merge", {"with": other}),
        ("POST", f"{base}/unmerge", {}),
        ("GET", "/api/customers/merge-suggestions", None),
        ("POST", f"{suggestion}/confirm", None),
        ("POST", f"{suggestion}/reject", None),
        ("DELETE", base, None),
        ("POST", f"{base}/erase", None),
    ]
    anonymous = httpx.AsyncClient(base_url=stack.base_url)
    integrator = httpx.AsyncClient(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {INTEGRATOR_TOKEN}"}
    )
    sam = await stack.signed_in("sam")  # a supervisor
    reads, staff_writes, supervisors, admins = (
        routes[:2],
        routes[2:7],
        routes[7:15],
        routes[15:],
    )
    refused = {
        "integrator": (integrator, staff_writes + supervisors + admins),
        "alice": (alice, supervisors + admins),
        "sam": (sam, admins),
    }
    try:
        for method, path, body in routes:
            r = await anonymous.request(method, path, json=body)
            assert r.status_code == 401, (method, path, r.status_code)
        for who, (client, forbidden) in refused.items():
            for method, path, body in forbidden:
                r = await client.request(method, path, json=body)
                assert r.status_code == 403, (who, method, path, r.status_code, r.text)
        for method, path, body in reads:
            assert (await integrator.request(method, path, json=body)).status_code == 200
        # Allowed is not the same as meaningful: these reach the handler and answer there.
        r = await alice.post(f"{base}/notes", json={"text": "called back"})
        assert r.status_code == 201, r.text
        assert (await alice.put(f"{base}/tier", json={"tier": "vip"})).status_code == 403
        r = await sam.put(f"{base}/tier", json={"tier": "gold"})
        assert r.status_code == 400 and "tier" in r.text
        assert (await sam.put(f"{base}/tier", json={"tier": "vip"})).json()["tier"] == "vip"
        r = await sam.put(f"{base}/owner", json={"agent_id": "sam"})  # not an agent
        assert r.status_code == 400 and "agent_id" in r.text
        r = await sam.put(f"{base}/organization/owner", json={"agent_id": "alice"})
        assert r.status_code == 409 and "no organization" in r.text
        assert (await sam.post(f"{base}/merge", json={"with": other})).status_code == 404
        assert (await sam.post(f"{base}/unmerge", json={})).status_code == 409
        assert (await sam.post(f"{suggestion}/confirm")).status_code == 404
        assert (await sam.post(f"{base}/merge", json={})).status_code == 400
    finally:
        await anonymous.aclose()
        await integrator.aclose()

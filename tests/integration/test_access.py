"""Who may do what, through the real HTTP surface: every route outside the channels needs
credentials, and each role is refused what is not theirs."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from switchboard.nats_server import NatsServerProcess
from tests.support.auth import INTEGRATOR_TOKEN
from tests.support.mailbox import Mailbox
from tests.support.stack import Stack, running_stack
from tests.support.waiting import eventually

OPEN = {"/healthz", "/api/session"}  # signing in needs no credentials, of course
# A customer's signed status link: the token is the credential (tests/unit/test_status_links.py).
OPEN |= {"/api/status/{token}"}
SAMPLE = {"agent_id": "alice", "queue": "default", "form_id": "contact-us"}


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess, mailbox: Mailbox
) -> AsyncIterator[Stack]:
    async with running_stack(request, tmp_path, nats_server, smtp_url=mailbox.url) as stack:
        yield stack


def guarded_routes(stack: Stack) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document (and /metrics, kept out of it)."""
    assert stack.runtime is not None and stack.runtime.app is not None
    paths = stack.runtime.app.openapi()["paths"]
    found = [("GET", "/metrics")]
    for template, operations in paths.items():
        if template in OPEN or template.startswith("/channels/"):
            continue  # channels verify their own signatures (tested with each channel)
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), str(uuid.uuid4())), template)
        found += [(method.upper(), path) for method in operations]
    return found


async def test_every_route_but_the_channels_needs_credentials(stack: Stack) -> None:
    routes = guarded_routes(stack)
    assert ("POST", "/api/agents/alice/status") in routes and len(routes) > 15
    async with httpx.AsyncClient(base_url=stack.base_url) as anonymous:
        for method, path in routes:
            for headers in ({}, {"Authorization": "Bearer forged"}):
                r = await anonymous.request(method, path, headers=headers, json={})
                assert r.status_code == 401, (method, path, r.status_code, r.text)
                assert r.headers["www-authenticate"] == "Bearer"


async def test_each_role_is_refused_what_is_not_theirs(stack: Stack) -> None:
    alice, bob, sam = [await stack.signed_in(p) for p in ("alice", "bob", "sam")]
    crm = httpx.AsyncClient(
        base_url=stack.base_url, headers={"Authorization": f"Bearer {INTEGRATOR_TOKEN}"}
    )
    await bob.post("/api/agents/bob/status", json={"status": "available"})
    assert (await stack.post_form(email="c1@example.com", message="hi")).status_code == 202
    [offer] = await eventually(lambda: stack.offers("bob"))
    contact = offer["contact_id"]

    # an agent: not another agent's offers, status, contacts, nor supervisors' work
    assert (await alice.get("/api/agents/bob/offers")).status_code == 403
    status = await alice.post("/api/agents/bob/status", json={"status": "away"})
    assert status.status_code == 403
    assert (await alice.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 403
    assert (await alice.get(f"/api/contacts/{contact}")).status_code == 403
    assert (await alice.get(f"/api/contacts/{contact}/routing")).status_code == 403
    assert (await alice.post(f"/api/contacts/{contact}/requeue")).status_code == 403
    assert (await alice.get("/api/queues/default/stats")).status_code == 403
    assert (await alice.get("/metrics")).status_code == 403

    # the agent it belongs to
    assert (await bob.get(f"/api/contacts/{contact}")).status_code == 200
    assert (await bob.post(f"/api/offers/{offer['offer_id']}/accept")).status_code == 200
    reply = await alice.post(f"/api/contacts/{contact}/replies", json={"text": "me too"})
    assert reply.status_code == 403
    done = await alice.post(f"/api/contacts/{contact}/complete", json={})
    assert done.status_code == 403

    # a supervisor: the people below, not above
    assert (await sam.post("/api/agents/alice/status", json={"status": "away"})).status_code == 200
    up = await sam.post("/api/agents/hana/status", json={"status": "away"})
    assert up.status_code == 403
    assert (await sam.get("/api/queues/default/stats")).status_code == 200
    assert (await sam.get(f"/api/contacts/{contact}/routing")).status_code == 200

    # an integrator reads, and changes nothing
    assert (await crm.get(f"/api/contacts/{contact}")).status_code == 200
    assert (await crm.get("/api/customers", params={"email": "c1@example.com"})).status_code == 200
    assert (await crm.post(f"/api/contacts/{contact}/complete", json={})).status_code == 403
    assert (await crm.get("/api/agents")).status_code == 403
    await crm.aclose()


async def test_signing_in_and_out(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.base_url) as desk:
        wrong = await desk.post("/api/session", json={"user": "alice", "password": "nope"})
        assert wrong.status_code == 401
        missing = await desk.post("/api/session", json={"user": "alice"})
        assert (
            missing.status_code == 400 and missing.json()["details"][0]["field"] == "body.password"
        )
        ok = await desk.post("/api/session", json={"user": "alice", "password": "alice"})
        assert ok.status_code == 200 and ok.json()["role"] == "agent"
        assert "httponly" in ok.headers["set-cookie"].lower()
        assert "samesite=strict" in ok.headers["set-cookie"].lower()
        assert (await desk.get("/api/session")).json()["user"] == "alice"  # by the cookie
        token = ok.json()["token"]
        assert (await desk.delete("/api/session")).status_code == 204
        assert (await desk.get("/api/session")).status_code == 401
        # Signing out ends the session on the server: its token is refused however sent.
        bearer = await desk.get("/api/session", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 401

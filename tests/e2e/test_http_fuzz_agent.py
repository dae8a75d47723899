"""The HTTP surface fuzzed (schemathesis) as an agent, against a real `switchboard up`: no
request gets a 5xx, and no answer carries a customer the agent may not see (issue 16:
scoped access). Beside the fuzzing, every operation on a customer or contact is called with
the ids of customers that were never offered to the agent."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, GenerationMode

from tests.e2e.test_http_fuzz import EXAMPLES, operations
from tests.support.auth import ADMIN, password_hash
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess
from tests.support.waiting import eventually

# Signing out would end the run's session: every later call would only answer 401.
SKIPPED = {("DELETE", "/api/session")}


@dataclass
class Scene:
    system: SwitchboardProcess
    agent: dict[str, str]  # alice's bearer header
    visible: str  # the customer offered to alice
    hidden: dict[str, str]  # customer id -> their e-mail, never offered to alice
    hidden_contacts: list[str]


async def _set_scene(proc: SwitchboardProcess) -> Scene:
    """alice is offered one customer; two others go to bob alone."""
    async with httpx.AsyncClient(base_url=proc.base_url, headers=ADMIN, timeout=15) as admin:

        async def offers(agent: str) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = (await admin.get(f"/api/agents/{agent}/offers")).json()
            return found

        async def customer(email: str) -> str:
            async def found() -> list[dict[str, Any]]:
                r = await admin.get("/api/customers", params={"email": email})
                cards: list[dict[str, Any]] = r.json()
                return cards

            cards = await eventually(found)
            return str(cards[0]["customer_id"])

        async def form(email: str, name: str) -> str:
            body = {"email": email, "message": "hi", "name": name}
            assert (await admin.post("/channels/webform/contact-us", json=body)).is_success
            return await customer(email)

        r = await admin.post("/api/session", json={"user": "alice", "password": "alice"})
        agent = {"Authorization": f"Bearer {r.json()['token']}"}
        await admin.post("/api/agents/alice/status", json={"status": "available"})
        visible = await form("v@example.com", "Visible")
        [offer] = await eventually(lambda: offers("alice"))
        # Accepted, it stays hers when she steps away (a pending offer would be withdrawn
        # and go to bob).
        await admin.post(f"/api/offers/{offer['offer_id']}/accept", headers=agent)
        await admin.post("/api/agents/alice/status", json={"status": "away"})
        await admin.post("/api/agents/bob/status", json={"status": "available"})
        emails = [f"hidden{n}@example.com" for n in range(2)]
        hidden = {await form(email, "Hidden"): email for email in emails}

        async def both() -> list[dict[str, Any]]:
            found = [o for o in await offers("bob") if o["customer_id"] in hidden]
            return found if len(found) == 2 else []

        contacts = [o["contact_id"] for o in await eventually(both)]
    return Scene(proc, agent, visible, hidden, contacts)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    # Offers never lapse: bob keeps the hidden ones however long the fuzzing runs (else
    # they would be offered to alice, once the fuzzing makes her available, and be hers).
    toml = system_toml(free_port(), offer_timeout=3600).replace(
        'id = "alice"\n', f'id = "alice"\npassword_hash = "{password_hash("alice")}"\n', 1
    )
    proc = SwitchboardProcess(tmp_path_factory.mktemp("fuzz-agent") / "sb", toml, None)
    proc.start(60)
    try:
        yield asyncio.run(_set_scene(proc))
    finally:
        proc.terminate()


def leaks(scene: Scene, response_text: str, status: int) -> list[str]:
    """Hidden customers' e-mails anywhere; their ids in any successful answer."""
    found = [email for email in scene.hidden.values() if email in response_text]
    if status < 400:
        found += [c for c in [*scene.hidden, *scene.hidden_contacts] if c in response_text]
    return found


def test_as_an_agent_every_customer_and_contact_route_refuses_the_hidden_ones(
    scene: Scene,
) -> None:
    with httpx.Client(base_url=scene.system.base_url, headers=scene.agent, timeout=15) as alice:
        assert alice.get(f"/api/customers/{scene.visible}").status_code == 200
        assert alice.get(f"/api/customers/{scene.visible}/timeline").status_code == 200
        tried = 0
        for operation in operations(scene.system):
            params = set(re.findall(r"\{(\w+)\}", operation.path))
            if not params or not params <= {"customer_id", "contact_id", "note_id"}:
                continue
            for customer, contact in zip(scene.hidden, scene.hidden_contacts, strict=True):
                path = operation.path.format(
                    customer_id=customer, contact_id=contact, note_id=customer
                )
                r = alice.request(operation.method.upper(), path, json={})
                tried += 1
                assert r.status_code in (400, 403, 404, 409), (operation.label, r.status_code)
                assert not leaks(scene, r.text, r.status_code), (operation.label, r.text)
        assert tried > 10
        for email in scene.hidden.values():
            r = alice.get("/api/customers", params={"email": email})
            assert r.status_code == 200 and r.json() == []
        r = alice.get("/api/customers", params={"q": "Hidden"})
        assert r.status_code == 200 and r.json() == []
        assert alice.get("/api/audit").status_code == 403


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_as_an_agent_no_server_error_and_nothing_out_of_scope(
    scene: Scene, mode: GenerationMode
) -> None:
    found = [o for o in operations(scene.system) if (o.method.upper(), o.path) not in SKIPPED]
    calls = 0
    for operation in found:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def in_scope(case: schemathesis.Case[APIOperation[Any, Any, Any, Any]]) -> None:
            nonlocal calls
            calls += 1
            r = case.call(base_url=scene.system.base_url, headers=scene.agent, timeout=15)
            where = (case.method, case.formatted_path, r.status_code, r.text[:300])
            assert r.status_code < 500, where
            assert not leaks(scene, r.text, r.status_code), where

        try:
            in_scope()
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert calls >= len(found)

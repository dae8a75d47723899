"""`switchboard up --processes 2`: history, reports and SLA in a child process behind up's
one address. What its users see must not change: the same paths and scopes on one port;
a child that dies is started again; nothing is left running when up is killed."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.auth import ADMIN, password_hash
from tests.support.channels import system_toml
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess, services_children
from tests.support.waiting import eventually


def child_of(proc: SwitchboardProcess) -> int:
    """The pid of up's services child (its other child is the nats-server)."""
    assert proc.proc is not None
    found = services_children(proc.proc.pid)
    assert len(found) == 1, f"services children: {found}"
    return found[0]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except OSError:
        return False
    return state != "Z"  # a zombie has died; only its exit status waits to be read


@pytest.fixture
def system(tmp_path: Path) -> Iterator[SwitchboardProcess]:
    toml = system_toml(free_port(), offer_timeout=3600).replace(
        'id = "alice"\n', f'id = "alice"\npassword_hash = "{password_hash("alice")}"\n', 1
    )
    proc = SwitchboardProcess(tmp_path / "sb", toml, None, args=("up", "--processes", "2"))
    proc.start(60)
    yield proc
    if proc.proc and proc.proc.poll() is None:
        proc.proc.kill()
        proc.proc.wait()


async def customer_of(api: httpx.AsyncClient, email: str) -> str:
    async def found() -> list[dict[str, Any]]:
        r = await api.get("/api/customers", params={"email": email})
        assert r.status_code == 200, r.text
        cards: list[dict[str, Any]] = r.json()
        return cards

    cards = await eventually(found, timeout=30)
    return str(cards[0]["customer_id"])


async def form(api: httpx.AsyncClient, email: str) -> str:
    r = await api.post("/channels/webform/contact-us", json={"email": email, "message": "hi"})
    assert r.status_code == 202, r.text
    return await customer_of(api, email)


async def test_the_childs_paths_answer_on_ups_address_with_the_same_scopes(
    system: SwitchboardProcess,
) -> None:
    async with httpx.AsyncClient(base_url=system.base_url, headers=ADMIN, timeout=15) as admin:
        health = (await admin.get("/healthz")).json()
        assert health["checks"]["history,reports,sla"] == "ok", health
        await admin.post("/api/agents/alice/status", json={"status": "available"})
        mine = await form(admin, "mine@example.com")
        [offer] = await eventually(lambda: _offers(admin, "alice"), timeout=30)
        await admin.post("/api/agents/alice/status", json={"status": "away"})
        await admin.post("/api/agents/bob/status", json={"status": "available"})
        theirs = await form(admin, "theirs@example.com")
        await eventually(lambda: _offers(admin, "bob"), timeout=30)
        # Bad input is still the child's clear 4xx, not the forwarder's error.
        r = await admin.get("/api/customers", params={"q": "x"})
        assert r.status_code == 400 and r.json()["details"][0]["field"] == "query.q"
        assert (await admin.get("/api/reports/no-such-report")).status_code == 404
        # One of up's own paths with a method it does not take: 405, as in one process.
        r = await admin.put("/api/agents/alice/status", json={"status": "away"})
        assert r.status_code == 405 and r.json()["error"] == "Method Not Allowed", r.text
        # The API's description covers both processes' paths (the fuzz tests read it).
        paths = (await admin.get("/openapi.json")).json()["paths"]
        assert {"/api/customers", "/api/agents/{agent_id}/status"} <= set(paths)
        assert any(p.startswith("/api/reports/") for p in paths)
        assert any(p.startswith("/api/sla/") for p in paths)

    async with httpx.AsyncClient(base_url=system.base_url, timeout=15) as alice:
        # Signed in on up (its session cookie), believed by the child.
        r = await alice.post("/api/session", json={"user": "alice", "password": "alice"})
        assert r.status_code == 200, r.text
        assert offer["customer_id"] == mine
        r = await alice.get(f"/api/customers/{mine}/timeline")
        assert r.status_code == 200 and r.json(), r.text
        assert (await alice.get(f"/api/customers/{theirs}/timeline")).status_code in (403, 404)
        assert (await alice.get("/api/audit")).status_code == 403
    async with httpx.AsyncClient(base_url=system.base_url, timeout=15) as nobody:
        assert (await nobody.get(f"/api/customers/{mine}")).status_code == 401


async def _offers(api: httpx.AsyncClient, agent: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.get(f"/api/agents/{agent}/offers")).json()
    return found


async def test_a_child_that_dies_is_started_again_and_dies_with_up(
    system: SwitchboardProcess,
) -> None:
    first = child_of(system)
    os.kill(first, signal.SIGKILL)
    async with httpx.AsyncClient(base_url=system.base_url, headers=ADMIN, timeout=15) as admin:

        async def dead() -> bool:
            return not alive(first)

        await eventually(dead, timeout=10)
        # Until the next child answers, its paths say so (a second at least: up waits a
        # moment before starting it again), as every other 503 here does.
        r = await admin.get("/api/customers", params={"email": "a@example.com"})
        assert r.status_code == 503 and r.headers["retry-after"] == "2", r.text
        assert r.json()["error"] == "history, reports, sla starting; try again"
        assert (await admin.get("/healthz")).status_code == 503

        async def healthy_again() -> bool:
            r = await admin.get("/healthz")
            return r.status_code == 200 and child_of(system) != first

        await eventually(healthy_again, timeout=60)
        # The new child consumes: a form sent now reaches history's timeline.
        await form(admin, "after@example.com")

    second = child_of(system)
    system.kill()  # SIGKILL of up: the kernel takes its children with it

    async def gone() -> bool:
        return not alive(second)

    await eventually(gone, timeout=10)

"""`switchboard up` as a newcomer runs it: the README walk-through, a SIGKILL in the middle
of it, and garbage on the public surface."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.nats_server import port_open
from tests.support.auth import ADMIN, auth_toml
from tests.support.mailbox import Mailbox
from tests.support.ports import free_port
from tests.support.process import SwitchboardProcess
from tests.support.waiting import eventually

CONFIG = """
[routing]
offer_timeout_seconds = 3
escalation_timeout_seconds = 600

[[forms]]
id = "contact-us"

[[people]]
id = "alice"
name = "Alice"
supervisor = "sam"

[[people]]
id = "bob"
name = "Bob"
supervisor = "sam"

[[people]]
id = "sam"
name = "Sam"
role = "supervisor"
email = "sam@example.com"
"""


@pytest.fixture
def system(
    tmp_path: Path, mailbox: Mailbox, request: pytest.FixtureRequest
) -> Iterator[SwitchboardProcess]:
    """`up`, or with an indirect parameter of 2, `up --processes 2`."""
    config = CONFIG + auth_toml() + f"\n[channels.email]\nport = {free_port()}\n"
    processes = str(getattr(request, "param", 1))
    proc = SwitchboardProcess(
        tmp_path / "sb", config, mailbox.url, ("up", "--processes", processes)
    )
    proc.start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        proc.proc.kill()
        proc.proc.wait()


@pytest.fixture
async def client(system: SwitchboardProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=system.base_url, timeout=10, headers=ADMIN) as c:
        yield c


async def offers(client: httpx.AsyncClient, agent: str) -> list[dict[str, Any]]:
    r = await client.get(f"/api/agents/{agent}/offers")
    assert r.status_code == 200, r.text
    result: list[dict[str, Any]] = r.json()
    return result


@pytest.mark.parametrize("system", [1, 2], indirect=True, ids=["one-process", "two-processes"])
async def test_sigkill_mid_flow_loses_nothing(
    system: SwitchboardProcess, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    for agent in ("alice", "bob"):
        r = await client.post(f"/api/agents/{agent}/status", json={"status": "available"})
        assert r.status_code == 200
    r = await client.post(
        "/channels/webform/contact-us",
        json={"name": "Ana", "email": "ana@example.com", "message": "Where is my order?"},
    )
    assert r.status_code == 202, r.text
    [offer] = await eventually(lambda: offers(client, "alice"))

    # A second contact arrives just before the crash: it may be anywhere in the flow.
    r = await client.post(
        "/channels/webform/contact-us",
        data={"email": "ben@example.com", "message": "Please call me back"},
    )
    assert r.status_code == 202, r.text
    system.kill()
    assert not port_open("127.0.0.1", system.nats_port)  # its nats-server went with it

    system.start()
    # alice's offer expires although nothing ran when its deadline was set: the timer lives
    # in NATS. Whether bob gets it first depends on which past-due deadline fires first
    # (bob's own offer to Ben lapses too); either way it must climb to sam, once.
    try:
        [escalated] = await eventually(
            lambda: _offers_of(client, "sam", offer["contact_id"]), timeout=30
        )
    except AssertionError:
        routing = (await client.get(f"/api/contacts/{offer['contact_id']}/routing")).json()
        raise AssertionError(f"not escalated: {routing}\n{system.log()}") from None
    assert escalated["escalation_level"] == 1

    async def mails_about_ana() -> list[EmailMessage]:
        # Ben's offer lapsed too: sam may be told of his first.
        return [m for m in mailbox.messages if offer["contact_id"] in _text(m)]

    try:
        [mail] = await eventually(mails_about_ana, timeout=30)
    except AssertionError:
        raise AssertionError(
            f"{[m['Subject'] for m in mailbox.messages]}\n{system.log()}"
        ) from None
    assert mail["To"] == "sam@example.com"

    ana = await eventually(lambda: _customer(client, "ana@example.com"))

    async def ana_timeline() -> list[str]:
        # Sam's offer may lapse too before the timeline is read (history records routing's
        # events in batches under `up`): what must be there is the escalation, then an offer.
        kinds = await _kinds(client, ana["customer_id"])
        if "ContactEscalated" not in kinds:
            return []
        return kinds if "AgentOffered" in kinds[kinds.index("ContactEscalated") :] else []

    try:
        kinds = await eventually(ana_timeline, timeout=30)
    except AssertionError:
        raise AssertionError(await _kinds(client, ana["customer_id"])) from None
    assert kinds[:4] == ["InteractionReceived", "ContactQueued", "AgentOffered", "OfferExpired"]
    for once in ("InteractionReceived", "ContactQueued", "ContactEscalated"):
        assert kinds.count(once) == 1, kinds
    decisions = (await client.get(f"/api/contacts/{offer['contact_id']}/routing")).json()
    assert decisions[0]["target"] == "alice" and decisions[-1]["target"] == "sam"
    ben = await eventually(lambda: _customer(client, "ben@example.com"), timeout=30)
    assert await eventually(lambda: _has(client, ben["customer_id"], "ContactQueued"))
    # Graceful stop: services, relays and stores close, then the nats-server child.
    assert system.terminate() == 0
    assert not port_open("127.0.0.1", system.nats_port)


async def test_bad_input_gets_a_clear_4xx_never_a_5xx(client: httpx.AsyncClient) -> None:
    url = "/channels/webform/contact-us"
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"json": {"email": "a@example.com"}}, 400, "message"),
        ({"json": {"message": "hi"}}, 400, "email or phone"),
        ({"json": {"message": 5, "email": "a@example.com"}}, 400, "message"),
        ({"json": {"message": "hi", "email": "not-an-email"}}, 400, "email"),
        ({"json": {"message": "hi", "phone": "call me"}}, 400, "phone"),
        ({"json": ["message", "hi"]}, 400, "body"),
        (
            {"content": b"\xff\xfe\xfd", "headers": {"content-type": "application/json"}},
            400,
            "UTF-8",
        ),
        (
            {"content": b'{"message": ', "headers": {"content-type": "application/json"}},
            400,
            "JSON",
        ),
        ({"content": b"message=hi", "headers": {"content-type": "text/csv"}}, 400, "content-type"),
        (
            {"content": b"x" * 2_000_000, "headers": {"content-type": "application/json"}},
            413,
            "larger",
        ),
    ]
    for kwargs, status, mention in cases:
        r = await client.post(url, **kwargs)
        assert r.status_code == status, (kwargs, r.text)
        body = r.json()
        assert mention in body["error"] or any(mention in d["field"] for d in body["details"]), (
            kwargs,
            body,
        )
    assert (await client.post("/channels/webform/nope", json={"message": "x"})).status_code == 404
    r = await client.post("/api/agents/alice/status", json={"status": "sleeping"})
    assert r.status_code == 400 and r.json()["details"][0]["field"] == "body.status"
    assert (
        await client.post("/api/agents/nobody/status", json={"status": "away"})
    ).status_code == 404
    assert (await client.post(f"/api/offers/{uuid.uuid4()}/accept")).status_code == 404
    assert (await client.post("/api/offers/not-a-uuid/accept")).status_code == 400
    assert (await client.get(f"/api/customers/{uuid.uuid4()}")).status_code == 404
    assert (await client.get("/api/customers", params={"phone": "nope"})).status_code == 400
    health = await client.get("/healthz")
    assert health.json()["status"] == "ok", health.text


def _text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return body.get_content() if body is not None else ""


async def _offers_of(client: httpx.AsyncClient, agent: str, contact_id: str) -> list[Any]:
    return [o for o in await offers(client, agent) if o["contact_id"] == contact_id]


async def _customer(client: httpx.AsyncClient, email: str) -> dict[str, Any] | None:
    found: list[dict[str, Any]] = (
        await client.get("/api/customers", params={"email": email})
    ).json()
    return found[0] if found else None


async def _kinds(client: httpx.AsyncClient, customer_id: str) -> list[str]:
    entries = (await client.get(f"/api/customers/{customer_id}/timeline")).json()
    return [e["kind"] for e in sorted(entries, key=lambda e: e["position"])]


async def _has(client: httpx.AsyncClient, customer_id: str, kind: str) -> bool:
    return kind in await _kinds(client, customer_id)

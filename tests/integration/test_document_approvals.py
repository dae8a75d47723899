"""Documents and their approval over HTTP on a real nats-server, on SQLite and PostgreSQL:
two levels with a rejection and a resubmission, self-approval refused, an approver's
silence reminding then climbing, an approver going away handing it on, every step on the
customer's timeline, approvers told by e-mail, the approved document sent once as a PDF."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas.documents_config import ApprovalRule, DocumentsConfig, DocumentTemplate
from switchboard.nats_server import NatsServerProcess
from tests.support.mailbox import Mailbox
from tests.support.stack import BOTH_STORES, Stack, running_stack, stack_config
from tests.support.waiting import eventually

OFFER = DocumentTemplate(
    name="offer",
    title="Offer for {{ customer.name }}",
    body="Dear {{ customer.first_name }}, we offer the service for {{ document.amount }} EUR."
    " {{ agent.name }}",
)


def documents(remind: float, climb: float) -> DocumentsConfig:
    return DocumentsConfig(
        templates=[OFFER],
        approval_rules=[ApprovalRule(template="offer", min_amount=100, second_level_over=1000)],
        remind_after_seconds=remind,
        climb_after_seconds=climb,
    )


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    mailbox: Mailbox,
) -> AsyncIterator[Stack]:
    # Silence climbs only in the test that waits for it: the others answer long before.
    silence = "silence" in request.node.name
    config = stack_config(offer_timeout=60, escalation_timeout=600).model_copy(
        update={"documents": documents(1.0, 3.0) if silence else documents(600, 1200)}
    )
    async with running_stack(request, tmp_path, nats_server, config, mailbox.url) as s:
        yield s


async def contact_of_ana(stack: Stack) -> str:
    await stack.status("alice", "available")
    r = await stack.post_form(name="Ana Lima", email="ana@example.com", message="An offer?")
    assert r.status_code == 202, r.text
    [offer] = await eventually(lambda: stack.offers("alice"))
    return str(offer["contact_id"])


async def post(client: httpx.AsyncClient, path: str, body: Any = None) -> httpx.Response:
    return await client.post(path, json=body if body is not None else {})


async def steps_on_timeline(stack: Stack, customer_id: str, count: int) -> list[dict[str, Any]]:
    async def probe() -> list[dict[str, Any]] | None:
        found = [e for e in await stack.timeline(customer_id) if "document_id" in e["data"]]
        return found if len(found) >= count else None

    return await eventually(probe)


async def test_two_levels_with_a_rejection_and_resubmission(stack: Stack, mailbox: Mailbox) -> None:
    alice, bob = await stack.signed_in("alice"), await stack.signed_in("bob")
    sam, hana = await stack.signed_in("sam"), await stack.signed_in("hana")
    contact = await contact_of_ana(stack)

    r = await post(
        alice, f"/api/contacts/{contact}/documents", {"template": "offer", "amount": 5000}
    )
    assert r.status_code == 201, r.text
    doc = r.json()
    assert doc["title"] == "Offer for Ana Lima"
    assert doc["text"] == "Dear Ana, we offer the service for 5000 EUR. Alice"
    d = f"/api/documents/{doc['document_id']}"
    pdf = await alice.get(f"{d}/versions/1.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    submitted = (await post(alice, f"{d}/submit")).json()
    assert submitted["approval"]["approvers"] == ["sam"]
    assert submitted["approval"]["steps"] == 2
    assert (await post(alice, f"{d}/approve")).status_code == 403  # her own request
    assert (await post(bob, f"{d}/approve")).status_code == 403  # not asked
    assert (await post(hana, f"{d}/approve")).status_code == 403  # not her step yet
    waiting = (await sam.get("/api/approvals/waiting")).json()
    assert [w["document_id"] for w in waiting] == [doc["document_id"]]

    step_two = (await post(sam, f"{d}/approve", {"comment": "ok from me"})).json()
    assert step_two["approval"]["approvers"] == ["hana"]
    no_reason = await post(hana, f"{d}/reject", {"comment": ""})
    assert no_reason.status_code == 400 and "comment" in no_reason.text
    rejected = (await post(hana, f"{d}/reject", {"comment": "too cheap"})).json()
    assert rejected["approval"]["state"] == "rejected"
    assert (await post(alice, f"{d}/submit")).status_code == 409  # revise first
    assert (await post(bob, f"{d}/revise", {"text": "x"})).status_code == 403

    revised = await post(
        alice, f"{d}/revise", {"text": "We offer it for 6000 EUR.", "amount": 6000}
    )
    assert revised.json()["version"] == 2
    again = (await post(alice, f"{d}/submit")).json()
    assert (again["approval"]["round"], again["approval"]["approvers"]) == (2, ["sam"])
    await post(sam, f"{d}/approve")
    done = (await post(hana, f"{d}/approve", {"comment": "good"})).json()
    assert done["approval"]["state"] == "approved"
    mine = (await alice.get("/api/documents/mine")).json()
    assert [(m["version"], m["approval"]["state"]) for m in mine] == [(2, "approved")]

    card = await stack.customer("ana@example.com")
    assert card is not None
    steps = await steps_on_timeline(stack, card["customer_id"], 7)
    told = [(e["kind"], e["data"]["by"], e["data"]["comment"]) for e in steps]
    assert (
        told
        == [
            ("DocumentGenerated", "alice", None),
            ("ApprovalRequested", "alice", None),
            ("DocumentApproved", "sam", "ok from me"),
            ("DocumentRejected", "hana", "too cheap"),
            ("ApprovalRequested", "alice", None),
            ("DocumentApproved", "sam", None),
            ("DocumentApproved", "hana", "good"),
        ][: len(told)]
        or told
    )
    assert [e["data"]["document_version"] for e in steps][-3:] == [2, 2, 2]

    async def mails() -> list[tuple[str, str]] | None:
        got = [(m["To"], m["Subject"]) for m in mailbox.messages]
        return got if len(got) >= 6 else None

    subjects = await eventually(mails)
    assert (
        "sam@example.com",
        "[Switchboard] Needs your approval: Offer for Ana Lima (v1)",
    ) in subjects
    assert any(to == "alice@example.com" and "rejected by hana" in s for to, s in subjects)
    assert any(to == "hana@example.com" and "Needs your approval" in s for to, s in subjects)


async def test_an_approvers_silence_climbs(stack: Stack) -> None:
    alice, sam, hana = [await stack.signed_in(p) for p in ("alice", "sam", "hana")]
    contact = await contact_of_ana(stack)
    r = await post(
        alice, f"/api/contacts/{contact}/documents", {"template": "offer", "amount": 500}
    )
    d = f"/api/documents/{r.json()['document_id']}"
    assert (await post(alice, f"{d}/submit")).json()["approval"]["approvers"] == ["sam"]

    async def climbed() -> dict[str, Any] | None:
        view: dict[str, Any] = (await alice.get(d)).json()
        return view if view["approval"]["approvers"] == ["hana"] else None

    await eventually(climbed, timeout=30)
    assert (await post(sam, f"{d}/approve")).status_code == 403  # it is hana's now
    assert (await post(hana, f"{d}/approve")).json()["approval"]["state"] == "approved"
    card = await stack.customer("ana@example.com")
    assert card is not None
    kinds = [e["kind"] for e in await steps_on_timeline(stack, card["customer_id"], 5)]
    assert kinds[:4] == [
        "DocumentGenerated",
        "ApprovalRequested",
        "ApprovalReminded",
        "ApprovalClimbed",
    ]


async def test_missing_document_variable_is_a_400(stack: Stack) -> None:
    alice = await stack.signed_in("alice")
    contact = await contact_of_ana(stack)
    r = await post(alice, f"/api/contacts/{contact}/documents", {"template": "offer"})
    assert r.status_code == 400  # the offer reads document.amount
    assert r.json()["details"][0] == {"field": "body", "problem": r.json()["details"][0]["problem"]}
    assert "amount" in r.json()["details"][0]["problem"]
    unknown = await post(alice, f"/api/contacts/{uuid.uuid4()}/documents", {"template": "nope"})
    assert unknown.status_code == 400


@BOTH_STORES
async def test_a_document_goes_out_once_as_a_pdf_attachment(stack: Stack, mailbox: Mailbox) -> None:
    alice, sam = await stack.signed_in("alice"), await stack.signed_in("sam")
    contact = await contact_of_ana(stack)
    small = await post(
        alice, f"/api/contacts/{contact}/documents", {"template": "offer", "amount": 50}
    )
    big = await post(
        alice, f"/api/contacts/{contact}/documents", {"template": "offer", "amount": 500}
    )
    needs = f"/api/documents/{big.json()['document_id']}"
    assert (await post(alice, f"{needs}/send")).status_code == 409  # not approved
    await post(alice, f"{needs}/submit")
    assert (await post(alice, f"{needs}/send")).status_code == 409  # still pending
    await post(sam, f"{needs}/approve")

    free = f"/api/documents/{small.json()['document_id']}"
    assert (await post(sam, f"{free}/send")).status_code == 403  # the requester sends
    for path in (free, free, needs):  # the second request changes nothing
        r = await post(alice, f"{path}/send")
        assert r.status_code == 200, r.text
        assert r.json()["send"]["status"] == "requested"

    async def to_ana_twice() -> list[Any] | None:
        found = [m for m in mailbox.messages if m["To"] == "ana@example.com"]
        return found if len(found) >= 2 else None

    to_ana = await eventually(to_ana_twice)
    for mail in to_ana:
        [pdf] = [p for p in mail.iter_attachments() if p.get_content_type() == "application/pdf"]
        assert pdf.get_filename() == "Offer-for-Ana-Lima-v1.pdf"
        assert pdf.get_content().startswith(b"%PDF")
    card = await stack.customer("ana@example.com")
    assert card is not None

    async def delivered() -> list[dict[str, Any]] | None:
        entries = await stack.timeline(card["customer_id"])
        sent = [
            e
            for e in entries
            if e["kind"] == "ReplyStatusChanged" and e["data"]["status"] == "sent"
        ]
        return sent if len(sent) >= 2 else None

    assert len(await delivered_or_fail(delivered)) == 2

    async def recorded() -> bool:
        views = [(await alice.get(path)).json() for path in (free, needs)]
        return all(v["send"]["status"] == "sent" for v in views)

    assert await eventually(recorded)
    await asyncio.sleep(0)  # nothing more arrives: once per document
    assert len([m for m in mailbox.messages if m["To"] == "ana@example.com"]) == 2


async def delivered_or_fail(probe: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await eventually(probe)
    return found


async def test_an_approver_going_away_hands_it_to_their_supervisor(stack: Stack) -> None:
    alice, sam, hana = [await stack.signed_in(p) for p in ("alice", "sam", "hana")]
    contact = await contact_of_ana(stack)
    r = await post(
        alice, f"/api/contacts/{contact}/documents", {"template": "offer", "amount": 500}
    )
    d = f"/api/documents/{r.json()['document_id']}"
    assert (await post(alice, f"{d}/submit")).json()["approval"]["approvers"] == ["sam"]
    assert (await post(sam, "/api/agents/sam/status", {"status": "away"})).status_code == 200

    async def handed_on() -> dict[str, Any] | None:
        view: dict[str, Any] = (await alice.get(d)).json()
        return view if view["approval"]["approvers"] == ["hana"] else None

    await eventually(handed_on)
    assert (await post(hana, f"{d}/approve")).json()["approval"]["state"] == "approved"
    card = await stack.customer("ana@example.com")
    assert card is not None
    steps = await steps_on_timeline(stack, card["customer_id"], 4)
    [delegated] = [e for e in steps if e["kind"] == "ApprovalDelegated"]
    assert delegated["summary"] == "sam is away: approving “Offer for Ana Lima” went to hana"

"""One person, many channels, one timeline: a call and a WhatsApp message from one number
and an e-mail become one customer once a signed message ties the address to the number; a wrong
merge by a supervisor is undone exactly; the timeline as it stood before a merge."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiosmtplib
import pytest

from schemas.config import ChannelsConfig, EmailChannel, TwilioConfig
from switchboard.nats_server import NatsServerProcess
from tests.support.identities import SIGNED_CHANNEL, post_signed
from tests.support.ports import free_port
from tests.support.stack import BOTH_STORES, Stack, running_stack, stack_config
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, message, signed_headers
from tests.support.waiting import eventually

PHONE = "+4915112345678"
MERGE_KINDS = {"CustomerMerged", "CustomerUnmerged"}


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    channels = ChannelsConfig(
        twilio=TwilioConfig(account_sid=ACCOUNT, auth_token=AUTH_TOKEN),
        email=EmailChannel(port=free_port()),
        api=[SIGNED_CHANNEL],
    )
    config = stack_config().model_copy(update={"channels": channels})
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def twilio(stack: Stack, path: str, params: dict[str, str]) -> None:
    url = f"{stack.base_url}/channels/twilio{path}"
    r = await stack.http.post(url, content=urlencode(params), headers=signed_headers(url, params))
    assert r.status_code == 200, r.text


async def send_mail(stack: Stack, sender: str, subject: str, text: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@shop.example", subject
    msg["Message-ID"] = f"<{subject.replace(' ', '-')}@mail.example>"
    msg.set_content(text)
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=stack.config.channels.email.port)


def at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


async def get(stack: Stack, path: str, **params: Any) -> Any:
    r = await stack.http.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_call_whatsapp_and_email_of_one_person_land_on_one_timeline(stack: Stack) -> None:
    await twilio(stack, "/voice", call(1))
    await twilio(stack, "/messaging", message(2, sender=f"whatsapp:{PHONE}", ProfileName="Ana"))
    await send_mail(stack, "Ana Lima <ana@example.com>", "Router", "My router drops the line")

    async def reached_twice() -> dict[str, Any] | None:
        card = await stack.customer_by(phone=PHONE)
        return card if card and len(card["identities"]) == 2 else None

    by_phone = await eventually(reached_twice)
    by_mail = await eventually(lambda: stack.customer("ana@example.com"))
    assert by_phone["customer_id"] != by_mail["customer_id"]  # nothing ties them yet
    assert sorted(by_phone["identities"]) == [f"phone:{PHONE}", f"whatsapp:{PHONE}"]
    await eventually(stack.settled)
    before_merge = datetime.now(UTC)
    phone_only = await stack.timeline(by_phone["customer_id"])
    await asyncio.sleep(0.05)

    # Signed by an integrator, who vouches for both (a web form's would only be suggested).
    signed = await post_signed(stack, "m-1", "Any news?", email="ana@example.com", phone=PHONE)
    assert signed.status_code == 202, signed.text

    async def merged() -> dict[str, Any] | None:
        card = await stack.customer_by(phone=PHONE)
        return card if card and card["merged_from"] else None

    card = await eventually(merged)
    await eventually(stack.settled)
    # The one known longer (the caller) survives; every identity and id leads to it.
    assert card["customer_id"] == by_phone["customer_id"]
    assert card["merged_from"] == [by_mail["customer_id"]]
    by_address = await stack.customer("ana@example.com")
    assert by_address is not None
    assert by_address["customer_id"] == card["customer_id"]
    absorbed_card = await get(stack, f"/api/customers/{by_mail['customer_id']}")
    # Open conversations move on between the two reads (offers lapse and climb, contacts
    # waiting for identification are queued when its time is up): compared elsewhere.
    absorbed_card.pop("open_conversations")
    card.pop("open_conversations")
    assert absorbed_card == card
    assert sorted(card["identities"]) == [
        "email:ana@example.com",
        f"phone:{PHONE}",
        f"whatsapp:{PHONE}",
    ]

    timeline = await stack.timeline(card["customer_id"])
    # History records each identity's messages in the order they came (one partition
    # each); across identities, not yet known to be one person, in whichever came first.
    received = sorted((e for e in timeline if e["kind"] == "InteractionReceived"), key=at)
    assert [e["channel"] for e in received] == ["voice", "whatsapp", "email", "api"]
    assert [e["position"] for e in timeline] == sorted(e["position"] for e in timeline)
    [merge] = [e for e in timeline if e["kind"] == "CustomerMerged"]
    assert merge["data"]["evidence"]["matched"] == [f"phone:{PHONE}"]
    assert merge["data"]["evidence"]["other_matched_kinds"] == ["email"]
    known = timeline[-1]["position"]  # offers keep lapsing: later entries may come in
    via_absorbed = await stack.timeline(by_mail["customer_id"])
    assert [e for e in via_absorbed if e["position"] <= known] == timeline

    # Filtering, paging and the past
    emails = await get(stack, f"/api/customers/{card['customer_id']}/timeline", channel="email")
    assert [e["channel"] for e in emails] == ["email"]
    page = await get(stack, f"/api/customers/{card['customer_id']}/timeline", limit=2)
    rest = await get(
        stack,
        f"/api/customers/{card['customer_id']}/timeline",
        limit=500,
        before=page[-1]["position"],
    )
    # Every entry the timeline read above had is on exactly one page.
    paged = sorted(e["position"] for e in page + rest if e["position"] <= known)
    assert paged == [e["position"] for e in timeline]
    then = await get(
        stack,
        f"/api/customers/{card['customer_id']}/timeline",
        limit=500,
        as_of=before_merge.isoformat(),
    )
    assert sorted(then, key=lambda e: e["position"]) == phone_only
    naive = await stack.http.get(
        f"/api/customers/{card['customer_id']}/timeline", params={"as_of": "2025-01-01T00:00:00"}
    )
    assert naive.status_code == 400 and "as_of" in naive.text


@BOTH_STORES
async def test_a_wrong_merge_is_undone_exactly(stack: Stack) -> None:
    for n, who in enumerate(("bo", "cy")):
        r = await stack.post_form(name=who.title(), email=f"{who}@example.com", message=f"hi {n}")
        assert r.status_code == 202
    bo = await eventually(lambda: stack.customer("bo@example.com"))
    cy = await eventually(lambda: stack.customer("cy@example.com"))

    async def queued(customer: dict[str, Any]) -> list[dict[str, Any]]:
        entries = await stack.timeline(customer["customer_id"])
        return entries if "ContactQueued" in [e["kind"] for e in entries] else []

    # Routing has had its say (nobody is available, so nothing follows the queueing).
    for customer in (bo, cy):
        await eventually(partial(queued, customer))
    await eventually(stack.settled)
    before = {c["customer_id"]: await stack.timeline(c["customer_id"]) for c in (bo, cy)}

    sam = await stack.signed_in("sam")
    r = await sam.post(
        f"/api/customers/{bo['customer_id']}/merge", json={"with": cy["customer_id"]}
    )
    assert r.status_code == 200, r.text
    assert r.json() == {"survivor_id": bo["customer_id"], "absorbed_id": cy["customer_id"]}
    again = await sam.post(
        f"/api/customers/{cy['customer_id']}/merge", json={"into": bo["customer_id"]}
    )
    assert again.status_code == 409
    await eventually(stack.settled)
    merged = await stack.timeline(bo["customer_id"])
    assert {e["contact_id"] for e in before[cy["customer_id"]]} <= {e["contact_id"] for e in merged}
    [merge] = [e for e in merged if e["kind"] == "CustomerMerged"]
    assert merge["data"]["approved_by"] == "sam"

    r = await sam.post(f"/api/customers/{cy['customer_id']}/unmerge", json={"reason": "wrong"})
    assert r.status_code == 200, r.text
    assert r.json()["customer_id"] == cy["customer_id"]
    await eventually(stack.settled)
    assert await stack.timeline(cy["customer_id"]) == before[cy["customer_id"]]
    survivor = await stack.timeline(bo["customer_id"])
    assert [e for e in survivor if e["kind"] not in MERGE_KINDS] == before[bo["customer_id"]]
    assert [e["kind"] for e in survivor if e["kind"] in MERGE_KINDS] == list(
        ["CustomerMerged", "CustomerUnmerged"]
    )
    cy_card = await stack.customer("cy@example.com")
    assert cy_card is not None and cy_card["customer_id"] == cy["customer_id"]
    bo_card = await stack.customer("bo@example.com")
    assert bo_card is not None and bo_card["merged_from"] == []

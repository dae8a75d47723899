"""Verified identities (issue 16, item 6): a web form cannot attach a stranger's phone to
someone's e-mail, so a call from that phone never shows the e-mail owner's history; a
pair the channels vouched for (a signed message, an attested call) still merges; the card
says how each identity was verified. On a real nats-server and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from schemas.config import TwilioConfig
from switchboard.nats_server import NatsServerProcess
from tests.support.identities import SIGNED_CHANNEL, post_signed
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, signed_headers
from tests.support.waiting import eventually

VICTIM = "vera@example.com"
SECRET = "my order 4711 goes to Elm Street 5"
STRANGER = "+4915100000666"
ATTESTED = "TN-Validation-Passed-A"


@pytest.fixture(params=["postgres"])
async def stack(
    request: pytest.FixtureRequest, tmp_path: Path, nats_server: NatsServerProcess
) -> AsyncIterator[Stack]:
    config = stack_config()
    channels = config.channels.model_copy(
        update={
            "api": [SIGNED_CHANNEL],
            "twilio": TwilioConfig(account_sid=ACCOUNT, auth_token=AUTH_TOKEN),
        }
    )
    async with running_stack(
        request, tmp_path, nats_server, config.model_copy(update={"channels": channels})
    ) as stack:
        yield stack


async def phone_call(stack: Stack, n: int, phone: str, verstat: str | None = None) -> None:
    params = call(n, From=phone, **({"StirVerstat": verstat} if verstat else {}))
    url = f"{stack.base_url}/channels/twilio/voice"
    r = await stack.http.post(url, content=urlencode(params), headers=signed_headers(url, params))
    assert r.status_code == 200, r.text


async def suggestions(stack: Stack) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await stack.http.get("/api/customers/merge-suggestions")).json()
    return found


async def test_a_web_form_cannot_tie_a_strangers_phone_to_someones_email(stack: Stack) -> None:
    r = await post_signed(stack, "v-1", SECRET, email=VICTIM, name="Vera Victim")
    assert r.status_code == 202, r.text
    victim = await eventually(lambda: stack.customer(VICTIM))
    assert victim["verified_by"] == {f"email:{VICTIM}": "api-signature"}

    # The attacker types the victim's address and their own number into the web form.
    form = await stack.post_form(email=VICTIM, phone=STRANGER, message="please call me")
    assert form.status_code == 202
    [suggestion] = await eventually(lambda: suggestions(stack))
    assert victim["customer_id"] in (suggestion["a"], suggestion["b"])
    assert suggestion["evidence"]["unverified"] == ["phone"]
    await eventually(stack.settled)
    card = await stack.customer(VICTIM)
    assert card is not None
    assert card["identities"] == [f"email:{VICTIM}"] and card["merged_from"] == []

    # Their next call, even one the carrier attests: a customer of its own, not the victim.
    await phone_call(stack, 1, STRANGER, ATTESTED)
    await eventually(stack.settled)
    caller = await stack.customer_by(phone=STRANGER)
    assert caller is not None
    assert caller["customer_id"] != victim["customer_id"]
    assert caller["verified_by"] == {f"phone:{STRANGER}": "stir-a"}
    timeline = await stack.timeline(caller["customer_id"])
    assert SECRET not in str(timeline) and VICTIM not in str(timeline)
    assert [e["channel"] for e in timeline if e["kind"] == "InteractionReceived"] == ["voice"]


async def test_identities_the_channels_vouched_for_merge(stack: Stack) -> None:
    phone = "+4915100000777"
    await phone_call(stack, 2, phone, ATTESTED)
    r = await post_signed(stack, "k-1", "hello", email="kim@example.com", name="Kim")
    assert r.status_code == 202, r.text
    by_phone = await eventually(lambda: stack.customer_by(phone=phone))
    by_mail = await eventually(lambda: stack.customer("kim@example.com"))
    assert by_phone["customer_id"] != by_mail["customer_id"]

    # The integrator signs a message naming both: the two are one person, at once.
    r = await post_signed(stack, "k-2", "again", email="kim@example.com", phone=phone)
    assert r.status_code == 202, r.text

    async def merged() -> dict[str, Any] | None:
        card = await stack.customer_by(phone=phone)
        return card if card and card["merged_from"] else None

    card = await eventually(merged)
    assert card["customer_id"] == by_phone["customer_id"]  # known longer: it survives
    assert card["verified_by"] == {
        f"phone:{phone}": "stir-a",
        "email:kim@example.com": "api-signature",
    }
    assert await suggestions(stack) == []


async def test_an_unattested_call_stays_unverified_on_the_card(stack: Stack) -> None:
    await phone_call(stack, 3, "+4915100000888", "TN-Validation-Failed")
    card = await eventually(lambda: stack.customer_by(phone="+4915100000888"))
    assert card["verified_by"] == {"phone:+4915100000888": "unverified"}

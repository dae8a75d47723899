"""Messenger, Instagram, VK and Discourse through the real system, on real NATS and each event
store: a webhook replayed five times is one interaction, it is offered, the agent's reply
reaches the platform (a local server speaking its API) exactly once, and every rejection is
a clear 4xx that publishes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from schemas.config import ChannelsConfig, EmailChannel
from switchboard.jetstream import INBOUND
from switchboard.nats_server import NatsServerProcess
from tests.support.fake_discourse import FakeDiscourse
from tests.support.fake_meta import FakeMeta
from tests.support.fake_vk import FakeVk
from tests.support.social import (
    FORUM_KEY,
    IG_TOKEN,
    META_APP,
    META_VERIFY,
    PAGE_TOKEN,
    SUPPORT_CATEGORY,
    SUPPORT_USER,
    VK_CODE,
    VK_TOKEN,
    Request,
    discourse_post,
    discourse_request,
    fixture,
    forums,
    messenger_message,
    meta_apps,
    meta_request,
    vk_communities,
    vk_message,
    vk_request,
    with_vk_secret,
)
from tests.support.stack import Stack, running_stack, stack_config
from tests.support.waiting import eventually


@dataclass
class Platforms:
    meta: FakeMeta
    vk: FakeVk
    discourse: FakeDiscourse


@pytest.fixture
async def platforms() -> AsyncIterator[Platforms]:
    found = Platforms(
        FakeMeta(frozenset({PAGE_TOKEN, IG_TOKEN})),
        FakeVk(VK_TOKEN),
        FakeDiscourse(FORUM_KEY, SUPPORT_USER),
    )
    for fake in (found.meta, found.vk, found.discourse):
        await fake.start()
    yield found
    for fake in (found.meta, found.vk, found.discourse):
        await fake.stop()


@pytest.fixture(params=["sqlite"])
async def stack(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    nats_server: NatsServerProcess,
    platforms: Platforms,
) -> AsyncIterator[Stack]:
    """The whole system with a Meta app, a VK community and a forum, answering to the fakes.
    Offers last long enough for an accept on a busy machine."""
    channels = ChannelsConfig(
        meta=meta_apps(platforms.meta.url),
        vk=vk_communities(platforms.vk.url),
        discourse=forums(platforms.discourse.url),
        email=EmailChannel(enabled=False),
    )
    config = stack_config(offer_timeout=60).model_copy(update={"channels": channels})
    async with running_stack(request, tmp_path, nats_server, config) as stack:
        yield stack


async def inbound_count(stack: Stack) -> int:
    nc = await nats.connect(stack.nats_server.url)
    try:
        info = await nc.jetstream().stream_info(INBOUND)
        return int(info.state.messages)
    finally:
        await nc.close()


async def post(stack: Stack, request: Request) -> httpx.Response:
    path, body, headers = request
    return await stack.http.post(path, content=body, headers=headers)


# platform -> (the customer's signed message, what the platform expects back, where the
# reply lands, and what the fake recorded of it)
CASES: dict[str, tuple[Callable[[], Request], bytes, Callable[[Platforms], list[Any]]]] = {
    "messenger": (
        lambda: meta_request("messenger", messenger_message(7, "Where is my order?")),
        b"EVENT_RECEIVED",
        lambda p: [(s["token"], s["recipient"]["id"], s["message"]["text"]) for s in p.meta.sent],
    ),
    "instagram": (
        lambda: meta_request("instagram", messenger_message(7, "Still in stock?", "instagram")),
        b"EVENT_RECEIVED",
        lambda p: [(s["token"], s["recipient"]["id"], s["message"]["text"]) for s in p.meta.sent],
    ),
    "vk": (
        lambda: vk_request(vk_message(7, "Где мой заказ?")),
        b"ok",
        lambda p: [(s["access_token"], s["peer_id"], s["message"]) for s in p.vk.sent],
    ),
    "discourse": (
        lambda: discourse_request(discourse_post(7, "The export button does nothing.")),
        b'{"ok": true}',
        lambda p: [(s["username"], s["topic_id"], s["raw"]) for s in p.discourse.sent],
    ),
}
EXPECTED_SEND = {
    "messenger": (PAGE_TOKEN, str(10**15 + 7), "We are on it."),
    "instagram": (IG_TOKEN, str(10**15 + 7), "We are on it."),
    "vk": (VK_TOKEN, str(100_000_007), "We are on it."),
    "discourse": (SUPPORT_USER, 10_007, "We are on it."),
}


@pytest.mark.parametrize("platform", list(CASES))
async def test_a_replayed_webhook_is_one_interaction_and_the_reply_goes_out_once(
    stack: Stack, platforms: Platforms, platform: str
) -> None:
    build, expected_body, recorded = CASES[platform]
    await stack.status("alice", "available")
    request = build()
    answers = await asyncio.gather(*(post(stack, request) for _ in range(5)))
    assert [(r.status_code, r.content) for r in answers] == [(200, expected_body)] * 5
    assert await inbound_count(stack) == 1

    [offer] = await eventually(lambda: stack.offers("alice"))
    assert offer["channel"] == platform
    accepted = await stack.http.post(f"/api/offers/{offer['offer_id']}/accept")
    assert accepted.status_code == 200, accepted.text
    contact = offer["contact_id"]
    r = await stack.http.post(f"/api/contacts/{contact}/replies", json={"text": "We are on it."})
    assert r.status_code == 202, r.text

    async def delivered() -> list[Any]:
        return recorded(platforms)

    await eventually(delivered)
    await eventually(stack.settled)
    assert recorded(platforms) == [EXPECTED_SEND[platform]]
    assert await inbound_count(stack) == 2  # the message, and the reply's "sent" status


async def test_handshakes_rejections_and_ignored_events(stack: Stack) -> None:
    async def expect(response: httpx.Response, status: int, field: str | None = None) -> None:
        assert response.status_code == status, response.text
        if field is not None:
            assert field in [d["field"] for d in response.json()["details"]], response.text

    # Meta checks the callback URL first.
    query = {"hub.mode": "subscribe", "hub.verify_token": META_VERIFY, "hub.challenge": "8080"}
    ok = await stack.http.get(f"/channels/messenger/{META_APP}", params=query)
    assert (ok.status_code, ok.text) == (200, "8080")
    assert ok.headers["content-type"].startswith("text/plain")
    wrong = {**query, "hub.verify_token": "guessed-token"}
    await expect(await stack.http.get(f"/channels/instagram/{META_APP}", params=wrong), 403)
    await expect(await stack.http.get("/channels/messenger/nope", params=query), 404)
    no_challenge = {k: v for k, v in query.items() if k != "hub.challenge"}
    await expect(
        await stack.http.get(f"/channels/messenger/{META_APP}", params=no_challenge),
        400,
        "hub.challenge",
    )
    # VK confirms the server address.
    confirm = await post(stack, vk_request(fixture("vk_confirmation.json")))
    assert (confirm.status_code, confirm.text) == (200, VK_CODE)

    message = messenger_message(1, "hi")
    await expect(await post(stack, meta_request("messenger", message, secret="x" * 32)), 403)
    await expect(await post(stack, meta_request("messenger", message, secret=None)), 403)
    await expect(await post(stack, meta_request("messenger", message, app="nope")), 404)
    no_mid = json.loads(json.dumps(message))
    del no_mid["entry"][0]["messaging"][0]["message"]["mid"]
    await expect(
        await post(stack, meta_request("messenger", no_mid)), 400, "entry.0.messaging.0.message.mid"
    )
    vk_event = vk_message(1, "привет")
    await expect(await post(stack, vk_request(with_vk_secret(vk_event, "wrongSecret12"))), 403)
    await expect(await post(stack, vk_request(with_vk_secret(vk_event, None))), 403)
    await expect(await post(stack, vk_request(vk_event, group=1)), 404)
    del vk_event["object"]["message"]["peer_id"]
    await expect(await post(stack, vk_request(vk_event)), 400, "object.message.peer_id")
    post_event = discourse_post(1, "help")
    await expect(await post(stack, discourse_request(post_event, secret="wrong-secret-1")), 403)
    await expect(await post(stack, discourse_request(post_event, forum="nope")), 404)
    await expect(await post(stack, discourse_request(b"{", event="post_created")), 400, "body")
    await expect(await post(stack, discourse_request(post_event, event=None)), 400)

    # Not customers writing: answered as each platform expects, nothing published.
    dm = await post(stack, meta_request("instagram", fixture("instagram_message.json")))
    assert (dm.status_code, dm.text) == (200, "EVENT_RECEIVED")
    echo_only = fixture("messenger_batch.json")
    first = echo_only["entry"][0]
    echo_only["entry"] = [{**first, "messaging": first["messaging"][2:]}]  # echo and receipts
    ignored = await post(stack, meta_request("messenger", echo_only))
    assert (ignored.status_code, ignored.text) == (200, "EVENT_RECEIVED")
    reply = await post(stack, vk_request(fixture("vk_message_reply.json")))
    assert (reply.status_code, reply.text) == (200, "ok")
    elsewhere = discourse_post(2, "off topic", category_id=SUPPORT_CATEGORY + 1)
    assert (await post(stack, discourse_request(elsewhere))).status_code == 200
    ours = discourse_post(3, "our own reply", username=SUPPORT_USER)
    assert (await post(stack, discourse_request(ours))).status_code == 200
    topic = await post(stack, discourse_request(discourse_post(4, "x"), event="topic_created"))
    assert topic.status_code == 200

    # Of all these, only the Instagram DM (without its echo and receipt) was a customer writing.
    assert await inbound_count(stack) == 1

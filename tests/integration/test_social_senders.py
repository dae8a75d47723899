"""Replies on Messenger, Instagram, VK and Discourse go to local servers speaking each
platform's API; refusals are permanent, outages and rate limits are retried."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from events import ReplyRequested
from services.ingest.discourse_sender import DiscourseSender
from services.ingest.meta_sender import MetaSender
from services.ingest.replies import SendFailed
from services.ingest.vk_sender import VkSender, random_id_for
from tests.support.fake_discourse import FakeDiscourse
from tests.support.fake_meta import FakeMeta
from tests.support.fake_vk import FakeVk
from tests.support.social import (
    FORUM,
    FORUM_KEY,
    IG_ID,
    IG_TOKEN,
    PAGE_ID,
    PAGE_TOKEN,
    SUPPORT_USER,
    VK_GROUP,
    VK_TOKEN,
    forums,
    meta_apps,
    vk_communities,
)


def reply(channel: str, conversation: str, source: str, text: str = "Found it!") -> ReplyRequested:
    return ReplyRequested(
        contact_id=uuid.uuid4(),
        reply_id=uuid.uuid4(),
        agent_id="alice",
        text=text,
        channel=channel,
        origin={"channel": channel, "source": source, "conversation_key": conversation},
    )


@pytest.fixture
async def meta() -> AsyncIterator[FakeMeta]:
    fake = FakeMeta(frozenset({PAGE_TOKEN, IG_TOKEN}))
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def vk() -> AsyncIterator[FakeVk]:
    fake = FakeVk(VK_TOKEN)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def discourse() -> AsyncIterator[FakeDiscourse]:
    fake = FakeDiscourse(FORUM_KEY, SUPPORT_USER)
    await fake.start()
    yield fake
    await fake.stop()


async def test_messenger_and_instagram_answer_in_the_thread(meta: FakeMeta) -> None:
    sender = MetaSender(meta_apps(meta.url))
    sent = await sender.send(reply("messenger", f"messenger:{PAGE_ID}:6283", PAGE_ID))
    ig = await sender.send(reply("instagram", f"instagram:{IG_ID}:1254", IG_ID, "Yes, in M"))
    assert (sent, ig) == ("m_sent-1", "m_sent-2")
    assert meta.sent == [
        {
            "token": PAGE_TOKEN,
            "recipient": {"id": "6283"},
            "messaging_type": "RESPONSE",
            "message": {"text": "Found it!"},
        },
        {
            "token": IG_TOKEN,
            "recipient": {"id": "1254"},
            "messaging_type": "RESPONSE",
            "message": {"text": "Yes, in M"},
        },
    ]
    assert {r["version"] for r in meta.requests} == {"v21.0"}


async def test_meta_refusals_are_permanent_and_outages_retried(meta: FakeMeta) -> None:
    sender = MetaSender(meta_apps(meta.url))
    meta.unavailable.add("666")
    with pytest.raises(SendFailed) as gone:
        await sender.send(reply("messenger", f"messenger:{PAGE_ID}:666", PAGE_ID))
    assert not gone.value.retry and "isn't available" in str(gone.value)
    with pytest.raises(SendFailed) as unknown_page:  # no token for it: nothing is sent
        await sender.send(reply("messenger", "messenger:999:1", "999"))
    assert not unknown_page.value.retry
    with pytest.raises(SendFailed):  # a Messenger page's thread is not an Instagram one
        await sender.send(reply("instagram", f"messenger:{PAGE_ID}:1", PAGE_ID))
    meta.failing = 1
    with pytest.raises(SendFailed) as flaky:
        await sender.send(reply("messenger", f"messenger:{PAGE_ID}:1", PAGE_ID))
    assert flaky.value.retry
    await meta.stop()
    with pytest.raises(SendFailed) as down:
        await sender.send(reply("messenger", f"messenger:{PAGE_ID}:1", PAGE_ID))
    assert down.value.retry
    await meta.start()
    assert meta.sent == []


async def test_vk_sends_once_per_reply_however_often_it_is_tried(vk: FakeVk) -> None:
    sender = VkSender(vk_communities(vk.url))
    answer = reply("vk", f"vk:{VK_GROUP}:612444319", str(VK_GROUP), "Добрый день!")
    first = await sender.send(answer)
    again = await sender.send(answer)  # a retry after a lost answer
    assert first == again == "5000"
    [sent] = vk.sent
    assert sent == {
        "access_token": VK_TOKEN,
        "v": "5.199",
        "peer_id": "612444319",
        "message": "Добрый день!",
        "random_id": str(random_id_for(answer.reply_id)),
    }
    assert len(vk.requests) == 2


async def test_vk_refusals_are_permanent_and_flood_control_retried(vk: FakeVk) -> None:
    sender = VkSender(vk_communities(vk.url))
    vk.blocked_peers.add("13")
    with pytest.raises(SendFailed) as blocked:
        await sender.send(reply("vk", f"vk:{VK_GROUP}:13", str(VK_GROUP)))
    assert not blocked.value.retry and "901" in str(blocked.value)
    vk.flooding = 1
    with pytest.raises(SendFailed) as flood:
        await sender.send(reply("vk", f"vk:{VK_GROUP}:14", str(VK_GROUP)))
    assert flood.value.retry
    with pytest.raises(SendFailed) as other:
        await sender.send(reply("vk", "vk:1:14", "1"))
    assert not other.value.retry
    await vk.stop()
    with pytest.raises(SendFailed) as down:
        await sender.send(reply("vk", f"vk:{VK_GROUP}:14", str(VK_GROUP)))
    assert down.value.retry
    await vk.start()
    assert vk.sent == []


async def test_discourse_posts_in_the_topic_as_the_support_account(
    discourse: FakeDiscourse,
) -> None:
    sender = DiscourseSender(forums(discourse.url))
    text = "Thanks for the report, a fix ships tomorrow."
    post_id = await sender.send(reply("discourse", f"discourse:{FORUM}:topic:678", FORUM, text))
    assert post_id == "90000"
    assert discourse.sent == [{"username": SUPPORT_USER, "topic_id": 678, "raw": text}]
    assert discourse.requests[0]["api_key"] == FORUM_KEY


async def test_discourse_refusals_are_permanent_and_rate_limits_retried(
    discourse: FakeDiscourse,
) -> None:
    sender = DiscourseSender(forums(discourse.url))
    discourse.closed_topics.add(5)
    with pytest.raises(SendFailed) as closed:
        await sender.send(reply("discourse", f"discourse:{FORUM}:topic:5", FORUM))
    assert not closed.value.retry and "closed" in str(closed.value)
    discourse.rate_limited = 1
    with pytest.raises(SendFailed) as limited:
        await sender.send(reply("discourse", f"discourse:{FORUM}:topic:6", FORUM))
    assert limited.value.retry
    with pytest.raises(SendFailed) as elsewhere:
        await sender.send(reply("discourse", "discourse:other:topic:6", "other"))
    assert not elsewhere.value.retry
    await discourse.stop()
    with pytest.raises(SendFailed) as down:
        await sender.send(reply("discourse", f"discourse:{FORUM}:topic:6", FORUM))
    assert down.value.retry
    await discourse.start()
    assert discourse.sent == []

"""The social channels as tests drive them: the documented payloads of tests/fixtures/social
(see its README for where each shape comes from), numbered variants of them, and requests
signed the way Meta, VK and Discourse sign them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from schemas.config import DiscourseForum, MetaAccount, MetaApp, VkCommunity
from services.ingest import discourse, meta
from services.ingest.adapter import InboundRequest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "social"

META_APP = "shopapp"
META_SECRET = "meta-app-secret-0123456789abcdef"
META_VERIFY = "meta-verify-token-1"
PAGE_ID = "106519212345678"
OTHER_PAGE_ID = "208811112223334"
IG_ID = "17841400123456789"
PSID = "6283514538372134"
IGSID = "1254459154682919"
PAGE_TOKEN = "EAAG-page-token"
IG_TOKEN = "EAAG-instagram-token"
VK_GROUP = 214167102
VK_SECRET = "vkCallbackSecret2024"
VK_CODE = "4e7d2a1c"
VK_TOKEN = "vk1.a.community-token"
FORUM = "community"
FORUM_SECRET = "discourse-hook-secret"
SUPPORT_CATEGORY = 5
SUPPORT_USER = "support"
FORUM_KEY = "discourse-api-key-0123"

Request = tuple[str, bytes, dict[str, str]]  # path, body, headers
# The path parameter each channel's webhook URL ends in.
PATH_PARAM = {"messenger": "app", "instagram": "app", "vk": "group_id", "discourse": "forum"}


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def meta_apps(api_base_url: str = "http://127.0.0.1:9") -> list[MetaApp]:
    return [
        MetaApp(
            name=META_APP,
            app_secret=META_SECRET,
            verify_token=META_VERIFY,
            pages=[MetaAccount(id=PAGE_ID, access_token=PAGE_TOKEN)],
            instagram_accounts=[MetaAccount(id=IG_ID, access_token=IG_TOKEN)],
            api_base_url=api_base_url,
        )
    ]


def vk_communities(api_base_url: str = "http://127.0.0.1:9") -> list[VkCommunity]:
    return [
        VkCommunity(
            group_id=VK_GROUP,
            secret=VK_SECRET,
            confirmation_code=VK_CODE,
            access_token=VK_TOKEN,
            api_base_url=api_base_url,
        )
    ]


def forums(api_base_url: str = "http://127.0.0.1:9") -> list[DiscourseForum]:
    return [
        DiscourseForum(
            name=FORUM,
            webhook_secret=FORUM_SECRET,
            categories=[SUPPORT_CATEGORY],
            api_base_url=api_base_url,
            api_key=FORUM_KEY,
            api_username=SUPPORT_USER,
        )
    ]


def social_toml(api_base_url: str = "http://127.0.0.1:9") -> str:
    """The same channels as TOML (for a system run from a config file)."""
    return f"""
[[channels.meta]]
name = "{META_APP}"
app_secret = "{META_SECRET}"
verify_token = "{META_VERIFY}"
api_base_url = "{api_base_url}"
pages = [{{ id = "{PAGE_ID}", access_token = "{PAGE_TOKEN}" }}]
instagram_accounts = [{{ id = "{IG_ID}", access_token = "{IG_TOKEN}" }}]

[[channels.vk]]
group_id = {VK_GROUP}
secret = "{VK_SECRET}"
confirmation_code = "{VK_CODE}"
access_token = "{VK_TOKEN}"
api_base_url = "{api_base_url}"

[[channels.discourse]]
name = "{FORUM}"
webhook_secret = "{FORUM_SECRET}"
categories = [{SUPPORT_CATEGORY}]
api_base_url = "{api_base_url}"
api_key = "{FORUM_KEY}"
api_username = "{SUPPORT_USER}"
"""


# Numbered variants: distinct messages from distinct customers ------------------------


def messenger_message(n: int, text: str, channel: str = "messenger") -> dict[str, Any]:
    """Message n from customer n (the documented single-message payload)."""
    name, business = (
        ("messenger_message.json", PAGE_ID)
        if channel == "messenger"
        else ("instagram_message.json", IG_ID)
    )
    note = fixture(name)
    [entry] = note["entry"]
    event = copy.deepcopy(entry["messaging"][0])
    event["sender"]["id"] = str(10**15 + n)
    event["message"] = {"mid": f"m_{channel}-{n}", "text": text}
    entry["id"], entry["messaging"] = business, [event]
    return note


def vk_message(n: int, text: str) -> dict[str, Any]:
    event = fixture("vk_message_new.json")
    message = event["object"]["message"]
    message["from_id"] = message["peer_id"] = 100_000_000 + n
    message["id"] = message["conversation_message_id"] = n
    message["text"] = text
    return event


def discourse_post(n: int, text: str, **post: Any) -> dict[str, Any]:
    payload = fixture("discourse_post_created.json")
    payload["post"].update(
        {"id": n, "topic_id": 10_000 + n, "username": f"user{n}", "raw": text, **post}
    )
    return payload


# Signed requests --------------------------------------------------------------------


def _body(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def meta_request(
    channel: str,
    payload: dict[str, Any] | bytes,
    app: str = META_APP,
    secret: str | None = META_SECRET,
) -> Request:
    body = _body(payload)
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["x-hub-signature-256"] = meta.sign(secret, body)
    return f"/channels/{channel}/{app}", body, headers


def vk_request(event: dict[str, Any] | bytes, group: int | str = VK_GROUP) -> Request:
    """VK signs nothing: its secret travels in the body (see `with_vk_secret`)."""
    return f"/channels/vk/{group}", _body(event), {"content-type": "application/json"}


def with_vk_secret(event: dict[str, Any], secret: str | None) -> dict[str, Any]:
    changed = dict(event)
    changed.pop("secret", None)
    if secret is not None:
        changed["secret"] = secret
    return changed


def discourse_request(
    payload: dict[str, Any] | bytes,
    event: str | None = "post_created",
    forum: str = FORUM,
    secret: str | None = FORUM_SECRET,
) -> Request:
    body = _body(payload)
    headers = {
        "content-type": "application/json",
        "x-discourse-instance": "https://forum.shop.example",
        "x-discourse-event-id": "101",
        "x-discourse-event-type": "post",
    }
    if event is not None:
        headers["x-discourse-event"] = event
    if secret is not None:
        headers["x-discourse-event-signature"] = discourse.sign(secret, body)
    return f"/channels/discourse/{forum}", body, headers


def inbound(request: Request) -> InboundRequest:
    """The request as an adapter sees it (what ingest's route builds)."""
    path, body, headers = request
    _, _, channel, param = path.split("/", 3)
    return InboundRequest(
        url=f"https://switchboard.example{path}",
        body=body,
        headers=headers,
        path_params={PATH_PARAM[channel]: param},
    )

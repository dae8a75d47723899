"""Agents' replies on VK, through messages.send as the community."""

from __future__ import annotations

import uuid

from events import ReplyRequested
from schemas.config import VkCommunity
from services.ingest.platform_post import overloaded, post_reply
from services.ingest.replies import SendFailed

# VK API error codes worth trying again: unknown error, too many requests per second,
# flood control, internal server error.
TRANSIENT_CODES = frozenset({1, 6, 9, 10})


def random_id_for(reply_id: uuid.UUID) -> int:
    """messages.send's `random_id` (a positive int32): VK sends a message once per peer and
    random_id, so deriving it from the reply makes a retried send land once."""
    return int.from_bytes(reply_id.bytes[:4], "big") & 0x7FFFFFFF


class VkSender:
    reply_channels = frozenset({"vk"})

    def __init__(self, communities: list[VkCommunity], timeout: float = 10.0) -> None:
        self.communities = {str(c.group_id): c for c in communities}
        self.timeout = timeout

    def request(self, reply: ReplyRequested) -> tuple[str, dict[str, str]]:
        """(URL, form fields) answering in the dialog the customer wrote in:
        conversation_key is `vk:<group_id>:<peer_id>`."""
        parts = str(reply.origin.get("conversation_key") or "").split(":")
        if len(parts) != 3 or parts[0] != "vk" or not parts[2].lstrip("-").isdigit():
            raise SendFailed("no VK dialog to answer in")
        community = self.communities.get(parts[1])
        if community is None or not community.access_token:
            raise SendFailed(f"no VK access token for community {parts[1]!r}")
        url = f"{community.api_base_url.rstrip('/')}/method/messages.send"
        # Form-encoded, the token in the body: it stays out of URLs and their logs.
        form = {
            "access_token": community.access_token,
            "v": community.api_version,
            "peer_id": parts[2],
            "message": reply.text,
            "random_id": str(random_id_for(reply.reply_id)),
        }
        return url, form

    async def send(self, reply: ReplyRequested) -> str | None:
        url, form = self.request(reply)
        response, answer = await post_reply("VK", url, self.timeout, data=form)
        if overloaded(response):
            raise SendFailed(f"VK {response.status_code}", retry=True)
        if not answer:
            raise SendFailed(f"VK {response.status_code}: not a JSON object")
        # VK answers 200 either way: {"response": <message id>} or {"error": {...}}.
        if "response" in answer:
            return str(answer["response"])
        error = answer.get("error")
        if not isinstance(error, dict):
            error = {}
        code = error.get("error_code")
        detail = f"VK error {code}: {error.get('error_msg', 'no response')}"
        raise SendFailed(detail, retry=code in TRANSIENT_CODES)

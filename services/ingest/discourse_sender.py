"""Agents' replies on a Discourse forum: a post in the topic, as the support account."""

from __future__ import annotations

from typing import Any

from events import ReplyRequested
from schemas.config import DiscourseForum
from services.ingest.platform_post import overloaded, post_reply
from services.ingest.replies import SendFailed


class DiscourseSender:
    reply_channels = frozenset({"discourse"})

    def __init__(self, forums: list[DiscourseForum], timeout: float = 10.0) -> None:
        self.forums = {f.name: f for f in forums}
        self.timeout = timeout

    def request(self, reply: ReplyRequested) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(URL, headers, JSON body) of POST /posts.json in the customer's topic:
        conversation_key is `discourse:<forum>:topic:<topic_id>`."""
        parts = str(reply.origin.get("conversation_key") or "").split(":")
        if len(parts) != 4 or parts[0] != "discourse" or parts[2] != "topic":
            raise SendFailed("no Discourse topic to answer in")
        forum = self.forums.get(parts[1])
        if forum is None or not forum.api_key:
            raise SendFailed(f"no Discourse API key for forum {parts[1]!r}")
        if not parts[3].isdigit():
            raise SendFailed(f"not a Discourse topic id: {parts[3]!r}")
        url = f"{forum.api_base_url.rstrip('/')}/posts.json"
        headers = {"Api-Key": forum.api_key, "Api-Username": forum.api_username}
        return url, headers, {"topic_id": int(parts[3]), "raw": reply.text}

    async def send(self, reply: ReplyRequested) -> str | None:
        url, headers, body = self.request(reply)
        response, answer = await post_reply(
            "Discourse", url, self.timeout, json=body, headers=headers
        )
        if response.is_success and "id" in answer:
            return str(answer["id"])
        errors = answer.get("errors")
        reason = "; ".join(map(str, errors)) if isinstance(errors, list) else "no post id"
        detail = f"Discourse {response.status_code}: {reason}"
        raise SendFailed(detail, retry=overloaded(response))

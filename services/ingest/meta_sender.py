"""Agents' replies on Messenger and Instagram, through the Send API."""

from __future__ import annotations

from typing import Any

from events import ReplyRequested
from schemas.config import MetaAccount, MetaApp
from services.ingest.platform_post import overloaded, post_reply
from services.ingest.replies import SendFailed

# Graph API error codes that say "not now" rather than "never": unknown/temporary errors
# and the rate limits (application, user, page, and the Send API's own).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 613})


class MetaSender:
    reply_channels = frozenset({"messenger", "instagram"})

    def __init__(self, apps: list[MetaApp], timeout: float = 10.0) -> None:
        self.apps = apps
        self.timeout = timeout

    def _account(self, channel: str, account_id: str) -> tuple[MetaApp, MetaAccount]:
        for app in self.apps:
            account = app.account(channel, account_id)
            if account is not None and account.access_token:
                return app, account
        raise SendFailed(f"no {channel} access token for {account_id!r}")

    def request(self, reply: ReplyRequested) -> tuple[str, dict[str, str], dict[str, Any]]:
        """(URL, headers, JSON body) answering in the thread the customer wrote in:
        conversation_key is `<channel>:<page or IG account>:<PSID or IGSID>`."""
        parts = str(reply.origin.get("conversation_key") or "").split(":")
        if len(parts) != 3 or parts[0] != reply.channel or not all(parts):
            raise SendFailed(f"no {reply.channel} thread to answer in")
        _, business, customer = parts
        app, account = self._account(reply.channel, business)
        url = f"{app.api_base_url.rstrip('/')}/{app.api_version}/me/messages"
        # The token goes in a header, not the documented ?access_token=: URLs end up in logs.
        headers = {"Authorization": f"Bearer {account.access_token}"}
        body = {
            "recipient": {"id": customer},
            # An answer to a message the customer sent (within Meta's 24-hour window).
            "messaging_type": "RESPONSE",
            "message": {"text": reply.text},
        }
        return url, headers, body

    async def send(self, reply: ReplyRequested) -> str | None:
        url, headers, body = self.request(reply)
        response, answer = await post_reply("Meta", url, self.timeout, json=body, headers=headers)
        if response.is_success and answer.get("message_id"):
            return str(answer["message_id"])
        error = answer.get("error")
        if not isinstance(error, dict):
            error = {}
        code = error.get("code")
        detail = f"Meta {response.status_code}: {error.get('message', 'no message id')}"
        if overloaded(response) or code in TRANSIENT_CODES:
            raise SendFailed(detail, retry=True)
        raise SendFailed(detail)

"""Agents' replies on Telegram, through the Bot API's sendMessage (sendDocument for a
reply carrying a document: the PDF as a multipart upload, the title as its caption)."""

from __future__ import annotations

from typing import Any

from events import ReplyRequested
from schemas.config import TelegramBot
from services.ingest.platform_post import overloaded, post_reply
from services.ingest.replies import SendFailed
from switchboard.document_pdf import attachment_pdf


class TelegramSender:
    reply_channels = frozenset({"telegram"})

    def __init__(self, bots: list[TelegramBot], timeout: float = 10.0) -> None:
        self.bots = {b.name: b for b in bots}
        self.timeout = timeout

    def request(self, reply: ReplyRequested) -> tuple[str, dict[str, Any]]:
        """(URL, JSON body) for sendMessage, answering in the chat the customer wrote in."""
        origin = reply.origin
        bot = self.bots.get(str(origin.get("source")))
        if bot is None or not bot.bot_token:
            raise SendFailed(f"no bot token for {origin.get('source')!r}")
        conversation = str(origin.get("conversation_key") or "")
        if not conversation.startswith("telegram:"):
            raise SendFailed("no Telegram chat to answer in")
        body: dict[str, Any] = {"chat_id": int(conversation.split(":", 1)[1]), "text": reply.text}
        url = f"{bot.api_base_url.rstrip('/')}/bot{bot.bot_token}/sendMessage"
        return url, body

    async def send(self, reply: ReplyRequested) -> str | None:
        url, body = self.request(reply)
        if reply.attachment:
            pdf = attachment_pdf(reply.attachment)
            name = str(reply.attachment["file_name"])
            response, answer = await post_reply(
                "Telegram",
                url.removesuffix("/sendMessage") + "/sendDocument",
                self.timeout,
                data={"chat_id": str(body["chat_id"]), "caption": reply.text[:1024]},
                files={"document": (name, pdf, "application/pdf")},
            )
        else:
            response, answer = await post_reply("Telegram", url, self.timeout, json=body)
        if overloaded(response):
            raise SendFailed(f"Telegram {response.status_code}", retry=True)
        if not answer.get("ok"):
            raise SendFailed(f"Telegram refused: {answer.get('description', response.status_code)}")
        return str(answer["result"]["message_id"])

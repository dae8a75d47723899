"""A local HTTP server speaking the part of Telegram's Bot API we use (sendMessage)."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.support.local_server import LocalServer


class FakeTelegram(LocalServer):
    def __init__(self, token: str = "123456:TEST-token") -> None:
        super().__init__()
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self.blocked_chats: set[int] = set()
        self._ids = itertools.count(100)
        self.app.post("/bot{token}/sendMessage")(self._send_message)

    async def _send_message(self, token: str, request: Request) -> JSONResponse:
        if token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        body = await request.json()
        if body.get("chat_id") in self.blocked_chats:
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status_code=403,
            )
        self.sent.append(body)
        message = {
            "message_id": next(self._ids),
            "date": 1700000000,
            "chat": {"id": body["chat_id"], "type": "private"},
            "text": body["text"],
        }
        return JSONResponse({"ok": True, "result": message})

"""A local HTTP server speaking the part of Telegram's Bot API we use (sendMessage)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.ports import free_port


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.port = free_port()
        self.sent: list[dict[str, Any]] = []
        self.blocked_chats: set[int] = set()
        self._ids = itertools.count(100)
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.app = FastAPI()
        self.app.post("/bot{token}/sendMessage")(self._send_message)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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

    async def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server and self._task:
            self._server.should_exit = True
            await self._task

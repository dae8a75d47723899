"""A local HTTP server speaking the part of Telegram's Bot API we use (sendMessage,
sendDocument)."""

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
        self.documents: list[dict[str, Any]] = []
        self.app.post("/bot{token}/sendMessage")(self._send_message)
        self.app.post("/bot{token}/sendDocument")(self._send_document)

    async def _send_document(self, token: str, request: Request) -> JSONResponse:
        """A multipart upload: chat_id, caption and the file as `document`."""
        if token != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        form = await request.form()
        upload = form["document"]
        assert not isinstance(upload, str)
        content = await upload.read()
        self.documents.append(
            {
                "chat_id": int(str(form["chat_id"])),
                "caption": str(form.get("caption", "")),
                "file_name": upload.filename,
                "content": content,
            }
        )
        message = {"message_id": next(self._ids), "date": 1700000000, "document": {}}
        return JSONResponse({"ok": True, "result": message})

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

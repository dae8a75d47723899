"""A local HTTP server speaking the part of Meta's Graph API we use: the Send API
(`POST /{version}/me/messages`) for Messenger and Instagram."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.support.local_server import LocalServer


def graph_error(message: str, code: int, status: int = 400) -> JSONResponse:
    """Meta's error body (https://developers.facebook.com/docs/graph-api/guides/error-handling)."""
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Fake"}
    return JSONResponse({"error": error}, status_code=status)


class FakeMeta(LocalServer):
    def __init__(self, tokens: frozenset[str]) -> None:
        super().__init__()
        self.tokens = tokens
        self.requests: list[dict[str, Any]] = []  # every call, accepted or not
        self.sent: list[dict[str, Any]] = []  # what reached a customer, with the token used
        self.unavailable: set[str] = set()  # recipients who cannot be messaged
        self.failing: int = 0  # answer this many calls with a 500 first
        self._ids = itertools.count(1)
        self.app.post("/{version}/me/messages")(self._send)

    async def _send(self, version: str, request: Request) -> JSONResponse:
        body = await request.json()
        token = (request.headers.get("authorization") or "").removeprefix("Bearer ")
        self.requests.append({"version": version, "token": token, "body": body})
        if self.failing:
            self.failing -= 1
            return graph_error("An unexpected error has occurred.", 2, status=500)
        if token not in self.tokens:
            return graph_error("Invalid OAuth access token.", 190)
        recipient = body.get("recipient", {}).get("id")
        if recipient in self.unavailable:
            return graph_error("(#551) This person isn't available right now.", 551)
        if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return graph_error("(#100) Param messaging_type is required", 100)
        self.sent.append({"token": token, **body})
        return JSONResponse({"recipient_id": recipient, "message_id": f"m_sent-{next(self._ids)}"})

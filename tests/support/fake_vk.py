"""A local HTTP server speaking the part of VK's API we use: `messages.send`, which, like
VK, sends a message once per peer and `random_id` however often it is called."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.support.local_server import LocalServer


def vk_error(code: int, message: str) -> JSONResponse:
    # VK answers errors with HTTP 200 and an `error` object.
    return JSONResponse({"error": {"error_code": code, "error_msg": message}})


class FakeVk(LocalServer):
    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token
        self.requests: list[dict[str, str]] = []  # every call's form, accepted or not
        self.sent: list[dict[str, str]] = []  # messages that reached a customer
        self.blocked_peers: set[str] = set()  # who has not allowed the community to write
        self.flooding: int = 0  # answer this many calls with "too many requests" first
        self._by_random_id: dict[tuple[str, str], int] = {}
        self._ids = itertools.count(5000)
        self.app.post("/method/messages.send")(self._send)

    async def _send(self, request: Request) -> JSONResponse:
        form: dict[str, Any] = dict(await request.form())
        self.requests.append({k: str(v) for k, v in form.items()})
        if self.flooding:
            self.flooding -= 1
            return vk_error(6, "Too many requests per second")
        if form.get("access_token") != self.token:
            return vk_error(5, "User authorization failed: invalid access_token (4).")
        if not form.get("v"):
            return vk_error(8, "Invalid request: v is required")
        peer, random_id = str(form.get("peer_id", "")), str(form.get("random_id", ""))
        if not random_id:
            return vk_error(100, "One of the parameters specified was missing or invalid")
        if peer in self.blocked_peers:
            return vk_error(901, "Can't send messages for users without permission")
        key = (peer, random_id)
        if key not in self._by_random_id:
            self._by_random_id[key] = next(self._ids)
            self.sent.append({k: str(v) for k, v in form.items()})
        return JSONResponse({"response": self._by_random_id[key]})

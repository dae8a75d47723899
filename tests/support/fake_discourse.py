"""A local HTTP server speaking the part of Discourse's API we use: `POST /posts.json`."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from tests.support.local_server import LocalServer


class FakeDiscourse(LocalServer):
    def __init__(self, api_key: str, username: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.username = username
        self.requests: list[dict[str, Any]] = []  # every call, accepted or not
        self.sent: list[dict[str, Any]] = []  # posts made
        self.closed_topics: set[int] = set()
        self.rate_limited: int = 0  # answer this many calls with a 429 first
        self._ids = itertools.count(90_000)
        self.app.post("/posts.json")(self._create_post)

    async def _create_post(self, request: Request) -> JSONResponse:
        body = await request.json()
        key, user = request.headers.get("api-key"), request.headers.get("api-username")
        self.requests.append({"api_key": key, "api_username": user, "body": body})
        if self.rate_limited:
            self.rate_limited -= 1
            return JSONResponse(
                {"errors": ["You've performed this action too many times."], "extras": {}},
                status_code=429,
            )
        if key != self.api_key or user != self.username:
            return JSONResponse(
                {
                    "errors": ["You are not permitted to view the requested resource."],
                    "error_type": "invalid_access",
                },
                status_code=403,
            )
        if body.get("topic_id") in self.closed_topics:
            return JSONResponse(
                {"action": "create_post", "errors": ["This topic is closed for new replies"]},
                status_code=422,
            )
        post_id = next(self._ids)
        self.sent.append({"username": user, **body})
        return JSONResponse(
            {
                "id": post_id,
                "username": user,
                "topic_id": body.get("topic_id"),
                "raw": body.get("raw"),
            }
        )

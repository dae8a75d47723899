"""Posting an agent's reply to a messaging platform's HTTP API (Telegram, Meta, VK,
Discourse): what every such sender does the same way, before reading the answer its own way.
A request that never got an answer may be tried again; whatever came back is handed over as a
JSON object ({} when the body is not one)."""

from __future__ import annotations

from typing import Any

import httpx

from services.ingest.replies import SendFailed


async def post_reply(
    platform: str, url: str, timeout: float, **request: Any
) -> tuple[httpx.Response, dict[str, Any]]:
    """`request`: httpx's `json=`, `data=`, `headers=`. Raises SendFailed(retry=True) when
    the platform could not be reached."""
    try:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.post(url, **request)
    except httpx.HTTPError as exc:
        raise SendFailed(f"{platform} unreachable: {exc}", retry=True) from exc
    try:
        answer = response.json()
    except ValueError:
        answer = None
    return response, answer if isinstance(answer, dict) else {}


def overloaded(response: httpx.Response) -> bool:
    """5xx: the platform is unwell; 429: its rate limit. Either way, later may work."""
    return response.status_code >= 500 or response.status_code == 429

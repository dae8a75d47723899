"""Reading a request body safely: bounded in size, decoded strictly."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from switchboard.errors import BadInput, TooLarge


async def read_bounded(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def decode_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """JSON object or form-encoded fields, or BadInput naming what is wrong."""
    media_type = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput.field("body", f"not valid UTF-8 at byte {exc.start}") from None
    if media_type in ("application/json", ""):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BadInput.field("body", f"invalid JSON: {exc.msg} at {exc.pos}") from None
        if not isinstance(data, dict):
            raise BadInput.field("body", "must be a JSON object")
        return data
    if media_type == "application/x-www-form-urlencoded":
        try:
            # Blank fields are kept: Twilio signs them, and dropping one breaks the signature.
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
        except ValueError as exc:
            raise BadInput.field("body", f"malformed form encoding: {exc}") from None
        return dict(pairs)
    raise BadInput.field(
        "content-type", "use application/json or application/x-www-form-urlencoded"
    )

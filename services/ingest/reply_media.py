"""Documents sent over SMS/WhatsApp: Twilio fetches media from a URL, so the PDF is kept in
the replies bucket (`media.<reply id>`) and served at a URL signed with the Twilio auth
token. Only Twilio is given the URL; without its signature the file is not served."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from fastapi import APIRouter, HTTPException, Query, Response
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError

from switchboard.jetstream import REPLIES_BUCKET


class ReplyMedia:
    def __init__(self, js: JetStreamContext, secret: str, base: str) -> None:
        self.js = js
        self.secret = secret.encode()
        self.base = base.rstrip("/")

    def signature(self, reply_id: uuid.UUID) -> str:
        return hmac.new(self.secret, f"media:{reply_id}".encode(), hashlib.sha256).hexdigest()

    def url(self, reply_id: uuid.UUID) -> str:
        return f"{self.base}/channels/twilio/media/{reply_id}.pdf?sig={self.signature(reply_id)}"

    async def put(self, reply_id: uuid.UUID, pdf: bytes) -> str:
        kv = await self.js.key_value(REPLIES_BUCKET)
        await kv.put(f"media.{reply_id}", pdf)
        return self.url(reply_id)

    async def get(self, reply_id: uuid.UUID, signature: str) -> bytes | None:
        if not hmac.compare_digest(signature, self.signature(reply_id)):
            return None
        kv = await self.js.key_value(REPLIES_BUCKET)
        try:
            entry = await kv.get(f"media.{reply_id}")
        except KeyNotFoundError:
            raise HTTPException(404, "no such file") from None
        return entry.value


def media_router(media: ReplyMedia) -> APIRouter:
    router = APIRouter(tags=["channels"])

    @router.get("/channels/twilio/media/{reply_id}.pdf", include_in_schema=False)
    async def document(reply_id: uuid.UUID, sig: str = Query(max_length=128)) -> Response:
        pdf = await media.get(reply_id, sig)
        if pdf is None:
            raise HTTPException(403, "not signed for this file")
        return Response(pdf, media_type="application/pdf")

    return router

"""A call's recording for signed-in staff: Switchboard fetches it from Twilio with the
account's credentials and passes the audio on, so neither the credentials nor Twilio's
media URL ever reach a browser."""

from __future__ import annotations

import uuid

import httpx
from fastapi import APIRouter, Depends, HTTPException, Response

from schemas.config import TwilioConfig
from services.voice.bridge import VoiceBridge
from switchboard.auth import STAFF, Authenticator

API_BASE = "https://api.twilio.com"


def recordings_router(bridge: VoiceBridge, config: TwilioConfig, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/channels/twilio/voice", tags=["voice"])
    staff = Depends(auth.role(*STAFF))

    @router.get("/recordings/{contact_id}/{recording_sid}", dependencies=[staff])
    async def recording(contact_id: uuid.UUID, recording_sid: str) -> Response:
        """The recording's audio (WAV, both channels), for signed-in staff only."""
        if recording_sid not in await bridge.recordings_of(contact_id):
            raise HTTPException(404, f"no recording {recording_sid} on contact {contact_id}")
        # twilio-python decodes responses as text, so the audio itself comes through httpx.
        uri, _ = await bridge.calls.recording_meta(recording_sid)
        media = (config.api_base_url or API_BASE).rstrip("/") + uri.removesuffix(".json")
        async with httpx.AsyncClient(timeout=30.0) as client:
            r = await client.get(
                f"{media}.wav",
                params={"RequestedChannels": 2},
                auth=(config.account_sid, config.auth_token),
            )
        if r.status_code != 200:
            raise HTTPException(502, f"Twilio answered {r.status_code} for {recording_sid}")
        return Response(
            r.content, media_type="audio/wav", headers={"cache-control": "private, no-store"}
        )

    return router

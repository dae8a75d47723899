"""Ingest's HTTP endpoints (one per channel adapter)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request

from schemas.api import ErrorResponse, IngestAccepted
from schemas.config import SwitchboardConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.ingest.body import decode_fields, read_bounded
from services.ingest.webform import parse_submission, to_interaction

ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorResponse, "description": "Malformed input; `details` name the fields"},
    404: {"model": ErrorResponse, "description": "Unknown form"},
    413: {"model": ErrorResponse, "description": "Body over the configured limit"},
    503: {"model": ErrorResponse, "description": "Event stream unavailable; retry"},
}


def ingest_router(config: SwitchboardConfig, publisher: InboundPublisher) -> APIRouter:
    router = APIRouter(prefix="/channels", tags=["channels"])

    @router.post(
        "/webform/{form_id}", status_code=202, response_model=IngestAccepted, responses=ERRORS
    )
    async def webform(form_id: str, request: Request) -> IngestAccepted:
        """A web-form submission, JSON or form-encoded. 202 once JetStream has it."""
        if config.form(form_id) is None:
            raise HTTPException(404, f"unknown form {form_id!r}")
        body = await read_bounded(request, config.ingest.max_body_bytes)
        fields = decode_fields(body, request.headers.get("content-type", ""))
        interaction = to_interaction(
            form_id, parse_submission(fields, config.ingest.default_region)
        )
        duplicate = await publisher.publish(interaction)
        return IngestAccepted(interaction_id=interaction.interaction_id, duplicate=duplicate)

    return router

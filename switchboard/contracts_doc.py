"""Exports the event contracts: JSON Schema per event and an AsyncAPI document."""

from __future__ import annotations

import json
from typing import Any

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from events import ALL_EVENTS


def json_schemas() -> dict[str, Any]:
    return {
        cls.type_name(): {
            "subject": cls.subject,
            "version": cls.version,
            "schema": cls.model_json_schema(),
        }
        for cls in ALL_EVENTS
    }


def asyncapi_document() -> dict[str, Any]:
    """Built by FastStream from one documented publisher per contract."""
    broker = NatsBroker()
    for cls in ALL_EVENTS:
        broker.publisher(
            cls.subject,
            title=cls.type_name(),
            description=(cls.__doc__ or "").strip() or None,
            schema=cls,
        )
    spec = AsyncAPI(broker, title="Switchboard events", version="1").to_specification()
    document: dict[str, Any] = json.loads(spec.to_json())
    return document

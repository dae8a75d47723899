"""The shape every event contract shares: immutable, versioned, one NATS subject each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

# Ids derived from a natural key must be the same in every service and replica,
# so they come from one namespace.
SWITCHBOARD_NAMESPACE = uuid.UUID("6f1c1f8e-6b2d-4c57-9d43-0b7d3c7a51e2")

VERSION_HEADER = "Sb-Event-Version"
TYPE_HEADER = "Sb-Event-Type"


def derived_id(*parts: str) -> uuid.UUID:
    """A stable id for a natural key, so retries and replicas agree on it."""
    return uuid.uuid5(SWITCHBOARD_NAMESPACE, "\x1f".join(parts))


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of all contracts. `subject` is where it travels, `version` its schema version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: ClassVar[str]
    version: ClassVar[int] = 1

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def type_name(cls) -> str:
        return cls.__name__

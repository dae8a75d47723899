"""What a channel adapter is: plain functions over a plain request.

An adapter verifies who sent a request, parses it into inbound events and says what to
answer. It does no I/O itself: the ingest service reads the body (bounded), publishes the
events to JetStream and answers only after the ack. That keeps adapters small and lets the
conformance kit (`services.ingest.conformance`) test any adapter without a server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

from events.interactions import InboundMessage
from schemas.api import IngestAccepted
from services.ingest.body import decode_fields


@dataclass(frozen=True)
class InboundRequest:
    url: str  # as the channel called it (public URL): Twilio signs it
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    path_params: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return self.header("content-type") or ""

    def fields(self) -> dict[str, Any]:
        """JSON object or form fields; BadInput naming what is wrong."""
        return decode_fields(self.body, self.content_type)

    def query(self) -> dict[str, str]:
        """The URL's query parameters (the last of a repeated name wins)."""
        return dict(parse_qsl(urlsplit(self.url).query, keep_blank_values=True))


@dataclass(frozen=True)
class Accepted:
    event: InboundMessage
    duplicate: bool


@dataclass(frozen=True)
class Reply:
    content: bytes
    media_type: str = "application/json"
    status: int = 202


@runtime_checkable
class ChannelAdapter(Protocol):
    name: str  # unique, e.g. "twilio-voice"
    path: str  # under /channels, e.g. "/twilio/voice" or "/telegram/{bot}"

    def verify(self, request: InboundRequest) -> None:
        """Raises BadSignature (403) or UnknownSource (404)."""

    def parse(self, request: InboundRequest) -> Sequence[InboundMessage]:
        """The events this request carries; BadInput (400) naming the field at fault."""

    def reply(self, request: InboundRequest, accepted: Sequence[Accepted]) -> Reply:
        """What the channel expects back once JetStream has every event."""


@runtime_checkable
class SubscriptionHandshake(Protocol):
    """An adapter whose channel checks the webhook URL with a GET before it sends anything
    (Meta's `hub.challenge`): served on the adapter's path, no event published."""

    def handshake(self, request: InboundRequest) -> Reply:
        """The answer the channel expects; BadSignature (403), UnknownSource (404) or
        BadInput (400) as for a POST."""


def interaction_reply(event: InboundMessage, duplicate: bool) -> Reply:
    """202 with the interaction's id: what API-style channels (web form, API) answer."""
    interaction_id = getattr(event, "interaction_id", None)
    if interaction_id is None:
        raise TypeError(f"{type(event).__name__} names no interaction")
    body = IngestAccepted(interaction_id=interaction_id, duplicate=duplicate)
    return Reply(body.model_dump_json().encode())

"""Event contracts shared by every service. Each class names its NATS subject and version."""

from events.base import Event, derived_id
from events.history import CustomerIdentified
from events.interactions import (
    Attachment,
    Channel,
    InboundEvent,
    InteractionReceived,
    InteractionUpdated,
    ReplyStatusChanged,
    Sender,
    contact_id_for,
)
from events.routing import (
    AgentOffered,
    AgentStatusChanged,
    ContactAbandoned,
    ContactCompleted,
    ContactEscalated,
    ContactEvent,
    ContactQueued,
    OfferAccepted,
    OfferDeadline,
    OfferDeclined,
    OfferExpired,
    ReplyRequested,
)

ALL_EVENTS: tuple[type[Event], ...] = (
    InteractionReceived,
    InteractionUpdated,
    ContactQueued,
    AgentOffered,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    ContactEscalated,
    ContactCompleted,
    ContactAbandoned,
    AgentStatusChanged,
    CustomerIdentified,
    OfferDeadline,
    ReplyRequested,
    ReplyStatusChanged,
)
EVENTS_BY_NAME: dict[str, type[Event]] = {e.type_name(): e for e in ALL_EVENTS}

__all__ = [
    "ALL_EVENTS",
    "EVENTS_BY_NAME",
    "AgentOffered",
    "AgentStatusChanged",
    "Attachment",
    "Channel",
    "ContactAbandoned",
    "ContactCompleted",
    "ContactEscalated",
    "ContactEvent",
    "ContactQueued",
    "CustomerIdentified",
    "Event",
    "InboundEvent",
    "InteractionReceived",
    "InteractionUpdated",
    "OfferAccepted",
    "OfferDeadline",
    "OfferDeclined",
    "OfferExpired",
    "ReplyRequested",
    "ReplyStatusChanged",
    "Sender",
    "contact_id_for",
    "derived_id",
]

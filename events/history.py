"""Contracts published by the history service (sb.events.history.<Event>)."""

from __future__ import annotations

import uuid
from typing import ClassVar

from events.base import Event

PREFIX = "sb.events.history"


class CustomerIdentified(Event):
    subject: ClassVar[str] = f"{PREFIX}.CustomerIdentified"
    customer_id: uuid.UUID
    interaction_id: uuid.UUID
    contact_id: uuid.UUID
    identities: list[str]
    is_new_customer: bool

"""Crypto-shredding of customers (see switchboard/shredding.py): every Customer event and
snapshot but the `Erased` trace is stored encrypted with the customer's own key."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Snapshot

from services.history.customer import Customer
from switchboard.shredding import (
    MAGIC,
    ErasedPersonalData,
    KeyRing,
    PersonalDataErased,
    ShreddingMapper,
)

CUSTOMER_TOPIC_PREFIX = f"{Customer.__module__}:{Customer.__qualname__}"
ERASED_TOPIC = f"{CUSTOMER_TOPIC_PREFIX}.Erased"
KEY_TABLE = "customer_keys"


def personal_data_owner(domain_event: Any) -> uuid.UUID | None:
    """The customer whose key encrypts this event, or None to store it in the clear."""
    if isinstance(domain_event, Snapshot):
        is_customer = domain_event.topic == CUSTOMER_TOPIC_PREFIX
    else:
        is_customer = isinstance(domain_event, Customer.Event) and not isinstance(
            domain_event,
            Customer.Erased,  # type: ignore[attr-defined]
        )
    return domain_event.originator_id if is_customer else None


def customer_mapper(transcoder: Any, keys: KeyRing) -> ShreddingMapper:
    return ShreddingMapper(transcoder, keys, personal_data_owner, ERASED_TOPIC)


__all__ = [
    "MAGIC",
    "ErasedPersonalData",
    "KeyRing",
    "PersonalDataErased",
    "customer_mapper",
    "personal_data_owner",
]

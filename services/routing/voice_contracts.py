"""How routing's call events are published (see services/routing/contracts.py): each
contract is filled from its stored event by field name."""

from __future__ import annotations

from events import (
    CallbackAttemptFailed,
    CallbackRequested,
    CallBridgeFailed,
    CallBridgeRequested,
    CallConnected,
    CallLegChanged,
    CallRecorded,
    Event,
)

VOICE_CONTRACTS: dict[str, type[Event]] = {
    "Contact.CallBridgeRequested": CallBridgeRequested,
    "Contact.CallConnected": CallConnected,
    "Contact.CallBridgeFailed": CallBridgeFailed,
    "Contact.CallLegChanged": CallLegChanged,
    "Contact.CallRecorded": CallRecorded,
    "Contact.CallbackRequested": CallbackRequested,
    "Contact.CallbackAttemptFailed": CallbackAttemptFailed,
}

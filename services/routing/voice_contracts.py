"""How routing's call events are published (see services/routing/contracts.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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


def _bridge_requested(e: Any) -> Event:
    return CallBridgeRequested(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        attempt=e.attempt,
        agent_phone=e.agent_phone,
        conference=e.conference,
        customer_call_sid=e.customer_call_sid,
        caller_id=e.caller_id,
        record=e.record,
        ring_seconds=e.ring_seconds,
        customer_in_conference=e.customer_in_conference,
        callback_to=e.callback_to,
    )


def _connected(e: Any) -> Event:
    return CallConnected(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        attempt=e.attempt,
        agent_call_sid=e.agent_call_sid,
        record=e.record,
        customer_in_conference=e.customer_in_conference,
        callback_to=e.callback_to,
    )


def _bridge_failed(e: Any) -> Event:
    return CallBridgeFailed(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        attempt=e.attempt,
        reason=e.reason,
    )


def _leg_changed(e: Any) -> Event:
    return CallLegChanged(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        leg=e.leg,
        attempt=e.attempt,
        call_sid=e.call_sid,
        status=e.status,
    )


def _recorded(e: Any) -> Event:
    return CallRecorded(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        recording_sid=e.recording_sid,
        duration_seconds=e.duration_seconds,
        channels=e.channels,
        link=e.link,
    )


def _callback_requested(e: Any) -> Event:
    return CallbackRequested(
        contact_id=e.originator_id, occurred_at=e.timestamp, number=e.number, due_at=e.due_at
    )


def _callback_failed(e: Any) -> Event:
    return CallbackAttemptFailed(
        contact_id=e.originator_id,
        occurred_at=e.timestamp,
        agent_id=e.agent_id,
        attempt=e.attempt,
        failures=e.failures,
        reason=e.reason,
        retry_at=e.retry_at,
    )


VOICE_CONTRACTS: dict[str, Callable[[Any], Event]] = {
    "Contact.CallBridgeRequested": _bridge_requested,
    "Contact.CallConnected": _connected,
    "Contact.CallBridgeFailed": _bridge_failed,
    "Contact.CallLegChanged": _leg_changed,
    "Contact.CallRecorded": _recorded,
    "Contact.CallbackRequested": _callback_requested,
    "Contact.CallbackAttemptFailed": _callback_failed,
}

"""One line per routing event, as a person reads it on a timeline."""

from __future__ import annotations

from events import (
    AgentOffered,
    ContactAbandoned,
    ContactCompleted,
    ContactEscalated,
    ContactEvent,
    ContactFlagged,
    ContactPending,
    ContactQueued,
    ContactReopened,
    ContactSnoozed,
    ContactWoken,
    InteractionUpdated,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferWithdrawn,
    OwnerInformed,
    ReplyRequested,
)


def summarize(event: ContactEvent) -> str:
    match event:
        case ContactQueued():
            return f"Queued in {event.queue}"
        case AgentOffered(escalation_level=0):
            return f"Offered to {event.agent_id}"
        case AgentOffered():
            return f"Offered to {event.agent_id} (escalation level {event.escalation_level})"
        case OfferAccepted():
            return f"Taken by {event.agent_id} after {event.waited_seconds:.0f}s"
        case OfferDeclined():
            return f"Declined by {event.agent_id}"
        case OfferExpired():
            return f"Not answered in time by {event.agent_id}"
        case ContactEscalated():
            return f"Escalated to {event.to_person_id} (level {event.level}): {event.reason}"
        case ContactCompleted(by=by, reason=reason) if by and by != event.agent_id:
            return f"Resolved by {by}: {event.disposition}" + (f" ({reason})" if reason else "")
        case ContactCompleted():
            return f"Completed by {event.agent_id}: {event.disposition}"
        case ContactReopened():
            last = f", {event.agent_id} first" if event.agent_id else ""
            return f"Reopened: {event.reason}{last}"
        case ContactPending():
            until = f", resolves itself at {event.resolve_at:%Y-%m-%d %H:%M} UTC"
            return f"Pending on the customer (set by {event.agent_id})" + (
                until if event.resolve_at else ""
            )
        case ContactSnoozed():
            return f"Snoozed by {event.agent_id} until {event.until:%Y-%m-%d %H:%M} UTC"
        case ContactWoken():
            return f"Open again for {event.agent_id}: {event.reason}"
        case OfferWithdrawn():
            return f"Offer to {event.agent_id} withdrawn: {event.reason}"
        case ContactFlagged():
            return f"Flagged to {event.supervisor_id}: {event.reason}"
        case ReplyRequested(automatic=True):
            return f"Automatic reply: {event.text[:150]}"
        case ReplyRequested():
            return f"Reply by {event.agent_id}: {event.text[:150]}"
        case OwnerInformed():
            return f"Account owner {event.owner_id} told that {event.agent_id} took it"
        case ContactAbandoned():
            return f"Abandoned after {event.waited_seconds:.0f}s: {event.reason}"
    return event.type_name()


def describe_update(update: InteractionUpdated) -> str:
    match update.kind:
        case "status":
            duration = update.attributes.get("duration")
            return f"Call {update.status}" + (f" ({duration} s)" if duration else "")
        case "recording":
            return "Recording available"
        case "edited":
            return f"Message edited: {(update.text or '')[:150]}"
    return f"Updated: {update.kind}"

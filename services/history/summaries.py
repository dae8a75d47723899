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
from events.follow_ups import (
    FollowUpAttemptMissed,
    FollowUpCancelled,
    FollowUpDone,
    FollowUpMissed,
    FollowUpOpened,
    FollowUpReleased,
    FollowUpScheduled,
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
        case ContactPending(resolve_at=None):  # a queue whose pending never resolves itself
            return f"Pending on the customer (set by {event.agent_id})"
        case ContactPending(resolve_at=at):
            return (
                f"Pending on the customer (set by {event.agent_id}),"
                f" resolves itself at {at:%Y-%m-%d %H:%M} UTC"
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
    return follow_up_summary(event) or event.type_name()


def follow_up_summary(event: ContactEvent) -> str | None:
    match event:
        case FollowUpScheduled():
            zone = f" ({event.time_zone})" if event.time_zone else ""
            return (
                f"Follow-up ({event.kind}) scheduled by {event.by} for {event.agent_id}"
                f" at {event.due_at:%Y-%m-%d %H:%M} UTC{zone}: {event.note[:150]}"
            )
        case FollowUpOpened():
            return f"Follow-up due (attempt {event.attempt}): offered to {event.agent_id} first"
        case FollowUpReleased():
            return f"Follow-up to the queue (attempt {event.attempt}): {event.reason}"
        case FollowUpAttemptMissed(retry_at=None):
            return f"Follow-up attempt {event.attempt} missed: {event.reason}"
        case FollowUpAttemptMissed():
            assert event.retry_at is not None
            return (
                f"Follow-up attempt {event.attempt} missed: {event.reason};"
                f" retried at {event.retry_at:%Y-%m-%d %H:%M} UTC"
            )
        case FollowUpDone():
            return f"Follow-up done by {event.agent_id} (attempt {event.attempt})"
        case FollowUpMissed():
            return f"Follow-up missed after {event.attempts} attempt(s)"
        case FollowUpCancelled():
            return f"Follow-up cancelled by {event.by}"
    return None


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

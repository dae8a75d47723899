"""Routing's part in phone calls that connect: what an accepted call, a leg's status, the
bridge's deadline and a recording change on the contact and its agent.

Routing only decides and records; the bridge (services/voice) follows the recorded events
on EVENTS and speaks to Twilio. So an acceptance and its bridge request are one
transaction, and a crash anywhere between them and Twilio leaves a stored request that
the relay and the bridge's durable consumer carry out on restart, or a deadline that
offers the call to the next agent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from eventsourcing.persistence import Tracking
from faststream.nats import NatsBroker

from events import (
    BridgeDeadline,
    CallbackAsked,
    CallbackAttemptFailed,
    CallbackDeadline,
    CallbackRequested,
    CallBridgeRequested,
    CallLegReported,
    CallRecordingReported,
    Event,
    contact_id_for,
)
from events.voice import LEG_FAILED, conference_name
from schemas.config import TwilioConfig
from services.routing.contact import Contact
from services.routing.unit import Unit
from switchboard.inbox import Inbox, NotYet, subscribe
from switchboard.jetstream import EVENTS, TIMERS
from switchboard.serial import SerialExecutor
from switchboard.timers import schedule

if TYPE_CHECKING:
    from services.routing.application import RoutingApplication

ANSWERED = frozenset({"in-progress", "answered"})


def recording_link(contact_id: object, recording_sid: str) -> str:
    """Served by ingest (services/voice/recordings.py) to signed-in staff only."""
    return f"/channels/twilio/voice/recordings/{contact_id}/{recording_sid}"


class VoiceCalls:
    def __init__(self, app: RoutingApplication) -> None:
        self.app = app
        self.twilio: TwilioConfig | None = None  # None: calls are not bridged here
        self.record = {q.name: q.record for q in app.config.effective_queues()}

    def enable(self, twilio: TwilioConfig | None) -> None:
        self.twilio = twilio

    # Hooks from the routing application's commands -------------------------------

    def accepted(self, unit: Unit, contact: Contact, agent_id: str) -> None:
        """An agent took a call: ask for their phone to be dialled into its conference
        (one attempt per agent the call goes to; the conference stays the contact's)."""
        if self.twilio is None or (contact.channel != "voice" and contact.callback_to is None):
            return
        person = self.app.people.get(agent_id)
        call = contact.call or {}
        attributes = contact.origin.get("attributes") or {}
        contact.bridge_requested(
            agent_id,
            int(call.get("attempt", 0)) + 1,
            person.phone if person else None,
            conference_name(contact.id),
            str(contact.origin.get("external_id") or ""),
            attributes.get("To") or self.twilio.from_number,
            self.record.get(contact.queue or "", "none"),
            self.twilio.agent_ring_seconds,
            bool(call.get("customer_in_conference")),
            contact.callback_to,
            unit.now,
        )

    def caller_hung_up(self, unit: Unit, contact: Contact, status: str) -> None:
        """The caller's call ended after an agent accepted: while that agent's phone still
        rings, the contact is abandoned and the agent is free (the bridge ends their leg).
        Once connected, a hang-up is the call's normal end; the agent completes it."""
        if not contact.bridging() or contact.callback_to or contact.agent_id is None:
            return  # (a callback's caller hung up long ago, on purpose)
        agent = unit.agent(contact.agent_id)
        contact.abandon_call(f"call {status}", agent.agent_id, unit.now)
        self.app.dispatch.finish(unit, agent, contact, wrap_up=False)

    def scheduled_callback(self, unit: Unit, contact: Contact) -> bool:
        """A web form asked to be called back (at `callback_at`): returns whether the new
        contact waits for that time instead of being queued now."""
        attributes = contact.facts.get("attributes") or {}
        number = attributes.get("callback_to")
        if self.twilio is None or not number:
            return False
        due = _when(attributes.get("callback_at"))
        later = due is not None and due > unit.now
        contact.callback_requested(number, due if later else None, unit.now)
        return later

    def awaits_callback(self, contact: Contact) -> bool:
        """A caller who asked to be called back hangs up: the contact keeps waiting."""
        return contact.callback_to is not None

    # Commands from consumers (tracked) -------------------------------------------

    def reported(self, event: Event, tracking: Tracking) -> None:
        with self.app.unit(tracking) as unit:
            if isinstance(event, CallLegReported):
                self._leg(unit, event)
            elif isinstance(event, CallRecordingReported):
                self._recording(unit, event)
            elif isinstance(event, CallbackAsked):
                self._callback_asked(unit, event)

    def callback_deadline(self, event: CallbackDeadline, tracking: Tracking) -> None:
        with self.app.unit(tracking) as unit:
            contact = unit.get(Contact, event.contact_id)
            if contact is None or contact.status != "callback_wait":
                return
            contact.callback_due(unit.now)
            if contact.queue is None:
                self.app.dispatch.enqueue(unit, contact)  # asked for this time: first queued now
            else:
                self.app.dispatch.route(unit, contact)

    def deadline(self, event: BridgeDeadline, tracking: Tracking) -> None:
        with self.app.unit(tracking) as unit:
            contact = unit.get(Contact, event.contact_id)
            if contact is not None and contact.bridging(event.attempt):
                self._not_answered(unit, contact, "the agent's phone was not answered in time")

    # Internals -------------------------------------------------------------------

    def _leg(self, unit: Unit, report: CallLegReported) -> None:
        contact = unit.get(Contact, report.contact_id)
        if contact is None or contact.call is None:
            return  # not a call of ours (or from before it was bridged): nothing to do
        contact.leg_changed(report.leg, report.attempt, report.call_sid, report.status, unit.now)
        call = contact.call
        current = call["attempt"] == report.attempt and contact.status == "accepted"
        if report.leg == "customer" and current and contact.callback_to:
            if report.status in LEG_FAILED and call["state"] == "connected":
                detail = f" ({report.detail})" if report.detail else ""
                self._callback_not_answered(unit, contact, f"{report.status}{detail}")
            return
        if report.leg != "agent" or not contact.bridging(report.attempt):
            return  # a late report of an earlier attempt, or the call already connected
        if report.status in ANSWERED:
            contact.connected(
                call["agent_id"],
                call["attempt"],
                report.call_sid,
                call["record"],
                bool(call["customer_in_conference"]),
                contact.callback_to,
                unit.now,
            )
        elif report.status in LEG_FAILED or report.status == "completed":
            detail = f" ({report.detail})" if report.detail else ""
            self._not_answered(unit, contact, f"the agent's phone: {report.status}{detail}")

    def _not_answered(self, unit: Unit, contact: Contact, reason: str) -> None:
        """As an offer that lapsed: the agent is marked not responding and the call goes
        on through the ladder; the caller, never moved, keeps hearing hold music."""
        assert contact.call is not None and contact.agent_id is not None
        agent_id = contact.agent_id
        contact.bridge_failed(agent_id, contact.call["attempt"], reason, unit.now)
        agent = unit.agent(agent_id)
        agent.finish(str(contact.id), unit.now)
        person = self.app.people.get(agent_id)
        if person is not None and person.role == "agent":
            agent.change_status("not_responding", unit.now)
        self.app.dispatch.route(unit, contact)

    def _callback_asked(self, unit: Unit, asked: CallbackAsked) -> None:
        contact = unit.get(Contact, contact_id_for(asked.interaction_id))
        if contact is None:
            # The call is keyed by the caller, this by the call: it may come first.
            raise NotYet(f"contact of interaction {asked.interaction_id} not opened yet")
        if contact.is_open and contact.callback_to is None:
            contact.callback_requested(asked.number, None, unit.now)

    def _callback_not_answered(self, unit: Unit, contact: Contact, status: str) -> None:
        """The customer did not pick up: the agent is free, and the contact waits out of
        the queue for the next attempt, or is abandoned when attempts are used up."""
        assert self.twilio is not None and contact.call is not None
        assert contact.agent_id is not None
        agent = unit.agent(contact.agent_id)
        failures = int(contact.call.get("callback_failures", 0)) + 1
        last = failures >= self.twilio.callback_attempts
        retry = timedelta(seconds=self.twilio.callback_retry_seconds)
        retry_at = None if last else unit.now + retry
        reason = f"the customer's phone: {status}"
        contact.callback_attempt_failed(
            agent.agent_id, contact.call["attempt"], failures, reason, retry_at, unit.now
        )
        if last:
            contact.abandon_call(f"callback not answered ({failures} attempts)", None, unit.now)
        self.app.dispatch.finish(unit, agent, contact, wrap_up=False)

    def _recording(self, unit: Unit, report: CallRecordingReported) -> None:
        contact = unit.get(Contact, report.contact_id)
        if contact is None or report.status != "completed":
            return
        link = recording_link(contact.id, report.recording_sid)
        contact.recorded(report.recording_sid, report.duration, report.channels, link, unit.now)


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


class VoiceHandlers:
    """The bridge's deadline: scheduled from the relayed request (never a dual write),
    handled like an offer's."""

    def __init__(self, voice: VoiceCalls, run: SerialExecutor, broker: NatsBroker) -> None:
        self.voice = voice
        self.run = run
        self.broker = broker

    async def bridge_requested(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, CallBridgeRequested)
        twilio = self.voice.twilio
        grace = twilio.bridge_grace_seconds if twilio else 10.0
        at = event.occurred_at + timedelta(seconds=event.ring_seconds + grace)
        await schedule(
            self.broker, BridgeDeadline(contact_id=event.contact_id, attempt=event.attempt), at
        )

    async def bridge_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, BridgeDeadline)
        if not await self.run(self.voice.app.is_processed, tracking):
            await self.run(self.voice.deadline, event, tracking)

    async def callback_failed(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, CallbackAttemptFailed)
        if event.retry_at is not None:
            deadline = CallbackDeadline(contact_id=event.contact_id, failures=event.failures)
            await schedule(self.broker, deadline, event.retry_at)

    async def callback_requested(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, CallbackRequested)
        if event.due_at is not None:
            deadline = CallbackDeadline(contact_id=event.contact_id, failures=0)
            await schedule(self.broker, deadline, event.due_at)

    async def callback_deadline(self, event: Event, tracking: Tracking) -> None:
        assert isinstance(event, CallbackDeadline)
        if not await self.run(self.voice.app.is_processed, tracking):
            await self.run(self.voice.callback_deadline, event, tracking)


def subscribe_voice(broker: NatsBroker, handlers: VoiceHandlers) -> list[Inbox]:
    return [
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-bridge-scheduler",
            subject="sb.events.routing.CallBridgeRequested",
            handler=handlers.bridge_requested,
            description="Schedules how long an accepting agent's phone may ring",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-bridge-deadlines",
            subject="sb.timers.fired.bridge.>",
            handler=handlers.bridge_deadline,
            description="Offers a call to the next agent when the last one's phone did not answer",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-callback-scheduler",
            subject="sb.events.routing.CallbackAttemptFailed",
            handler=handlers.callback_failed,
            description="Schedules the next attempt of a callback the customer did not answer",
        ),
        subscribe(
            broker,
            stream=EVENTS,
            durable="routing-callback-request-scheduler",
            subject="sb.events.routing.CallbackRequested",
            handler=handlers.callback_requested,
            description="Schedules a callback a web form asked for at a time",
        ),
        subscribe(
            broker,
            stream=TIMERS,
            durable="routing-callback-deadlines",
            subject="sb.timers.fired.callback.>",
            handler=handlers.callback_deadline,
            description="Puts a callback whose next attempt is due back in line for an agent",
        ),
    ]

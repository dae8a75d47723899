"""The bridge: follows routing's events on EVENTS and connects calls through Twilio.

One durable consumer over `sb.events.routing.>` keeps each contact's events in the order
routing stored them (a request, then its failure or connection, then the end). What the
bridge did for a contact is claimed in a KV bucket before and after each REST request, so a
redelivered event (after a SIGKILL, a NATS hiccup) is carried out once: a claim found
"dialing" means the process died mid-request, and Twilio itself is asked whether the
agent's participant exists (labels are unique per conference) before dialling again.
Nothing here writes routing's state: what Twilio reports comes back as signed webhooks, and
a leg the bridge could not dial is reported the same way, as a failed leg.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Tracking
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from events import (
    CallbackAttemptFailed,
    CallBridgeFailed,
    CallBridgeRequested,
    CallConnected,
    CallLegChanged,
    CallLegReported,
    CallRecorded,
    ContactAbandoned,
    ContactCancelled,
    ContactCompleted,
    ContactTransferred,
    Event,
)
from events.voice import Leg
from schemas.config import TwilioConfig
from services.ingest.adapters.inbound_publisher import InboundPublisher
from services.voice.twilio_calls import Found, LegFailed, TwilioCalls
from services.voice.twiml import join_conference
from switchboard.inbox import NotYet
from switchboard.jetstream import VOICE_BUCKET

log = logging.getLogger(__name__)
REVISION = "_revision"  # of the KV entry a state was read from (never stored)


@dataclass(frozen=True)
class CallbackUrls:
    """Where Twilio reports; the query names the contact, leg and attempt, and Twilio signs
    the whole URL, so they cannot be forged."""

    base: str

    def leg(self, contact_id: uuid.UUID, leg: str, attempt: int) -> str:
        return (
            f"{self.base.rstrip('/')}/channels/twilio/voice/leg"
            f"?contact={contact_id}&leg={leg}&attempt={attempt}"
        )

    def recording(self, contact_id: uuid.UUID) -> str:
        base = self.base.rstrip("/")
        return f"{base}/channels/twilio/voice/bridge-recording?contact={contact_id}"


class VoiceBridge:
    def __init__(
        self,
        calls: TwilioCalls,
        config: TwilioConfig,
        publisher: InboundPublisher,
        js: JetStreamContext,
        urls: CallbackUrls,
    ) -> None:
        self.calls = calls
        self.config = config
        self.publisher = publisher
        self.js = js
        self.urls = urls
        self.bridged = 0
        self._bucket: KeyValue | None = None

    async def routing_event(self, event: Event, tracking: Tracking) -> None:
        try:
            await self._follow(event)
        except KeyWrongLastSequenceError:
            # The call's entry changed under us (another replica, a control from the desk):
            # decide again from what it is now.
            raise NotYet("call changed concurrently", delay=0.2) from None

    async def _follow(self, event: Event) -> None:
        if isinstance(event, CallBridgeRequested):
            await self.dial_agent(event)
        elif isinstance(event, CallConnected):
            await self.connect_caller(event)
        elif isinstance(event, CallBridgeFailed):
            await self.drop_agent(event.contact_id, event.attempt)
        elif isinstance(event, CallbackAttemptFailed):
            await self.drop_agent(event.contact_id, event.attempt, after_callback=True)
        elif isinstance(event, ContactAbandoned):
            await self.end_call(event.contact_id)
        elif isinstance(event, ContactCompleted | ContactCancelled):
            await self.end_call(event.contact_id, caller_waiting=True)
        elif isinstance(event, ContactTransferred):
            await self.hold_for_transfer(event.contact_id)
        elif isinstance(event, CallRecorded):
            await self.remember_recording(event.contact_id, event.recording_sid)
        elif isinstance(event, CallLegChanged) and event.leg == "agent":
            await self.agent_left(event)

    # Steps --------------------------------------------------------------------------

    async def dial_agent(self, request: CallBridgeRequested) -> None:
        kv = await self.kv()
        state = await load_call(kv, request.contact_id)
        if state and int(state["attempt"]) > request.attempt:
            return  # an earlier attempt redelivered: routing has moved on
        interrupted = bool(state and state["attempt"] == request.attempt)
        if interrupted and state and state["step"] != "dialing":
            return  # done before: a redelivery
        base = state if state and state["attempt"] == request.attempt else {}
        state = {
            **base,
            "attempt": request.attempt,
            "step": "dialing",
            "conference": request.conference,
            "customer_call_sid": request.customer_call_sid,
            "recordings": (state or {}).get("recordings", []),
            "conference_sid": (state or {}).get("conference_sid"),
            "consult": (state or {}).get("consult") or {},
            REVISION: (state or {}).get(REVISION),
            "caller_id": request.caller_id or self.config.from_number,
            "agent_id": request.agent_id,
            "record": request.record,
            "on_hold": request.customer_in_conference,
        }
        await save_call(kv, request.contact_id, state)
        label = f"agent-{request.attempt}"
        consulted = (state.get("consult") or {}).get(request.agent_id)
        try:
            found = None
            if consulted:  # a warm transfer: the agent is on the line already
                found = Found(str(consulted), connected=True)
            elif interrupted:
                found = await self.calls.find_participant(request.conference, label)
            call_sid = found.call_sid if found else await self._dial(request, label, state)
        except LegFailed as exc:
            state["step"] = "failed"
            await save_call(kv, request.contact_id, state)
            await self._report_failed(request, str(exc))
            return
        state.update(step="dialed", agent_call_sid=call_sid)
        (state.get("consult") or {}).pop(request.agent_id, None)
        await save_call(kv, request.contact_id, state)
        if found is not None and found.connected:
            # It answered while we were down: Twilio's report of it may never have reached
            # us. Ours has the same message id as Twilio's, so the two count once.
            await self._report(request, call_sid, "in-progress")

    async def _dial(self, request: CallBridgeRequested, label: str, state: dict[str, Any]) -> str:
        caller_id = request.caller_id or self.config.from_number
        if not request.agent_phone or not caller_id:
            raise LegFailed("no phone on the agent's [[people]] entry or no number to call from")
        recording = self.urls.recording(request.contact_id) if request.record != "none" else None
        dialled = await self.calls.dial_agent(
            request.conference,
            label,
            request.agent_phone,
            caller_id,
            int(request.ring_seconds),
            self.urls.leg(request.contact_id, "agent", request.attempt),
            recording,
        )
        if dialled.conference_sid:
            state["conference_sid"] = dialled.conference_sid
        return dialled.call_sid

    async def connect_caller(self, connected: CallConnected) -> None:
        """The agent answered: the caller comes into the conference (or off hold)."""
        kv = await self.kv()
        state = await load_call(kv, connected.contact_id)
        if state is None or state["attempt"] != connected.attempt:
            return
        if state["step"] in ("connected", "ended"):
            return
        # The answered leg is the agent's, whatever the claim says (a redelivered request may
        # come after this, from a bridge that died mid-request).
        state["agent_call_sid"] = connected.agent_call_sid
        conference = str(state["conference"])
        if state["step"] == "connecting" and not connected.customer_in_conference:
            # Died mid-request: a second redirect would take the caller out and back in.
            if await self.calls.find_participant(conference, "customer") is not None:
                state["step"] = "connected"
                await save_call(kv, connected.contact_id, state)
                return
        state["step"] = "connecting"
        await save_call(kv, connected.contact_id, state)
        try:
            if connected.callback_to:
                await self.calls.dial_customer(
                    conference,
                    connected.callback_to,
                    str(state.get("caller_id") or ""),
                    self.urls.leg(connected.contact_id, "customer", connected.attempt),
                )
            elif connected.customer_in_conference:
                await self.calls.hold(conference, "customer", False)
            else:
                announcement = (
                    self.config.recording_announcement if connected.record != "none" else None
                )
                twiml = join_conference(conference, announcement, self.config.hold_music_url)
                await self.calls.move_caller(str(state["customer_call_sid"]), twiml)
        except LegFailed as exc:
            if connected.callback_to:
                # Could not call the customer back: an attempt that failed, like one they
                # did not answer (routing frees the agent and tries again later).
                state["step"] = "connected"
                await save_call(kv, connected.contact_id, state)
                call_sid = f"undialled-customer-{connected.contact_id}-{connected.attempt}"
                await self._report_leg(
                    connected.contact_id, "customer", connected.attempt, call_sid, str(exc)
                )
                return
            # The caller is gone (their hang-up reaches routing on its own) or Twilio is:
            # either way the agent must not sit in an empty conference.
            log.warning("contact %s: caller not connected: %s", connected.contact_id, exc)
            await self.end_leg(connected.agent_call_sid)
            state["step"] = "ended"
            await save_call(kv, connected.contact_id, state)
            return
        state.update(
            step="connected", connected_at=connected.occurred_at.isoformat(), on_hold=False
        )
        await save_call(kv, connected.contact_id, state)
        self.bridged += 1

    async def drop_agent(
        self, contact_id: uuid.UUID, attempt: int, after_callback: bool = False
    ) -> None:
        """Routing gave the call to someone else (the old agent's phone stops ringing), or
        the customer did not answer a callback (the agent who waited for them leaves)."""
        kv = await self.kv()
        state = await load_call(kv, contact_id)
        steps = ("connected",) if after_callback else ("dialing", "dialed")
        if state is None or state["attempt"] != attempt or state["step"] not in steps:
            return
        leg = state.get("agent_call_sid")
        if leg is None and state["step"] == "dialing":  # a bridge died mid-request: ask Twilio
            found = await self.calls.find_participant(str(state["conference"]), f"agent-{attempt}")
            leg = found.call_sid if found else None
        await self.end_leg(leg)
        state["step"] = "dropped"
        await save_call(kv, contact_id, state)

    async def end_call(self, contact_id: uuid.UUID, caller_waiting: bool = False) -> None:
        """Abandoned (the caller hung up while the agent's phone rang) or completed. An
        agent who completes before the call was connected would leave the caller in the
        queue for ever: `caller_waiting` ends their call too."""
        kv = await self.kv()
        state = await load_call(kv, contact_id)
        if state is None or state["step"] == "ended":
            return
        if state["step"] in ("dialing", "dialed"):
            await self.end_leg(state.get("agent_call_sid"))
            if caller_waiting and state.get("on_hold") and state.get("conference_sid"):
                await self._end_conference(contact_id, str(state["conference_sid"]))
            elif caller_waiting and state.get("customer_call_sid"):
                await self.end_leg(state["customer_call_sid"])
        elif state["step"] in ("connected", "held") and state.get("conference_sid"):
            await self._end_conference(contact_id, str(state["conference_sid"]))
        state["step"] = "ended"
        await save_call(kv, contact_id, state)

    async def agent_left(self, changed: CallLegChanged) -> None:
        """The agent hung up their phone: with nobody taking over (no transfer under way),
        the caller must not be left in the conference hearing music; it ends."""
        if changed.status != "completed":
            return
        kv = await self.kv()
        state = await load_call(kv, changed.contact_id)
        # By the leg, not the attempt: a colleague taken over from a consultation reports
        # on their consultation leg's URL.
        if state is None or state["step"] != "connected" or not state.get("conference_sid"):
            return
        if state.get("agent_call_sid") != changed.call_sid:
            return
        await self._end_conference(changed.contact_id, str(state["conference_sid"]))
        state["step"] = "ended"
        await save_call(kv, changed.contact_id, state)

    async def hold_for_transfer(self, contact_id: uuid.UUID) -> None:
        """A cold transfer: the caller stays in the conference, on hold, while the agent
        who passed the call drops out; the next agent to accept is dialled in."""
        kv = await self.kv()
        state = await load_call(kv, contact_id)
        if state is not None and state["step"] in ("dialing", "dialed"):
            # Passed on before the agent's phone was answered: it stops ringing.
            await self.end_leg(state.get("agent_call_sid"))
            state["step"] = "dropped"
            await save_call(kv, contact_id, state)
            return
        if state is None or state["step"] != "connected":
            return
        await self.calls.hold(str(state["conference"]), "customer", True)
        await self.end_leg(state.get("agent_call_sid"))
        state.update(step="held", on_hold=True)
        await save_call(kv, contact_id, state)

    async def remember_recording(self, contact_id: uuid.UUID, recording_sid: str) -> None:
        """Which recordings belong to the contact: only those are served for it."""
        kv = await self.kv()
        state = await load_call(kv, contact_id) or {"attempt": 0, "step": "ended"}
        recordings = set(state.get("recordings", []))
        if recording_sid not in recordings:
            state["recordings"] = sorted(recordings | {recording_sid})
            await save_call(kv, contact_id, state)

    async def recordings_of(self, contact_id: uuid.UUID) -> list[str]:
        state = await load_call(await self.kv(), contact_id)
        return list(state.get("recordings", [])) if state else []

    # Internals ----------------------------------------------------------------------

    async def _end_conference(self, contact_id: uuid.UUID, conference_sid: str) -> None:
        try:
            await self.calls.end_conference(conference_sid)
        except LegFailed as exc:
            if exc.retry:
                raise  # Twilio away: the Inbox tries again later, with backoff
            log.info("contact %s: conference already over: %s", contact_id, exc)

    async def end_leg(self, call_sid: object) -> None:
        if not call_sid:
            return
        try:
            await self.calls.end_leg(str(call_sid))
        except LegFailed as exc:
            if exc.retry:
                raise  # Twilio away: the Inbox tries again later, with backoff
            log.info("leg %s already over: %s", call_sid, exc)

    async def _report_failed(self, request: CallBridgeRequested, detail: str) -> None:
        """A leg we could not dial is reported as Twilio reports one that failed."""
        call_sid = f"undialled-{request.contact_id}-{request.attempt}"
        await self._report(request, call_sid, "failed", detail)

    async def _report(
        self, request: CallBridgeRequested, call_sid: str, status: str, detail: str | None = None
    ) -> None:
        await self.publisher.publish(
            CallLegReported(
                contact_id=request.contact_id,
                leg="agent",
                attempt=request.attempt,
                call_sid=call_sid,
                status=status,
                detail=detail[:300] if detail else None,
            )
        )

    async def _report_leg(
        self, contact_id: uuid.UUID, leg: Leg, attempt: int, call_sid: str, detail: str
    ) -> None:
        """A leg we could not dial, reported as Twilio reports one that failed."""
        await self.publisher.publish(
            CallLegReported(
                contact_id=contact_id,
                leg=leg,
                attempt=attempt,
                call_sid=call_sid,
                status="failed",
                detail=detail[:300],
            )
        )

    async def kv(self) -> KeyValue:
        # Looked up once: each lookup is a round trip to NATS, and every event needs it.
        if self._bucket is None:
            self._bucket = await self.js.key_value(VOICE_BUCKET)
        return self._bucket


async def load_call(kv: KeyValue, contact_id: uuid.UUID) -> dict[str, Any] | None:
    """The call's entry, with the revision it was read at (saving checks it is still the
    latest: two replicas, or two events of one contact, never overwrite each other)."""
    try:
        entry = await kv.get(str(contact_id))
    except KeyNotFoundError:
        return None
    found: dict[str, Any] = json.loads(entry.value or b"{}")
    found[REVISION] = entry.revision
    return found


async def save_call(kv: KeyValue, contact_id: uuid.UUID, state: dict[str, Any]) -> None:
    """Raises KeyWrongLastSequenceError when someone else saved it since it was read."""
    data = json.dumps({k: v for k, v in state.items() if k != REVISION}).encode()
    revision = state.get(REVISION)
    if revision is None:
        state[REVISION] = await kv.create(str(contact_id), data)
    else:
        state[REVISION] = await kv.update(str(contact_id), data, last=revision)

"""The desk's call controls: the call's state, hold and resume, hang up, a warm transfer's
consultation, and a supervisor listening in or coaching. They act on Twilio at once (a
person pressed a button and waits) and keep what they did in the call's KV entry, which the
bridge owns; transfers themselves go through routing (POST /api/contacts/{id}/transfer) so
they are recorded as events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KeyValue
from pydantic import BaseModel, ConfigDict, Field

from schemas.config import SwitchboardConfig
from services.voice.bridge import VoiceBridge, load_call
from services.voice.bridge import save_call as save_entry
from services.voice.twilio_calls import LegFailed
from switchboard.auth import STAFF, SUPERVISORS, Authenticator, Principal

# What the desk shows for each of the bridge's steps.
SHOWN = {
    "dialing": "ringing you",
    "dialed": "ringing you",
    "connecting": "connected",
    "connected": "connected",
    "held": "on hold",
}


class CallView(BaseModel):
    contact_id: uuid.UUID
    state: str  # ringing you | connected | on hold | ended
    on_hold: bool
    recording: bool
    connected_at: datetime | None
    agent_id: str | None


class ConsultRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: str = Field(min_length=1, max_length=64)


class MonitorRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Literal["listen", "coach"] = "listen"


def view(contact_id: uuid.UUID, state: dict[str, Any]) -> CallView:
    shown = SHOWN.get(str(state.get("step")), "ended")
    if shown == "connected" and state.get("on_hold"):
        shown = "on hold"
    at = state.get("connected_at")
    return CallView(
        contact_id=contact_id,
        state=shown,
        on_hold=bool(state.get("on_hold")),
        recording=state.get("record", "none") != "none" and shown in ("connected", "on hold"),
        connected_at=datetime.fromisoformat(at).astimezone(UTC) if at else None,
        agent_id=state.get("agent_id"),
    )


def control_router(
    bridge: VoiceBridge, config: SwitchboardConfig, auth: Authenticator
) -> APIRouter:
    router = APIRouter(prefix="/channels/twilio/voice/calls", tags=["voice"])
    staff = Depends(auth.role(*STAFF))
    supervisor = Depends(auth.role(*SUPERVISORS))
    phones = {p.id: p.phone for p in config.people}

    async def the_call(contact_id: uuid.UUID, who: Principal) -> dict[str, Any]:
        state = await load_call(await bridge.kv(), contact_id)
        if state is None:
            raise HTTPException(404, f"no call on contact {contact_id}")
        auth.require_manages(who, str(state.get("agent_id") or ""))
        return state

    async def save_call(kv: KeyValue, contact_id: uuid.UUID, state: dict[str, Any]) -> None:
        try:
            await save_entry(kv, contact_id, state)
        except KeyWrongLastSequenceError:
            raise HTTPException(409, "the call changed meanwhile; look again") from None

    async def twilio(action: Any) -> None:
        try:
            await action
        except LegFailed as exc:
            raise HTTPException(502, f"Twilio: {exc}") from exc

    @router.get("/{contact_id}")
    async def call(contact_id: uuid.UUID, who: Principal = staff) -> CallView:
        """The call's state for the desk's call panel."""
        return view(contact_id, await the_call(contact_id, who))

    @router.post("/{contact_id}/hold")
    async def hold(contact_id: uuid.UUID, who: Principal = staff) -> CallView:
        return await _hold(contact_id, who, True)

    @router.post("/{contact_id}/resume")
    async def resume(contact_id: uuid.UUID, who: Principal = staff) -> CallView:
        return await _hold(contact_id, who, False)

    async def _hold(contact_id: uuid.UUID, who: Principal, on: bool) -> CallView:
        state = await the_call(contact_id, who)
        if state.get("step") != "connected":
            raise HTTPException(409, "the call is not connected")
        await twilio(bridge.calls.hold(str(state["conference"]), "customer", on))
        state["on_hold"] = on
        await save_call(await bridge.kv(), contact_id, state)
        return view(contact_id, state)

    @router.post("/{contact_id}/hangup")
    async def hang_up(contact_id: uuid.UUID, who: Principal = staff) -> CallView:
        """Ends the call for everyone; the agent then completes the contact."""
        state = await the_call(contact_id, who)
        if state.get("step") in ("connected", "held") and state.get("conference_sid"):
            await twilio(bridge.calls.end_conference(str(state["conference_sid"])))
        elif state.get("agent_call_sid"):
            await twilio(bridge.end_leg(state["agent_call_sid"]))
        state["step"] = "ended"
        await save_call(await bridge.kv(), contact_id, state)
        return view(contact_id, state)

    @router.post("/{contact_id}/consult")
    async def consult(
        contact_id: uuid.UUID, body: ConsultRequest, who: Principal = staff
    ) -> CallView:
        """A warm transfer's first half: the customer is held and the colleague's phone is
        dialled in to talk it over. Transferring to them (routing) hands the call over: the
        colleague, already on the line, takes it and the agent drops out."""
        state = await the_call(contact_id, who)
        phone = phones.get(body.agent_id)
        if state.get("step") != "connected" or not phone:
            raise HTTPException(409, "the call is not connected, or the colleague has no phone")
        conference = str(state["conference"])
        await twilio(bridge.calls.hold(conference, "customer", True))
        dialled = await _dial(conference, f"consult-{body.agent_id}", phone, contact_id, state)
        state["consult"] = {**(state.get("consult") or {}), body.agent_id: dialled}
        state["on_hold"] = True
        await save_call(await bridge.kv(), contact_id, state)
        return view(contact_id, state)

    @router.post("/{contact_id}/monitor")
    async def monitor(
        contact_id: uuid.UUID, body: MonitorRequest, who: Principal = supervisor
    ) -> CallView:
        """A supervisor's phone joins muted (listen), or heard by the agent only (coach)."""
        state = await the_call(contact_id, who)
        phone = phones.get(who.id)
        if state.get("step") != "connected" or not phone:
            raise HTTPException(409, "the call is not connected, or you have no phone")
        coach = state.get("agent_call_sid") if body.mode == "coach" else None
        label = f"supervisor-{who.id}"
        await _dial(str(state["conference"]), label, phone, contact_id, state, coach)
        return view(contact_id, state)

    async def _dial(
        conference: str,
        label: str,
        phone: str,
        contact_id: uuid.UUID,
        state: dict[str, Any],
        coach: str | None = None,
    ) -> str:
        try:
            return await bridge.calls.dial_side(
                conference,
                label,
                phone,
                str(state.get("caller_id") or ""),
                # A consulted colleague's leg is an agent's (attempt 0: none of routing's).
                bridge.urls.leg(
                    contact_id, "agent" if label.startswith("consult") else "supervisor", 0
                ),
                muted=label.startswith("supervisor") and coach is None,
                coach=coach,
            )
        except LegFailed as exc:
            raise HTTPException(502, f"Twilio: {exc}") from exc

    return router

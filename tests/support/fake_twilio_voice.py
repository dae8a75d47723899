"""The voice part of the local server speaking Twilio's REST API: Calls, Conferences,
Participants and Recordings, as twilio-python calls them, and the signed status callbacks
Twilio would send back. Test controls say how each phone number behaves."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

FORM = "application/x-www-form-urlencoded"
# What a number does when called: answer, no-answer, busy, fail, or nothing (Twilio away);
# a list: what it does on each call in turn.
Behaviour = str | list[str]


@dataclass
class Leg:
    call_sid: str
    to: str
    from_: str
    label: str
    conference: str
    status_callback: str | None
    status: str = "queued"
    hold: bool = False
    muted: bool = False
    coaching: bool = False
    sequence: itertools.count[int] = field(default_factory=itertools.count)


@dataclass
class Conference:
    sid: str
    name: str
    status: str = "init"
    record: bool = False
    recording_callback: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # label -> call sid


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {"code": code, "message": message, "more_info": "", "status": status}
    return JSONResponse(body, status_code=status)


class FakeTwilioVoice:
    def __init__(self, app: FastAPI, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.behaviour: dict[str, Behaviour] = {}  # by To; default "answer"
        self.ring_seconds = 0.2  # before the answer or the no-answer
        self.duplicates = 1  # how often each callback is sent
        self.failures = 0  # this many next voice requests get a 500
        self.delay = 0.0  # seconds a participant request takes (a slow Twilio)
        self.lost_callbacks: list[dict[str, str]] = []  # the webhook was unreachable
        self.log: list[tuple[str, str, dict[str, Any]]] = []  # (method, path, form)
        self.stamps: list[float] = []  # time.perf_counter() of each entry of `log`
        self.legs: dict[str, Leg] = {}
        self.conferences: dict[str, Conference] = {}  # by name
        self.hung_up: set[str] = set()  # call sids the caller ended
        self.refuse: set[str] = set()  # numbers a participant request is refused for (13223)
        self.recordings: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        base = "/2010-04-01/Accounts/{sid}"
        app.post(base + "/Conferences/{name}/Participants.json")(self._add_participant)
        app.get(base + "/Conferences/{name}/Participants/{label}.json")(self._get_participant)
        app.post(base + "/Conferences/{name}/Participants/{label}.json")(self._update_participant)
        app.post(base + "/Conferences/{name}.json")(self._update_conference)
        app.post(base + "/Calls/{call_sid}.json")(self._update_call)
        app.get(base + "/Recordings/{rec}.json")(self._get_recording)
        app.get(base + "/Recordings/{rec}.wav")(self._get_media)

    # Test controls and inspection ---------------------------------------------------

    def requests(self, kind: str) -> list[dict[str, Any]]:
        """Forms of the requests whose path contains `kind` (e.g. "Participants.json")."""
        return [form for _, path, form in self.log if kind in path]

    def in_conference(self, name: str) -> set[str]:
        conference = self.conferences.get(name)
        if conference is None:
            return set()
        return {
            label
            for label, sid in conference.labels.items()
            if self.legs[sid].status in ("in-progress", "joined")
        }

    async def hang_up(self, call_sid: str) -> None:
        """Someone on a leg (the agent, say) puts their phone down."""
        leg = self.legs[call_sid]
        await self._callback(leg, "completed", duration="30")

    async def end_conference(self, name: str) -> None:
        """The caller hangs up in the conference: it ends, and its recording is ready."""
        await self._finish(self.conferences[name])

    # REST ---------------------------------------------------------------------------

    async def _begin(self, request: Request) -> tuple[dict[str, Any], Response | None]:
        raw = await request.form()
        form: dict[str, Any] = {}
        for key, value in raw.multi_items():
            if key in form:
                previous = form[key]
                form[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
            else:
                form[key] = str(value)
        self.log.append((request.method, request.url.path, form))
        self.stamps.append(time.perf_counter())
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return form, _error(401, 20003, "Authenticate")
        if self.failures > 0:
            self.failures -= 1
            return form, _error(500, 20500, "Internal error")
        return form, None

    async def _add_participant(self, sid: str, name: str, request: Request) -> Response:
        form, refused = await self._begin(request)
        if refused:
            return refused
        if not form.get("From") or not form.get("To"):
            return _error(400, 21603, "From and To are required")
        await asyncio.sleep(self.delay)  # the request goes through even if the caller dies
        if form["To"] in self.refuse:
            return _error(400, 13223, f"Invalid phone number format: {form['To']}")
        conference = self.conferences.get(name)
        if conference is None or conference.status == "completed":
            conference = Conference(sid=self._sid("CF"), name=name)
            self.conferences[name] = conference
        label = str(form.get("Label") or "")
        if label in conference.labels:
            return _error(400, 16025, f"label {label} is already in the conference")
        if form.get("ConferenceRecord") == "record-from-start":
            conference.record = True
            conference.recording_callback = form.get("ConferenceRecordingStatusCallback")
        leg = Leg(
            call_sid=self._sid("CA"),
            to=str(form["To"]),
            from_=str(form["From"]),
            label=label,
            conference=name,
            status_callback=form.get("StatusCallback"),
        )
        self.legs[leg.call_sid] = leg
        conference.labels[label] = leg.call_sid
        behaviour = self.behaviour.get(leg.to, "answer")
        if isinstance(behaviour, list):
            behaviour = behaviour.pop(0) if len(behaviour) > 1 else behaviour[0]
        self._spawn(self._ring(leg, behaviour))
        return JSONResponse(self._participant(leg, conference), status_code=201)

    async def _get_participant(self, sid: str, name: str, label: str) -> Response:
        self.log.append(("GET", f"/Conferences/{name}/Participants/{label}.json", {}))
        self.stamps.append(time.perf_counter())
        conference = self.conferences.get(name)
        call_sid = conference.labels.get(label) if conference else None
        if conference is None or call_sid is None:
            return _error(404, 20404, "participant not found")
        return JSONResponse(self._participant(self.legs[call_sid], conference))

    async def _update_participant(
        self, sid: str, name: str, label: str, request: Request
    ) -> Response:
        form, refused = await self._begin(request)
        if refused:
            return refused
        conference = self._conference(name)
        call_sid = conference.labels.get(label) if conference else None
        if conference is None or call_sid is None:
            return _error(404, 20404, "participant not found")
        leg = self.legs[call_sid]
        for key, attr in (("Hold", "hold"), ("Muted", "muted"), ("Coaching", "coaching")):
            if key in form:
                setattr(leg, attr, form[key] == "true")
        return JSONResponse(self._participant(leg, conference))

    async def _update_conference(self, sid: str, name: str, request: Request) -> Response:
        form, refused = await self._begin(request)
        if refused:
            return refused
        conference = self._conference(name)
        if conference is None:
            return _error(404, 20404, "conference not found")
        if form.get("Status") == "completed":
            await self._finish(conference)
        body = {"sid": conference.sid, "friendly_name": name, "status": conference.status}
        return JSONResponse(body)

    async def _update_call(self, sid: str, call_sid: str, request: Request) -> Response:
        form, refused = await self._begin(request)
        if refused:
            return refused
        if call_sid in self.hung_up:
            return _error(400, 21220, "Call is not in-progress. Cannot redirect.")
        leg = self.legs.get(call_sid)
        if "Twiml" in form:
            conf = ET.fromstring(str(form["Twiml"])).find("./Dial/Conference")
            if conf is not None and conf.text:
                conference = self.conferences.setdefault(
                    conf.text, Conference(sid=self._sid("CF"), name=conf.text)
                )
                label = conf.get("participantLabel") or call_sid
                leg = Leg(call_sid, "customer", "", label, conf.text, None, status="joined")
                self.legs[call_sid] = leg
                conference.labels[label] = call_sid
                conference.status = "in-progress"
        elif form.get("Status") in ("canceled", "completed") and leg is not None:
            if leg.status in ("completed", "canceled", "no-answer", "busy", "failed"):
                return _error(400, 21220, "Call is not in-progress.")
            ended = "completed" if leg.status == "in-progress" else "canceled"
            if form["Status"] == "canceled" and leg.status == "in-progress":
                return _error(400, 21220, "Call is in-progress: complete it instead")
            leg.status = ended
            self._spawn(self._callback(leg, ended))
        return JSONResponse({"sid": call_sid, "account_sid": sid, "status": "in-progress"})

    async def _get_recording(self, sid: str, rec: str) -> Response:
        found = self.recordings.get(rec)
        if found is None:
            return _error(404, 20404, "recording not found")
        return JSONResponse(found)

    async def _get_media(self, sid: str, rec: str, request: Request) -> Response:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        if rec not in self.recordings:
            return _error(404, 20404, "recording not found")
        return Response(b"RIFF\x24\x00\x00\x00WAVEfmt " + rec.encode(), media_type="audio/x-wav")

    # What Twilio does on its own -------------------------------------------------------

    async def _ring(self, leg: Leg, behaviour: str) -> None:
        if behaviour == "silent":
            return
        await self._callback(leg, "initiated")
        await self._callback(leg, "ringing")
        await asyncio.sleep(self.ring_seconds)
        if leg.status in ("canceled", "completed"):
            return  # ended while ringing (the bridge canceled it)
        outcome = {"answer": "in-progress", "no-answer": "no-answer", "busy": "busy"}.get(
            behaviour, "failed"
        )
        if outcome == "in-progress":
            leg.status = "in-progress"
            self.conferences[leg.conference].status = "in-progress"
        else:
            leg.status = outcome
            self.conferences[leg.conference].labels.pop(leg.label, None)
        await self._callback(leg, outcome)

    async def _finish(self, conference: Conference) -> None:
        if conference.status == "completed":
            return
        both = sum(
            self.legs[s].status in ("in-progress", "joined") for s in conference.labels.values()
        )
        conference.status = "completed"
        for call_sid in conference.labels.values():
            leg = self.legs[call_sid]
            if leg.status == "in-progress":
                leg.status = "completed"
                await self._callback(leg, "completed", duration="42")
            elif leg.status == "joined":
                leg.status = "completed"
        if conference.record and conference.recording_callback and both >= 2:
            rec = self._sid("RE")
            uri = f"/2010-04-01/Accounts/{self.account_sid}/Recordings/{rec}.json"
            self.recordings[rec] = {
                "sid": rec,
                "conference_sid": conference.sid,
                "uri": uri,
                "duration": "42",
                "channels": 2,
                "status": "completed",
            }
            params = {
                "AccountSid": self.account_sid,
                "ConferenceSid": conference.sid,
                "RecordingSid": rec,
                "RecordingUrl": f"https://api.twilio.com{uri.removesuffix('.json')}",
                "RecordingStatus": "completed",
                "RecordingDuration": "42",
                "RecordingChannels": "2",
                "RecordingSource": "Conference",
            }
            await self._post(conference.recording_callback, params)

    async def _callback(self, leg: Leg, status: str, duration: str | None = None) -> None:
        leg.status = status if status != "initiated" else leg.status
        if leg.status_callback is None:
            return
        params = {
            "AccountSid": self.account_sid,
            "CallSid": leg.call_sid,
            "CallStatus": status,
            "From": leg.from_,
            "To": leg.to,
            "Direction": "outbound-api",
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(next(leg.sequence)),
            **({"CallDuration": duration} if duration else {}),
        }
        await self._post(leg.status_callback, params)

    async def _post(self, url: str, params: dict[str, str]) -> None:
        signature = RequestValidator(self.auth_token).compute_signature(url, params)
        headers = {"content-type": FORM, "x-twilio-signature": signature}
        async with httpx.AsyncClient(timeout=10.0) as client:
            for _ in range(self.duplicates):
                # As Twilio: one retry (rc=1) when the webhook is unreachable, then it is
                # given up; the call goes on regardless.
                for attempt in range(2):
                    try:
                        await client.post(url, data=params, headers=headers)
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.5 * (attempt + 1))
                else:
                    self.lost_callbacks.append(params)

    # Internals ----------------------------------------------------------------------

    def _conference(self, name_or_sid: str) -> Conference | None:
        found = self.conferences.get(name_or_sid)
        return found or next((c for c in self.conferences.values() if c.sid == name_or_sid), None)

    def _participant(self, leg: Leg, conference: Conference) -> dict[str, Any]:
        return {
            "account_sid": self.account_sid,
            "call_sid": leg.call_sid,
            "conference_sid": conference.sid,
            "label": leg.label,
            "status": "queued" if leg.status in ("queued", "ringing") else "connected",
            "muted": leg.muted,
            "hold": leg.hold,
            "coaching": leg.coaching,
        }

    def _sid(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):032x}"

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

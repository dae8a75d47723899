"""The REST calls the bridge makes, through the twilio client (async), each answering
with what the bridge keeps or raising LegFailed (with whether trying again may help)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from schemas.config import TwilioConfig
from switchboard.twilio_rest import close_twilio_client, twilio_client, worth_retrying

log = logging.getLogger(__name__)
T = TypeVar("T")
# Participant and call events we ask Twilio for on every leg.
LEG_EVENTS = ["initiated", "ringing", "answered", "completed"]


class LegFailed(Exception):
    def __init__(self, detail: str, retry: bool = False, status: int | None = None) -> None:
        super().__init__(detail)
        self.retry = retry
        self.status = status


@dataclass(frozen=True)
class Dialled:
    call_sid: str
    conference_sid: str | None


@dataclass(frozen=True)
class Found:
    call_sid: str
    connected: bool


class TwilioCalls:
    """Retries what is worth retrying (5xx, 429, unreachable) a few times with backoff
    inside one request, so one slow Twilio answer holds no other call for long; what still
    fails is reported to routing, which offers the call again."""

    def __init__(self, config: TwilioConfig, attempts: int = 3, backoff: float = 0.2) -> None:
        self.config = config
        self.client: Client = twilio_client(config)
        self.attempts = attempts
        self.backoff = backoff
        # Seen on /healthz: failed requests so far, and what is failing now (cleared by the
        # next request Twilio answers).
        self.failures = 0
        self.failing: str | None = None

    async def close(self) -> None:
        await close_twilio_client(self.client)

    async def _call(self, what: str, request: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, self.attempts + 1):
            try:
                answer = await request()
            except TwilioRestException as exc:
                failure = LegFailed(
                    f"Twilio {exc.status} {exc.code}: {exc.msg}",
                    retry=worth_retrying(exc.status),
                    status=exc.status,
                )
            except (TimeoutError, TwilioException, OSError) as exc:
                failure = LegFailed(f"Twilio unreachable: {exc}", retry=True)
            else:
                self.failing = None
                return answer
            self.failures += 1
            # A 4xx about one call (a caller who hung up) says nothing of Twilio's health.
            if failure.retry:
                self.failing = f"{what}: {failure}"
            log.warning("%s failed (attempt %d): %s", what, attempt, failure)
            if not failure.retry or attempt == self.attempts:
                raise failure
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")

    async def dial_agent(
        self,
        conference: str,
        label: str,
        to: str,
        from_: str,
        ring_seconds: int,
        status_callback: str,
        recording_callback: str | None,
    ) -> Dialled:
        """The agent's leg first: posting to the conference's name creates it."""
        record = (
            {
                "conference_record": "record-from-start",
                "conference_recording_status_callback": recording_callback,
                "conference_recording_status_callback_event": ["completed"],
            }
            if recording_callback
            else {}
        )
        participants = self.client.conferences(conference).participants
        created = await self._call(
            "dial agent",
            lambda: participants.create_async(
                from_=from_,
                to=to,
                label=label,
                early_media=True,
                beep="false",
                end_conference_on_exit=False,
                start_conference_on_enter=True,
                timeout=ring_seconds,
                status_callback=status_callback,
                status_callback_event=LEG_EVENTS,
                **record,
            ),
        )
        return Dialled(str(created.call_sid), created.conference_sid)

    async def dial_customer(
        self, conference: str, to: str, from_: str, status_callback: str
    ) -> Dialled:
        """A queued callback: the customer is called into the conference where the agent
        waits; their leaving ends it, as a caller's does."""
        participants = self.client.conferences(conference).participants
        created = await self._call(
            "call customer back",
            lambda: participants.create_async(
                from_=from_,
                to=to,
                label="customer",
                beep="false",
                end_conference_on_exit=True,
                timeout=30,
                status_callback=status_callback,
                status_callback_event=LEG_EVENTS,
            ),
        )
        return Dialled(str(created.call_sid), created.conference_sid)

    async def dial_side(
        self,
        conference: str,
        label: str,
        to: str,
        from_: str,
        status_callback: str,
        muted: bool = False,
        coach: str | None = None,
    ) -> str:
        """A colleague consulted, or a supervisor listening (muted) or coaching (heard by
        the agent `coach` only); none of them ends the call by leaving."""
        coaching = {"coaching": True, "call_sid_to_coach": coach} if coach else {}
        participants = self.client.conferences(conference).participants
        created = await self._call(
            "dial " + label,
            lambda: participants.create_async(
                from_=from_,
                to=to,
                label=label,
                beep="false",
                muted=muted,
                end_conference_on_exit=False,
                status_callback=status_callback,
                status_callback_event=LEG_EVENTS,
                **coaching,
            ),
        )
        return str(created.call_sid)

    async def find_participant(self, conference: str, label: str) -> Found | None:
        """The participant `label`, if the conference has it (after a crash mid-request,
        this says whether the request got through, and whether the leg answered)."""
        context = self.client.conferences(conference).participants(label)
        try:
            found = await self._call("find participant", context.fetch_async)
        except LegFailed as exc:
            if exc.status == 404:
                return None
            raise
        return Found(str(found.call_sid), str(found.status) == "connected")

    async def move_caller(self, call_sid: str, twiml: str) -> None:
        await self._call(
            "move caller", lambda: self.client.calls(call_sid).update_async(twiml=twiml)
        )

    async def hold(self, conference: str, label: str, hold: bool) -> None:
        context = self.client.conferences(conference).participants(label)
        music = {"hold_url": self.config.hold_music_url} if self.config.hold_music_url else {}
        await self._call("hold", lambda: context.update_async(hold=hold, **music))

    async def end_leg(self, call_sid: str) -> None:
        """`canceled` ends a leg still queued or ringing; one answered needs `completed`."""
        try:
            await self._call(
                "cancel leg", lambda: self.client.calls(call_sid).update_async(status="canceled")
            )
        except LegFailed as exc:
            if exc.retry:
                raise
            await self._call(
                "end leg", lambda: self.client.calls(call_sid).update_async(status="completed")
            )

    async def end_conference(self, conference_sid: str) -> None:
        conference = self.client.conferences(conference_sid)
        await self._call("end conference", lambda: conference.update_async(status="completed"))

    async def recording_meta(self, recording_sid: str) -> tuple[str, str | None]:
        """(media URI, conference sid) of a recording, for the download below."""
        found = await self._call(
            "fetch recording", self.client.recordings(recording_sid).fetch_async
        )
        return str(found.uri), found.conference_sid

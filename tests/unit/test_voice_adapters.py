"""The voice bridge's webhooks pass the conformance kit, signed as Twilio signs; the TwiML
the caller hears is built with twilio.twiml."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest

from events import CallbackAsked, CallLegReported, CallRecordingReported
from services.ingest.adapter import Accepted, ChannelAdapter, InboundRequest
from services.voice.ivr import TwilioCallbackDigitAdapter, TwilioWaitAdapter
from services.voice.twiml import hold_loop, join_conference
from services.voice.webhooks import TwilioBridgeRecordingAdapter, TwilioLegStatusAdapter
from switchboard.errors import BadInput
from tests.support.twilio_signing import ACCOUNT, call
from tests.unit.test_twilio_adapters import TwilioKit, config

CONTACT = uuid.UUID("00000000-0000-0000-0000-0000000000c1")


def leg(n: int, status: str = "ringing") -> dict[str, str]:
    return {
        "CallSid": f"CA{n:032d}",
        "AccountSid": ACCOUNT,
        "CallStatus": status,
        "SequenceNumber": "1",
    }


class TestLegStatus(TwilioKit):
    path = "/voice/leg"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioLegStatusAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        return self.sign(leg(n), f"?contact={CONTACT}&leg=agent&attempt=2")

    def malformed_requests(self) -> list[InboundRequest]:
        query = f"?contact={CONTACT}&leg=agent&attempt=2"
        return [
            self.sign(leg(1, status="sleeping"), query),
            self.sign(leg(1), "?contact=nope&leg=agent&attempt=2"),
            self.sign(leg(1), f"?contact={CONTACT}&leg=boss&attempt=2"),
            self.sign(leg(1), f"?contact={CONTACT}&leg=agent&attempt=x"),
        ]

    def test_names_the_contact_leg_and_attempt(self) -> None:
        [event] = self.make_adapter().parse(self.valid_request(3))
        assert isinstance(event, CallLegReported)
        assert (event.contact_id, event.leg, event.attempt) == (CONTACT, "agent", 2)
        assert event.msg_id() == f"voice-leg:CA{3:032d}:2:ringing"


class TestBridgeRecording(TwilioKit):
    path = "/voice/bridge-recording"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioBridgeRecordingAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        params = {
            "AccountSid": ACCOUNT,
            "ConferenceSid": "CF" + "1" * 32,
            "RecordingSid": f"RE{n:032d}",
            "RecordingStatus": "completed",
            "RecordingDuration": "42",
            "RecordingChannels": "2",
        }
        return self.sign(params, f"?contact={CONTACT}")

    def malformed_requests(self) -> list[InboundRequest]:
        return [self.sign({"AccountSid": ACCOUNT}, f"?contact={CONTACT}")]

    def test_duration_and_channels(self) -> None:
        [event] = self.make_adapter().parse(self.valid_request(1))
        assert isinstance(event, CallRecordingReported)
        assert (event.duration, event.channels, event.status) == (42, 2, "completed")


class TestCallbackDigit(TwilioKit):
    path = "/voice/wait/digit"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioCallbackDigitAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        return self.sign(call(n, Digits="1"))

    def malformed_requests(self) -> list[InboundRequest]:
        return [self.sign({k: v for k, v in call(1, Digits="1").items() if k != "CallSid"})]

    @pytest.mark.parametrize("extra", [{"Digits": "5"}, {"Digits": "1", "From": "anonymous"}])
    def test_no_callback_without_the_digit_or_a_number(self, extra: dict[str, str]) -> None:
        adapter = self.make_adapter()
        request = self.sign(call(1, **extra))
        assert adapter.parse(request) == []
        assert (
            b"<Redirect>/channels/twilio/voice/wait</Redirect>"
            in adapter.reply(request, []).content
        )

    def test_the_callback_is_keyed_like_the_calls_status(self) -> None:
        adapter = self.make_adapter()
        request = self.valid_request(4)
        [event] = adapter.parse(request)
        assert isinstance(event, CallbackAsked) and event.number == "+4915112345678"
        assert event.partition_key() == str(event.interaction_id)
        twiml = ET.fromstring(adapter.reply(request, [Accepted(event, False)]).content)
        assert [child.tag for child in twiml] == ["Say", "Hangup"]


def test_the_hold_loop_gathers_one_digit_then_loops() -> None:
    adapter = TwilioWaitAdapter(config())
    twiml = ET.fromstring(hold_loop(adapter.twilio, "/d", "/w"))  # type: ignore[arg-type]
    gather, redirect = list(twiml)
    assert (gather.tag, gather.get("numDigits"), gather.get("action")) == ("Gather", "1", "/d")
    assert (redirect.tag, redirect.text) == ("Redirect", "/w")


def test_joining_the_conference_says_the_notice_first_and_ends_it_on_leaving() -> None:
    twiml = ET.fromstring(join_conference("contact-x", "Recorded.", None))
    say, dial = list(twiml)
    assert (say.tag, say.text) == ("Say", "Recorded.")
    conference = dial.find("Conference")
    assert conference is not None and conference.text == "contact-x"
    assert conference.get("participantLabel") == "customer"
    assert conference.get("endConferenceOnExit") == "true"
    assert conference.get("waitUrl") is None  # Twilio's own music unless configured
    assert "[" not in ET.tostring(twiml, encoding="unicode")  # no Python list reprs


def test_a_bad_query_names_its_field() -> None:
    adapter = TwilioLegStatusAdapter(config())
    request = TestLegStatus().sign(leg(1), "?leg=agent&attempt=1")
    with pytest.raises(BadInput) as raised:
        adapter.parse(request)
    assert "contact" in str(raised.value.details)

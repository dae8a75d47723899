"""Twilio's adapters pass the conformance kit, signed as Twilio signs."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from events import InteractionReceived, InteractionUpdated, ReplyStatusChanged
from schemas.config import ChannelsConfig, SwitchboardConfig, TwilioConfig
from services.ingest.adapter import Accepted, ChannelAdapter, InboundRequest
from services.ingest.conformance import AdapterConformance
from services.ingest.twilio_messaging import TwilioMessageStatusAdapter, TwilioMessagingAdapter
from services.ingest.twilio_voice import (
    TwilioRecordingAdapter,
    TwilioVoiceAdapter,
    TwilioVoiceStatusAdapter,
)
from switchboard.errors import BadSignature
from tests.support.twilio_signing import ACCOUNT, AUTH_TOKEN, call, message, twilio_request

BASE = "https://sb.example/channels/twilio"


def config(verify: bool = True) -> SwitchboardConfig:
    twilio = TwilioConfig(account_sid=ACCOUNT, auth_token=AUTH_TOKEN, verify_signatures=verify)
    return SwitchboardConfig(channels=ChannelsConfig(twilio=twilio))


class TwilioKit(AdapterConformance):
    path = ""

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        return replace(request, headers={**request.headers, "x-twilio-signature": "forged="})

    def sign(self, params: dict[str, str], query: str = "") -> InboundRequest:
        return twilio_request(f"{BASE}{self.path}{query}", params)


class TestVoice(TwilioKit):
    path = "/voice"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioVoiceAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        return self.sign(call(n, CallerName="ANA LIMA"))

    def malformed_requests(self) -> list[InboundRequest]:
        return [
            self.sign({k: v for k, v in call(1).items() if k != "CallSid"}),
            self.sign(call(1, From="not a number")),
        ]


class TestVoiceStatus(TwilioKit):
    path = "/voice/status"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioVoiceStatusAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        return self.sign(call(n, CallStatus="completed", CallDuration="42"))

    def malformed_requests(self) -> list[InboundRequest]:
        return [self.sign(call(1, CallStatus="exploded")), self.sign(call(1, CallStatus=""))]


class TestRecording(TwilioKit):
    path = "/voice/recording"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioRecordingAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        return self.sign(
            {
                "AccountSid": ACCOUNT,
                "CallSid": f"CA{n:032d}",
                "RecordingSid": f"RE{n:032d}",
                "RecordingUrl": f"https://api.twilio.com/rec/RE{n}",
                "RecordingStatus": "completed",
                "RecordingDuration": "40",
            }
        )

    def malformed_requests(self) -> list[InboundRequest]:
        return [self.sign({"AccountSid": ACCOUNT, "CallSid": "CA1", "RecordingSid": "RE1"})]


class TestMessaging(TwilioKit):
    path = "/messaging"

    def make_adapter(self) -> ChannelAdapter:
        return TwilioMessagingAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        return self.sign(message(n))

    def malformed_requests(self) -> list[InboundRequest]:
        return [
            self.sign(message(1, NumMedia="lots")),
            self.sign(message(1, NumMedia="1")),  # announces media it does not carry
            self.sign(message(1, sender="whatsapp:garbage")),
        ]


class TestMessageStatus(TwilioKit):
    path = "/messaging/status"
    contact, reply = uuid.uuid4(), uuid.uuid4()

    def make_adapter(self) -> ChannelAdapter:
        return TwilioMessageStatusAdapter(config())

    def valid_request(self, n: int) -> InboundRequest:
        query = f"?contact={self.contact}&reply={self.reply}"
        params = {
            "MessageSid": f"SM{n:032d}",
            "MessageStatus": "delivered",
            "AccountSid": ACCOUNT,
            "To": "+4915112345678",
            "From": "+4930123456",
        }
        return self.sign(params, query)

    def malformed_requests(self) -> list[InboundRequest]:
        params = {"MessageSid": "SM1", "MessageStatus": "delivered", "AccountSid": ACCOUNT}
        return [self.sign(params), self.sign(params, "?contact=nope&reply=nope")]


def test_call_greets_and_enqueues_the_caller() -> None:
    adapter = TwilioVoiceAdapter(config())
    request = twilio_request(f"{BASE}/voice", call(1, CallerName="ANA LIMA"))
    [event] = adapter.parse(request)
    assert isinstance(event, InteractionReceived)
    assert (event.channel, event.sender.phone, event.sender.name) == (
        "voice",
        "+4915112345678",
        "ANA LIMA",
    )
    twiml = ET.fromstring(adapter.reply(request, [Accepted(event, False)]).content)
    assert [child.tag for child in twiml] == ["Say", "Enqueue"]
    assert twiml.find("Enqueue").text == "support"  # type: ignore[union-attr]


def test_withheld_number_is_still_a_call() -> None:
    [event] = TwilioVoiceAdapter(config()).parse(
        twilio_request(f"{BASE}/voice", call(1, From="anonymous"))
    )
    assert isinstance(event, InteractionReceived)
    assert event.sender.phone is None and event.attributes["caller"] == "anonymous"


def test_call_status_and_recording_refer_to_the_call() -> None:
    [received] = TwilioVoiceAdapter(config()).parse(twilio_request(f"{BASE}/voice", call(7)))
    [status] = TwilioVoiceStatusAdapter(config()).parse(
        twilio_request(f"{BASE}/voice/status", call(7, CallStatus="no-answer"))
    )
    assert isinstance(status, InteractionUpdated)
    assert status.interaction_id == received.interaction_id
    assert status.status == "no-answer"


def test_whatsapp_and_sms_from_one_number() -> None:
    adapter = TwilioMessagingAdapter(config())
    [sms] = adapter.parse(twilio_request(f"{BASE}/messaging", message(1)))
    media = {
        "NumMedia": "2",
        "MediaUrl0": "https://m/1",
        "MediaContentType0": "image/jpeg",
        "MediaUrl1": "https://m/2",
        "MediaContentType1": "audio/ogg",
        "ProfileName": "Ana",
    }
    [wa] = adapter.parse(
        twilio_request(f"{BASE}/messaging", message(2, sender="whatsapp:+4915112345678", **media))
    )
    assert isinstance(sms, InteractionReceived) and isinstance(wa, InteractionReceived)
    assert (sms.channel, wa.channel) == ("sms", "whatsapp")
    assert sms.sender.phone == wa.sender.phone == "+4915112345678"
    assert wa.sender.handle == "whatsapp:+4915112345678"
    assert [(a.url, a.content_type) for a in wa.attachments] == [
        ("https://m/1", "image/jpeg"),
        ("https://m/2", "audio/ogg"),
    ]


def test_delivery_reports_become_reply_statuses() -> None:
    contact, reply = uuid.uuid4(), uuid.uuid4()
    adapter = TwilioMessageStatusAdapter(config())

    def report(status: str, **extra: str) -> list[ReplyStatusChanged]:
        params = {"MessageSid": "SM9", "MessageStatus": status, "AccountSid": ACCOUNT, **extra}
        url = f"{BASE}/messaging/status?contact={contact}&reply={reply}"
        return list(adapter.parse(twilio_request(url, params)))  # type: ignore[arg-type]

    assert report("sent") == []  # already recorded when Twilio accepted it
    [delivered] = report("delivered")
    assert (delivered.status, delivered.reply_id, delivered.contact_id) == (
        "delivered",
        reply,
        contact,
    )
    [failed] = report("undelivered", ErrorCode="30003")
    assert (failed.status, failed.detail) == ("failed", "Twilio error 30003")


def test_signature_checks() -> None:
    request = twilio_request(f"{BASE}/voice", call(1))
    TwilioVoiceAdapter(config()).verify(request)
    moved = replace(request, url="https://elsewhere.example/channels/twilio/voice")
    with pytest.raises(BadSignature):  # the URL is part of what Twilio signs
        TwilioVoiceAdapter(config()).verify(moved)
    other_key = twilio_request(f"{BASE}/voice", call(1), token="another-token")
    with pytest.raises(BadSignature):
        TwilioVoiceAdapter(config()).verify(other_key)
    unsigned = replace(request, headers={"content-type": request.content_type})
    with pytest.raises(BadSignature):
        TwilioVoiceAdapter(config()).verify(unsigned)
    TwilioVoiceAdapter(config(verify=False)).verify(unsigned)  # only when turned off


def test_blank_fields_are_part_of_what_twilio_signs() -> None:
    request = twilio_request(f"{BASE}/voice", call(1, CallerName="", FromState=""))
    TwilioVoiceAdapter(config()).verify(request)

"""The adapter conformance kit: what every channel adapter must do, as pytest tests.

Subclass `AdapterConformance` in your test module and implement its four hooks; pytest then
runs every check against your adapter (no server needed):

    class TestMyAdapter(AdapterConformance):
        def make_adapter(self): return MyAdapter(secret="s3cret")
        def valid_request(self, n): return signed request number n (distinct for each n)
        def unsigned(self, request): same request with a wrong signature (None: not signed)
        def malformed_requests(self): requests whose content is broken, correctly signed

An adapter with a `handshake` (the channel checks its URL with a GET first) also implements
`handshake_requests()`: a correct handshake and one with a wrong token.

The checks: a valid request verifies and parses into valid inbound events; parsing the
same request twice yields the same dedupe ids (so channel retries are dropped); distinct
requests yield distinct ids; a wrong signature is rejected with BadSignature; broken
content is rejected with BadInput naming a field, never another exception; the reply is
well formed; events survive a JSON round trip as they would through JetStream.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import pytest

from events.interactions import InboundMessage
from services.ingest.adapter import (
    Accepted,
    ChannelAdapter,
    InboundRequest,
    SubscriptionHandshake,
)
from switchboard.errors import BadInput, BadSignature
from switchboard.jetstream import decode_event, envelope


def _matches(pattern: str, subject: str) -> bool:
    """NATS wildcard match of one `*` token per position."""
    want, got = pattern.split("."), subject.split(".")
    return len(want) == len(got) and all(w in ("*", g) for w, g in zip(want, got, strict=True))


class AdapterConformance(ABC):
    @abstractmethod
    def make_adapter(self) -> ChannelAdapter: ...

    @abstractmethod
    def valid_request(self, n: int) -> InboundRequest: ...

    @abstractmethod
    def unsigned(self, request: InboundRequest) -> InboundRequest | None: ...

    @abstractmethod
    def malformed_requests(self) -> list[InboundRequest]: ...

    def handshake_requests(self) -> tuple[InboundRequest, InboundRequest] | None:
        """(a correct URL handshake, the same with a wrong token); None: no handshake."""
        return None

    @pytest.fixture
    def adapter(self) -> ChannelAdapter:
        return self.make_adapter()

    def _events(self, adapter: ChannelAdapter, request: InboundRequest) -> list[InboundMessage]:
        adapter.verify(request)
        return list(adapter.parse(request))

    def test_is_an_adapter(self, adapter: ChannelAdapter) -> None:
        assert isinstance(adapter, ChannelAdapter)
        assert adapter.name and adapter.path.startswith("/")

    def test_valid_request_becomes_valid_events(self, adapter: ChannelAdapter) -> None:
        events = self._events(adapter, self.valid_request(1))
        assert events, "a valid request must carry at least one event"
        for event in events:
            assert isinstance(event, InboundMessage)
            subject = event.publish_subject()
            assert subject.startswith("sb.inbound.")
            assert _matches(type(event).subject, subject), (type(event).subject, subject)
            env = envelope(event, subject=event.publish_subject())
            assert decode_event(env.headers, env.body) == event

    def test_retry_has_the_same_dedupe_ids(self, adapter: ChannelAdapter) -> None:
        first = self._events(adapter, self.valid_request(1))
        again = self._events(adapter, self.valid_request(1))
        assert [e.msg_id() for e in first] == [e.msg_id() for e in again]
        ids = [getattr(e, "interaction_id", None) for e in first]
        assert ids == [getattr(e, "interaction_id", None) for e in again]

    def test_distinct_requests_have_distinct_ids(self, adapter: ChannelAdapter) -> None:
        ids = [e.msg_id() for n in (1, 2, 3) for e in self._events(adapter, self.valid_request(n))]
        assert len(ids) == len(set(ids))

    def test_wrong_signature_is_rejected(self, adapter: ChannelAdapter) -> None:
        tampered = self.unsigned(self.valid_request(1))
        if tampered is None:
            pytest.skip("this adapter's channel does not sign requests")
        with pytest.raises(BadSignature):
            adapter.verify(tampered)

    def test_broken_content_is_bad_input_naming_a_field(self, adapter: ChannelAdapter) -> None:
        requests = self.malformed_requests()
        assert requests, "give at least one malformed request"
        for request in requests:
            with pytest.raises(BadInput) as caught:
                self._events(adapter, request)
            assert caught.value.details, f"no field named for {request.body[:80]!r}"

    def test_reply_is_well_formed(self, adapter: ChannelAdapter) -> None:
        request = self.valid_request(1)
        events = self._events(adapter, request)
        for duplicate in (False, True):
            reply = adapter.reply(request, [Accepted(e, duplicate) for e in events])
            assert 200 <= reply.status < 300
            assert reply.media_type

    def test_handshake_answers_the_channel_and_refuses_a_wrong_token(
        self, adapter: ChannelAdapter
    ) -> None:
        if not isinstance(adapter, SubscriptionHandshake):
            pytest.skip("this adapter's channel does not check its URL first")
        requests = self.handshake_requests()
        assert requests is not None, "an adapter with a handshake gives handshake_requests()"
        good, wrong = requests
        reply = adapter.handshake(good)
        assert 200 <= reply.status < 300 and reply.content and reply.media_type
        with pytest.raises(BadSignature):
            adapter.handshake(wrong)

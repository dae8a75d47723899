"""The web-form adapter passes the conformance kit."""

from __future__ import annotations

import json

from schemas.config import FormConfig, SwitchboardConfig
from services.ingest.adapter import ChannelAdapter, InboundRequest
from services.ingest.conformance import AdapterConformance
from services.ingest.webform import WebFormAdapter

JSON = {"content-type": "application/json"}


def _request(body: bytes, headers: dict[str, str] = JSON) -> InboundRequest:
    return InboundRequest(
        url="http://127.0.0.1:8000/channels/webform/contact-us",
        body=body,
        headers=headers,
        path_params={"form_id": "contact-us"},
    )


class TestWebFormAdapter(AdapterConformance):
    def make_adapter(self) -> ChannelAdapter:
        return WebFormAdapter(SwitchboardConfig(forms=[FormConfig(id="contact-us")]))

    def valid_request(self, n: int) -> InboundRequest:
        body = {"email": f"c{n}@example.com", "message": f"question {n}", "submission_id": f"s{n}"}
        return _request(json.dumps(body).encode())

    def unsigned(self, request: InboundRequest) -> InboundRequest | None:
        return None  # public forms are not signed (the honeypot and limits guard them)

    def malformed_requests(self) -> list[InboundRequest]:
        return [
            _request(b'{"message": "no way to answer"}'),
            _request(b'{"email": "a@example.com"}'),
            _request(b"\xff\xfe"),
            _request(b"[1, 2]"),
            _request(
                b"message=hi&phone=nope", {"content-type": "application/x-www-form-urlencoded"}
            ),
        ]


def test_fields_left_empty_in_a_browser_are_absent() -> None:
    adapter = WebFormAdapter(SwitchboardConfig(forms=[FormConfig(id="contact-us")]))
    form = b"name=&email=&phone=%2B4915112345678&subject=&message=call+me"
    request = _request(form, {"content-type": "application/x-www-form-urlencoded"})
    [event] = adapter.parse(request)
    assert event.sender.phone == "+4915112345678"  # type: ignore[attr-defined]
    assert event.sender.email is None  # type: ignore[attr-defined]

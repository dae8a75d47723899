"""Ingest's request URL (what Twilio signs) is exactly Starlette's, built faster."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from services.ingest.api import public_url


def scope(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": "/channels/twilio/messaging",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"content-type", b"text/plain")],
        "server": ("127.0.0.1", 8000),
    }
    return base | changes


SCOPES = [
    scope(),
    scope(query_string=b"a=1&b=%20x"),
    scope(scheme="https", headers=[(b"host", b"sb.example.com")]),
    scope(scheme="https", headers=[(b"host", b"sb.example.com:443")]),
    scope(headers=[(b"host", b"[::1]:8000")], server=("::1", 8000)),
    scope(headers=[], server=("::1", 8000)),
    scope(headers=[], server=("10.0.0.1", 80)),
    scope(headers=[(b"host", b"bad host:99999")]),
    scope(headers=[(b"host", b"example.com:notaport")]),
    scope(headers=[], server=None),
    scope(path="/channels/a?b#c\\d", query_string=b"x=%3F"),
    scope(path="//double/slash"),
    scope(headers=[(b"host", "bücher.example".encode("latin-1", "replace"))]),
]


@pytest.mark.parametrize("request_scope", SCOPES)
def test_the_url_is_starlettes(request_scope: dict[str, Any]) -> None:
    request = Request(request_scope)
    assert public_url(request, None) == str(request.url)
    assert public_url(request, None) == str(request.url)  # again, its origin now kept


def test_the_public_url_wins_when_set() -> None:
    request = Request(scope(query_string=b"a=1"))
    assert public_url(request, "https://sb.example.com/") == (
        "https://sb.example.com/channels/twilio/messaging?a=1"
    )

"""Signed status links name one request and cannot be forged or altered."""

from __future__ import annotations

import uuid

from services.routing.status_api import stage_of
from switchboard.status_links import StatusLinks


def test_a_link_names_its_request_and_nothing_else() -> None:
    links = StatusLinks("s" * 32, "https://help.example/")
    contact = uuid.uuid4()
    url = links.url(contact)
    assert url.startswith("https://help.example/status#")
    token = url.split("#", 1)[1]
    assert links.contact_of(token) == contact
    # The signature's first character: its last one may carry only padding bits, so two
    # spellings of it decode to the same signature.
    payload, signature = token.rsplit(".", 1)
    tampered = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert links.contact_of(f"{payload}.{tampered}") is None
    assert StatusLinks("t" * 32, "https://help.example").contact_of(token) is None
    assert links.contact_of("not-a-token") is None


def test_stages() -> None:
    assert stage_of("waiting", None) == "received"
    assert stage_of("accepted", "open") == "assigned"
    assert stage_of("accepted", "pending") == "waiting_on_you"
    assert stage_of("completed", None) == "resolved"

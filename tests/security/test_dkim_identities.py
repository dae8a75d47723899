"""An inbound e-mail's From is vouched for only by a valid DKIM signature of its own domain
(dkimpy), checked with DNS answered from a local table: never the internet. Real SMTP
(aiosmtplib to aiosmtpd) into the handler; what it publishes is captured."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from email.message import EmailMessage

import aiosmtplib
import dkim
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from events import InteractionReceived
from events.interactions import InboundMessage
from schemas.config import EmailChannel
from services.ingest.email_auth import aligned, dkim_verification, txt_table
from services.ingest.email_server import InboundMailHandler
from tests.support.ports import free_port

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE = KEY.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption(),
)
PUBLIC = base64.b64encode(
    KEY.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
DNS = txt_table(
    {
        "mail._domainkey.shop.example": f"v=DKIM1; k=rsa; p={PUBLIC}",
        "mail._domainkey.evil.example": f"v=DKIM1; k=rsa; p={PUBLIC}",
    }
)


def mail(sender: str, text: str = "Where is my parcel?") -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@desk.example", "Parcel"
    msg["Message-ID"] = f"<{abs(hash((sender, text)))}@mail.example>"
    msg.set_content(text)
    return msg.as_bytes()


def signed(raw: bytes, domain: str) -> bytes:
    header = dkim.sign(raw, b"mail", domain.encode(), PRIVATE, include_headers=[b"from", b"to"])
    return bytes(header) + raw


def test_only_an_aligned_valid_signature_vouches_for_the_sender() -> None:
    raw = mail("Ana <ana@shop.example>")
    assert dkim_verification(signed(raw, "shop.example"), "ana@shop.example", DNS) == "dkim"
    # Signed by a domain of its own, claiming someone else's address: not aligned.
    assert dkim_verification(signed(raw, "evil.example"), "ana@shop.example", DNS) == "unverified"
    # Changed after signing, or never signed, or signed with a key DNS does not know.
    tampered = signed(raw, "shop.example").replace(b"parcel", b"refund")
    assert dkim_verification(tampered, "ana@shop.example", DNS) == "unverified"
    assert dkim_verification(raw, "ana@shop.example", DNS) == "unverified"
    unknown = txt_table({})
    assert dkim_verification(signed(raw, "shop.example"), "ana@shop.example", unknown) == (
        "unverified"
    )
    assert dkim_verification(b"\x00garbage", "ana@shop.example", DNS) == "unverified"
    assert aligned("shop.example", "ana@eu.shop.example")
    assert not aligned("shop.example", "ana@shop.example.evil")


class Captured:
    def __init__(self) -> None:
        self.events: list[InboundMessage] = []

    async def publish(self, event: InboundMessage) -> None:
        self.events.append(event)


class Raw:
    async def put(self, name: str, raw: bytes) -> str:
        return f"raw/{name}"


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[int, Captured]]:
    captured = Captured()
    config = EmailChannel(port=free_port(), mailboxes=["support@desk.example"])
    handler = InboundMailHandler(
        captured,  # type: ignore[arg-type]
        Raw(),  # type: ignore[arg-type]
        config,
        dkim_lookup=DNS,
    )
    controller = Controller(handler, hostname="127.0.0.1", port=config.port)
    controller.start()
    try:
        yield config.port, captured
    finally:
        controller.stop()


async def test_inbound_mail_carries_how_its_sender_was_verified(
    smtp: tuple[int, Captured],
) -> None:
    port, captured = smtp
    for raw in (signed(mail("ana@shop.example"), "shop.example"), mail("bo@shop.example")):
        await aiosmtplib.send(
            raw,
            sender="x@shop.example",
            recipients=["support@desk.example"],
            hostname="127.0.0.1",
            port=port,
        )
    events = [e for e in captured.events if isinstance(e, InteractionReceived)]
    assert [(e.sender.email, e.sender.verification("email")) for e in events] == [
        ("ana@shop.example", "dkim"),
        ("bo@shop.example", "unverified"),
    ]

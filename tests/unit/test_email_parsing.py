"""Inbound e-mail parsing: MIME, charsets, attachments, threading, and garbage."""

from __future__ import annotations

import random
from email.message import EmailMessage

import pytest

from services.ingest.email_parsing import (
    OUR_MESSAGE_ID,
    html_to_text,
    parse_email,
    reply_message_id,
    thread_token,
    to_interaction,
)


def mail(**headers: str) -> EmailMessage:
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg


def test_plain_text_mail() -> None:
    msg = mail(
        From="Ana Lima <Ana@Example.com>",
        To="support@shop.example",
        Subject="Broken kettle",
        Message_ID="<m1@mail.example>",
    )
    msg.set_content("It arrived broken.\n")
    parsed = parse_email(msg.as_bytes())
    assert (parsed.sender_email, parsed.sender_name) == ("ana@example.com", "Ana Lima")
    assert (parsed.subject, parsed.text, parsed.message_id) == (
        "Broken kettle",
        "It arrived broken.",
        "<m1@mail.example>",
    )
    assert parsed.conversation_key == "email:" + thread_token("<m1@mail.example>")
    assert parsed.unparseable is None


def test_alternative_html_and_attachments() -> None:
    msg = mail(From="a@example.com", Subject="Invoice", Message_ID="<m2@x>")
    msg.set_content("plain version")
    msg.add_alternative("<html><body><p>html <b>version</b></p></body></html>", subtype="html")
    msg.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf"
    )
    parsed = parse_email(msg.as_bytes())
    assert parsed.text == "plain version"
    assert parsed.html is not None and "<b>version</b>" in parsed.html
    [attachment] = parsed.attachments
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "invoice.pdf",
        "application/pdf",
        13,
    )


def test_html_only_mail_becomes_readable_text() -> None:
    msg = mail(From="a@example.com", Message_ID="<m3@x>")
    msg.set_content(
        "<html><style>p{}</style><p>Hello</p><p>Second&nbsp;line</p></html>", subtype="html"
    )
    assert parse_email(msg.as_bytes()).text == "Hello\nSecond line"
    assert html_to_text("<script>x()</script><div>a</div><br>b") == "a\nb"


def test_legacy_charsets_and_encoded_subjects() -> None:
    raw = (
        b"From: =?iso-8859-1?q?J=FCrgen?= <j@example.de>\r\n"
        b"Subject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n"
        b"Message-ID: <m4@x>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        b"Sch\xf6ne Gr\xfc\xdfe\r\n"
    )
    parsed = parse_email(raw)
    assert (parsed.sender_name, parsed.subject, parsed.text) == (
        "Jürgen",
        "Grüße",
        "Schöne Grüße",
    )


def test_replies_join_the_first_messages_conversation() -> None:
    first = mail(From="a@example.com", Message_ID="<root@x>", Subject="Q")
    first.set_content("1")
    second = mail(
        From="support@shop", Message_ID="<r1@x>", In_Reply_To="<root@x>", References="<root@x>"
    )
    second.set_content("2")
    third = mail(
        From="a@example.com",
        Message_ID="<r2@x>",
        In_Reply_To="<r1@x>",
        References="<root@x> <r1@x>",
    )
    third.set_content("3")
    keys = {parse_email(m.as_bytes()).conversation_key for m in (first, second, third)}
    assert keys == {"email:" + thread_token("<root@x>")}


def test_an_answer_naming_only_our_reply_joins_its_conversation() -> None:
    key = "email:" + thread_token("<root@x>")
    ours = reply_message_id("0b7d3c7a-51e2-4c57-9d43-6f1c1f8e6b2d", key)
    answer = mail(From="a@example.com", Message_ID="<r3@x>", In_Reply_To=ours)
    answer.set_content("thanks, but")
    assert parse_email(answer.as_bytes()).conversation_key == key
    # A made-up id of our form only names a thread; it joins nothing unless the sender is
    # that conversation's customer (routing's thread key holds the sender).
    assert OUR_MESSAGE_ID.match(ours)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("X-Autoreply", "yes"),
        ("X-Auto-Response-Suppress", "OOF, AutoReply"),
        ("Precedence", "bulk"),
        ("List-Unsubscribe", "<mailto:leave@list>"),
        ("Return-Path", "<>"),
    ],
)
def test_mail_no_person_wrote_is_marked_automatic(header: str, value: str) -> None:
    msg = mail(From="a@example.com", Subject="Out of office", Message_ID="<oof@x>")
    msg[header] = value
    msg.set_content("I am away")
    parsed = parse_email(msg.as_bytes())
    assert parsed.automatic is not None
    event = to_interaction(parsed, "support@shop", "ref")
    assert event.attributes["automatic"] == "yes"


def test_a_person_s_mail_is_not_automatic() -> None:
    msg = mail(From="a@example.com", Subject="Hi", Message_ID="<p@x>")
    msg["Auto-Submitted"] = "no"
    msg.set_content("written by hand")
    assert parse_email(msg.as_bytes()).automatic is None


def test_mail_without_message_id_gets_a_stable_one() -> None:
    msg = mail(From="a@example.com", Subject="no id")
    msg.set_content("hello")
    one, two = parse_email(msg.as_bytes()), parse_email(msg.as_bytes())
    assert one.message_id == two.message_id and one.message_id.startswith("<sha256-")
    msg.set_content("different")
    assert parse_email(msg.as_bytes()).message_id != one.message_id


def test_sender_falls_back_to_the_envelope_then_to_unparseable() -> None:
    msg = mail(From="not an address", Message_ID="<m5@x>")
    msg.set_content("hi")
    assert parse_email(msg.as_bytes(), "bounce@example.org").sender_email == "bounce@example.org"
    lost = parse_email(msg.as_bytes(), "")
    assert lost.sender_email is None and lost.unparseable == "no usable sender address"
    event = to_interaction(lost, "support@shop.example", "sb_raw_email/x.eml")
    assert event.attributes == {
        "raw_ref": "sb_raw_email/x.eml",
        "unparseable": "no usable sender address",
    }


def test_garbage_never_raises_and_is_still_recorded() -> None:
    rng = random.Random(20261124)
    samples = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400))) for _ in range(300)]
    samples += [b"", b"\r\n\r\n", b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n"]
    for raw in samples:
        parsed = parse_email(raw, "x@example.com")
        event = to_interaction(parsed, "support@shop.example", "ref")
        assert event.external_id == parsed.message_id
        assert parsed.raw_sha256

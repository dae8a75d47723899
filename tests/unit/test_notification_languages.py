"""Escalation and flag messages in the person's language (down its fallback chain) and
time zone; every language has every message."""

from __future__ import annotations

import string
import uuid
from datetime import UTC, datetime

from events import ContactEscalated, ContactFlagged
from schemas.config import Person
from services.notifier.templates import WORDING, escalation_message, flagged_message

AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CONTACT = uuid.uuid4()
ESCALATED = ContactEscalated(
    occurred_at=AT,
    contact_id=CONTACT,
    level=1,
    to_person_id="sam",
    from_agent_id="bob",
    reason="bob did not answer",
    channel="sms",
    summary="Где мой заказ?",
)


def person(locale: str | None, time_zone: str | None = None) -> Person:
    return Person(id="sam", name="Sam", role="supervisor", locale=locale, time_zone=time_zone)


def test_a_russian_supervisor_reads_russian_in_moscow_time() -> None:
    message = escalation_message(ESCALATED, person("ru", "Europe/Moscow"), "https://sb.example")
    assert message.subject == "[Switchboard] Эскалация, уровень 1: обращение sms"
    assert "Здравствуйте, Sam!" in message.body
    assert "Клиент написал: Где мой заказ?" in message.body
    assert "2026-01-01 15:00:00 Europe/Moscow" in message.body
    assert f"https://sb.example/console?contact={CONTACT}" in message.short


def test_a_turkish_supervisor_is_told_an_agent_cannot_be_reached() -> None:
    flagged = ContactFlagged(
        contact_id=CONTACT,
        agent_id="alice",
        supervisor_id="sam",
        reason="heartbeat lost",
        channel="voice",
        summary="Incoming call",
    )
    message = flagged_message(flagged, person("tr-TR"), "https://sb.example")
    assert message.subject == "[Switchboard] alice ulaşılamıyor: bir voice görüşmesi"
    assert "Merhaba Sam," in message.body


def test_a_language_without_words_falls_back_to_english() -> None:
    for locale in ("pt-BR", None):
        message = escalation_message(ESCALATED, person(locale), "https://sb.example")
        assert message.subject == "[Switchboard] Escalation level 1: sms contact"
        assert "2026-01-01 12:00:00 UTC" in message.body


def test_every_language_has_every_message_with_the_same_placeholders() -> None:
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = WORDING["en"]
    for lang, words in WORDING.items():
        assert set(words) == set(english), lang
        assert {k: fields(v) for k, v in words.items()} == {
            k: fields(v) for k, v in english.items()
        }, lang

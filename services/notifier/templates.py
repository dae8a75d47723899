"""What people are told, as plain functions of the event (no I/O): the contact's key
facts and a link to where they act on it (the console for supervisors, the desk for agents)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from events import ContactEscalated, ContactFlagged, Event, OwnerInformed
from schemas.config import Person
from schemas.languages import fallback_chain

E = TypeVar("E", bound=Event)

SMS_LIMIT = 320  # two segments: enough for the facts and the link


@dataclass(frozen=True)
class Message:
    subject: str
    body: str  # e-mail (plain text)
    short: str  # SMS


# (event, recipient, link base) -> the message
Template = Callable[[E, Person, str], Message]


def link_for(person: Person, contact_id: uuid.UUID, base: str) -> str:
    page = "console" if person.role == "supervisor" else "desk"
    return f"{base.rstrip('/')}/{page}?contact={contact_id}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sms(headline: str, summary: str, link: str) -> str:
    room = SMS_LIMIT - len(headline) - len(link) - 6
    return f"{headline}: “{_short(summary, max(room, 20))}” {link}"


# The words of each message, per language; a person's `locale` picks them down its fallback
# chain (pt-BR -> pt -> en). Channel names, queue names and reasons stay as routing gave them.
WORDING: dict[str, dict[str, str]] = {
    "en": {
        "came_from": " from {agent}",
        "in_queue": " in queue {queue}",
        "overflow_subject": "Overflow{in_queue}: {channel} contact",
        "overflow_what": "A {channel} contact{in_queue} overflowed: more agents may now take it.",
        "escalation_subject": "Escalation level {level}: {channel} contact",
        "escalation_what": "A {channel} contact{in_queue} was escalated to you{came_from}.",
        "hello": "Hello {name},",
        "reason": "Reason: {reason}",
        "customer_wrote": "Customer wrote: {summary}",
        "contact": "Contact: {url}",
        "escalated_at": "Escalated at: {at}",
        "open_it": "Open it: {link}",
        "flag_subject": "{agent} cannot be reached: a {channel} contact",
        "flag_what": "{agent} has a {channel} contact and can no longer be reached ({reason}).",
        "flag_short": "{agent} unreachable",
    },
    "ru": {
        "came_from": " от {agent}",
        "in_queue": " в очереди {queue}",
        "overflow_subject": "Переполнение{in_queue}: обращение {channel}",
        "overflow_what": "Обращение {channel}{in_queue} переполнило очередь: "
        "его теперь могут взять другие операторы.",
        "escalation_subject": "Эскалация, уровень {level}: обращение {channel}",
        "escalation_what": "Обращение {channel}{in_queue} передано вам{came_from}.",
        "hello": "Здравствуйте, {name}!",
        "reason": "Причина: {reason}",
        "customer_wrote": "Клиент написал: {summary}",
        "contact": "Обращение: {url}",
        "escalated_at": "Эскалировано: {at}",
        "open_it": "Открыть: {link}",
        "flag_subject": "{agent} недоступен: обращение {channel}",
        "flag_what": "У {agent} обращение {channel}, но с ним больше нет связи ({reason}).",
        "flag_short": "{agent} недоступен",
    },
    "tr": {
        "came_from": " ({agent} tarafından)",
        "in_queue": " ({queue} kuyruğunda)",
        "overflow_subject": "Taşma{in_queue}: {channel} görüşmesi",
        "overflow_what": "Bir {channel} görüşmesi{in_queue} taştı: artık başka temsilciler "
        "de alabilir.",
        "escalation_subject": "Aktarım seviye {level}: {channel} görüşmesi",
        "escalation_what": "Bir {channel} görüşmesi{in_queue} size aktarıldı{came_from}.",
        "hello": "Merhaba {name},",
        "reason": "Neden: {reason}",
        "customer_wrote": "Müşterinin yazdığı: {summary}",
        "contact": "Görüşme: {url}",
        "escalated_at": "Aktarılma zamanı: {at}",
        "open_it": "Açmak için: {link}",
        "flag_subject": "{agent} ulaşılamıyor: bir {channel} görüşmesi",
        "flag_what": "{agent} bir {channel} görüşmesinde ve artık ulaşılamıyor ({reason}).",
        "flag_short": "{agent} ulaşılamıyor",
    },
}


def wording(person: Person) -> Callable[..., str]:
    """The person's words: word("hello", name=...)."""
    lang = next(c for c in [*fallback_chain(person.locale, "en"), "en"] if c in WORDING)
    words = WORDING[lang]
    return lambda key, **values: words[key].format(**values)


def contact_url(contact_id: uuid.UUID, base: str) -> str:
    return f"{base.rstrip('/')}/api/contacts/{contact_id}"


def when(at: datetime, person: Person) -> str:
    """In the person's time zone when they have one, else UTC, with the zone named."""
    local = at.astimezone(ZoneInfo(person.time_zone) if person.time_zone else UTC)
    return f"{local:%Y-%m-%d %H:%M:%S} {person.time_zone or 'UTC'}"


def escalation_message(event: ContactEscalated, person: Person, link_base: str) -> Message:
    word = wording(person)
    link = link_for(person, event.contact_id, link_base)
    came_from = word("came_from", agent=event.from_agent_id) if event.from_agent_id else ""
    in_queue = word("in_queue", queue=event.queue) if event.queue else ""
    facts = {"channel": event.channel, "in_queue": in_queue, "came_from": came_from}
    if event.step == "overflow":
        subject = word("overflow_subject", **facts)
        what = word("overflow_what", **facts)
    else:
        subject = word("escalation_subject", level=event.level, **facts)
        what = word("escalation_what", **facts)
    body = (
        f"{word('hello', name=person.name)}\n\n"
        f"{what}\n"
        f"{word('reason', reason=event.reason)}\n"
        f"{word('customer_wrote', summary=event.summary)}\n"
        f"{word('contact', url=contact_url(event.contact_id, link_base))}\n"
        f"{word('escalated_at', at=when(event.occurred_at, person))}\n\n"
        f"{word('open_it', link=link)}\n"
    )
    short = _sms(f"Switchboard: {subject}", event.summary, link)
    return Message(f"[Switchboard] {subject}", body, short)


def flagged_message(event: ContactFlagged, person: Person, link_base: str) -> Message:
    word = wording(person)
    link = link_for(person, event.contact_id, link_base)
    facts = {"agent": event.agent_id, "channel": event.channel}
    subject = word("flag_subject", **facts)
    body = (
        f"{word('hello', name=person.name)}\n\n"
        f"{word('flag_what', reason=event.reason, **facts)}\n"
        f"{word('customer_wrote', summary=event.summary)}\n"
        f"{word('contact', url=contact_url(event.contact_id, link_base))}\n\n"
        f"{word('open_it', link=link)}\n"
    )
    short = _sms(f"Switchboard: {word('flag_short', **facts)}", event.summary, link)
    return Message(f"[Switchboard] {subject}", body, short)


def owner_message(event: OwnerInformed, person: Person, link_base: str) -> Message:
    link = link_for(person, event.contact_id, link_base)
    subject = f"{event.agent_id} took a {event.channel} contact of your customer"
    body = (
        f"Hello {person.name},\n\n"
        f"{event.agent_id} took a {event.channel} contact of a customer you own.\n"
        f"Customer wrote: {event.summary}\n"
        f"Contact: {link_base.rstrip('/')}/api/contacts/{event.contact_id}\n\n"
        f"To take it over, ask {event.agent_id} to transfer it to you. Open it: {link}\n"
    )
    short = _sms(f"Switchboard: {event.agent_id} took your customer's contact", event.summary, link)
    return Message(f"[Switchboard] {subject}", body, short)

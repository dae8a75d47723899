"""What people are told of SLA warnings, breaches and escalations (no I/O)."""

from __future__ import annotations

from collections.abc import Callable

from events.sla import SlaEscalated, SlaNotified, SlaOutcome, SlaWarned
from schemas.config import Person
from schemas.languages import fallback_chain
from services.notifier.templates import Message, contact_url, link_for, when

SLA_WORDING: dict[str, dict[str, str]] = {
    "en": {
        "first_response": "first response",
        "next_response": "next response",
        "resolution": "resolution",
        "warn_subject": "SLA at risk: {metric} due {due}",
        "breach_subject": "SLA breached: {metric} was due {due}",
        "escalated_subject": "SLA escalation level {level}: {metric} was due {due}",
        "warn_what": "A contact{held} has used {share} of its {metric} target ({policy}).",
        "breach_what": "A contact{held} missed its {metric} target ({policy}).",
        "escalated_what": "A contact{held} missed its {metric} target ({policy}) and was"
        " escalated to you (level {level}).",
        "held": " held by {holder}",
        "hello": "Hello {name},",
        "reason": "Reason: {reason}",
        "contact": "Contact: {url}",
        "open_it": "Open it: {link}",
    },
    "ru": {
        "first_response": "первый ответ",
        "next_response": "следующий ответ",
        "resolution": "решение",
        "warn_subject": "SLA под угрозой: {metric} до {due}",
        "breach_subject": "SLA нарушен: {metric} был нужен до {due}",
        "escalated_subject": "Эскалация SLA, уровень {level}: {metric} был нужен до {due}",
        "warn_what": "Обращение{held} израсходовало {share} срока «{metric}» ({policy}).",
        "breach_what": "Обращение{held} пропустило срок «{metric}» ({policy}).",
        "escalated_what": "Обращение{held} пропустило срок «{metric}» ({policy}) и передано"
        " вам (уровень {level}).",
        "held": " (у {holder})",
        "hello": "Здравствуйте, {name}!",
        "reason": "Причина: {reason}",
        "contact": "Обращение: {url}",
        "open_it": "Открыть: {link}",
    },
    "tr": {
        "first_response": "ilk yanıt",
        "next_response": "sonraki yanıt",
        "resolution": "çözüm",
        "warn_subject": "SLA risk altında: {metric} son {due}",
        "breach_subject": "SLA ihlali: {metric} son {due} idi",
        "escalated_subject": "SLA yükseltme seviye {level}: {metric} son {due} idi",
        "warn_what": "Bir görüşme{held} {metric} hedefinin {share} kadarını kullandı ({policy}).",
        "breach_what": "Bir görüşme{held} {metric} hedefini kaçırdı ({policy}).",
        "escalated_what": "Bir görüşme{held} {metric} hedefini kaçırdı ({policy}) ve size"
        " yükseltildi (seviye {level}).",
        "held": " ({holder} üzerinde)",
        "hello": "Merhaba {name},",
        "reason": "Neden: {reason}",
        "contact": "Görüşme: {url}",
        "open_it": "Aç: {link}",
    },
}


def _words(person: Person) -> Callable[..., str]:
    lang = next(c for c in [*fallback_chain(person.locale, "en"), "en"] if c in SLA_WORDING)
    words = SLA_WORDING[lang]
    return lambda key, **values: words[key].format(**values)


def sla_message(event: SlaOutcome, person: Person, link_base: str) -> Message:
    word = _words(person)
    holder = getattr(event, "holder_id", None) or getattr(event, "from_person_id", None)
    facts = {
        "metric": word(event.metric),
        "due": when(event.due_at, person),
        "policy": event.policy,
        "held": word("held", holder=holder) if holder else "",
    }
    if isinstance(event, SlaWarned):
        kind, facts["share"] = "warn", f"{event.fraction:.0%}"
    elif isinstance(event, SlaEscalated):
        kind, facts["level"] = "escalated", str(event.level)
    else:
        kind = "breach"
    subject = word(f"{kind}_subject", **facts)
    link = link_for(person, event.contact_id, link_base)
    body = (
        f"{word('hello', name=person.name)}\n\n"
        f"{word(f'{kind}_what', **facts)}\n"
        f"{word('reason', reason=event.reason)}\n"
        f"{word('contact', url=contact_url(event.contact_id, link_base))}\n\n"
        f"{word('open_it', link=link)}\n"
    )
    return Message(f"[Switchboard] {subject}", body, f"Switchboard: {subject} {link}")


def recipients(event: SlaOutcome) -> list[str]:
    """Who is told: the holder of a warning; holder and supervisor on `notify`; the person
    a rung reached."""
    if isinstance(event, SlaWarned):
        return [event.holder_id] if event.holder_id else []
    if isinstance(event, SlaNotified):
        return [p for p in (event.holder_id, event.supervisor_id) if p]
    if isinstance(event, SlaEscalated):
        return [event.to_person_id]
    return []

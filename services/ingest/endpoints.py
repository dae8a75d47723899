"""What a channel endpoint (a business phone number, a web form) says about the people who
reach it: the region their phone numbers are written in, and their language.

A caller of a Moscow number who texts "8 916 123-45-67" or fills a form with "916 123 45 67"
means +7 916..., not a US number: each endpoint has a default region, from the config, else
(for a phone number) the number's own country, else `ingest.default_region`.
"""

from __future__ import annotations

import phonenumbers

from schemas.config import SwitchboardConfig
from schemas.languages import BusinessNumber, pick

# What Twilio's <Say language=...> takes for a bare language (its voices are per region).
SAY_LANGUAGES = {"en": "en-US", "ru": "ru-RU", "tr": "tr-TR", "de": "de-DE", "uk": "uk-UA"}


def business_number(config: SwitchboardConfig, number: str | None) -> BusinessNumber | None:
    twilio = config.channels.twilio
    if not number or twilio is None:
        return None
    return next((n for n in twilio.numbers if n.number == number.strip()), None)


def region_of_number(config: SwitchboardConfig, number: str | None) -> str:
    """The default region for whoever reached the business `number` (Twilio's To)."""
    configured = business_number(config, number)
    if configured is not None and configured.region:
        return configured.region
    if number and number.strip().startswith("+"):
        try:
            region = phonenumbers.region_code_for_number(phonenumbers.parse(number.strip()))
        except phonenumbers.NumberParseException:
            region = None
        if region and region != "001":  # 001: a non-geographic number, no country
            return str(region)
    return config.ingest.default_region


def language_of_number(config: SwitchboardConfig, number: str | None) -> str | None:
    configured = business_number(config, number)
    return configured.language if configured is not None else None


def region_of_form(config: SwitchboardConfig, form_id: str) -> str:
    form = config.form(form_id)
    return form.region if form is not None and form.region else config.ingest.default_region


def language_of_form(config: SwitchboardConfig, form_id: str) -> str | None:
    form = config.form(form_id)
    return form.language if form is not None else None


def voice_greeting(config: SwitchboardConfig, number: str | None) -> tuple[str, str | None]:
    """What a caller of `number` hears first, and the <Say> language to speak it in: the
    number's language (else languages.default) down its fallback chain, else the one
    channels.twilio.greeting in Twilio's default voice."""
    languages = config.languages
    wanted = language_of_number(config, number) or languages.default
    found = pick(languages.voice_greetings, wanted, languages.default)
    if found is None:
        assert config.channels.twilio is not None
        return config.channels.twilio.greeting, None
    tag, text = found
    # The most specific voice for the text's language: pt-BR asked, "pt" text -> pt-BR.
    say = wanted if wanted.lower().startswith(f"{tag}-") else tag
    say = say if "-" in say else SAY_LANGUAGES.get(say, "")
    if "-" not in say:
        return text, None  # no voice known for it: Twilio's default voice
    base, region = say.split("-", 1)
    return text, f"{base.lower()}-{region.upper()}"  # Twilio spells them ru-RU

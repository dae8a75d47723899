"""The `[languages]` section of switchboard.toml: which languages messages are detected in,
and the customer-facing words (voice greetings) per language with a fallback chain."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

# ISO 639-1 (two letters), or 639-3 where a language has no two-letter code.
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]
# A language tag as channels and browsers give it: "ru", "pt-BR", "zh-Hant".
LanguageTag = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]


NEIGHBOURS = ("fr", "es", "it", "pt", "pl", "nl", "ro", "sv", "bg", "be", "hr", "sr", "kk", "az")


class BusinessNumber(BaseModel):
    """One of the centre's phone numbers (a Twilio number): who calls or texts it writes
    their own number the local way (no +7), and hears and reads its language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(pattern=r"^\+[1-9][0-9]{6,14}$")
    # Unset: the number's own country (a +7 495 number: RU).
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    # Unset: detected from each message's text (calls: languages.default).
    language: LanguageTag | None = None


def known_time_zone(value: str | None) -> str | None:
    if value is not None:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (IANA: Europe/Istanbul)") from None
    return value


class DetectionConfig(BaseModel):
    """Language of an interaction whose channel does not say it, from its text.

    The detector chooses only among `languages` (the centre's, not the world's): fewer
    candidates are both more accurate on short messages and faster. A result under
    `min_confidence`, or a text of fewer than `min_letters` letters, leaves the language
    unset: routing then treats the contact as of no known language rather than a guess."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    languages: list[LanguageCode] = Field(
        default_factory=lambda: ["en", "ru", "tr", "de", "uk"], min_length=2
    )
    # Languages the detector may also answer, to be left unset: without them a French or
    # Bulgarian message is forced into the nearest of `languages` (bench.language_detection).
    neighbours: list[LanguageCode] = Field(
        default_factory=lambda: list(NEIGHBOURS), description="answered as unset"
    )
    min_confidence: float = Field(default=0.6, gt=0, le=1)
    min_letters: int = Field(default=10, ge=1)
    # Detection never holds up a channel's answer or routing longer than this.
    timeout_ms: float = Field(default=200, gt=0)
    max_chars: int = Field(default=1000, ge=50)  # more says nothing new about the language

    @property
    def candidates(self) -> list[str]:
        """What the model chooses among: the centre's languages, then their neighbours."""
        return list(dict.fromkeys([*self.languages, *self.neighbours]))


class LanguagesConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    detection: DetectionConfig = DetectionConfig()
    # The language customer-facing words fall back to when the customer's has none.
    default: LanguageCode = "en"
    # What a caller hears first, per language ("ru" = "Здравствуйте..."); unset for a
    # language: the fallback chain (pt-BR -> pt -> default -> channels.twilio.greeting).
    voice_greetings: dict[LanguageTag, str] = Field(default_factory=dict)


def fallback_chain(tag: str | None, default: str) -> list[str]:
    """Which languages to try for customer-facing text, most specific first:
    "pt-BR" -> ["pt-br", "pt", default]. Tags compare case-insensitively (BCP 47)."""
    chain: list[str] = []
    if tag:
        parts = tag.lower().split("-")
        chain += ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
    if default.lower() not in chain:
        chain.append(default.lower())
    return chain


def pick(texts: dict[str, str], tag: str | None, default: str) -> tuple[str, str] | None:
    """The text for the first language of the fallback chain that has one, and which."""
    by_tag = {k.lower(): v for k, v in texts.items()}
    for candidate in fallback_chain(tag, default):
        if candidate in by_tag:
            return candidate, by_tag[candidate]
    return None

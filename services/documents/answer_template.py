"""The AnswerTemplate aggregate: one standard answer for a shortcut, channel and language."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from events.base import derived_id

ANY = "*"  # a template for every channel or every language


class AnswerTemplate(Aggregate):
    @staticmethod
    def create_id(shortcut: str, channel: str, language: str, **_: Any) -> uuid.UUID:
        return derived_id("answer-template", shortcut, channel, language)

    @event("Created")
    def __init__(
        self, shortcut: str, channel: str, language: str, title: str, body: str, by: str
    ) -> None:
        self.shortcut = shortcut
        self.channel = channel
        self.language = language
        self.title = title
        self.body = body
        self.updated_by = by
        self.retired = False
        self.uses = 0

    @event("Revised")
    def revise(self, title: str, body: str, by: str) -> None:
        self.title = title
        self.body = body
        self.updated_by = by
        self.retired = False

    @event("Retired")
    def retire(self, by: str) -> None:
        self.retired = True
        self.updated_by = by

    @event("Used")
    def use(self, by: str, contact_id: uuid.UUID | None) -> None:
        self.uses += 1


class Catalog(Aggregate):
    """Which templates exist, so they can be listed without scanning the store."""

    @staticmethod
    def create_id(kind: str, **_: Any) -> uuid.UUID:
        return derived_id("template-catalog", kind)

    @event("Started")
    def __init__(self, kind: str) -> None:
        self.ids: list[uuid.UUID] = []

    @event("Added")
    def add(self, template_id: uuid.UUID) -> None:
        self.ids = [*self.ids, template_id]


def best_variant(
    variants: list[AnswerTemplate], channel: str | None, language: str | None
) -> AnswerTemplate | None:
    """The most specific live variant: channel and language, channel, language, neither."""
    live = [t for t in variants if not t.retired]
    for want_channel, want_language in (
        (channel, language),
        (channel, ANY),
        (ANY, language),
        (ANY, ANY),
    ):
        for t in live:
            if t.channel == want_channel and t.language == want_language:
                return t
    return None

"""Which request type a contact is: a plain function of its facts and words."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from schemas.request_types import RequestType
from schemas.rules import CONTACT_FACTS, Rule


@functools.lru_cache(maxsize=256)
def _rule(source: str) -> Rule:
    return Rule(source, CONTACT_FACTS)


@functools.lru_cache(maxsize=256)
def _words(keywords: tuple[str, ...]) -> re.Pattern[str]:
    # Any case, at a word's start: people write stems ("refund" finds "refunded").
    alternatives = "|".join(re.escape(k.casefold()) for k in keywords)
    return re.compile(rf"(?<!\w)(?:{alternatives})")


def classify(
    types: Sequence[RequestType], facts: Mapping[str, Any], subject: str | None, text: str
) -> str | None:
    words = f"{subject or ''}\n{text}".casefold()
    for t in types:
        if t.match is not None and not _rule(t.match)(facts):
            continue
        if t.keywords and not _words(tuple(t.keywords)).search(words):
            continue
        return t.name
    return None

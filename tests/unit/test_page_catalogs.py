"""The desk's and console's message catalogs: every key the pages use is in every catalog,
with the same placeholders, and the plural forms each language needs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

WEB = Path(__file__).resolve().parents[2] / "services" / "notifier" / "web"
LOCALES = ("en", "ru", "tr")
# What Intl.PluralRules answers for whole numbers in each language.
PLURAL_FORMS = {
    "en": {"one", "other"},
    "ru": {"one", "few", "many", "other"},
    "tr": {"one", "other"},
}
KEY = r"[a-z_]+(?:\.[a-z_]+)+"


def catalog(locale: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WEB / f"i18n-{locale}.json").read_text())
    return data


def used_keys() -> set[str]:
    """Keys written in the pages' scripts (t("..."), act("customer...")) and HTML."""
    keys: set[str] = set()
    for path in WEB.glob("*.js"):
        if path.name == "i18n.js":
            continue
        text = path.read_text()
        keys |= set(re.findall(rf'\bt\("({KEY})"', text))
        keys |= set(re.findall(rf'\bact\("({KEY})"', text))
    for path in WEB.glob("*.html"):
        text = path.read_text()
        keys |= set(re.findall(rf'data-(?:i18n|label)="({KEY})"', text))
        for attrs in re.findall(r'data-i18n-attr="([^"]+)"', text):
            keys |= {pair.split(":")[1].strip() for pair in attrs.split(",")}
    return keys


def value_prefixes() -> set[str]:
    """tValue("prefix", value): keys named by data (statuses, states)."""
    return {
        prefix
        for path in WEB.glob("*.js")
        for prefix in re.findall(r'\btValue\("([a-z_]+)"', path.read_text())
    }


def placeholders(value: str | dict[str, str]) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in re.findall(r"\{(\w+)\}", text)}


def test_the_scan_finds_the_pages_keys() -> None:
    keys = used_keys()
    assert {"desk.offers", "desk.expires_in", "customer.note_added", "console.queues"} <= keys
    assert {"agent_status", "conversation_state"} <= value_prefixes()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_the_pages_use_is_in_the_catalog(locale: str) -> None:
    missing = used_keys() - set(catalog(locale))
    assert missing == set()


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogs_have_the_same_keys_and_placeholders(locale: str) -> None:
    english, other = catalog("en"), catalog(locale)
    assert set(other) == set(english)
    for key, value in english.items():
        assert placeholders(other[key]) == placeholders(value), key
        if isinstance(other[key], dict):
            assert set(other[key]) == PLURAL_FORMS[locale], key
            assert "count" in placeholders(value), key


def test_no_catalog_entry_is_dead() -> None:
    used, prefixes = used_keys(), value_prefixes()
    dead = {k for k in catalog("en") if k not in used and k.split(".")[0] not in prefixes}
    assert dead == set()


@pytest.mark.parametrize("locale", ("ru", "tr"))
def test_translations_are_translated(locale: str) -> None:
    """A copied English text is a missed translation; "E-mail" is the same in Russian."""
    english = catalog("en")
    same = {k for k, v in catalog(locale).items() if v == english[k]}
    assert same <= {"console.search.email"}

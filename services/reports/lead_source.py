"""Where a contact came from, as reports name it (pure).

Source: the web form's `utm_source`, else the referrer's host, else the API attribute
`source`, else the number called, else the adapter instance (form id, bot). Campaign:
`utm_campaign`, else the API attribute `campaign`.
"""

from __future__ import annotations

from urllib.parse import urlparse


def called_number_of(attributes: dict[str, str]) -> str | None:
    return attributes.get("To") or None


def source_of(channel: str, adapter: str, attributes: dict[str, str]) -> str:
    if value := attributes.get("utm_source"):
        return value
    if referrer := attributes.get("referrer"):
        host = urlparse(referrer).hostname
        if host:
            return host.removeprefix("www.")
    if value := attributes.get("source"):
        return value
    if number := called_number_of(attributes):
        return number
    return adapter or channel


def campaign_of(attributes: dict[str, str]) -> str | None:
    return attributes.get("utm_campaign") or attributes.get("campaign") or None
